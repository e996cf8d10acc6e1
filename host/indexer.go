package host

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/demhost/demhost/host/engine"
	sdk "github.com/demhost/demhost/plugin-sdk"
	"github.com/demhost/demhost/registry"
)

// maxFailures caps the failed documents kept in a result and written to
// an action's log; the count itself is never capped.
const maxFailures = 100

// indexer streams a source's partitions into one physical index.
//
// Each stream fills its own bulk buffer, taken from a pool of 2×Workers;
// full buffers go to Workers senders, which post them and return them to
// the pool. So at most Workers requests are in flight, and memory stays
// bounded by the pool, whatever the number of documents. While the
// engine answers 429, fewer are (see backpressure.go).
type indexer struct {
	eng   bulker
	index string
	cfg   BulkConfig
	// logf writes a line to the action's log.
	logf func(format string, args ...any)

	pool    int
	created atomic.Int64
	free    chan *bulkBuf
	send    chan *bulkBuf

	indexed, failed, deleted atomic.Int64

	// lim bounds the requests in flight below Workers while the engine
	// answers 429; retried counts every resend.
	lim     *aimd
	retried retryCounts
	// lastAccepted is when the engine last settled a document, in
	// nanoseconds since epoch (on the monotonic clock); back-pressure
	// gives up when it is BackpressureTimeout old.
	epoch        time.Time
	lastAccepted atomic.Int64
	// halt is closed when the run is interrupted: 429s are not retried
	// any more, and abandoned counts the documents left unsent.
	halt      <-chan struct{}
	abandoned atomic.Int64

	mu       sync.Mutex
	failures []DocumentFailure

	skipped atomic.Int64
	skips   []DocumentFailure // the first maxFailures records the source skipped
}

// bulker is the one engine call the indexer makes, as engine.Engine's
// Bulk documents it. Depending on it alone lets the retry tests give the
// indexer a scripted engine of one method.
type bulker interface {
	Bulk(ctx context.Context, index string, body []byte) (engine.BulkResult, error)
}

// newIndexer takes cfg with its defaults filled (New fills them once).
func newIndexer(eng bulker, index string, cfg BulkConfig, logf func(string, ...any)) *indexer {
	if logf == nil {
		logf = func(string, ...any) {}
	}
	pool := 2 * cfg.Workers
	ix := &indexer{
		eng: eng, index: index, cfg: cfg, logf: logf, pool: pool,
		free:  make(chan *bulkBuf, pool),
		send:  make(chan *bulkBuf, pool),
		lim:   newAIMD(cfg.Workers),
		halt:  make(chan struct{}),
		epoch: time.Now(),
	}
	ix.lim.onLower = func(limit int) {
		logf("the engine is pushing back (429): requests in flight lowered to %d of %d", limit, cfg.Workers)
	}
	return ix
}

// counts returns the running counts.
func (ix *indexer) counts() registry.Counts {
	return registry.Counts{Indexed: ix.indexed.Load(), Failed: ix.failed.Load(), Deleted: ix.deleted.Load(),
		Skipped: ix.skipped.Load()}
}

// skip counts a record the source reported skipping, and keeps and logs
// the first few with their reasons.
func (ix *indexer) skip(id, reason string) {
	ix.skipped.Add(1)
	if ix.keep(&ix.skips, id, reason) {
		ix.logf("source skipped %q: %s", id, reason)
	}
}

// keep appends (id, reason) to list while it holds fewer than maxFailures,
// and reports whether it did.
func (ix *indexer) keep(list *[]DocumentFailure, id, reason string) bool {
	ix.mu.Lock()
	defer ix.mu.Unlock()
	if len(*list) >= maxFailures {
		return false
	}
	*list = append(*list, DocumentFailure{ID: id, Reason: reason})
	return true
}

// stream is one partition's buffer being filled. The idle flusher takes
// the buffer away under mu.
type stream struct {
	mu  sync.Mutex
	buf *bulkBuf
}

