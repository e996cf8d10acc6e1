package host

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/demhost/demhost/internal/humanize"
	"github.com/demhost/demhost/registry"
)

// Errors of RunPartition that tell the queue what to do with the job.
var (
	// ErrPartitionDropped: the job has nothing left to do (its action
	// ended, or its partition did); the queue cancels it.
	ErrPartitionDropped = errors.New("partition job dropped")
	// ErrPartitionPaused: the job used its time budget and its checkpoint
	// is recorded; the queue puts it back at once, for any worker.
	ErrPartitionPaused = errors.New("partition job paused")
	// ErrOtherEnv: the job belongs to another environment prefix than
	// the worker's.
	ErrOtherEnv = errors.New("partition job of another environment")
	// ErrSliceTimeout: the job's context reached its deadline (the
	// queue's job timeout) in the middle of a slice; the attempt failed.
	ErrSliceTimeout = errors.New("partition job timed out")
)

// awaitPoll is how often the waiting process reads the action's status,
// and orphanCheck how often it looks for a job given up (failOrphan).
const (
	awaitPoll   = 200 * time.Millisecond
	orphanCheck = 5 * time.Second
)

// errActionEnded stops a job whose action ended meanwhile.
var errActionEnded = errors.New("its action is no longer in progress")

// RunOptions tell RunPartition about the job's attempt.
type RunOptions struct {
	Attempt, MaxAttempts int
	// Budget is how long the job reads before it pauses at the end of a
	// slice (ErrPartitionPaused); 0 means no limit.
	Budget time.Duration
}

// RunPartition runs one partition job: it reads the partition's slices
// from its checkpoint on into the version, recording each slice, and
// finishes the action when its partition was the last one. On the last
// attempt a failure fails the action, naming the partition and the error.
func (h *Host) RunPartition(ctx context.Context, job PartitionJob, o RunOptions) error {
	if job.Env != h.opts.Env {
		return fmt.Errorf("%w: it is for prefix %q and this worker serves %q", ErrOtherEnv, job.Env, h.opts.Env)
	}
	a := &action{h: h, id: job.ActionID}
	part := fmt.Sprintf("partition %d of %d", job.Partition, job.Partitions)
	worker := fmt.Sprintf("%s pid %d", h.opts.Hostname, os.Getpid())
	p, status, err := h.reg.ClaimPartition(ctx, job.ActionID, job.Partition, worker)
	if err != nil {
		return err
	}
	if status != registry.ActionInProgress || p.Status == registry.PartitionComplete || p.Status == registry.PartitionCancelled || p.Status == registry.PartitionFailed {
		return fmt.Errorf("%w: %s of action %d is %s and its action %s", ErrPartitionDropped, part, job.ActionID, p.Status, status)
	}
	stopBeat := h.reg.Heartbeat(job.ActionID)
	defer stopBeat()
	if p.Status == registry.PartitionRunning {
		a.logf(ctx, "%s: taken over by %s: it was running on %s, which stopped without ending it; resuming from slice %d of %d",
			part, worker, p.Worker, p.Done, p.Slices)
	} else if p.Status == registry.PartitionRetrying {
		a.logf(ctx, "%s: attempt %d of %d on %s, from slice %d of %d", part, o.Attempt, o.MaxAttempts, worker, p.Done, p.Slices)
	}
	start := time.Now()
	err = h.readSlices(ctx, a, job, p, o.Budget, start)
	bg := context.WithoutCancel(ctx)
	switch {
	case err == nil:
		left, err := h.reg.EndPartition(bg, job.ActionID, job.Partition, registry.PartitionComplete, "")
		if err != nil {
			return err
		}
		if left == 0 {
			_, err = h.finishDistributed(bg, a, job)
			if errors.Is(err, ErrDocumentsFailed) {
				err = nil // recorded on the action; the job itself did its part
			}
			return err
		}
		return nil
	case errors.Is(err, ErrPartitionDropped):
		return err
	case errors.Is(ctx.Err(), context.DeadlineExceeded):
		// The job's time limit, not a stop: an attempt that failed.
		err = fmt.Errorf("%w: a slice did not finish within the job's time limit; smaller slices (more partitions) or a longer limit avoid it", ErrSliceTimeout)
	case errors.Is(err, ErrPartitionPaused), ctx.Err() != nil:
		// Paused, or the worker stops, or the job was cancelled (the queue
		// decides): the partition waits for its next taker.
		_, _ = h.reg.EndPartition(bg, job.ActionID, job.Partition, registry.PartitionQueued, "")
		return err
	}
	if o.Attempt < o.MaxAttempts {
		_, _ = h.reg.EndPartition(bg, job.ActionID, job.Partition, registry.PartitionRetrying, err.Error())
		a.logf(bg, "%s: attempt %d of %d on %s failed: %v; it is retried after a backoff", part, o.Attempt, o.MaxAttempts, worker, err)
		return err
	}
	_, _ = h.reg.EndPartition(bg, job.ActionID, job.Partition, registry.PartitionFailed, err.Error())
	text := fmt.Sprintf("%s of %s failed after %d attempts: %v", part, label(job.Index, job.Version), o.Attempt, err)
	a.logf(bg, "%s", text)
	if ended, _ := h.reg.EndRunningAction(bg, job.ActionID, registry.ActionFailed, text); ended {
		h.restoreDistributed(bg, a, job)
	}
	return err
}

