package host

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/demhost/demhost/registry"
)

// A distributed update (update --distributed) fills one version from
// partition jobs that `demhost worker`s run, on any number of hosts,
// through a job queue in the registry's database (host/queue, on River).
//
//   - UpdateDistributed records the action, takes the index's lock, plans
//     the read as Update does, and in one transaction moves the action to
//     in_progress, records its partitions and enqueues one job each. It
//     then waits, reporting the partitions' summed progress, until the
//     action ends; with Detach it returns at once. While it waits it holds
//     the index's lock; detached, nobody does. A source whose partitions
//     depend on more than their numbers (sdk.Splitter: sqltable's split
//     points) is asked for its split once, here; the split is recorded with
//     the plan and handed to every job, so workers started hours apart
//     read partitions that agree.
//   - RunPartition is one job on a worker: it reads the partition as
//     slices, one after another, recording each slice's end and counts in
//     the registry (the partition's checkpoint), so that a job rescued
//     from a dead worker starts at the next slice, not at the beginning.
//   - The worker that completes the last partition finishes the action:
//     refresh, load settings restored, checkpoint, status. A partition
//     that fails its last attempt fails the action, naming it and its
//     error; the other jobs then stop at their next progress report.
//
// A distributed action belongs to no one process: its liveness is its
// heartbeat, renewed by the process that waits and by every worker that
// runs one of its jobs, with a lease of DistributedOptions.Lease.

// Defaults of DistributedOptions.
const (
	DefaultPartitions       = 16
	DefaultSlices           = 8
	DefaultDistributedLease = time.Hour
)

// PartitionJob is one partition of a distributed update: what a Queue
// enqueues and a worker hands to RunPartition. Stream partition
// Partition*Slices+s of Partitions*Slices is its slice s: a source's
// partitions are contiguous runs of its ids, so a job reads one run of
// neighbouring ids, slice after slice, and the jobs running at once (taken
// in order) read neighbouring runs. (Slice-major, s*Partitions+Partition,
// was measured: each pair of jobs then sweeps the whole id space again,
// and an engine pays for ids below its newer segments, see subPartitions:
// 1.06-1.10x the plain update's engine CPU per document.)
type PartitionJob struct {
	ActionID   int64     `json:"action_id"`
	Env        string    `json:"env"`
	Index      string    `json:"index"`
	Version    int       `json:"version"`
	Partition  int       `json:"partition"`
	Partitions int       `json:"partitions"`
	Slices     int       `json:"slices"`
	Since      time.Time `json:"since,omitzero"` // zero: a full read
	Workers    int       `json:"workers,omitempty"`
	BatchSize  int       `json:"batch_size,omitempty"`
	// Split is the source's split of the Partitions*Slices partitions,
	// taken once when the update was planned (sdk.Splitter), so that
	// workers started at different times read partitions that agree.
	Split []byte `json:"split,omitempty"`
}

// Queue enqueues and cancels partition jobs (host/queue's River queue).
type Queue interface {
	// Enqueue inserts one job per partition in the registry transaction
	// tx and returns their ids in order.
	Enqueue(ctx context.Context, tx registry.Tx, jobs []PartitionJob) ([]int64, error)
	// Cancel cancels jobs that have not ended; a running one is told to
	// stop.
	Cancel(ctx context.Context, ids []int64) error
	// Ended returns the jobs among ids that have ended (completed,
	// cancelled, or given up after their last attempt).
	Ended(ctx context.Context, ids []int64) ([]int64, error)
}

// DistributedOptions tune UpdateDistributed. Zero values mean the stated
// defaults.
type DistributedOptions struct {
	// Update are the options of a plain update that apply: Resume, Start,
	// Full, Workers and BatchSize (the last two for each job).
	Update UpdateOptions
	// Partitions is the number of jobs. Default 16; 1 for a source that
	// cannot partition.
	Partitions int
	// Slices is how many slices a job reads, one after another, recording
	// each: what a rescued job does not read again. Default 8.
	Slices int
	// Detach returns once the jobs are enqueued.
	Detach bool
	// Queue is required.
	Queue Queue
	// Lease is how long the action stays in_progress without a heartbeat
	// from a worker or the waiting process. Default 1h.
	Lease time.Duration
}