// run reads partitions 0..n-1 of req.Index from src and indexes them.
// When ctx is cancelled it stops reading, sends what it holds and returns
// nil; the caller sees the interruption in ctx.Err(). Any other failure
// (the source dying, the index missing, an engine refusing the request)
// stops everything and is returned.
func (ix *indexer) run(ctx context.Context, src Source, req sdk.StreamRequest, n int) error {
	if n < 1 {
		n = 1
	}
	ix.halt = ctx.Done()
	ix.accepted(1) // the clock of the back-pressure timeout starts now
	defer func() {
		if n := ix.abandoned.Load(); n > 0 {
			ix.logf("interrupted while the engine pushed back (429): %s documents were not sent again; resuming the update reads them again",
				thousands(n))
		}
	}()
	// The group's context is not cancelled by ctx: an interrupted run
	// still posts what it has read. Only a fatal error cancels it.
	g, gctx := errgroup.WithContext(context.WithoutCancel(ctx))
	readCtx, stopReading := context.WithCancel(gctx)
	defer stopReading()
	stopAfter := context.AfterFunc(ctx, stopReading)
	defer stopAfter()

	subs := 1
	if n > 1 {
		subs = subPartitions
	}
	streams := make([]*stream, n)
	var readers sync.WaitGroup
	for k := range n {
		streams[k] = &stream{}
		readers.Add(1)
		g.Go(func() error {
			defer readers.Done()
			r := req
			r.Partition, r.Partitions = k, n
			return ix.read(gctx, readCtx, src, &r, streams[k], subs)
		})
	}
	for range ix.cfg.Workers {
		g.Go(func() error { return ix.sender(gctx) })
	}
	stopIdle := make(chan struct{})
	idleDone := make(chan struct{})
	go func() {
		defer close(idleDone)
		ix.flushIdle(gctx, stopIdle, streams)
	}()
	g.Go(func() error {
		readers.Wait()
		close(stopIdle)
		<-idleDone // the flusher must not send after close
		close(ix.send)
		return nil
	})
	return g.Wait()
}

// subPartitions is how many of the source's partitions each of several
// streams reads, one after the other: stream k of n reads partitions k,
// n+k, 2n+k… of n*subPartitions. A source's partition is a contiguous run
// of its ids (sdk.StreamRequest), so the n streams move through the ids
// side by side, and the documents in flight at any time have neighbouring
// ids. An engine pays for ids far apart: it looks each explicit id up in
// every segment whose id range surrounds it, and two streams reading one
// contiguous half each cost OpenSearch 9-14% more CPU per document (the
// bench's ids-2ranges suspect).
const subPartitions = sdk.HostSubPartitions

// read streams partition req.Partition of req.Partitions into st's
// buffers: its subs sub-partitions in turn (see subPartitions).
func (ix *indexer) read(gctx, readCtx context.Context, src Source, req *sdk.StreamRequest, st *stream, subs int) error {
	k, n := req.Partition, req.Partitions
	var err error
	for j := 0; j < subs && err == nil && readCtx.Err() == nil; j++ {
		req.Partition, req.Partitions = j*n+k, n*subs
		err = src.Stream(readCtx, req, func(b *sdk.Batch) error { return ix.take(gctx, readCtx, st, b) })
	}
	st.mu.Lock()
	if st.buf != nil {
		if st.buf.len() > 0 {
			ix.send <- st.buf
		} else {
			ix.release(st.buf)
		}
		st.buf = nil
	}
	st.mu.Unlock()
	switch {
	case err == nil:
		return nil
	case gctx.Err() != nil:
		return gctx.Err() // the first error is already recorded
	case readCtx.Err() != nil:
		return nil // interrupted: what was read has been handed to the senders
	default:
		where := fmt.Sprintf("partition %d of %d", req.Partition+1, req.Partitions)
		if subs > 1 {
			// The user asked for n streams; the source's partition, which
			// its own log names, comes second.
			where = fmt.Sprintf("stream %d of %d, the source's partition %d of %d", k+1, n, req.Partition+1, req.Partitions)
		}
		return fmt.Errorf("read %s (%s) from source %s: %w", req.Index, where, src.Name(), err)
	}
}

// take adds one batch of a stream to st's buffers, handing full ones to
// the senders.
func (ix *indexer) take(gctx, readCtx context.Context, st *stream, b *sdk.Batch) error {
	if err := readCtx.Err(); err != nil {
		return err
	}
	st.mu.Lock()
	defer st.mu.Unlock()
	for i := range b.Docs {
		if b.Docs[i].Op == sdk.OpSkip {
			ix.skip(b.Docs[i].ID, string(b.Docs[i].Source))
			continue
		}
		if st.buf == nil {
			buf, err := ix.acquire(gctx)
			if err != nil {
				return err
			}
			st.buf = buf
		}
		st.buf.add(&b.Docs[i])
		if st.buf.len() == 1 {
			st.buf.first = time.Now()
		}
		if st.buf.len() >= ix.cfg.BatchSize || len(st.buf.body) >= ix.cfg.FlushBytes {
			ix.send <- st.buf // never blocks: send holds the whole pool
			st.buf = nil
		}
	}
	return nil
}

