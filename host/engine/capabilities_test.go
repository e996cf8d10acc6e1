package engine_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/demhost/demhost/host/engine"
	"github.com/demhost/demhost/internal/testenv"
)

// Every engine but the in-JVM Elasticsearch 8 (no reindex module) has
// _reindex and _delete_by_query; the probe tells, and changes nothing.
func TestCapabilitiesRealNodes(t *testing.T) {
	for _, te := range testenv.AllEngines(t) {
		t.Run(te.Name, func(t *testing.T) {
			t.Parallel()
			rec := &recorder{next: http.DefaultTransport}
			eng := openReal(t, te.URL, engine.Kind(te.Kind), rec)
			ctx := testenv.Context(t)
			caps, err := eng.Capabilities(ctx)
			if err != nil {
				t.Fatal(err)
			}
			want := te.Name != "elasticsearch8"
			if caps.Reindex != want || caps.DeleteByQuery != want {
				t.Errorf("Capabilities = %+v, want both %t", caps, want)
			}
			n := rec.count()
			if again, err := eng.Capabilities(ctx); err != nil || again != caps || rec.count() != n {
				t.Errorf("second Capabilities = %+v, %v after %d more requests; want the same, asked once",
					again, err, rec.count()-n)
			}
		})
	}
}

// A schema's analysis is checked against what the engine has: on the
// in-JVM Elasticsearch 8 (no analysis-common) a folding analyzer and the
// english analyzer are missing, each named; OpenSearch 3 has them all.
func TestMissingAnalysisRealNodes(t *testing.T) {
	body := []byte(`{
	 "settings":{"analysis":{
	  "filter":{"my_stop":{"type":"stop","stopwords":["the"]},"my_syn":{"type":"synonym","synonyms":["film,movie"]}},
	  "analyzer":{
	   "folded":{"type":"custom","tokenizer":"standard","filter":["lowercase","asciifolding","my_stop"]},
	   "syn":{"type":"custom","tokenizer":"standard","filter":["my_syn"]},
	   "plain":{"type":"custom","tokenizer":"standard","filter":["lowercase","my_stop"]},
	   "std":{"type":"standard","stopwords":"_none_"}},
	  "normalizer":{"lower":{"type":"custom","filter":["lowercase"]}}}},
	 "mappings":{"properties":{
	  "title":{"type":"text","analyzer":"folded","fields":{"en":{"type":"text","analyzer":"english"}}},
	  "tag":{"type":"keyword","normalizer":"lower"},
	  "body":{"type":"text","analyzer":"plain","search_analyzer":"standard"}}}}`)
	cases := []struct {
		name string
		url  func(testing.TB) string
		want []string
	}{
		{"elasticsearch8", testenv.Elasticsearch8URL, []string{
			"analyzer folded: failed to find global filter under [asciifolding]",
			"analyzer syn: failed to find global filter under [synonym]",
			"analyzer english: failed to find global analyzer [english]",
		}},
		{"opensearch3", testenv.OpenSearch3URL, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			eng := openReal(t, c.url(t), "", nil)
			got, err := eng.MissingAnalysis(testenv.Context(t), body)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(got, c.want) {
				t.Errorf("MissingAnalysis =\n  %s\nwant\n  %s", strings.Join(got, "\n  "), strings.Join(c.want, "\n  "))
			}
		})
	}
}

// pathFake answers each path with its own status and body, without the
// X-Elastic-Product header, as OpenSearch or a proxy would.
type pathFake map[string]struct {
	status int
	body   string
}

func (p pathFake) RoundTrip(req *http.Request) (*http.Response, error) {
	a, ok := p[req.URL.Path]
	if !ok {
		a.status, a.body = 404, `{"error":"no handler"}`
	}
	h := http.Header{"Content-Type": {"application/json"}}
	return &http.Response{StatusCode: a.status, Header: h, Request: req, Body: io.NopCloser(strings.NewReader(a.body))}, nil
}

// A user without the monitor privilege gets 403 from _nodes/_local; Probe
// and Info then read GET /.
func TestProbeFallsBackToRoot(t *testing.T) {
	t.Parallel()
	f := pathFake{
		"/_nodes/_local": {403, `{"error":{"type":"security_exception","reason":"no permission"},"status":403}`},
		"/":              {200, `{"cluster_name":"c","version":{"distribution":"opensearch","number":"1.3.20"}}`},
	}
	cfg := engine.Config{URLs: []string{"http://node:9200"}, Transport: f}
	info, err := engine.Probe(context.Background(), cfg)
	if err != nil || info.Kind != engine.OpenSearch || info.Version != "1.3.20" || info.ClusterName != "c" {
		t.Fatalf("Probe = %+v, %v; want OpenSearch 1.3.20 of cluster c from GET /", info, err)
	}
	eng, err := engine.Open(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	if got, err := eng.Info(context.Background()); err != nil || got != info {
		t.Errorf("Info = %+v, %v; want %+v", got, err, info)
	}
}

// A user whom the cluster does not allow to run a probe's action still
// learns the API is there (an action is authorized only when it exists);
// one whose credentials fail gets the error.
func TestCapabilitiesForbiddenAndUnauthorized(t *testing.T) {
	t.Parallel()
	forbidden := `{"error":{"type":"security_exception","reason":"action [indices:data/write/reindex] is unauthorized"},"status":403}`
	cases := []struct {
		name    string
		status  int
		want    engine.Capabilities
		wantErr error
	}{
		{"forbidden", 403, engine.Capabilities{Reindex: true, DeleteByQuery: true}, nil},
		{"unauthorized", 401, engine.Capabilities{}, engine.ErrUnauthorized},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			f := pathFake{
				"/_reindex": {c.status, forbidden},
				"/demhost-capability-probe-absent/_delete_by_query": {c.status, forbidden},
			}
			eng, err := engine.Open(context.Background(), engine.Config{Kind: engine.OpenSearch, Transport: f})
			if err != nil {
				t.Fatal(err)
			}
			caps, err := eng.Capabilities(context.Background())
			if caps != c.want || !errors.Is(err, c.wantErr) {
				t.Errorf("Capabilities = %+v, %v; want %+v, %v", caps, err, c.want, c.wantErr)
			}
		})
	}
}
