package estest_test

import (
	"os/exec"
	"path/filepath"
	"slices"
	"testing"

	"github.com/demhost/demhost/estest"
	"github.com/demhost/demhost/internal/testenv"
	"github.com/demhost/demhost/plugins/movies/movies"
)

// TestBundledSourceInProcess is DESIGN's sketch: the movies source of the
// bundled plugin, in-process.
func TestBundledSourceInProcess(t *testing.T) {
	for _, e := range testenv.Engines(t) {
		t.Run(e.Name, func(t *testing.T) {
			t.Parallel()
			env := estest.New(t, estest.WithEngineURL(e.URL))
			h := env.Host(movies.New())
			if got := h.Indexes(); !slices.Equal(got, []string{"movies"}) {
				t.Fatalf("Indexes() = %v, want [movies]", got)
			}
			env.Ready(t.Context(), "movies")
			if got := env.Count(t.Context(), "movies"); got != int64(len(movies.Fixture())) {
				t.Errorf("count = %d, want the %d films of the fixture", got, len(movies.Fixture()))
			}
		})
	}
}

// TestPluginBinary runs the SDK's example plugin as a real binary next to
// an in-process source in one host.
func TestPluginBinary(t *testing.T) {
	t.Parallel()
	engines := testenv.Engines(t)
	bin := filepath.Join(t.TempDir(), "demhost-plugin-example")
	if out, err := exec.Command("go", "build", "-o", bin, "../plugin-sdk/example").CombinedOutput(); err != nil {
		t.Fatalf("build the example plugin: %v\n%s", err, out)
	}
	for _, e := range engines {
		t.Run(e.Name, func(t *testing.T) {
			t.Parallel()
			t.Run("PluginHost", func(t *testing.T) {
				env := estest.New(t, estest.WithEngineURL(e.URL))
				env.PluginHost("example", bin, nil)
				env.Ready(t.Context(), "books")
				res := env.Search(t.Context(), "books", `{"query":{"match":{"title":"moby"}}}`)
				if res.Total != 1 || len(res.Hits) != 1 || res.Hits[0].ID != "b2" {
					t.Errorf("search moby = %+v, want the one hit b2", res)
				}
				// The example asks for no replica, so its index is green
				// on the single node of `make services`.
				stats, err := env.Engine().ListIndices(t.Context(), env.Alias("books"))
				if err != nil || len(stats) != 1 || stats[0].Health != "green" {
					t.Errorf("the example's index: %+v (err %v), want one green index", stats, err)
				}
			})
			t.Run("HostWith", func(t *testing.T) {
				env := estest.New(t, estest.WithEngineURL(e.URL))
				h := env.HostWith(estest.HostConfig{
					Sources: []estest.LocalSource{{Name: "counter", Source: &countSource{n: 4}}},
					Plugins: []estest.PluginBinary{{Name: "example", Path: bin}},
				})
				if got := h.Indexes(); !slices.Equal(got, []string{"books", "movies"}) {
					t.Fatalf("Indexes() = %v, want [books movies]", got)
				}
				env.Ready(t.Context()) // both
				if got := env.Count(t.Context(), "books"); got != 3 {
					t.Errorf("books count = %d, want 3", got)
				}
				if got := env.Count(t.Context(), "movies"); got != 4 {
					t.Errorf("movies count = %d, want 4", got)
				}
			})
		})
	}
}
