package bench_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/demhost/demhost/bench"
)

// fakeBulk is a stand-in engine for the Go contenders' request shaping: it
// answers _bulk with success for every item and records the docs per
// request. It never stands in for an engine in a measurement.
type fakeBulk struct {
	mu       sync.Mutex
	perReq   []int
	ids      map[string]bool
	refreshs int
	// lean counts bulk requests that asked for the least answer: only
	// the errors flag, not gzipped.
	lean int
}

func (f *fakeBulk) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("X-Elastic-Product", "Elasticsearch")
	w.Header().Set("Content-Type", "application/json")
	switch {
	case strings.HasSuffix(r.URL.Path, "/_bulk"):
		body, _ := io.ReadAll(r.Body)
		lines := bytes.Split(bytes.TrimSuffix(body, []byte("\n")), []byte("\n"))
		var items []string
		f.mu.Lock()
		for i := 0; i+1 < len(lines); i += 2 {
			var a map[string]struct {
				ID string `json:"_id"`
			}
			json.Unmarshal(lines[i], &a)
			id := a["index"].ID
			f.ids[id] = true
			items = append(items, `{"index":{"_index":"x","_id":"`+id+`","status":201,"result":"created"}}`)
		}
		f.perReq = append(f.perReq, len(lines)/2)
		if r.URL.Query().Get("filter_path") == "errors" && !strings.Contains(r.Header.Get("Accept-Encoding"), "gzip") {
			f.lean++
		}
		f.mu.Unlock()
		io.WriteString(w, `{"took":1,"errors":false,"items":[`+strings.Join(items, ",")+`]}`)
	case strings.HasSuffix(r.URL.Path, "/_refresh"):
		f.mu.Lock()
		f.refreshs++
		f.mu.Unlock()
		io.WriteString(w, `{"_shards":{"total":1,"successful":1,"failed":0}}`)
	default:
		io.WriteString(w, `{"version":{"number":"7.17.29"},"tagline":"You Know, for Search"}`)
	}
}

func writeTestCorpus(t *testing.T, n int) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "corpus.ndjson")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	w := bench.NewCorpusWriter(bufio.NewWriter(f))
	if err := bench.Generate(n, 1, w.Write); err != nil {
		t.Fatal(err)
	}
	w.Flush()
	f.Close()
	return path
}

func TestGoContendersSendBatchDocsPerRequest(t *testing.T) {
	t.Parallel()
	const n, batch = 2500, 100
	corpus := writeTestCorpus(t, n)
	runners := []struct {
		name string
		run  func(context.Context, bench.ChildConfig) (bench.Report, error)
	}{
		{"esutil", bench.RunEsutil},
		{"opensearchutil", bench.RunOpensearchutil},
		{"ceiling", bench.RunCeiling},
	}
	for _, tt := range runners {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			fake := &fakeBulk{ids: map[string]bool{}}
			srv := httptest.NewServer(fake)
			defer srv.Close()
			rep, err := tt.run(context.Background(), bench.ChildConfig{
				URL: srv.URL, Index: "movies", Corpus: corpus, Workers: 2, Batch: batch,
			})
			if err != nil {
				t.Fatal(err)
			}
			if rep.Docs != n || len(fake.ids) != n {
				t.Errorf("reported %d docs, engine saw %d distinct ids, want %d", rep.Docs, len(fake.ids), n)
			}
			if fake.refreshs != 1 {
				t.Errorf("%d refreshes, want 1 at the end of the timed section", fake.refreshs)
			}
			// Each worker's last request may be short. esutil and
			// opensearchutil flush by bytes, and movies vary in size, so
			// the rest must be within 5% of the batch.
			full := 0
			for _, k := range fake.perReq {
				if k > batch*105/100 {
					t.Errorf("a request carried %d docs, batch is %d", k, batch)
				}
				if k >= batch*95/100 {
					full++
				}
			}
			if full < len(fake.perReq)-2 {
				t.Errorf("docs per request %v: want about %d in all but the last per worker", fake.perReq, batch)
			}
			// The ceiling asks the engine for no more than it needs; B is
			// left as a Go user gets it.
			if wantLean := tt.name == "ceiling"; (fake.lean == len(fake.perReq)) != wantLean {
				t.Errorf("%d of %d requests asked for filter_path=errors without gzip; want all: %v", fake.lean, len(fake.perReq), wantLean)
			}
			if rep.WallNS <= 0 || rep.CPUNS < 0 {
				t.Errorf("report %+v lacks timings", rep)
			}
		})
	}
}
