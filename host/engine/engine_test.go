package engine_test

import (
	"net/http"
	"slices"
	"sync"
	"testing"

	"github.com/demhost/demhost/host/engine"
	"github.com/demhost/demhost/host/engine/enginetest"
	"github.com/demhost/demhost/internal/testenv"
)

// Each adapter passes the conformance suite on a real node.

func TestElasticsearch(t *testing.T) {
	t.Parallel()
	url := testenv.ElasticsearchURL(t)
	enginetest.Run(t, func(t *testing.T) engine.Engine { return openReal(t, url, engine.Elasticsearch, nil) },
		enginetest.Options{Kind: engine.Elasticsearch})
}

func TestOpenSearch(t *testing.T) {
	t.Parallel()
	url := testenv.OpenSearchURL(t)
	enginetest.Run(t, func(t *testing.T) engine.Engine { return openReal(t, url, engine.OpenSearch, nil) },
		enginetest.Options{Kind: engine.OpenSearch})
}

func TestOpenSearch3(t *testing.T) {
	t.Parallel()
	url := testenv.OpenSearch3URL(t)
	enginetest.Run(t, func(t *testing.T) engine.Engine { return openReal(t, url, engine.OpenSearch, nil) },
		enginetest.Options{Kind: engine.OpenSearch})
}

// The in-JVM Elasticsearch 8 has no _reindex or _delete_by_query: the
// suite's Reindex and DeleteByQuery cases run the adapter's fallbacks.
func TestElasticsearch8(t *testing.T) {
	t.Parallel()
	url := testenv.Elasticsearch8URL(t)
	enginetest.Run(t, func(t *testing.T) engine.Engine { return openReal(t, url, engine.Elasticsearch, nil) },
		enginetest.Options{Kind: engine.Elasticsearch})
}

// openReal opens the adapter of kind on url without probing.
func openReal(t testing.TB, url string, kind engine.Kind, rt http.RoundTripper) engine.Engine {
	t.Helper()
	eng, err := engine.Open(testenv.Context(t), engine.Config{URLs: []string{url}, Kind: kind, Transport: rt})
	if err != nil {
		t.Fatalf("open %s: %v", url, err)
	}
	return eng
}

// Probe and Open with Kind Auto pick the adapter from a real node's answer,
// on the Elasticsearch 8 node too, whose GET / answers 405.
func TestProbeRealNodes(t *testing.T) {
	for _, te := range testenv.AllEngines(t) {
		t.Run(te.Name, func(t *testing.T) {
			t.Parallel()
			ctx := testenv.Context(t)
			kind := engine.Kind(te.Kind)
			info, err := engine.Probe(ctx, engine.Config{URLs: []string{te.URL}})
			if err != nil {
				t.Fatal(err)
			}
			if info.Kind != kind || info.Version == "" || info.ClusterName == "" || info.URL != te.URL {
				t.Errorf("Probe = %+v, want kind %s with version, cluster name and url %s", info, kind, te.URL)
			}
			eng, err := engine.Open(ctx, engine.Config{URLs: []string{te.URL}})
			if err != nil {
				t.Fatal(err)
			}
			got, err := eng.Info(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if got != info {
				t.Errorf("Info of the probed adapter = %+v, want %+v", got, info)
			}
		})
	}
}

// recorder passes requests to a real transport and remembers them, so a
// test can say which requests an operation sent.
type recorder struct {
	mu   sync.Mutex
	next http.RoundTripper
	reqs []string // "METHOD /path"
}

func (r *recorder) RoundTrip(req *http.Request) (*http.Response, error) {
	r.mu.Lock()
	r.reqs = append(r.reqs, req.Method+" "+req.URL.Path)
	r.mu.Unlock()
	return r.next.RoundTrip(req)
}

// since returns the requests sent after the n-th.
func (r *recorder) since(n int) []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.reqs[n:])
}

func (r *recorder) count() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.reqs)
}
