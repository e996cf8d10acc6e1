package host

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/demhost/demhost/internal/humanize"
	sdk "github.com/demhost/demhost/plugin-sdk"
	"github.com/demhost/demhost/registry"
)

// UpdateOptions tune Update.
type UpdateOptions struct {
	Newer  bool      // fill every version newer than the active one
	Resume bool      // only what changed since the last complete update
	Start  time.Time // explicit since; wins over Resume
	// Full reads everything from a source that cannot read changes since
	// a time, when Resume or Start is given; without it such an update is
	// refused with ErrUsage, since it would read everything unasked.
	Full bool
	// Workers and BatchSize override Options.Bulk when non-zero.
	Workers   int
	BatchSize int
	// All says the names are every index (the CLI's --all); with no names
	// Update takes Indexes(). An index with no active version is then
	// skipped with a message instead of failing the whole update.
	All bool
}

// updatePlan is what Update does to one of its targets: fill versions,
// or nothing, for the reason in noop.
type updatePlan struct {
	index string
	nums  []int
	noop  string
	next  *Step // for a no-op, what would make it do something
}

// Update streams documents into the active version (or the named one).
// A result with Counts.Failed > 0 is returned with ErrDocumentsFailed.
// An update of more than one version is recorded as a parent action with
// one child action per version.
func (h *Host) Update(ctx context.Context, names []string, o UpdateOptions) ([]Result, error) {
	if o.All && len(names) == 0 {
		names = h.Indexes()
	}
	targets, err := h.resolveAll(ctx, names)
	if err != nil {
		return nil, err
	}
	for i, t := range targets {
		if t.Version != 0 && o.Newer {
			return nil, fmt.Errorf("%w: filling the newer versions takes index names, and %s is a version", ErrUsage, names[i])
		}
		p, ok := h.indexes[t.Index]
		if !ok {
			return nil, fmt.Errorf("index %s is not provided by any configured source, so there is nothing to stream into it", t.Index)
		}
		if !o.Start.IsZero() && !o.Full && !p.spec.Capabilities.Since {
			return nil, &CannotNarrowError{Source: p.source.Name(), Index: t.Index, Start: true}
		}
	}
	// Plan every target before touching the cluster, so that a target
	// that cannot be updated fails the command before any update starts.
	plans := make([]updatePlan, 0, len(targets))
	var filled []registry.Target
	for _, t := range targets {
		nums, noop, next, err := h.updateTargets(ctx, t, o)
		if err != nil {
			return nil, err
		}
		if err := h.checkResumable(ctx, t.Index, nums, o); err != nil {
			return nil, err
		}
		plans = append(plans, updatePlan{index: t.Index, nums: nums, noop: noop, next: next})
		for _, n := range nums {
			filled = append(filled, registry.Target{Index: t.Index, Version: n})
		}
	}
	group := actionSpec{kind: registry.ActionUpdate, index: commonIndex(filled), params: updateParams(o)}
	return h.runGroup(ctx, group, len(filled), func(ctx context.Context, g *actionGroup) ([]Result, error) {
		var out []Result
		var docErr error
		for _, p := range plans {
			if p.noop != "" {
				out = append(out, Result{Kind: string(registry.ActionUpdate), Index: p.index, Message: p.noop, Next: p.next})
				continue
			}
			for _, n := range p.nums {
				spec := actionSpec{kind: registry.ActionUpdate, index: p.index, version: n, params: updateParams(o), group: g}
				r, err := h.run(ctx, spec, func(ctx context.Context, a *action) (Result, error) {
					return h.update(ctx, a, p.index, n, o)
				})
				out = append(out, r)
				if errors.Is(err, ErrDocumentsFailed) {
					docErr = errors.Join(docErr, err)
					continue
				}
				if err != nil {
					return out, err
				}
			}
		}
		return out, docErr
	})
}

// checkResumable refuses --resume where it would have to narrow a read
// that the source cannot narrow: a version with a checkpoint (a complete
// fill) of an index whose source cannot read since a time. Without a
// checkpoint, --resume reads everything anyway. --full allows it.
func (h *Host) checkResumable(ctx context.Context, index string, nums []int, o UpdateOptions) error {
	p := h.indexes[index]
	if !o.Resume || !o.Start.IsZero() || o.Full || p.spec.Capabilities.Since {
		return nil
	}
	for _, n := range nums {
		if _, ok, err := h.reg.GetCheckpoint(ctx, h.opts.Env, index, n, p.source.Name()); err != nil {
			return fmt.Errorf("read checkpoint of %s: %w", label(index, n), err)
		} else if ok {
			return &CannotNarrowError{Source: p.source.Name(), Index: index, Version: n}
		}
	}
	return nil
}

