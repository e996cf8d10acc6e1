package engine_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/demhost/demhost/host/engine"
	"github.com/demhost/demhost/internal/testenv"
)

// A reindex or delete by query can run far longer than one request may
// take. They run as tasks, polled through _tasks, so a per-request timeout
// much shorter than the task does not cut them off; and an interrupted
// caller cancels the task in the cluster. This is the adapters' wire
// behaviour and Config.Timeout's, so it is tested here, not in enginetest.
func TestLongTasks(t *testing.T) {
	for _, te := range testenv.Engines(t) {
		t.Run(te.Name, func(t *testing.T) {
			t.Parallel()
			kind := engine.Kind(te.Name)
			eng := openReal(t, te.URL, kind, nil)
			prefix := testenv.UniqueIndex("tasks_")
			src, dst, cdst := prefix+"src", prefix+"dst", prefix+"cancel"
			t.Cleanup(func() {
				for _, name := range []string{src, dst, cdst} {
					_ = eng.DeleteIndices(context.Background(), name)
				}
			})
			ctx := testenv.Context(t)
			const n = 30000
			for _, name := range []string{src, dst, cdst} {
				if err := eng.CreateIndex(ctx, name, []byte(`{"settings":{"number_of_shards":1,"number_of_replicas":0}}`)); err != nil {
					t.Fatal(err)
				}
			}
			var b strings.Builder
			for i := range n {
				fmt.Fprintf(&b, "{\"index\":{\"_id\":\"%d\"}}\n{\"n\":%d}\n", i, i)
			}
			if res, err := eng.Bulk(ctx, src, []byte(b.String())); err != nil || len(res.Failures) > 0 {
				t.Fatalf("fill %s: %v %+v", src, err, res.Failures)
			}
			if err := eng.Refresh(ctx, src); err != nil {
				t.Fatal(err)
			}

			// Short enough that the reindex outlives it many times over,
			// long enough that the request starting the task (which cannot
			// be retried: it might start a second one) gets its answer on a
			// loaded CI machine.
			const timeout = 250 * time.Millisecond
			rec := &recorder{next: http.DefaultTransport}
			short, err := engine.Open(ctx, engine.Config{
				URLs: []string{te.URL}, Kind: kind, Transport: rec, Timeout: timeout})
			if err != nil {
				t.Fatal(err)
			}
			// The capability probe (once per engine) is two requests, each
			// bounded by the short timeout: done first, and retried on a
			// busy machine, so the subtests time the task alone.
			for try := 0; ; try++ {
				if _, err := short.Capabilities(ctx); err == nil {
					break
				} else if try == 20 {
					t.Fatalf("probe capabilities with a %s timeout: %v", timeout, err)
				}
			}
			probed := rec.count()

			t.Run("ReindexOutlivesRequestTimeout", func(t *testing.T) {
				start := time.Now()
				got, err := short.Reindex(testenv.Context(t), src, dst)
				if err != nil || got != n {
					t.Fatalf("Reindex with a %s request timeout = %d, %v; want %d", timeout, got, err, n)
				}
				if took := time.Since(start); took < 2*timeout {
					t.Errorf("the reindex took %s: too short to show it outlives a %s request timeout", took, timeout)
				}
				polled := 0
				for _, r := range rec.since(probed) {
					if strings.HasPrefix(r, "GET /_tasks/") {
						polled++
					}
				}
				if polled == 0 {
					t.Errorf("the reindex was not followed through _tasks: requests %v", rec.since(0))
				}
				t.Logf("reindexed %d docs in %s, %d polls", got, time.Since(start).Round(time.Millisecond), polled)
			})

			t.Run("CancelledCallerCancelsTask", func(t *testing.T) {
				before := rec.count()
				ctx, cancel := context.WithCancel(testenv.Context(t))
				time.AfterFunc(50*time.Millisecond, cancel)
				_, err := short.Reindex(ctx, src, cdst)
				if err == nil {
					t.Fatal("the reindex finished within 50ms: the test needs a longer task to cancel")
				}
				if !strings.Contains(err.Error(), "context canceled") {
					t.Errorf("Reindex after cancel = %v, want a context cancellation", err)
				}
				cancelled := false
				for _, r := range rec.since(before) {
					if strings.HasPrefix(r, "POST /_tasks/") && strings.HasSuffix(r, "/_cancel") {
						cancelled = true
					}
				}
				if !cancelled {
					t.Errorf("no _cancel was sent for the task: requests %v", rec.since(before))
				}
			})
		})
	}
}
