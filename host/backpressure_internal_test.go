package host

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/demhost/demhost/host/engine"
	sdk "github.com/demhost/demhost/plugin-sdk"
)

func TestAIMD(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	a := newAIMD(8)
	take := func(n int) []uint64 {
		rounds := make([]uint64, n)
		for i := range rounds {
			r, err := a.acquire(ctx)
			if err != nil {
				t.Fatal(err)
			}
			rounds[i] = r
		}
		return rounds
	}
	steps := []struct {
		name  string
		take  int
		o     outcome
		limit int
	}{
		// Eight requests sent together all come back 429: one halving.
		{"a burst of 429s halves once", 8, rejected, 4},
		{"the next round halves again", 4, rejected, 2},
		{"and again", 2, rejected, 1},
		{"never below 1", 1, rejected, 1},
		{"errors without an answer change nothing", 1, neutral, 1},
		{"a run of 4 successes adds one", 4, accepted, 2},
		{"then a run as long as the limit, at least 4", 4, accepted, 3},
		{"3 more are not a run of 4 yet", 3, accepted, 3},
	}
	for _, s := range steps {
		if s.o == rejected { // sent together
			for _, r := range take(s.take) {
				a.release(r, s.o)
			}
		} else { // one after another
			for range s.take {
				a.release(take(1)[0], s.o)
			}
		}
		if got := a.current(); got != s.limit {
			t.Fatalf("%s: limit = %d, want %d", s.name, got, s.limit)
		}
	}
	if a.lowest() != 1 {
		t.Errorf("lowest = %d, want 1", a.lowest())
	}
	for range 40 {
		r, _ := a.acquire(ctx)
		a.release(r, accepted)
	}
	if got := a.current(); got != 8 {
		t.Errorf("after a long run of successes the limit is %d, want 8 (never above Workers)", got)
	}
}

func TestAIMDWaitsForASlot(t *testing.T) {
	t.Parallel()
	a := newAIMD(2)
	r1, _ := a.acquire(context.Background())
	a.acquire(context.Background())
	a.release(r1, rejected) // limit 1, one still in flight
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	if _, err := a.acquire(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("acquire with the limit reached: err = %v, want it to wait until the context ends", err)
	}
	got := make(chan error)
	go func() {
		_, err := a.acquire(context.Background())
		got <- err
	}()
	a.release(r1, neutral) // the second request ends
	if err := <-got; err != nil {
		t.Fatal(err)
	}
}

func TestWait429(t *testing.T) {
	t.Parallel()
	busy := &engine.Error{Op: "bulk", Status: 429, Err: engine.ErrTooManyRequests}
	ix := newIndexer(&fakeBulk{}, "idx-1", fastRetries(BulkConfig{Workers: 1, BackpressureTimeout: time.Hour}), nil)
	if err := ix.wait429(context.Background(), 0, busy); err != nil {
		t.Fatalf("a document was just accepted: wait429 = %v, want nil", err)
	}
	ix.lastAccepted.Store(int64(time.Since(ix.epoch) - 2*time.Hour))
	err := ix.wait429(context.Background(), 0, busy)
	if !errors.Is(err, engine.ErrTooManyRequests) || !strings.Contains(err.Error(), "no document accepted for 2h") {
		t.Fatalf("nothing accepted for 2h: wait429 = %v, want a give-up wrapping ErrTooManyRequests", err)
	}
	halt := make(chan struct{})
	close(halt)
	ix.halt = halt
	ix.accepted(1)
	if err := ix.wait429(context.Background(), 0, busy); !errors.Is(err, errHalted) {
		t.Fatalf("interrupted: wait429 = %v, want errHalted", err)
	}
}

// pushback is a bulker with a write queue of capacity requests: while
// more are in flight, every item comes back 429, as a real node with a
// tiny write pool answers.
type pushback struct {
	capacity int
	// onBulk, when set, is called at the start of each request.
	onBulk func()

	mu          sync.Mutex
	inflight    int
	maxInflight int
	rejected    int
	accepted    map[string]int
}

var _ bulker = (*pushback)(nil)