// updateTargets picks the versions an update fills. With o.All, an index
// with no active version is a no-op that says so, not an error.
func (h *Host) updateTargets(ctx context.Context, t registry.Target, o UpdateOptions) ([]int, string, *Step, error) {
	if t.Version != 0 {
		return []int{t.Version}, "", nil, nil
	}
	vs, active, err := h.liveVersions(ctx, t.Index)
	if err != nil {
		return nil, "", nil, err
	}
	latest := 0
	if len(vs) > 0 {
		latest = vs[len(vs)-1].Number
	}
	if !o.Newer {
		switch {
		case active == 0 && o.All && latest == 0:
			return nil, fmt.Sprintf("%s has no active version, and no version yet; skipped", t.Index),
				&Step{Action: "create", Target: t.Index}, nil
		case active == 0 && o.All:
			return nil, fmt.Sprintf("%s has no active version: activate it or name a version; skipped", t.Index),
				&Step{Action: "activate", Target: t.Index}, nil
		case active == 0:
			return nil, "", nil, &NoActiveVersionError{Index: t.Index, Latest: latest}
		}
		return []int{active}, "", nil, nil
	}
	var nums []int
	for _, v := range vs {
		if v.Number > active && v.Status != registry.VersionFailed {
			nums = append(nums, v.Number)
		}
	}
	if len(nums) == 0 {
		if active == 0 {
			return nil, fmt.Sprintf("%s has no version to update", t.Index), &Step{Action: "create", Target: t.Index}, nil
		}
		return nil, fmt.Sprintf("no version of %s is newer than the active %s; nothing to update", t.Index, label(t.Index, active)), nil, nil
	}
	return nums, "", nil, nil
}

func updateParams(o UpdateOptions) map[string]any {
	p := map[string]any{"newer": o.Newer, "resume": o.Resume}
	if o.Full {
		p["full"] = true
	}
	if o.All {
		p["all"] = true
	}
	if !o.Start.IsZero() {
		p["start"] = o.Start.UTC().Format(time.RFC3339Nano)
	}
	if o.Workers > 0 {
		p["workers"] = o.Workers
	}
	if o.BatchSize > 0 {
		p["batch_size"] = o.BatchSize
	}
	return p
}

// fillPlan is what one update of a version reads, decided before it reads.
type fillPlan struct {
	since    time.Time // zero: a full read
	advances bool      // a complete read leaves the checkpoint
	canSince bool
}

// update fills version n of index from its source, in steps: check the
// version, decide what to read, prepare the index, stream, finish.
func (h *Host) update(ctx context.Context, a *action, index string, n int, o UpdateOptions) (Result, error) {
	r := Result{Index: index, Version: n}
	v, err := h.fillableVersion(ctx, index, n)
	if err != nil {
		return r, err
	}
	// Settings that an earlier load left applied (its process died) are
	// restored first: this action holds the lock, so no load is running.
	if err := h.restoreLoad(ctx, a, v); err != nil {
		return r, err
	}
	v.LoadSettings = nil
	plan, err := h.planFill(ctx, a, &r, v, o)
	if err != nil {
		return r, err
	}
	active, err := h.activeNumber(ctx, index)
	if err != nil {
		return r, err
	}
	restore := func() error { return nil }
	if plan.since.IsZero() && active != n {
		if restore, err = h.tuneForLoad(ctx, a, v); err != nil {
			return r, err
		}
	}
	src := h.indexes[index].source
	watermark, err := h.watermark(ctx, a, src, index, plan.canSince)
	if err != nil {
		_ = restore()
		return r, err
	}
	ix, elapsed, runErr := h.stream(ctx, a, v, plan, active, o)
	if err := restore(); err != nil {
		a.logf(ctx, "%v", err)
		runErr = errors.Join(runErr, err)
	}
	return h.finishFill(ctx, a, r, v, plan, ix, elapsed, runErr, watermark)
}

