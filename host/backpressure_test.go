package host_test

import (
	"encoding/json"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/demhost/demhost/host"
	"github.com/demhost/demhost/internal/testenv"
)

// tinyElasticsearchURL returns DEMHOST_TEST_ES_TINY_URL (default
// http://127.0.0.1:9203): the es_fault node of `make services`, an
// Elasticsearch whose write pool has one thread and a queue of one. It
// skips the test when the node does not answer, and fails it under CI.
func tinyElasticsearchURL(t *testing.T) string {
	t.Helper()
	u := os.Getenv("DEMHOST_TEST_ES_TINY_URL")
	if u == "" {
		u = "http://127.0.0.1:9203"
	}
	c := http.Client{Timeout: 5 * time.Second}
	resp, err := c.Get(u + "/_nodes/thread_pool?filter_path=nodes.*.thread_pool.write")
	if err != nil {
		if testenv.Required() {
			t.Fatalf("the es_fault node at %s is not reachable and CI requires it: %v; run `make services`", u, err)
		}
		t.Skipf("the es_fault node at %s is not reachable (%v); run `make services` or set DEMHOST_TEST_ES_TINY_URL", u, err)
	}
	defer resp.Body.Close()
	var nodes struct {
		Nodes map[string]struct {
			ThreadPool struct {
				Write struct {
					Size      int `json:"size"`
					QueueSize int `json:"queue_size"`
				} `json:"write"`
			} `json:"thread_pool"`
		} `json:"nodes"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&nodes); err != nil || len(nodes.Nodes) == 0 {
		t.Fatalf("read the thread pools of %s: %v (HTTP %d)", u, err, resp.StatusCode)
	}
	for id, n := range nodes.Nodes {
		if w := n.ThreadPool.Write; w.Size != 1 || w.QueueSize > 10 {
			t.Fatalf("node %s at %s has a write pool of %d threads and a queue of %d; the test needs 1 thread and a tiny queue "+
				"(thread_pool.write.size: 1, thread_pool.write.queue_size: 1)", id, u, w.Size, w.QueueSize)
		}
	}
	return u
}

// TestUpdateUnderSustained429s is issue 16's fault: eight workers against
// a node that runs one bulk at a time and queues one more. The node
// answers 429 for the rest; every document must still arrive, none may
// count as failed, and the retries must show in the result and the log.
func TestUpdateUnderSustained429s(t *testing.T) {
	const n = 50_000
	u := tinyElasticsearchURL(t)
	src := newTestSource("flood", n)
	f := newFixture(t, openEngine(t, u), openSQLite(t), host.BulkConfig{Workers: 8, BatchSize: 250}, src)
	ctx, h := f.ctx, f.h
	f.one(h.Create(ctx, []string{"flood"}, host.CreateOptions{}))
	f.one(h.Activate(ctx, []string{"flood"}))
	r := f.one(h.Update(ctx, []string{"flood"}, host.UpdateOptions{}))
	if r.Counts.Indexed != n || r.Counts.Failed != 0 {
		t.Fatalf("counts = %+v, want %d indexed and none failed", r.Counts, n)
	}
	if got := f.count(h.Alias("flood")); got != n {
		t.Fatalf("_count = %d, want exactly %d", got, n)
	}
	rt := r.Retries
	if rt == nil || rt.Items429+rt.Requests429 == 0 {
		t.Fatalf("retries = %+v; want 429s retried, or the node did not push back and the test proves nothing", rt)
	}
	t.Logf("%s", rt)
	acts, err := h.History(ctx, "flood", 1)
	if err != nil {
		t.Fatal(err)
	}
	if log := acts[0].Log; !strings.Contains(log, rt.String()) {
		t.Errorf("the update's log does not hold the retries line %q:\n%s", rt, log)
	}
}
