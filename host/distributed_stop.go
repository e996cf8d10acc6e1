package host

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"time"

	"github.com/demhost/demhost/registry"
)

// interruptDistributed ends the action interrupted, cancels its jobs and
// restores the load settings.
func (h *Host) interruptDistributed(ctx context.Context, a *action, r Result, jobs []int64, q Queue) (Result, error) {
	lbl := label(r.Index, r.Version)
	err := fmt.Errorf("update %s: %w", lbl, ErrInterrupted)
	if _, ferr := h.stopDistributed(ctx, a, r.Index, r.Version, jobs, q, err.Error()); ferr != nil {
		err = fmt.Errorf("%w; recording it failed: %v", err, ferr)
	}
	if act, aerr := h.reg.Action(context.WithoutCancel(ctx), a.id); aerr == nil {
		r.Counts = act.Counts
	}
	r.Duration = time.Since(a.started)
	r.Message = fmt.Sprintf("update of %s interrupted after %s documents", lbl, thousands(r.Counts.Indexed))
	r.Next = resumeDistributed(lbl)
	return r, err
}

// stopDistributed ends running action a interrupted with text, cancels
// its jobs (running ones stop at their next progress report) and, when
// this call ended it, restores the load settings.
func (h *Host) stopDistributed(ctx context.Context, a *action, index string, n int, jobs []int64, q Queue, text string) (bool, error) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), finishTimeout)
	defer cancel()
	ended, err := h.reg.EndRunningAction(ctx, a.id, registry.ActionInterrupted, text)
	if cerr := q.Cancel(ctx, jobs); cerr != nil {
		a.logf(ctx, "cancel the partition jobs: %v", cerr)
	}
	if ended {
		a.logf(ctx, "%s: the remaining partition jobs are cancelled; `update %s --distributed --resume` continues from their checkpoints",
			text, label(index, n))
		h.restoreDistributed(ctx, a, PartitionJob{Index: index, Version: n})
	}
	return ended, err
}

// partitionJobs returns the queue's job ids of parts, for a process that
// cancels or waits for a distributed update it did not enqueue.
func partitionJobs(parts []registry.Partition) []int64 {
	jobs := make([]int64, 0, len(parts))
	for _, p := range parts {
		if p.JobID != 0 {
			jobs = append(jobs, p.JobID)
		}
	}
	return jobs
}

// resumeDistributed is the step that continues a distributed update of
// version lbl.
func resumeDistributed(lbl string) *Step {
	return &Step{Action: "update", Target: lbl, Resume: true, Why: "with --distributed to continue from the partitions' checkpoints"}
}

// CancelDistributed stops the running distributed update of one version
// (name is an index, for its active version, or a version), attached or
// detached: the action ends interrupted, its jobs are cancelled and the
// load settings restored; `update --distributed --resume` continues it.
// With none running it does nothing and says so.
func (h *Host) CancelDistributed(ctx context.Context, name string, q Queue) (Result, error) {
	targets, err := h.resolveAll(ctx, []string{name})
	if err != nil {
		return Result{}, err
	}
	t := targets[0]
	n := t.Version
	if n == 0 {
		if n, err = h.activeNumber(ctx, t.Index); err != nil {
			return Result{}, err
		} else if n == 0 {
			return Result{}, &NoActiveVersionError{Index: t.Index}
		}
	}
	lbl := label(t.Index, n)
	r := Result{Kind: string(registry.ActionUpdate), Index: t.Index, Version: n}
	prev, ok, err := h.reg.LatestPartitioned(ctx, h.opts.Env, t.Index, n)
	if err != nil {
		return r, err
	}
	if !ok || (prev.Status != registry.ActionInProgress && prev.Status != registry.ActionQueued) {
		r.Message = fmt.Sprintf("no distributed update of %s is running; nothing to cancel", lbl)
		return r, nil
	}
	parts, err := h.reg.Partitions(ctx, prev.ID)
	if err != nil {
		return r, err
	}
	jobs := partitionJobs(parts)
	a := &action{h: h, id: prev.ID, started: prev.StartedAt}
	text := fmt.Sprintf("update %s cancelled by %s on %s: %v", lbl, h.opts.User, h.opts.Hostname, ErrInterrupted)
	ended, err := h.stopDistributed(ctx, a, t.Index, n, jobs, q, text)
	if err != nil {
		return r, err
	}
	r.ActionID = prev.ID
	if act, err := h.reg.Action(ctx, prev.ID); err == nil {
		r.Counts = act.Counts
	}
	r.Changed = ended
	r.Message = fmt.Sprintf("cancelled distributed update %d of %s after %s documents", prev.ID, lbl, thousands(r.Counts.Indexed))
	if !ended {
		r.Message = fmt.Sprintf("distributed update %d of %s ended meanwhile; nothing to cancel", prev.ID, lbl)
	}
	r.Next = resumeDistributed(lbl)
	return r, nil
}

