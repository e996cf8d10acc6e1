package bench_test

import (
	"testing"

	"github.com/demhost/demhost/bench"
	"github.com/demhost/demhost/internal/testenv"
)

// TestClusterVersion probes every engine of `make services`, including the
// Elasticsearch 8 node that answers GET / with 405, and checks the
// distribution and version the bench prints in its headings.
func TestClusterVersion(t *testing.T) {
	t.Parallel()
	for _, e := range testenv.AllEngines(t) {
		t.Run(e.Name, func(t *testing.T) {
			t.Parallel()
			dist, number, err := bench.NewCluster(e.URL).Version(testenv.Context(t))
			if err != nil {
				t.Fatal(err)
			}
			if dist != e.Kind || number == "" {
				t.Errorf("Version() = %q %q, want %s and a version number", dist, number, e.Kind)
			}
		})
	}
}