// finishDistributed ends a distributed update whose partitions are all
// complete: refresh, load settings restored, the checkpoint of a read that
// advances it, and the action's status.
func (h *Host) finishDistributed(ctx context.Context, a *action, job PartitionJob) (Result, error) {
	r := Result{ActionID: a.id, Kind: string(registry.ActionUpdate), Index: job.Index, Version: job.Version}
	act, err := h.reg.Action(ctx, a.id)
	if err != nil {
		return r, err
	}
	var dp distributedParams
	_ = json.Unmarshal(act.Params, &dp)
	lbl := label(job.Index, job.Version)
	v, err := h.version(ctx, job.Index, job.Version)
	var runErr error
	if err == nil {
		if err := h.eng.Refresh(ctx, v.Name); err != nil {
			runErr = fmt.Errorf("refresh %s: %w", v.Name, err)
		}
	} else {
		runErr = err
	}
	h.restoreDistributed(ctx, a, job)
	act, err = h.reg.Action(ctx, a.id) // the counts, summed over the partitions
	if err != nil {
		return r, err
	}
	r.Counts, r.Duration = act.Counts, time.Since(act.StartedAt)
	summary := fmt.Sprintf("%s indexed, %s failed, %s deleted in %s (%s docs/s) by %d partition job(s)",
		thousands(r.Counts.Indexed), thousands(r.Counts.Failed), thousands(r.Counts.Deleted),
		r.Duration.Round(time.Millisecond), thousands(int64(humanize.Rate(r.Counts.Indexed+r.Counts.Deleted+r.Counts.Failed, r.Duration))),
		dp.Partitions)
	a.logf(ctx, "%s", summary)
	status, text := registry.ActionComplete, ""
	switch {
	case runErr != nil:
		status, text = registry.ActionFailed, fmt.Sprintf("update %s: %v", lbl, runErr)
		err = errors.New(text)
	case r.Counts.Failed > 0:
		status = registry.ActionFailed
		err = fmt.Errorf("update %s: %s of %s documents failed (their ids and reasons are in the action's log): %w", lbl,
			thousands(r.Counts.Failed), thousands(r.Counts.Failed+r.Counts.Indexed+r.Counts.Deleted), ErrDocumentsFailed)
		text = err.Error()
	case dp.Advances:
		cp := registry.Checkpoint{Env: h.opts.Env, Index: job.Index, Version: job.Version,
			Source: h.indexes[job.Index].source.Name(), Watermark: dp.Watermark, ActionID: a.id}
		if cerr := h.reg.SetCheckpoint(ctx, cp); cerr != nil {
			status, text = registry.ActionFailed, fmt.Sprintf("record checkpoint of %s: %v", lbl, cerr)
			err = errors.New(text)
		}
	}
	if _, ferr := h.reg.EndRunningAction(ctx, a.id, status, text); ferr != nil && err == nil {
		err = ferr
	}
	r.Changed = r.Counts.Indexed+r.Counts.Deleted > 0
	r.Message = fmt.Sprintf("updated %s: %s", lbl, summary)
	if err != nil {
		r.Message = fmt.Sprintf("update of %s failed after %s", lbl, summary)
	}
	return r, err
}