// fillableVersion is version n of index, live, built and in the cluster.
func (h *Host) fillableVersion(ctx context.Context, index string, n int) (registry.Version, error) {
	v, err := h.version(ctx, index, n)
	if err != nil {
		return v, err
	}
	if v.Status == registry.VersionFailed {
		return v, &FailedVersionError{Index: index, Version: n}
	}
	if ok, err := h.eng.Exists(ctx, v.Name); err != nil {
		return v, fmt.Errorf("check index %s: %w", v.Name, err)
	} else if !ok {
		return v, &MissingIndexError{Index: index, Version: n, Physical: v.Name}
	}
	return v, nil
}

// planFill decides from when the update reads, from the options, the
// version's checkpoint and the source's capabilities, and notes every
// decision the user should know of on r and in the action's log.
func (h *Host) planFill(ctx context.Context, a *action, r *Result, v registry.Version, o UpdateOptions) (fillPlan, error) {
	p := h.indexes[v.Index]
	src := p.source
	plan := fillPlan{canSince: p.spec.Capabilities.Since}
	note := func(format string, args ...any) {
		r.Notes = append(r.Notes, fmt.Sprintf(format, args...))
		a.logf(ctx, "%s", r.Notes[len(r.Notes)-1])
	}
	cp, hasCP, err := h.reg.GetCheckpoint(ctx, h.opts.Env, v.Index, v.Number, src.Name())
	if err != nil {
		return plan, fmt.Errorf("read checkpoint of %s: %w", v.Label(), err)
	}
	switch {
	case !o.Start.IsZero():
		plan.since = o.Start
		a.logf(ctx, "reading what changed since the given start %s", plan.since.UTC().Format(time.RFC3339))
	case o.Resume && hasCP:
		plan.since = cp.Watermark
		a.logf(ctx, "resuming from the checkpoint %s", plan.since.UTC().Format(time.RFC3339Nano))
	case o.Resume:
		note("%s has never had a complete full update, so resuming reads everything", v.Label())
	case hasCP && cp.SetAt.After(a.started) && plan.canSince:
		// Another update filled the version while this one waited for
		// the lock: read only what changed since its watermark.
		plan.since = cp.Watermark
		note("%s was filled by action %d while this update waited for its lock; reading only what changed since %s",
			v.Label(), cp.ActionID, plan.since.UTC().Format(time.RFC3339Nano))
	}
	if !plan.since.IsZero() && !plan.canSince {
		what := "resuming from the checkpoint"
		if !o.Start.IsZero() {
			what = "the given start time"
		}
		note("source %s cannot read changes since a time, so %s was ignored and everything is read", src.Name(), what)
		plan.since = time.Time{}
	}
	// A complete incremental read leaves a checkpoint only when it started
	// at or before the version's own: else the changes between the two
	// were never read, and resuming must not skip them.
	plan.advances = plan.since.IsZero() || (hasCP && !plan.since.After(cp.Watermark))
	return plan, nil
}

// stream runs the bulk indexer over the source's partitions into v,
// reporting progress, and returns the indexer with its counts.
func (h *Host) stream(ctx context.Context, a *action, v registry.Version, plan fillPlan, active int, o UpdateOptions) (*indexer, time.Duration, error) {
	p := h.indexes[v.Index]
	cfg := h.opts.Bulk // its defaults were filled by New
	if o.Workers > 0 {
		cfg.Workers = o.Workers
	}
	if o.BatchSize > 0 {
		cfg.BatchSize = o.BatchSize
	}
	parts := 1
	if p.spec.Capabilities.Partitions {
		parts = cfg.Workers
	}
	var expected int64
	if plan.since.IsZero() && active != 0 {
		expected, _ = h.eng.Count(ctx, h.Alias(v.Index)) // a guess for the ETA only
	}
	ix := newIndexer(h.eng, v.Name, cfg, func(format string, args ...any) { a.logf(ctx, format, args...) })
	bg := context.WithoutCancel(ctx)
	read := "full"
	if !plan.since.IsZero() {
		read = "since " + plan.since.UTC().Format(time.RFC3339)
	}
	a.logf(ctx, "update %s (index %s) from source %s: %s, %d partition(s), %d workers, batches of %d",
		v.Label(), v.Name, p.source.Name(), read, parts, cfg.Workers, cfg.BatchSize)
	started := time.Now()
	prog := &progress{
		base:   Progress{ActionID: a.id, Index: v.Index, Version: v.Number, Expected: expected},
		start:  started,
		counts: ix.counts,
		record: func(c registry.Counts) { _ = h.reg.Progress(bg, a.id, c) },
		emit:   h.opts.OnProgress,
	}
	stop := make(chan struct{})
	progDone := make(chan struct{})
	go func() {
		defer close(progDone)
		prog.loop(h.opts.ProgressInterval, stop)
	}()
	err := ix.run(ctx, p.source, sdk.StreamRequest{Index: v.Index, Since: plan.since}, parts)
	close(stop)
	<-progDone
	prog.done()
	return ix, time.Since(started), err
}

