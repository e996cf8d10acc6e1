package estest_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"testing"

	"github.com/demhost/demhost/estest"
	"github.com/demhost/demhost/internal/testenv"
	sdk "github.com/demhost/demhost/plugin-sdk"
)

// books is an application's own source: three books in one index.
type books struct{}

func (books) Configure(context.Context, *sdk.ConfigureRequest) (*sdk.ConfigureResponse, error) {
	return &sdk.ConfigureResponse{}, nil
}

func (books) Describe(context.Context, *sdk.DescribeRequest) (*sdk.DescribeResponse, error) {
	return &sdk.DescribeResponse{Indexes: []sdk.IndexSpec{{
		Name:     "books",
		Mappings: json.RawMessage(`{"properties":{"title":{"type":"text"},"year":{"type":"integer"}}}`),
	}}}, nil
}

func (books) Stream(_ context.Context, _ *sdk.StreamRequest, w sdk.Writer) error {
	for _, d := range []sdk.Doc{
		{ID: "1", Source: []byte(`{"title":"Dune","year":1965}`)},
		{ID: "2", Source: []byte(`{"title":"Dune Messiah","year":1969}`)},
		{ID: "3", Source: []byte(`{"title":"Solaris","year":1961}`)},
	} {
		if err := w.Write(d); err != nil {
			return err
		}
	}
	return nil
}

// searchBooks is the application code under test: it finds the ids of the
// books whose title matches q, in the index or alias given.
func searchBooks(ctx context.Context, engineURL, index, q string) ([]string, error) {
	body, _ := json.Marshal(map[string]any{"query": map[string]any{"match": map[string]any{"title": q}}})
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, engineURL+"/"+index+"/_search", bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("search %s: HTTP %d", index, resp.StatusCode)
	}
	var out struct {
		Hits struct {
			Hits []struct {
				ID string `json:"_id"`
			} `json:"hits"`
		} `json:"hits"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
		return nil, fmt.Errorf("search %s: %w", index, err)
	}
	var ids []string
	for _, h := range out.Hits.Hits {
		ids = append(ids, h.ID)
	}
	slices.Sort(ids)
	return ids, nil
}

// applicationTest is an application's test start to finish, as an
// application writes it (there without the options).
func applicationTest(t *testing.T, opts ...estest.Option) {
	env := estest.New(t, opts...) // its own prefix; everything under it goes at cleanup
	env.Host(books{})             // registry in t.TempDir(), the source in-process
	ctx := t.Context()
	env.Ready(ctx, "books") // create, activate, update, refresh

	got, err := searchBooks(ctx, env.EngineURL(), env.Alias("books"), "dune")
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"1", "2"}; !slices.Equal(got, want) {
		t.Errorf("search dune = %v, want %v", got, want)
	}
}

// TestExampleApplication runs the example below against both engines.
func TestExampleApplication(t *testing.T) {
	for _, e := range testenv.Engines(t) {
		t.Run(e.Name, func(t *testing.T) {
			t.Parallel()
			applicationTest(t, estest.WithEngineURL(e.URL))
		})
	}
}

// An application's test: its own source, then create, activate and update
// through a host, then a search that asserts on the hits. The engine comes
// from DEMHOST_TEST_ENGINE_URL (or Docker); without one the test skips.
func ExampleNew() {
	TestSearchBooks := func(t *testing.T) {
		env := estest.New(t)
		env.Host(books{})
		ctx := t.Context()
		env.Ready(ctx, "books")

		res := env.Search(ctx, "books", `{"query":{"match":{"title":"dune"}}}`)
		if res.Total != 2 {
			t.Errorf("search dune: %d hits, want 2", res.Total)
		}
		// Or with any client: POST env.EngineURL()+"/"+env.Alias("books")+"/_search".
	}
	_ = TestSearchBooks
}

// A test that loads a real plugin binary instead of an in-process source.
func ExampleEnv_PluginHost() {
	TestMoviesPlugin := func(t *testing.T) {
		env := estest.New(t)
		env.PluginHost("movies", "../bin/demhost-plugin-movies", json.RawMessage(`{}`))
		env.Ready(t.Context(), "movies")
		if n := env.Count(t.Context(), "movies"); n == 0 {
			t.Error("no movies")
		}
	}
	_ = TestMoviesPlugin
}

// Remove the engine container estest may start through Docker once all the
// package's tests are done.
func ExampleMain() {
	// In a _test.go file of your package:
	//
	//	func TestMain(m *testing.M) { estest.Main(m) }
}
