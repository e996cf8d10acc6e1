package host

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	sdk "github.com/demhost/demhost/plugin-sdk"
	"github.com/demhost/demhost/registry"
)

// readSlices reads the partition's slices from p.Done on, recording each.
//
// Slices overlap by one: slice s+1 starts reading as soon as slice s has
// read its last document, while s's last requests are still in flight,
// so that a job does not stall at every slice's end. Slice s is recorded
// once its documents are all settled and s-1 is recorded, so the
// checkpoint only ever moves past slices that are wholly done. The first
// failure stops the slices after it and is returned.
func (h *Host) readSlices(ctx context.Context, a *action, job PartitionJob, p registry.Partition, budget time.Duration, start time.Time) error {
	pv, ok := h.indexes[job.Index]
	if !ok {
		return fmt.Errorf("index %s is not provided by any source of this worker's configuration", job.Index)
	}
	v, err := h.version(ctx, job.Index, job.Version)
	if err != nil {
		return err
	}
	cfg := h.opts.Bulk
	if job.Workers > 0 {
		cfg.Workers = job.Workers
	}
	if job.BatchSize > 0 {
		cfg.BatchSize = job.BatchSize
	}
	jctx, fail := context.WithCancelCause(ctx)
	defer fail(nil)
	var recorded chan error // the previous slice's record; nil before the first
	wait := func(ch chan error) error {
		if ch == nil {
			return nil
		}
		err := <-ch
		ch <- err // for a second reader
		return err
	}
	for s := p.Done; s < job.Slices && jctx.Err() == nil; s++ {
		if budget > 0 && s > p.Done && time.Since(start) > budget {
			if err := wait(recorded); err != nil {
				return err
			}
			return ErrPartitionPaused
		}
		read := make(chan struct{})
		ended := make(chan sliceEnd, 1)
		sl := &slice{Source: pv.source, k: job.Partition*job.Slices + s, n: job.Partitions * job.Slices, split: job.Split, read: read}
		go func() {
			c, err := h.readSlice(jctx, a, job, sl, v.Name, cfg, s)
			ended <- sliceEnd{c, err}
		}()
		select {
		case <-read:
		case <-jctx.Done():
		}
		prev, next := recorded, make(chan error, 1)
		go func() {
			e := <-ended
			err := wait(prev)
			if err == nil {
				err = e.err
			}
			if err == nil {
				err = h.reg.SliceDone(context.WithoutCancel(ctx), job.ActionID, job.Partition, s, e.counts)
			}
			if err != nil {
				fail(err)
			}
			next <- err
		}()
		recorded = next
	}
	return wait(recorded)
}

// sliceEnd is how one slice's read ended.
type sliceEnd struct {
	counts registry.Counts
	err    error
}

// readSlice streams one slice of the job's partition into index,
// reporting its running counts, and returns its final ones. It stops when
// its action ends meanwhile.
func (h *Host) readSlice(ctx context.Context, a *action, job PartitionJob, sl *slice, index string, cfg BulkConfig, s int) (registry.Counts, error) {
	prefix := fmt.Sprintf("partition %d of %d, slice %d: ", job.Partition, job.Partitions, s)
	ix := newIndexer(h.eng, index, cfg, func(format string, args ...any) { a.logf(ctx, prefix+format, args...) })
	sctx, stop := context.WithCancelCause(ctx)
	defer stop(nil)
	ticker := time.NewTicker(h.opts.ProgressInterval)
	defer ticker.Stop()
	done := make(chan struct{})
	go func() {
		for {
			select {
			case <-done:
				return
			case <-ticker.C:
				st, err := h.reg.PartitionProgress(sctx, job.ActionID, job.Partition, ix.counts())
				if err == nil && st != registry.ActionInProgress {
					stop(errActionEnded)
				}
			}
		}
	}()
	err := ix.run(sctx, sl, sdk.StreamRequest{Index: job.Index, Since: job.Since}, 1)
	close(done)
	sl.finished() // a stream that never started reading ends here
	switch {
	case err != nil:
		return registry.Counts{}, err
	case errors.Is(context.Cause(sctx), errActionEnded):
		return registry.Counts{}, fmt.Errorf("%w: %w", ErrPartitionDropped, errActionEnded)
	case sctx.Err() != nil:
		return registry.Counts{}, context.Cause(sctx)
	}
	return ix.counts(), nil
}

// slice is partition k of n of a source, whatever partition the indexer
// asks for: a job's indexer reads one slice as its only partition. read
// is closed once the stream has ended.
type slice struct {
	Source
	k, n  int
	split []byte
	read  chan struct{}
	once  sync.Once
}

func (s *slice) Stream(ctx context.Context, req *sdk.StreamRequest, fn func(*sdk.Batch) error) error {
	defer s.finished()
	r := *req
	r.Partition, r.Partitions, r.Split = s.k, s.n, s.split
	return s.Source.Stream(ctx, &r, fn)
}

func (s *slice) finished() { s.once.Do(func() { close(s.read) }) }

// splitter is a source whose partitions follow a split it takes once
// (*sdk.Plugin and *sdk.Local; a plugin that is not an sdk.Splitter
// answers with none).
type splitter interface {
	Split(ctx context.Context, req *sdk.SplitRequest) (*sdk.SplitResponse, error)
}

// split asks src how a read of index since divides into n partitions that
// different processes stream, for the update's record; nil when its
// partitions need no split.
func (h *Host) split(ctx context.Context, a *action, src Source, index string, since time.Time, n int) ([]byte, error) {
	sp, ok := src.(splitter)
	if !ok || n <= 1 {
		return nil, nil
	}
	resp, err := sp.Split(ctx, &sdk.SplitRequest{Index: index, Since: since, Partitions: n})
	if err != nil {
		return nil, fmt.Errorf("split %s into %d partitions with source %s: %w", index, n, src.Name(), err)
	}
	if len(resp.Split) > 0 {
		a.logf(ctx, "source %s split %s into %d partitions (%d bytes recorded with the update): every worker reads the same ones",
			src.Name(), index, n, len(resp.Split))
	}
	return resp.Split, nil
}