// finishFill refreshes v, words the result, and records the checkpoint
// of a complete read that advances it.
func (h *Host) finishFill(ctx context.Context, a *action, r Result, v registry.Version, plan fillPlan,
	ix *indexer, elapsed time.Duration, runErr error, watermark time.Time) (Result, error) {
	bg := context.WithoutCancel(ctx)
	r.Counts, r.Failures, r.Skips, r.Retries = ix.counts(), ix.failures, ix.skips, ix.retries()
	r.Changed = r.Counts.Indexed+r.Counts.Deleted > 0
	if err := h.eng.Refresh(bg, v.Name); err != nil && runErr == nil {
		runErr = fmt.Errorf("refresh %s: %w", v.Name, err)
	}
	rate := humanize.Rate(r.Counts.Indexed+r.Counts.Deleted+r.Counts.Failed, elapsed)
	skipped := ""
	if r.Counts.Skipped > 0 {
		skipped = fmt.Sprintf(", %s skipped by the source", thousands(r.Counts.Skipped))
	}
	summary := fmt.Sprintf("%s indexed, %s failed, %s deleted%s in %s (%s docs/s)",
		thousands(r.Counts.Indexed), thousands(r.Counts.Failed), thousands(r.Counts.Deleted), skipped,
		elapsed.Round(time.Millisecond), thousands(int64(rate)))
	a.logf(ctx, "%s", summary)
	a.logf(ctx, "%s", ix.summary()) // every 429, 5xx and no-answer retry, and the lowest concurrency
	switch {
	case runErr != nil:
		r.Message = fmt.Sprintf("update of %s failed after %s", v.Label(), summary)
		return r, fmt.Errorf("update %s: %w", v.Label(), runErr)
	case ctx.Err() != nil:
		r.Message = fmt.Sprintf("update of %s interrupted after %s", v.Label(), summary)
		r.Next = &Step{Action: "update", Target: v.Label(), Resume: true, Why: "to continue"}
		return r, fmt.Errorf("update %s interrupted after %s documents: %w", v.Label(), thousands(r.Counts.Indexed), ErrInterrupted)
	case r.Counts.Failed > 0:
		r.Message = fmt.Sprintf("updated %s with failures: %s", v.Label(), summary)
		return r, fmt.Errorf("update %s: %s of %s documents failed, e.g. %q: %s: %w", v.Label(),
			thousands(r.Counts.Failed), thousands(r.Counts.Failed+r.Counts.Indexed+r.Counts.Deleted),
			r.Failures[0].ID, r.Failures[0].Reason, ErrDocumentsFailed)
	}
	r.Message = fmt.Sprintf("updated %s: %s", v.Label(), summary)
	if !plan.advances {
		r.Notes = append(r.Notes, fmt.Sprintf("%s read only what changed since %s, so it is not a complete fill",
			v.Label(), plan.since.UTC().Format(time.RFC3339)))
		r.Next = &Step{Action: "update", Target: v.Label(), Why: "to fill it completely"}
		a.logf(ctx, "%s", r.Notes[len(r.Notes)-1])
		return r, nil
	}
	cp := registry.Checkpoint{Env: h.opts.Env, Index: v.Index, Version: v.Number, Source: h.indexes[v.Index].source.Name(),
		Watermark: watermark, ActionID: a.id}
	if err := h.reg.SetCheckpoint(bg, cp); err != nil {
		return r, fmt.Errorf("record checkpoint of %s: %w", v.Label(), err)
	}
	return r, nil
}
