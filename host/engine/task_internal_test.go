package engine

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/demhost/demhost/internal/testenv"
)

// failPolls fails the first `fail` polls of a task (GET /_tasks/…) as a
// node that does not answer would, passes every other request to a real
// engine, and counts the polls and cancels it saw.
type failPolls struct {
	mu             sync.Mutex
	fail           int
	polls, cancels int
	next           http.RoundTripper
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
	return f.next.RoundTrip(req)
}

func (f *failPolls) counts() (polls, cancels int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.polls, f.cancels
}

// A poll that fails for a passing reason does not end the wait for a task
// that goes on in the cluster; polls failing for taskPollPatience in a row
// do, and the task is then cancelled rather than left running unobserved.
// (CI caught the first: a 100ms poll timed out on a loaded machine and the
// whole reindex failed though the cluster completed it.)
func TestTaskPollFailures(t *testing.T) {
	for _, te := range testenv.Engines(t) {
		t.Run(te.Name, func(t *testing.T) {
			t.Parallel()
			ctx := testenv.Context(t)
			eng, err := Open(ctx, Config{URLs: []string{te.URL}, Kind: Kind(te.Name)})
			if err != nil {
				t.Fatal(err)
			}
			prefix := testenv.UniqueIndex("taskpoll_")
			src := prefix + "src"
			t.Cleanup(func() {
				_ = eng.DeleteIndices(context.Background(), src, prefix+"a", prefix+"b")
			})
			const n = 20000
			if err := eng.CreateIndex(ctx, src, []byte(`{"settings":{"number_of_shards":1,"number_of_replicas":0}}`)); err != nil {
				t.Fatal(err)
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
			open := func(rt http.RoundTripper) Engine {
				e, err := Open(ctx, Config{URLs: []string{te.URL}, Kind: Kind(te.Name), Transport: rt})
				if err != nil {
					t.Fatal(err)
				}
				return e
			}

			t.Run("FailedPollsRetried", func(t *testing.T) {
				fp := &failPolls{fail: 3, next: http.DefaultTransport}
				got, err := open(fp).Reindex(ctx, src, prefix+"a")
				polls, cancels := fp.counts()
				if err != nil || got != n {
					t.Fatalf("Reindex with its first 3 polls failing = %d, %v; want %d", got, err, n)
				}
				if polls <= 3 || cancels != 0 {
					t.Errorf("polls %d, cancels %d: want more than the 3 failed polls and no cancel", polls, cancels)
				}
			})

			t.Run("GivenUpAndCancelled", func(t *testing.T) {
				fp := &failPolls{fail: 1 << 30, next: http.DefaultTransport}
				e := open(fp)
				e.(*adapter).taskPatience = 300 * time.Millisecond
				_, err := e.Reindex(ctx, src, prefix+"b")
				polls, cancels := fp.counts()
				if !errors.Is(err, ErrUnavailable) {
					t.Fatalf("Reindex with every poll failing = %v; want ErrUnavailable", err)
				}
				if polls < 2 || cancels != 1 {
					t.Errorf("polls %d, cancels %d: want at least 2 polls and the task cancelled once", polls, cancels)
				}
			})
		})
	}
}