// acquire takes a buffer from the pool, creating one while fewer than
// the pool size exist, and otherwise waits for a sender to return one.
func (ix *indexer) acquire(ctx context.Context) (*bulkBuf, error) {
	select {
	case b := <-ix.free:
		return b, nil
	default:
	}
	if ix.created.Add(1) <= int64(ix.pool) {
		return &bulkBuf{}, nil
	}
	select {
	case b := <-ix.free:
		return b, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// release returns a buffer to the pool, dropping one that an outsized
// document has grown far beyond the flush size.
func (ix *indexer) release(b *bulkBuf) {
	b.reset()
	if cap(b.body) > 4*ix.cfg.FlushBytes {
		b.body = nil
	}
	ix.free <- b
}

// flushIdle sends buffers whose first document has waited FlushInterval.
func (ix *indexer) flushIdle(ctx context.Context, stop <-chan struct{}, streams []*stream) {
	tick := max(ix.cfg.FlushInterval/4, 5*time.Millisecond)
	t := time.NewTicker(tick)
	defer t.Stop()
	for {
		select {
		case <-stop:
			return
		case <-ctx.Done():
			return
		case now := <-t.C:
			for _, st := range streams {
				if !st.mu.TryLock() {
					continue // the stream is appending; it flushes by itself
				}
				if st.buf != nil && st.buf.len() > 0 && now.Sub(st.buf.first) >= ix.cfg.FlushInterval {
					ix.send <- st.buf
					st.buf = nil
				}
				st.mu.Unlock()
			}
		}
	}
}

// sender posts buffers until the channel closes or a fatal error.
func (ix *indexer) sender(ctx context.Context) error {
	for {
		select {
		case b, ok := <-ix.send:
			if !ok {
				return nil
			}
			err := ix.post(ctx, b)
			ix.release(b)
			if err != nil {
				return err
			}
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// post sends one buffer, retries its items that came back 429 or met an
// unavailable shard, and counts the outcome.
func (ix *indexer) post(ctx context.Context, b *bulkBuf) error {
	res, err := ix.bulk(ctx, b.body)
	if errors.Is(err, errHalted) {
		ix.noteAbandoned(b.len())
		return nil
	}
	if err != nil {
		return err
	}
	nDel := int64(b.deletes)
	nIdx := int64(b.len()) - nDel
	if len(res.Failures) == 0 {
		ix.indexed.Add(nIdx)
		ix.deleted.Add(nDel)
		ix.accepted(nIdx + nDel)
		return nil
	}
	var retry []engine.BulkItemFailure
	for _, f := range res.Failures {
		if f.Position < 0 || f.Position >= b.len() {
			return fmt.Errorf("bulk into %s: the engine reported item %d of a request of %d items", ix.index, f.Position, b.len())
		}
		del := b.items[f.Position].del
		if del && f.Status == 404 {
			continue // already gone: that is what a delete wants
		}
		if del {
			nDel--
		} else {
			nIdx--
		}
		if retryable(f) {
			ix.noteUnavailable(f)
			retry = append(retry, f)
			continue
		}
		ix.fail(f.ID, failureReason(f))
	}
	ix.indexed.Add(nIdx)
	ix.deleted.Add(nDel)
	ix.accepted(int64(b.len() - len(retry)))
	if len(retry) > 0 {
		return ix.retryItems(ctx, b, retry)
	}
	return nil
}

// retryItems resends, on their own, the items of b that failed with fails
// (Position is the item's in b) because they came back 429 or met an
// unavailable shard, with backoff, until they pass. Neither fails a
// document: it gives up only when no document has been accepted for
// BackpressureTimeout, and then fails the run.
func (ix *indexer) retryItems(ctx context.Context, b *bulkBuf, fails []engine.BulkItemFailure) error {
	var body []byte
	for attempt := 0; len(fails) > 0; attempt++ {
		if err := ix.wait429(ctx, attempt, stillFailing(fails)); err != nil {
			if errors.Is(err, errHalted) {
				ix.noteAbandoned(len(fails))
				return nil
			}
			return fmt.Errorf("bulk into %s: %w", ix.index, err)
		}
		body = body[:0]
		for _, f := range fails {
			if f.Status == 429 {
				ix.retried.items429.Add(1)
			} else {
				ix.retried.itemsUnavailable.Add(1)
			}
			body = append(body, b.item(f.Position)...)
		}
		res, err := ix.bulk(ctx, body)
		if errors.Is(err, errHalted) {
			ix.noteAbandoned(len(fails))
			return nil
		}
		if err != nil {
			return err
		}
		failedAt := make(map[int]engine.BulkItemFailure, len(res.Failures))
		for _, f := range res.Failures {
			failedAt[f.Position] = f
		}
		var next []engine.BulkItemFailure
		for i, prev := range fails {
			del := b.items[prev.Position].del
			f, bad := failedAt[i]
			switch {
			case bad && retryable(f):
				ix.noteUnavailable(f)
				f.Position = prev.Position
				next = append(next, f)
			case bad && !(del && f.Status == 404):
				ix.fail(f.ID, failureReason(f))
			case del:
				ix.deleted.Add(1)
			default:
				ix.indexed.Add(1)
			}
		}
		ix.accepted(int64(len(fails) - len(next)))
		fails = next
	}
	return nil
}

// stillFailing is the cause a retry of fails waits on: back-pressure
// when the first came back 429, else an unavailable shard.
func stillFailing(fails []engine.BulkItemFailure) error {
	f := fails[0]
	n := thousands(int64(len(fails)))
	if f.Status == 429 {
		return fmt.Errorf("%s items still answered 429, e.g. %q: %w", n, f.ID, engine.ErrTooManyRequests)
	}
	return fmt.Errorf("%s items still met an unavailable shard, e.g. %q: %s: %w", n, f.ID, failureReason(f), engine.ErrUnavailable)
}

// bulk posts a body within the concurrency limit. A 429 on the whole
// request is retried for as long as wait429 allows; a 5xx or no answer
// (a timeout, a lost connection) is retried Retries times.
func (ix *indexer) bulk(ctx context.Context, body []byte) (engine.BulkResult, error) {
	busy, broken := 0, 0
	for {
		round, err := ix.lim.acquire(ctx)
		if err != nil {
			return engine.BulkResult{}, fmt.Errorf("bulk into %s: %w", ix.index, err)
		}
		res, err := ix.eng.Bulk(ctx, ix.index, body)
		switch {
		case err == nil:
			ix.lim.release(round, loadOf(res))
			return res, nil
		case errors.Is(err, engine.ErrTooManyRequests):
			ix.lim.release(round, rejected)
			if werr := ix.wait429(ctx, busy, err); werr != nil {
				if errors.Is(werr, errHalted) {
					return res, werr
				}
				return res, fmt.Errorf("bulk into %s: %w", ix.index, werr)
			}
			busy++
		case errors.Is(err, engine.ErrUnavailable) && ctx.Err() == nil && broken < ix.cfg.Retries:
			ix.lim.release(round, neutral)
			if err := sleep(ctx, ix.backoff(broken)); err != nil {
				return res, fmt.Errorf("bulk into %s: %w", ix.index, err)
			}
			broken++
		default:
			ix.lim.release(round, neutral)
			return res, fmt.Errorf("bulk into %s: %w", ix.index, err)
		}
		ix.countRetry(err)
	}
}

// loadOf says whether an answered request was pushed back on.
func loadOf(res engine.BulkResult) outcome {
	for _, f := range res.Failures {
		if f.Status == 429 {
			return rejected
		}
	}
	return accepted
}

// backoff is RetryBackoff doubled per attempt, capped at 30s, with full
// jitter over its upper half so that workers do not retry in step.
func (ix *indexer) backoff(attempt int) time.Duration {
	d := ix.cfg.RetryBackoff << min(attempt, 16)
	if d <= 0 || d > 30*time.Second {
		d = 30 * time.Second
	}
	return d/2 + rand.N(d/2+1)
}

func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// fail counts a document that failed for good and keeps the first few.
func (ix *indexer) fail(id, reason string) {
	ix.failed.Add(1)
	if ix.keep(&ix.failures, id, reason) {
		ix.logf("document %q failed: %s", id, reason)
	}
}

func failureReason(f engine.BulkItemFailure) string {
	switch {
	case f.Type != "" && f.Reason != "":
		return f.Type + ": " + f.Reason
	case f.Reason != "":
		return f.Reason
	case f.Type != "":
		return f.Type
	default:
		return fmt.Sprintf("HTTP %d", f.Status)
	}
}
