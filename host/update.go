package host

import (
	"context"
	"errors"
	"fmt"
	"time"

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
			return nil, fmt.Errorf("%w: --newer takes index names, and %s is a version", ErrUsage, names[i])
		}
		p, ok := h.indexes[t.Index]
		if !ok {
			return nil, fmt.Errorf("index %s is not provided by any configured source, so there is nothing to stream into it", t.Index)
		}
		if !o.Start.IsZero() && !o.Full && !p.spec.Capabilities.Since {
			return nil, fmt.Errorf("%w: source %s cannot read only the changes of %s since a time, so --start cannot narrow its update; pass --full to read everything",
				ErrUsage, p.source.Name(), t.Index)
		}
	}
	// Plan every target before touching the cluster, so that a target
	// that cannot be updated fails the command before any update starts.
	plans := make([]updatePlan, 0, len(targets))
	var filled []registry.Target
	for _, t := range targets {
		nums, noop, err := h.updateTargets(ctx, t, o)
		if err != nil {
			return nil, err
		}
		if err := h.checkResumable(ctx, t.Index, nums, o); err != nil {
			return nil, err
		}
		plans = append(plans, updatePlan{index: t.Index, nums: nums, noop: noop})
		for _, n := range nums {
			filled = append(filled, registry.Target{Index: t.Index, Version: n})
		}
	}
	group := actionSpec{kind: registry.ActionUpdate, index: commonIndex(filled), params: updateParams(o)}
	return h.runGroup(ctx, group, len(filled), func(ctx context.Context, parent int64) ([]Result, error) {
		var out []Result
		var docErr error
		for _, p := range plans {
			if p.noop != "" {
				out = append(out, Result{Kind: string(registry.ActionUpdate), Index: p.index, Message: p.noop})
				continue
			}
			for _, n := range p.nums {
				spec := actionSpec{kind: registry.ActionUpdate, index: p.index, version: n, params: updateParams(o), parent: parent}
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
			return fmt.Errorf("%w: source %s cannot read only the changes of %s since a time, so --resume cannot narrow the update of %s; pass --full to read everything",
				ErrUsage, p.source.Name(), index, label(index, n))
		}
	}
	return nil
}

// updateTargets picks the versions an update fills. With o.All, an index
// with no active version is a no-op that says so, not an error.
func (h *Host) updateTargets(ctx context.Context, t registry.Target, o UpdateOptions) ([]int, string, error) {
	if t.Version != 0 {
		return []int{t.Version}, "", nil
	}
	vs, active, err := h.liveVersions(ctx, t.Index)
	if err != nil {
		return nil, "", err
	}
	if !o.Newer {
		if active == 0 && o.All {
			msg := fmt.Sprintf("%s has no active version: activate it or name a version; skipped", t.Index)
			if len(vs) == 0 {
				msg += fmt.Sprintf(" (it has no version yet: run `create %s` first)", t.Index)
			}
			return nil, msg, nil
		}
		if active == 0 {
			hint := t.Index + "-N"
			if len(vs) > 0 {
				hint = vs[len(vs)-1].Label()
			}
			return nil, "", fmt.Errorf("%s has no active version; run `activate %s` first, or name a version such as %s",
				t.Index, t.Index, hint)
		}
		return []int{active}, "", nil
	}
	var nums []int
	for _, v := range vs {
		if v.Number > active && v.Status != registry.VersionFailed {
			nums = append(nums, v.Number)
		}
	}
	if len(nums) == 0 {
		if active == 0 {
			return nil, fmt.Sprintf("%s has no version to update; run `create %s` first", t.Index, t.Index), nil
		}
		return nil, fmt.Sprintf("no version of %s is newer than the active %s; nothing to update", t.Index, label(t.Index, active)), nil
	}
	return nums, "", nil
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

// update fills version n of index from its source.
func (h *Host) update(ctx context.Context, a *action, index string, n int, o UpdateOptions) (Result, error) {
	r := Result{Index: index, Version: n}
	v, err := h.version(ctx, index, n)
	if err != nil {
		return r, err
	}
	if v.Status == registry.VersionFailed {
		return r, fmt.Errorf("version %s failed to build; create a new version with `create %s`", v.Label(), index)
	}
	p := h.indexes[index]
	src := p.source
	if ok, err := h.eng.Exists(ctx, v.Name); err != nil {
		return r, fmt.Errorf("check index %s: %w", v.Name, err)
	} else if !ok {
		return r, fmt.Errorf("index %s of %s is missing in the cluster; run `create %s --es-only` to recreate it", v.Name, v.Label(), index)
	}
	active, err := h.activeNumber(ctx, index)
	if err != nil {
		return r, err
	}

	// Settings that an earlier load left applied (its process died) are
	// restored first: this action holds the lock, so no load is running.
	if err := h.restoreLoad(ctx, a, v); err != nil {
		return r, err
	}
	v.LoadSettings = nil
	canSince := p.spec.Capabilities.Since
	cp, hasCP, err := h.reg.GetCheckpoint(ctx, h.opts.Env, index, n, src.Name())
	if err != nil {
		return r, fmt.Errorf("read checkpoint of %s: %w", v.Label(), err)
	}
	var since time.Time
	switch {
	case !o.Start.IsZero():
		since = o.Start
		a.logf(ctx, "reading what changed since %s (--start)", since.UTC().Format(time.RFC3339))
	case o.Resume && hasCP:
		since = cp.Watermark
		a.logf(ctx, "resuming from the checkpoint %s", since.UTC().Format(time.RFC3339Nano))
	case o.Resume:
		r.Notes = append(r.Notes, fmt.Sprintf("%s has never had a complete full update, so --resume reads everything", v.Label()))
		a.logf(ctx, "%s", r.Notes[len(r.Notes)-1])
	case hasCP && cp.SetAt.After(a.started) && canSince:
		// Another update filled the version while this one waited for
		// the lock: read only what changed since its watermark.
		since = cp.Watermark
		r.Notes = append(r.Notes, fmt.Sprintf("%s was filled by action %d while this update waited for its lock; reading only what changed since %s",
			v.Label(), cp.ActionID, since.UTC().Format(time.RFC3339Nano)))
		a.logf(ctx, "%s", r.Notes[len(r.Notes)-1])
	}
	if !since.IsZero() && !canSince {
		what := "--resume"
		if !o.Start.IsZero() {
			what = "--start"
		}
		r.Notes = append(r.Notes, fmt.Sprintf("source %s cannot read changes since a time, so %s was ignored and everything is read (--full)", src.Name(), what))
		a.logf(ctx, "%s", r.Notes[len(r.Notes)-1])
		since = time.Time{}
	}
	full := since.IsZero()
	// A complete incremental read leaves a checkpoint only when it started
	// at or before the version's own: else the changes between the two
	// were never read, and --resume must not skip them.
	advances := full || (hasCP && !since.After(cp.Watermark))

	cfg := h.opts.Bulk
	if o.Workers > 0 {
		cfg.Workers = o.Workers
	}
	if o.BatchSize > 0 {
		cfg.BatchSize = o.BatchSize
	}
	cfg = cfg.withDefaults()
	parts := 1
	if p.spec.Capabilities.Partitions {
		parts = cfg.Workers
	}

	restore := func() error { return nil }
	if full && active != n {
		if restore, err = h.tuneForLoad(ctx, a, v); err != nil {
			return r, err
		}
	}
	watermark, err := h.watermark(ctx, a, src, index, canSince)
	if err != nil {
		_ = restore()
		return r, err
	}

	var total int64
	if full && active != 0 {
		total, _ = h.eng.Count(ctx, h.Alias(index)) // a guess for the ETA only
	}
	ix := newIndexer(h.eng, v.Name, cfg, func(format string, args ...any) { a.logf(ctx, format, args...) })
	bg := context.WithoutCancel(ctx)
	prog := &progress{
		w: h.opts.Progress, terminal: h.opts.Terminal, name: v.Label(), total: total,
		counts: ix.counts,
		record: func(c registry.Counts) { _ = h.reg.Progress(bg, a.id, c) },
	}
	a.logf(ctx, "update %s (index %s) from source %s: %s, %d partition(s), %d workers, batches of %d",
		v.Label(), v.Name, src.Name(), map[bool]string{true: "full", false: "since " + since.UTC().Format(time.RFC3339)}[full],
		parts, cfg.Workers, cfg.BatchSize)

	started := time.Now()
	prog.start = started
	stop := make(chan struct{})
	progDone := make(chan struct{})
	go func() {
		defer close(progDone)
		prog.loop(h.opts.ProgressInterval, stop)
	}()
	runErr := ix.run(ctx, src, sdk.StreamRequest{Index: index, Since: since}, parts)
	close(stop)
	<-progDone
	prog.done()
	elapsed := time.Since(started)

	if err := restore(); err != nil {
		a.logf(ctx, "%v", err)
		if runErr == nil {
			runErr = err
		}
	}
	r.Counts = ix.counts()
	r.Failures = ix.failures
	r.Skips = ix.skips
	r.Changed = r.Counts.Indexed+r.Counts.Deleted > 0
	if err := h.eng.Refresh(bg, v.Name); err != nil && runErr == nil {
		runErr = fmt.Errorf("refresh %s: %w", v.Name, err)
	}
	rate := docsPerSecond(r.Counts.Indexed+r.Counts.Deleted+r.Counts.Failed, elapsed)
	skipped := ""
	if r.Counts.Skipped > 0 {
		skipped = fmt.Sprintf(", %s skipped by the source", thousands(r.Counts.Skipped))
	}
	summary := fmt.Sprintf("%s indexed, %s failed, %s deleted%s in %s (%s docs/s)",
		thousands(r.Counts.Indexed), thousands(r.Counts.Failed), thousands(r.Counts.Deleted), skipped,
		elapsed.Round(time.Millisecond), thousands(int64(rate)))
	a.logf(ctx, "%s", summary)
	a.logf(ctx, "%s", ix.summary()) // every 429, 5xx and no-answer retry, and the lowest concurrency
	r.Retries = ix.retries()
	switch {
	case runErr != nil:
		r.Message = fmt.Sprintf("update of %s failed after %s", v.Label(), summary)
		return r, fmt.Errorf("update %s: %w", v.Label(), runErr)
	case ctx.Err() != nil:
		r.Message = fmt.Sprintf("update of %s interrupted after %s; run `update %s --resume` to continue", v.Label(), summary, v.Label())
		return r, fmt.Errorf("update %s interrupted after %s documents: %w", v.Label(), thousands(r.Counts.Indexed), ErrInterrupted)
	case r.Counts.Failed > 0:
		r.Message = fmt.Sprintf("updated %s with failures: %s", v.Label(), summary)
		return r, fmt.Errorf("update %s: %s of %s documents failed, e.g. %q: %s: %w", v.Label(),
			thousands(r.Counts.Failed), thousands(r.Counts.Failed+r.Counts.Indexed+r.Counts.Deleted),
			r.Failures[0].ID, r.Failures[0].Reason, ErrDocumentsFailed)
	}
	r.Message = fmt.Sprintf("updated %s: %s", v.Label(), summary)
	if !advances {
		r.Notes = append(r.Notes, fmt.Sprintf("%s read only what changed since %s, so it is not a complete fill; run `update %s` (without --start) to fill it completely",
			v.Label(), since.UTC().Format(time.RFC3339), v.Label()))
		a.logf(ctx, "%s", r.Notes[len(r.Notes)-1])
		return r, nil
	}
	cp = registry.Checkpoint{Env: h.opts.Env, Index: index, Version: n, Source: src.Name(), Watermark: watermark, ActionID: a.id}
	if err := h.reg.SetCheckpoint(bg, cp); err != nil {
		return r, fmt.Errorf("record checkpoint of %s: %w", v.Label(), err)
	}
	return r, nil
}
