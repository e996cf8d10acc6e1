package engine_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
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
			const n = 30000
			src, dst, cdst := taskSource(t, eng, prefix, n), prefix+"dst", prefix+"cancel"
			ctx := testenv.Context(t)
			for _, name := range []string{dst, cdst} {
				createTaskIndex(t, eng, name)
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
				if took := time.Since(start); took < timeout {
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

// createTaskIndex creates an index of one shard, deleted when t ends.
func createTaskIndex(t *testing.T, eng engine.Engine, name string) {
	t.Helper()
	t.Cleanup(func() { _ = eng.DeleteIndices(context.Background(), name) })
	if err := eng.CreateIndex(testenv.Context(t), name, []byte(`{"settings":{"number_of_shards":1,"number_of_replicas":0}}`)); err != nil {
		t.Fatal(err)
	}
}

// taskSource creates prefix+"src" with n small documents, refreshed, for
// a task to copy; it returns the index's name.
func taskSource(t *testing.T, eng engine.Engine, prefix string, n int) string {
	t.Helper()
	ctx, src := testenv.Context(t), prefix+"src"
	createTaskIndex(t, eng, src)
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
	return src
}

// failPolls fails the first `fail` polls of a task (GET /_tasks/…) as a
// node that does not answer would, passes every other request to a real
// engine, and counts the polls and cancels it saw.
type failPolls struct {
	mu             sync.Mutex
	fail           int
	polls, cancels int
}

func (f *failPolls) RoundTrip(req *http.Request) (*http.Response, error) {
	f.mu.Lock()
	poll := req.Method == http.MethodGet && strings.HasPrefix(req.URL.Path, "/_tasks/")
	if poll {
		f.polls++
	}
	if req.Method == http.MethodPost && strings.HasSuffix(req.URL.Path, "/_cancel") {
		f.cancels++
	}
	failNow := poll && f.polls <= f.fail
	f.mu.Unlock()
	if failNow {
		return nil, errors.New("injected: connection reset by peer")
	}
	return http.DefaultTransport.RoundTrip(req)
}

func (f *failPolls) counts() (polls, cancels int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.polls, f.cancels
}

// A poll that fails for a passing reason does not end the wait for a task
// that goes on in the cluster; polls failing for the patience in a row do,
// and the task is then cancelled rather than left running unobserved. (CI
// caught the first: a 100ms poll timed out on a loaded machine and the
// whole reindex failed though the cluster completed it.)
func TestTaskPollFailures(t *testing.T) {
	for _, te := range testenv.Engines(t) {
		t.Run(te.Name, func(t *testing.T) {
			t.Parallel()
			kind := engine.Kind(te.Name)
			prefix := testenv.UniqueIndex("taskpoll_")
			const n = 20000
			src := taskSource(t, openReal(t, te.URL, kind, nil), prefix, n)
			ctx := testenv.Context(t)

			t.Run("FailedPollsRetried", func(t *testing.T) {
				fp := &failPolls{fail: 3}
				got, err := openReal(t, te.URL, kind, fp).Reindex(ctx, src, prefix+"a")
				t.Cleanup(func() { _ = openReal(t, te.URL, kind, nil).DeleteIndices(context.Background(), prefix+"a") })
				polls, cancels := fp.counts()
				if err != nil || got != n {
					t.Fatalf("Reindex with its first 3 polls failing = %d, %v; want %d", got, err, n)
				}
				if polls <= 3 || cancels != 0 {
					t.Errorf("polls %d, cancels %d: want more than the 3 failed polls and no cancel", polls, cancels)
				}
			})

			t.Run("GivenUpAndCancelled", func(t *testing.T) {
				fp := &failPolls{fail: 1 << 30}
				e := openReal(t, te.URL, kind, fp)
				engine.SetTaskPatience(e, 300*time.Millisecond)
				_, err := e.Reindex(ctx, src, prefix+"b")
				t.Cleanup(func() { _ = openReal(t, te.URL, kind, nil).DeleteIndices(context.Background(), prefix+"b") })
				polls, cancels := fp.counts()
				if !errors.Is(err, engine.ErrUnavailable) {
					t.Fatalf("Reindex with every poll failing = %v; want ErrUnavailable", err)
				}
				if polls < 2 || cancels != 1 {
					t.Errorf("polls %d, cancels %d: want at least 2 polls and the task cancelled once", polls, cancels)
				}
			})
		})
	}
}
