package host

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/demhost/demhost/host/engine"
)

// A 429 is back-pressure, not a failure: the engine's write queue is
// full. The indexer answers it in two ways. It resends what came back
// 429 (a whole request or single items) after a capped, jittered
// backoff, for as long as documents are still being accepted within
// BulkConfig.BackpressureTimeout. And it lowers the requests in flight
// while rejections continue (AIMD, as Vector's adaptive concurrency
// does), so that the engine's queue can drain.

// Retries counts what the indexer sent again, by cause. Each resend is
// one retry: an item sent three more times counts three.
type Retries struct {
	Items429 int64 `json:"items_429,omitempty"` // items that came back 429, resent on their own
	// ItemsUnavailable are items that met a shard that was not there (503,
	// a lost node), resent on their own.
	ItemsUnavailable int64 `json:"items_unavailable,omitempty"`
	Requests429      int64 `json:"requests_429,omitempty"` // whole requests answered 429
	Server5xx        int64 `json:"server_5xx,omitempty"`   // whole requests answered 5xx
	NoAnswer         int64 `json:"no_answer,omitempty"`    // requests that timed out or lost their connection
	// LoweredTo is the fewest requests allowed in flight after 429s, and
	// Workers the most; LoweredTo is 0 when 429s never lowered it.
	LoweredTo int `json:"lowered_to,omitempty"`
	Workers   int `json:"workers,omitempty"`
}

// Total is the number of retries of every cause.
func (r Retries) Total() int64 {
	return r.Items429 + r.ItemsUnavailable + r.Requests429 + r.Server5xx + r.NoAnswer
}

// String is the line an update writes to its action's log, e.g.
// "retries: 412 (429 items 380, 429 requests 30, 5xx 2); concurrency
// lowered to 1 of 8 at the worst".
func (r Retries) String() string {
	if r.Total() == 0 && r.LoweredTo == 0 {
		return "retries: none"
	}
	var parts []string
	for _, c := range []struct {
		name string
		n    int64
	}{{"429 items", r.Items429}, {"unavailable shard items", r.ItemsUnavailable}, {"429 requests", r.Requests429},
		{"5xx", r.Server5xx}, {"no answer", r.NoAnswer}} {
		if c.n > 0 {
			parts = append(parts, fmt.Sprintf("%s %s", c.name, thousands(c.n)))
		}
	}
	s := "retries: " + thousands(r.Total())
	if len(parts) > 0 {
		s += " (" + strings.Join(parts, ", ") + ")"
	}
	if r.LoweredTo > 0 {
		s += fmt.Sprintf("; concurrency lowered to %d of %d at the worst", r.LoweredTo, r.Workers)
	}
	return s
}

// retryCounts is the running form of Retries.
type retryCounts struct {
	items429, itemsUnavailable, requests429, server5xx, noAnswer atomic.Int64
	// sawUnavailable is set by the first item that met an unavailable
	// shard, which is logged.
	sawUnavailable atomic.Bool
}

// retries returns what the indexer resent, or nil when it resent nothing
// and never lowered its concurrency.
func (ix *indexer) retries() *Retries {
	r := Retries{
		Items429: ix.retried.items429.Load(), ItemsUnavailable: ix.retried.itemsUnavailable.Load(),
		Requests429: ix.retried.requests429.Load(),
		Server5xx:   ix.retried.server5xx.Load(), NoAnswer: ix.retried.noAnswer.Load(),
		Workers: ix.cfg.Workers,
	}
	if low := ix.lim.lowest(); low < ix.cfg.Workers {
		r.LoweredTo = low
	}
	if r.Total() == 0 && r.LoweredTo == 0 {
		return nil
	}
	return &r
}

// summary is the retries line for the action's log.
func (ix *indexer) summary() string {
	if r := ix.retries(); r != nil {
		return r.String()
	}
	return "retries: none"
}

// errHalted says a 429 was not retried because the run was interrupted:
// what it held is left for `update --resume`, neither indexed nor failed.
var errHalted = errors.New("interrupted during back-pressure")

// accepted records that the engine settled n documents (indexed,
// deleted, or failed for good): the run is making progress.
func (ix *indexer) accepted(n int64) {
	if n > 0 {
		ix.lastAccepted.Store(int64(time.Since(ix.epoch)))
	}
}

