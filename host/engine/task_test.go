package engine_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/demhost/demhost/host/engine"
	"github.com/demhost/demhost/internal/testenv"
)

// A reindex or delete by query can run far longer than one request may
// take. They run as tasks, polled through _tasks, so a per-request timeout
// much shorter than the task does not cut them off; and an interrupted
// caller cancels the task in the cluster.
func TestLongTasks(t *testing.T) {
	for _, te := range testenv.Engines(t) {
		t.Run(te.Name, func(t *testing.T) {
			t.Parallel()
			s := newSuite(t, te)
			const n = 30000
			src := s.create(t, "tasksrc", mapping)
			s.fill(t, src, n)

			rec := &recorder{next: s.rec.next}
			short, err := engine.Open(testenv.Context(t), engine.Config{
				URLs: []string{te.URL}, Kind: s.kind, Transport: rec, Timeout: 100 * time.Millisecond})
			if err != nil {
				t.Fatal(err)
			}

			t.Run("ReindexOutlivesRequestTimeout", func(t *testing.T) {
				dst := s.create(t, "taskdst", mapping)
				start := time.Now()
				got, err := short.Reindex(testenv.Context(t), src, dst)
				if err != nil || got != n {
					t.Fatalf("Reindex with a 100ms request timeout = %d, %v; want %d", got, err, n)
				}
				polled := 0
				for _, r := range rec.since(0) {
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
				dst := s.create(t, "taskcancel", mapping)
				before := rec.count()
				ctx, cancel := context.WithCancel(testenv.Context(t))
				time.AfterFunc(50*time.Millisecond, cancel)
				_, err := short.Reindex(ctx, src, dst)
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