// restoreDistributed puts back the settings the action's full load
// changed, if they are still recorded.
func (h *Host) restoreDistributed(ctx context.Context, a *action, job PartitionJob) {
	v, err := h.version(ctx, job.Index, job.Version)
	if err == nil {
		err = h.restoreLoad(ctx, a, v)
	}
	if err != nil {
		a.logf(ctx, "%v", err)
	}
}

// awaitDistributed waits for the action to end, reporting the summed
// progress of its partitions. Interrupted, it ends the action
// interrupted and cancels its jobs; a later --resume continues it.
func (h *Host) awaitDistributed(ctx context.Context, a *action, r Result, dp distributedParams, jobs []int64, q Queue) (Result, error) {
	var expected int64
	if dp.Since.IsZero() {
		if active, err := h.activeNumber(ctx, r.Index); err == nil && active != 0 {
			expected, _ = h.eng.Count(ctx, h.Alias(r.Index))
		}
	}
	lbl := label(r.Index, r.Version)
	emit := func(c registry.Counts, final bool) {
		if h.opts.OnProgress != nil {
			h.opts.OnProgress(Progress{ActionID: a.id, Index: r.Index, Version: r.Version, Counts: c,
				Expected: expected, Elapsed: time.Since(a.started), Final: final})
		}
	}
	// The action's end is polled often (one query), so that waiting adds
	// little to a short update; progress is reported every
	// ProgressInterval.
	t := time.NewTicker(min(h.opts.ProgressInterval, awaitPoll))
	defer t.Stop()
	reported, checked := time.Now(), time.Now()
	for {
		select {
		case <-ctx.Done():
		case <-t.C:
		}
		bg := context.WithoutCancel(ctx)
		act, err := h.reg.Action(bg, a.id)
		if err != nil && ctx.Err() == nil {
			continue // the registry may come back; the workers go on meanwhile
		}
		if ctx.Err() != nil && (err != nil || act.Status == registry.ActionInProgress) {
			return h.interruptDistributed(bg, a, r, jobs, q)
		}
		r.Counts, r.Duration = act.Counts, time.Since(a.started)
		if act.Status == registry.ActionInProgress {
			if time.Since(reported) >= h.opts.ProgressInterval {
				emit(act.Counts, false)
				reported = time.Now()
			}
			if time.Since(checked) >= orphanCheck {
				h.failOrphan(bg, a, r, dp, q)
				checked = time.Now()
			}
			continue
		}
		emit(act.Counts, true)
		r.Changed = r.Counts.Indexed+r.Counts.Deleted > 0
		summary := fmt.Sprintf("%s indexed, %s failed, %s deleted in %s by %d partition job(s)",
			thousands(r.Counts.Indexed), thousands(r.Counts.Failed), thousands(r.Counts.Deleted),
			r.Duration.Round(time.Millisecond), dp.Partitions)
		switch act.Status {
		case registry.ActionComplete:
			r.Message = fmt.Sprintf("updated %s: %s", lbl, summary)
			return r, nil
		case registry.ActionFailed:
			r.Message = fmt.Sprintf("update of %s failed after %s", lbl, summary)
			if r.Counts.Failed > 0 {
				return r, &recordedError{text: act.Error, err: ErrDocumentsFailed}
			}
			return r, errors.New(act.Error)
		default:
			r.Message = fmt.Sprintf("update of %s ended %s after %s", lbl, act.Status, summary)
			r.Next = resumeDistributed(lbl)
			return r, fmt.Errorf("update %s: %s: %w", lbl, act.Error, ErrInterrupted)
		}
	}
}

// recordedError is an action's recorded error text that still matches
// the sentinel it was made from.
type recordedError struct {
	text string
	err  error
}

func (e *recordedError) Error() string { return e.text }
func (e *recordedError) Unwrap() error { return e.err }
