package estest_test

import (
	"os"
	"strings"
	"testing"

	"github.com/demhost/demhost/estest"
	"github.com/demhost/demhost/plugins/movies/movies"
)

// The README's example, verbatim between the markers (TestReadmeShowsSearch
// checks it), so what a reader copies compiles and passes. make test sets
// DEMHOST_TEST_ENGINE_URL, as an application's CI would.

// readme:begin
func TestSearch(t *testing.T) {
	env := estest.New(t)   // its own prefix; everything under it is deleted at cleanup
	env.Host(movies.New()) // a full host, temporary registry, the source in-process
	ctx := t.Context()
	env.Ready(ctx, "movies") // create, activate, update, refresh
	res := env.Search(ctx, "movies", `{"query":{"match":{"title":"godfather"}}}`)
	if res.Total != 2 {
		t.Errorf("search godfather: %d hits, want 2", res.Total)
	}
}

// readme:end

func TestReadmeShowsSearch(t *testing.T) {
	t.Parallel()
	src, err := os.ReadFile("readme_test.go")
	if err != nil {
		t.Fatal(err)
	}
	_, rest, _ := strings.Cut(string(src), "// readme:begin\n")
	snippet, _, _ := strings.Cut(rest, "\n// readme:end")
	readme, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(readme), "```go\n"+snippet+"```") {
		t.Errorf("README.md does not show estest/readme_test.go's TestSearch verbatim; copy it again:\n%s", snippet)
	}
}