// wait429 waits before resending what came back 429 for the attempt-th
// time. It fails when no document has been accepted for
// BackpressureTimeout, and returns errHalted when the run is interrupted.
func (ix *indexer) wait429(ctx context.Context, attempt int, cause error) error {
	if ix.interrupted() {
		return errHalted
	}
	idle := time.Since(ix.epoch) - time.Duration(ix.lastAccepted.Load())
	left := ix.cfg.BackpressureTimeout - idle
	if left <= 0 && errors.Is(cause, engine.ErrUnavailable) {
		return fmt.Errorf("no document accepted for %s while shards of %s were unavailable (a node that holds them "+
			"may be down, or the cluster has not recovered them); bring the node back, then run the update again: %w",
			idle.Round(time.Millisecond), ix.index, cause)
	}
	if left <= 0 {
		return fmt.Errorf("no document accepted for %s while the engine answered 429 (too many requests); "+
			"the cluster is overloaded or its write queue too small: lower bulk.workers or raise bulk.backpressure_timeout, "+
			"then run the update again: %w",
			idle.Round(time.Millisecond), cause)
	}
	t := time.NewTimer(min(ix.backoff(attempt), left))
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	case <-ix.halt:
		return errHalted
	}
}

// noteUnavailable logs the first item that met an unavailable shard: the
// cluster lost a node or a shard, and the indexer waits for it.
func (ix *indexer) noteUnavailable(f engine.BulkItemFailure) {
	if unavailable(f) && ix.retried.sawUnavailable.CompareAndSwap(false, true) {
		ix.logf("the cluster could not write to a shard of %s (e.g. %q: %s); resending what it refused while it recovers",
			ix.index, f.ID, failureReason(f))
	}
}

func (ix *indexer) interrupted() bool {
	select {
	case <-ix.halt:
		return true
	default:
		return false
	}
}

// noteAbandoned counts documents left unsent because the run was
// interrupted while the engine pushed back.
func (ix *indexer) noteAbandoned(n int) {
	ix.abandoned.Add(int64(n))
}

// countRetry counts the resend of a request that failed as a whole, by
// cause: 429, 5xx, or no answer (a timeout or a lost connection).
func (ix *indexer) countRetry(err error) {
	var ee *engine.Error
	switch {
	case errors.Is(err, engine.ErrTooManyRequests):
		ix.retried.requests429.Add(1)
	case errors.As(err, &ee) && ee.Status >= 500:
		ix.retried.server5xx.Add(1)
	default:
		ix.retried.noAnswer.Add(1)
	}
}

// outcome is what one bulk request says about the engine's load.
type outcome int

const (
	neutral  outcome = iota // no answer or an error that says nothing about load
	accepted                // answered with no 429
	rejected                // answered 429, as a whole or for some items
)

// aimd bounds the bulk requests in flight. The limit starts at max. A
// 429 halves it, once per round: requests sent under a limit that has
// since been lowered do not lower it again, so a burst of 429s from
// requests sent together counts once. A run of requests without a 429,
// as long as the limit and at least 4, adds one back. The limit stays
// within 1..max.
type aimd struct {
	mu       sync.Mutex
	max      int
	limit    int
	low      int
	inflight int
	round    uint64 // bumped on each decrease
	okRun    int
	wake     chan struct{} // closed and replaced when a slot may be free
	// onLower, when set, is called (under mu) with a new lowest limit.
	onLower func(limit int)
}

func newAIMD(limit int) *aimd {
	limit = max(limit, 1)
	return &aimd{max: limit, limit: limit, low: limit, wake: make(chan struct{})}
}

// acquire waits for a free slot and returns the round it was taken in.
func (a *aimd) acquire(ctx context.Context) (uint64, error) {
	for {
		a.mu.Lock()
		if a.inflight < a.limit {
			a.inflight++
			r := a.round
			a.mu.Unlock()
			return r, nil
		}
		wake := a.wake
		a.mu.Unlock()
		select {
		case <-wake:
		case <-ctx.Done():
			return 0, ctx.Err()
		}
	}
}

// release frees a slot taken in round and adjusts the limit.
func (a *aimd) release(round uint64, o outcome) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.inflight--
	switch o {
	case rejected:
		a.okRun = 0
		if round == a.round && a.limit > 1 {
			a.limit = max(a.limit/2, 1)
			a.round++
			if a.limit < a.low {
				a.low = a.limit
				if a.onLower != nil {
					a.onLower(a.limit)
				}
			}
		}
	case accepted:
		a.okRun++
		if a.limit < a.max && a.okRun >= max(a.limit, 4) {
			a.limit++
			a.okRun = 0
		}
	}
	close(a.wake)
	a.wake = make(chan struct{})
}

// lowest is the lowest limit so far.
func (a *aimd) lowest() int {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.low
}

// current is the limit now.
func (a *aimd) current() int {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.limit
}