// distributedParams are a distributed update's parameters as recorded:
// what its workers, and a later --resume, need of its plan.
type distributedParams struct {
	Distributed bool      `json:"distributed"`
	Partitions  int       `json:"partitions"`
	Slices      int       `json:"slices"`
	Since       time.Time `json:"since,omitzero"`
	Advances    bool      `json:"advances"`
	Watermark   time.Time `json:"watermark"`
	Continues   int64     `json:"continues,omitempty"` // the earlier action this one continues
	Resume      bool      `json:"resume,omitempty"`
	Workers     int       `json:"workers,omitempty"`
	BatchSize   int       `json:"batch_size,omitempty"`
	Split       []byte    `json:"split,omitempty"` // the source's split, see PartitionJob.Split
}

// UpdateDistributed fills one version (name is an index, for its active
// version, or a version) from partition jobs run by workers.
func (h *Host) UpdateDistributed(ctx context.Context, name string, o DistributedOptions) (Result, error) {
	if o.Queue == nil {
		return Result{}, errors.New("distributed update: a queue is required")
	}
	if o.Update.Newer || o.Update.All {
		return Result{}, fmt.Errorf("%w: a distributed update fills one version; name it, or the index for its active version", ErrUsage)
	}
	targets, err := h.resolveAll(ctx, []string{name})
	if err != nil {
		return Result{}, err
	}
	t := targets[0]
	p, ok := h.indexes[t.Index]
	if !ok {
		return Result{}, fmt.Errorf("index %s is not provided by any configured source, so there is nothing to stream into it", t.Index)
	}
	if !o.Update.Start.IsZero() && !o.Update.Full && !p.spec.Capabilities.Since {
		return Result{}, &CannotNarrowError{Source: p.source.Name(), Index: t.Index, Start: true}
	}
	nums, noop, next, err := h.updateTargets(ctx, t, o.Update)
	if err != nil {
		return Result{}, err
	}
	if noop != "" {
		return Result{Kind: string(registry.ActionUpdate), Index: t.Index, Message: noop, Next: next}, nil
	}
	n := nums[0]
	if err := h.checkResumable(ctx, t.Index, nums, o.Update); err != nil {
		return Result{}, err
	}
	return h.fillDistributed(ctx, t.Index, n, o, 0)
}