func (p *pushback) Bulk(ctx context.Context, index string, body []byte) (engine.BulkResult, error) {
	if p.onBulk != nil {
		p.onBulk()
	}
	p.mu.Lock()
	p.inflight++
	p.maxInflight = max(p.maxInflight, p.inflight)
	full := p.inflight > p.capacity
	p.mu.Unlock()
	time.Sleep(time.Millisecond) // let requests overlap
	got, _ := ids(body)
	res := engine.BulkResult{Items: len(got)}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.inflight--
	if p.accepted == nil {
		p.accepted = map[string]int{}
	}
	for i, id := range got {
		if full {
			p.rejected++
			res.Failures = append(res.Failures, engine.BulkItemFailure{Position: i, ID: id, Status: 429,
				Type: "es_rejected_execution_exception", Reason: "rejected execution of coordinating operation"})
			continue
		}
		p.accepted[id]++
	}
	return res, nil
}

func TestIndexerUnderPushback(t *testing.T) {
	t.Parallel()
	eng := &pushback{capacity: 1}
	var mu sync.Mutex
	var logged []string
	ix := newIndexer(eng, "idx-1", fastRetries(BulkConfig{Workers: 8, BatchSize: 50, Retries: 1}),
		func(f string, a ...any) {
			mu.Lock()
			logged = append(logged, f)
			mu.Unlock()
		})
	if err := ix.run(context.Background(), &genSource{n: 1000, batch: 100}, sdk.StreamRequest{Index: "idx"}, 8); err != nil {
		t.Fatal(err)
	}
	if c := ix.counts(); c.Indexed != 8000 || c.Failed != 0 {
		t.Fatalf("counts = %+v, want all 8000 indexed and none failed", c)
	}
	if len(eng.accepted) != 8000 {
		t.Fatalf("the engine accepted %d distinct documents, want 8000", len(eng.accepted))
	}
	r := ix.retries()
	if eng.rejected == 0 {
		t.Skip("no request overlapped another, so nothing was pushed back")
	}
	if r == nil || r.Items429 != int64(eng.rejected) || r.LoweredTo < 1 || r.LoweredTo >= 8 {
		t.Fatalf("retries = %+v; the engine rejected %d items: want that many item retries and a lowered concurrency",
			r, eng.rejected)
	}
	if eng.maxInflight > 8 {
		t.Errorf("%d requests in flight, above the 8 workers", eng.maxInflight)
	}
	if len(logged) == 0 || !strings.Contains(logged[0], "requests in flight lowered to") {
		t.Errorf("log = %q, want the lowering of the requests in flight", logged)
	}
}

func TestIndexerGivesUpWhenNothingIsAccepted(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		eng  bulker
	}{
		{"whole requests", &fakeBulk{wholeBusy: 1 << 30}},
		{"items", &pushback{capacity: 0}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			cfg := fastRetries(BulkConfig{Workers: 2, BatchSize: 10, Retries: 1, BackpressureTimeout: 100 * time.Millisecond})
			ix := newIndexer(tt.eng, "idx-1", cfg, nil)
			err := ix.run(context.Background(), &genSource{n: 20, batch: 10}, sdk.StreamRequest{Index: "idx"}, 1)
			if !errors.Is(err, engine.ErrTooManyRequests) || !strings.Contains(err.Error(), "no document accepted for") {
				t.Fatalf("run = %v, want a give-up after the back-pressure timeout", err)
			}
			if c := ix.counts(); c.Failed != 0 || c.Indexed != 0 {
				t.Errorf("counts = %+v; a 429 is never a failed document", c)
			}
			if r := ix.retries(); r == nil || r.Total() <= 1 {
				t.Errorf("retries = %+v, want the resends counted", r)
			}
		})
	}
}

func TestIndexerInterruptedDuringPushback(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	eng := &pushback{capacity: 0, onBulk: cancel}
	var logged []string
	ix := newIndexer(eng, "idx-1", fastRetries(BulkConfig{Workers: 1, BatchSize: 10, BackpressureTimeout: time.Hour}),
		func(f string, a ...any) { logged = append(logged, f) })
	done := make(chan error, 1)
	go func() { done <- ix.run(ctx, &genSource{n: 100, batch: 10}, sdk.StreamRequest{Index: "idx"}, 1) }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("run = %v, want nil: an interruption is seen in ctx", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("an interrupted run kept retrying 429s")
	}
	if c := ix.counts(); c.Failed != 0 || ix.abandoned.Load() == 0 {
		t.Fatalf("counts = %+v, abandoned %d; want none failed and the unsent ones noted", c, ix.abandoned.Load())
	}
	if len(logged) == 0 || !strings.Contains(logged[len(logged)-1], "resuming the update reads them again") {
		t.Errorf("log = %q, want a line saying what was not sent", logged)
	}
}