// FailOrphanedFills runs failOrphan for every distributed update of the
// environment that has not ended: what the waiting process does every
// few seconds, for the updates nobody waits for (detached, or their
// waiting process died). Workers call it now and then.
func (h *Host) FailOrphanedFills(ctx context.Context, q Queue) error {
	running, err := h.reg.RunningPartitioned(ctx, h.opts.Env, "")
	if err != nil {
		return err
	}
	for _, act := range running {
		var dp distributedParams
		if json.Unmarshal(act.Params, &dp) != nil || dp.Partitions == 0 {
			continue // not enqueued yet: its params are still the update's
		}
		h.failOrphan(ctx, &action{h: h, id: act.ID, started: act.StartedAt},
			Result{ActionID: act.ID, Index: act.Index, Version: act.Version}, dp, q)
	}
	return nil
}

// failOrphan fails the action when one of its partitions will never be
// read: its job has ended in the queue while the partition is not
// complete. That happens when every attempt of the job was taken by a
// worker that died (a rescue spends an attempt, and no code of ours runs
// to record it), so the queue gave up on it. A job only completes after
// its partition is recorded complete, so the partitions are read again
// after the queue is asked.
func (h *Host) failOrphan(ctx context.Context, a *action, r Result, dp distributedParams, q Queue) {
	open := func() (map[int64]registry.Partition, error) {
		parts, err := h.reg.Partitions(ctx, a.id)
		out := map[int64]registry.Partition{}
		for _, p := range parts {
			switch p.Status {
			case registry.PartitionQueued, registry.PartitionRunning, registry.PartitionRetrying:
				if p.JobID != 0 {
					out[p.JobID] = p
				}
			}
		}
		return out, err
	}
	before, err := open()
	if err != nil || len(before) == 0 {
		return
	}
	ids := make([]int64, 0, len(before))
	for id := range before {
		ids = append(ids, id)
	}
	ended, err := q.Ended(ctx, ids)
	if err != nil || len(ended) == 0 {
		return
	}
	after, err := open()
	if err != nil {
		return
	}
	slices.Sort(ended)
	for _, id := range ended {
		p, still := after[id]
		if !still {
			continue
		}
		text := fmt.Sprintf("partition %d of %d of %s was given up after its last attempt: every worker that took it stopped without ending it (killed, or cut off); `update %s --distributed --resume` continues from its checkpoint (slice %d of %d)",
			p.Number, dp.Partitions, label(r.Index, r.Version), label(r.Index, r.Version), p.Done, p.Slices)
		if ended, _ := h.reg.EndRunningAction(ctx, a.id, registry.ActionFailed, text); ended {
			a.logf(ctx, "%s", text)
			h.restoreDistributed(ctx, a, PartitionJob{Index: r.Index, Version: r.Version})
		}
		return
	}
}

// FillRunningError: an action would write to a version (or, with no
// version, to an index) that a distributed update is filling without a
// lock held: detached, or the process that waited for it is gone.
type FillRunningError struct {
	Action registry.Action // the distributed update
}

func (e *FillRunningError) Error() string {
	a := e.Action
	lbl := label(a.Index, a.Version)
	return fmt.Sprintf("%s is being filled by distributed update %d (started %s on %s), whose workers write without a lock; wait for it (`demhost history %d`), or stop it with `demhost update %s --distributed --cancel`",
		lbl, a.ID, a.StartedAt.Format(time.RFC3339), a.Host, a.ID, lbl)
}

// checkNoRunningFill refuses an action on version n of index (0: the
// whole index) while a distributed update fills that version. An action
// that holds the index's lock only meets one that nobody waits for: an
// attached one holds the lock until it ends.
func (h *Host) checkNoRunningFill(ctx context.Context, index string, n int) error {
	if index == "" {
		return nil
	}
	running, err := h.reg.RunningPartitioned(ctx, h.opts.Env, index)
	if err != nil {
		return err
	}
	for _, a := range running {
		if n == 0 || a.Version == n {
			return &FillRunningError{Action: a}
		}
	}
	return nil
}