// fillDistributed records a distributed update of version n of index,
// enqueues its partition jobs and, unless o.Detach, waits for it to end.
// parent is the action recorded as its parent (a deploy's fill step),
// whose deploy holds the index's lock; with no parent (0) it takes the
// lock itself.
func (h *Host) fillDistributed(ctx context.Context, index string, n int, o DistributedOptions, parent int64) (Result, error) {
	if o.Partitions <= 0 {
		o.Partitions = DefaultPartitions
	}
	if o.Slices <= 0 {
		o.Slices = DefaultSlices
	}
	if o.Lease <= 0 {
		o.Lease = DefaultDistributedLease
	}
	if !h.indexes[index].spec.Capabilities.Partitions {
		o.Partitions, o.Slices = 1, 1
	}
	t := registry.Target{Index: index, Version: n}
	start := time.Now()
	params, _ := json.Marshal(updateParams(o.Update))
	id, err := h.reg.StartAction(ctx, registry.Action{
		ParentID: parent,
		Env:      h.opts.Env, Index: t.Index, Version: n, Kind: registry.ActionUpdate, Status: registry.ActionQueued,
		StartedAt: start, Argv: h.opts.Argv, Host: h.opts.Hostname, User: h.opts.User, CodebaseID: h.opts.CodebaseID,
		Params: params,
		Pid:    -1, // no one process: the heartbeat alone tells it alive
	})
	if err != nil {
		return Result{}, fmt.Errorf("record update of %s: %w", label(t.Index, n), err)
	}
	stopBeat := h.reg.Heartbeat(id)
	defer stopBeat()
	a := &action{h: h, id: id, started: start}
	r := Result{ActionID: id, Kind: string(registry.ActionUpdate), Index: t.Index, Version: n}
	fail := func(err error) (Result, error) {
		bg, cancel := context.WithTimeout(context.WithoutCancel(ctx), finishTimeout)
		defer cancel()
		status := registry.ActionFailed
		if ctx.Err() != nil {
			status, err = registry.ActionInterrupted, fmt.Errorf("update %s: %w", label(t.Index, n), ErrInterrupted)
		}
		if _, ferr := h.reg.EndRunningAction(bg, id, status, err.Error()); ferr != nil {
			err = fmt.Errorf("%w; recording its end failed too: %v", err, ferr)
		}
		r.Duration = time.Since(start)
		return r, err
	}

	unlock := func() {}
	if parent == 0 {
		lk, err := h.reg.Lock(ctx, h.opts.Env, t.Index, id)
		if err != nil {
			return fail(fmt.Errorf("lock %s%s: %w", h.opts.Env, t.Index, err))
		}
		locked := true
		unlock = func() {
			if locked {
				_ = lk.Release()
				locked = false
			}
		}
		defer unlock()
		if ids, _ := h.reg.MarkAbandoned(ctx, h.opts.Env, t.Index); len(ids) > 0 {
			a.logf(ctx, "marked earlier action(s) %s on %s abandoned: their process is gone", joinIDs(ids), t.Index)
		}
	}
	dp, parts, err := h.planDistributed(ctx, a, &r, t.Index, n, o)
	if err != nil {
		return fail(err)
	}
	// One job per partition not done yet; the pending partitions come
	// first, in the jobs' order, then those an earlier action completed.
	var jobs []PartitionJob
	var pending, complete []registry.Partition
	for _, pt := range parts {
		if pt.Done >= pt.Slices {
			complete = append(complete, pt)
			continue
		}
		pending = append(pending, pt)
		jobs = append(jobs, PartitionJob{ActionID: id, Env: h.opts.Env, Index: t.Index, Version: n,
			Partition: pt.Number, Partitions: dp.Partitions, Slices: dp.Slices, Since: dp.Since,
			Workers: dp.Workers, BatchSize: dp.BatchSize, Split: dp.Split})
	}
	recorded, _ := json.Marshal(dp)
	var jobIDs []int64
	err = h.reg.BeginPartitioned(ctx, id, o.Lease, recorded, append(pending, complete...),
		func(ctx context.Context, tx registry.Tx) ([]int64, error) {
			ids, err := o.Queue.Enqueue(ctx, tx, jobs)
			jobIDs = ids
			return ids, err
		})
	if err != nil {
		return fail(err)
	}
	a.logf(ctx, "enqueued %d of %d partition job(s) of %s, each read as %d slice(s); `demhost worker` runs them",
		len(jobs), dp.Partitions, label(t.Index, n), dp.Slices)
	if len(jobs) == 0 { // a continuation whose partitions were all done
		return h.finishDistributed(ctx, a, PartitionJob{ActionID: id, Index: t.Index, Version: n})
	}
	if o.Detach {
		unlock()
		r.Changed = true
		r.Duration = time.Since(start)
		r.Message = fmt.Sprintf("enqueued %d partition job(s) of %s as action %d; workers fill it, and `demhost history %d` shows its progress",
			len(jobs), label(t.Index, n), id, id)
		return r, nil
	}
	return h.awaitDistributed(ctx, a, r, dp, jobIDs, o.Queue)
}

// planDistributed decides what the jobs read: a continuation of the
// version's last distributed update when --resume finds one that did not
// complete (its plan and its partitions' checkpoints), else a new plan as
// Update makes it. It prepares the index for a full load.
func (h *Host) planDistributed(ctx context.Context, a *action, r *Result, index string, n int, o DistributedOptions) (distributedParams, []registry.Partition, error) {
	dp := distributedParams{Distributed: true, Partitions: o.Partitions, Slices: o.Slices, Resume: o.Update.Resume,
		Workers: o.Update.Workers, BatchSize: o.Update.BatchSize}
	v, err := h.fillableVersion(ctx, index, n)
	if err != nil {
		return dp, nil, err
	}
	if prev, ok, err := h.reg.LatestPartitioned(ctx, h.opts.Env, index, n); err != nil {
		return dp, nil, err
	} else if ok && (prev.Status == registry.ActionInProgress || prev.Status == registry.ActionQueued) && prev.ID != a.id {
		return dp, nil, fmt.Errorf("%s is being filled by distributed update %d (started %s on %s); wait for it, or stop it with `demhost update %s --distributed --cancel`",
			v.Label(), prev.ID, prev.StartedAt.Format(time.RFC3339), prev.Host, v.Label())
	} else if ok && o.Update.Resume && o.Update.Start.IsZero() && prev.Status != registry.ActionComplete {
		return h.continueDistributed(ctx, a, r, v, prev, dp)
	}
	if err := h.restoreLoad(ctx, a, v); err != nil {
		return dp, nil, err
	}
	v.LoadSettings = nil
	plan, err := h.planFill(ctx, a, r, v, o.Update)
	if err != nil {
		return dp, nil, err
	}
	src := h.indexes[index].source
	if dp.Watermark, err = h.watermark(ctx, a, src, index, plan.canSince); err != nil {
		return dp, nil, err
	}
	dp.Since, dp.Advances = plan.since, plan.advances
	if dp.Split, err = h.split(ctx, a, src, index, dp.Since, dp.Partitions*dp.Slices); err != nil {
		return dp, nil, err
	}
	if err := h.tuneDistributed(ctx, a, v, plan.since); err != nil {
		return dp, nil, err
	}
	parts := make([]registry.Partition, dp.Partitions)
	for k := range parts {
		parts[k] = registry.Partition{Number: k, Slices: dp.Slices}
	}
	return dp, parts, nil
}

// continueDistributed plans a continuation of prev, an earlier distributed
// update of v that did not complete: the same plan and partitions, each
// from its checkpoint.
func (h *Host) continueDistributed(ctx context.Context, a *action, r *Result, v registry.Version, prev registry.Action, dp distributedParams) (distributedParams, []registry.Partition, error) {
	var pp distributedParams
	if err := json.Unmarshal(prev.Params, &pp); err != nil || pp.Partitions == 0 {
		return dp, nil, fmt.Errorf("read the plan of distributed update %d: its parameters are not a distributed update's", prev.ID)
	}
	parts, err := h.reg.Partitions(ctx, prev.ID)
	if err != nil {
		return dp, nil, err
	}
	pp.Continues, pp.Resume = prev.ID, true
	if dp.Workers > 0 {
		pp.Workers = dp.Workers
	}
	if dp.BatchSize > 0 {
		pp.BatchSize = dp.BatchSize
	}
	left := 0
	for i := range parts {
		parts[i].ActionID, parts[i].JobID, parts[i].Status, parts[i].Error, parts[i].Attempts = 0, 0, "", "", 0
		parts[i].Running = registry.Counts{}
		if parts[i].Done < parts[i].Slices {
			left++
		}
	}
	note := fmt.Sprintf("continuing distributed update %d (%s): %d of %d partitions left, each from its checkpoint",
		prev.ID, prev.Status, left, len(parts))
	r.Notes = append(r.Notes, note)
	a.logf(ctx, "%s", note)
	if err := h.tuneDistributed(ctx, a, v, pp.Since); err != nil {
		return dp, nil, err
	}
	return pp, parts, nil
}

// tuneDistributed turns off refresh and replicas for a full load of a
// version that is not active, as Update does. The worker that finishes
// the action restores them.
func (h *Host) tuneDistributed(ctx context.Context, a *action, v registry.Version, since time.Time) error {
	active, err := h.activeNumber(ctx, v.Index)
	if err != nil {
		return err
	}
	if !since.IsZero() || active == v.Number {
		return nil
	}
	cur, err := h.version(ctx, v.Index, v.Number) // its recorded load settings, if an earlier load left them
	if err != nil {
		return err
	}
	_, err = h.tuneForLoad(ctx, a, cur)
	return err
}
