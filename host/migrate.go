package host

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/demhost/demhost/registry"
)

// MigrateOptions tune Migrate.
type MigrateOptions struct {
	// From names the version to copy from, a version of the same index
	// such as "movies-1". Default: the active version.
	From string
}

// migratePlan is what Migrate copies: version src of index into dst.
type migratePlan struct {
	index    string
	src, dst registry.Version
}

// Migrate copies every document of one version into another, on the
// server (the engine's reindex), without reading the source plugin again:
// the way to fill a version created for a new mapping. name is the target:
// a version, or a base name for its latest version. A request that cannot
// be carried out (source and target the same, no source, versions of two
// indexes, a dropped version or one missing in the cluster) returns
// ErrUsage before anything is recorded.
func (h *Host) Migrate(ctx context.Context, name string, o MigrateOptions) ([]Result, error) {
	p, err := h.planMigrate(ctx, name, o)
	if err != nil {
		return nil, err
	}
	spec := actionSpec{kind: registry.ActionMigrate, index: p.index, version: p.dst.Number,
		params: map[string]any{"from": p.src.Label()}}
	r, err := h.run(ctx, spec, func(ctx context.Context, a *action) (Result, error) {
		return h.migrate(ctx, a, p)
	})
	return []Result{r}, err
}

// planMigrate picks the source and target versions and refuses a request
// that cannot be carried out.
func (h *Host) planMigrate(ctx context.Context, name string, o MigrateOptions) (migratePlan, error) {
	t, err := h.migrateTarget(ctx, name)
	if err != nil {
		return migratePlan{}, err
	}
	p := migratePlan{index: t.Index}
	vs, active, err := h.liveVersions(ctx, t.Index)
	if err != nil {
		return p, err
	}
	dst := t.Version
	if dst == 0 {
		if len(vs) == 0 {
			return p, usage(&NoVersionError{Index: t.Index})
		}
		dst = vs[len(vs)-1].Number
	}
	src := active
	if o.From != "" {
		f, err := h.migrateTarget(ctx, o.From)
		if err != nil {
			return p, err
		}
		if f.Version == 0 {
			return p, fmt.Errorf("%w: the source of a migration is a version, such as %s, and %s is an index", ErrUsage, label(f.Index, 1), o.From)
		}
		if f.Index != t.Index {
			return p, fmt.Errorf("%w: the source %s is a version of %s, not of %s; a migration copies between versions of one index",
				ErrUsage, o.From, f.Index, t.Index)
		}
		src = f.Version
	} else if src == 0 {
		return p, usage(&NoActiveVersionError{Index: t.Index, Latest: dst})
	}
	if src == dst {
		return p, &SameVersionError{Index: t.Index, Version: src}
	}
	if p.src, err = h.migrateVersion(ctx, t.Index, src); err != nil {
		return p, err
	}
	if p.dst, err = h.migrateVersion(ctx, t.Index, dst); err != nil {
		return p, err
	}
	if p.dst.Status == registry.VersionFailed {
		return p, usage(&FailedVersionError{Index: t.Index, Version: p.dst.Number})
	}
	return p, nil
}

// migrateTarget resolves a word like resolve does, but says so when the
// word names a dropped version, rather than calling it unknown.
func (h *Host) migrateTarget(ctx context.Context, word string) (registry.Target, error) {
	t, err := h.resolve(ctx, word)
	if err == nil || !errors.Is(err, ErrUnknownIndex) {
		return t, err
	}
	if base, n, ok := registry.ParseVersionName(word); ok {
		if v, verr := h.reg.Version(ctx, h.opts.Env, base, n); verr == nil && v.DeletedAt != nil {
			return t, usage(&DroppedVersionError{Index: v.Index, Version: v.Number})
		}
	}
	return t, err
}

// migrateVersion reads version n of index and checks that it is live in
// the registry and present in the cluster.
func (h *Host) migrateVersion(ctx context.Context, index string, n int) (registry.Version, error) {
	v, err := h.reg.Version(ctx, h.opts.Env, index, n)
	if err != nil {
		return v, fmt.Errorf("read version %s: %w", label(index, n), err)
	}
	if v.DeletedAt != nil {
		return v, usage(&DroppedVersionError{Index: index, Version: n})
	}
	ok, err := h.eng.Exists(ctx, v.Name)
	if err != nil {
		return v, fmt.Errorf("check index %s: %w", v.Name, err)
	}
	if !ok {
		return v, usage(&MissingIndexError{Index: index, Version: n, Physical: v.Name})
	}
	return v, nil
}

// migrate copies p.src into p.dst under the index's lock. A target that
// is not active gets the full-load settings of update for the copy.
func (h *Host) migrate(ctx context.Context, a *action, p migratePlan) (Result, error) {
	src, dst := p.src, p.dst
	r := Result{Index: p.index, Version: dst.Number}
	// The plan was made before the lock: check that nothing was dropped since.
	for _, v := range []*registry.Version{&src, &dst} {
		cur, err := h.version(ctx, p.index, v.Number)
		if err != nil {
			return r, err
		}
		*v = cur
	}
	// Settings an earlier load left applied (its process died) are
	// restored first; this action holds the lock.
	for _, v := range []registry.Version{src, dst} {
		if err := h.restoreLoad(ctx, a, v); err != nil {
			return r, err
		}
	}
	dst.LoadSettings = nil
	// The copy holds what src held, so src's checkpoint (if it had a
	// complete fill) is where a later --resume of dst starts. It is read
	// before the copy: writes into src during the copy are newer.
	cps, err := h.reg.Checkpoints(ctx, h.opts.Env, p.index)
	if err != nil {
		return r, err
	}
	srcCP, srcFull := cps[src.Number]
	// dst's documents are about to be replaced: until the copy completes
	// it has no complete fill.
	if err := h.reg.DeleteCheckpoints(ctx, h.opts.Env, p.index, dst.Number); err != nil {
		return r, err
	}
	active, err := h.activeNumber(ctx, p.index)
	if err != nil {
		return r, err
	}
	restore := func() error { return nil }
	if active != dst.Number {
		if restore, err = h.tuneForLoad(ctx, a, dst); err != nil {
			return r, err
		}
	}
	how, task := h.copyPath(ctx)
	a.logf(ctx, "migrate %s (index %s) into %s (index %s) %s", src.Label(), src.Name, dst.Label(), dst.Name, how)
	start := time.Now()
	copied, runErr := h.eng.Reindex(ctx, src.Name, dst.Name)
	elapsed := time.Since(start)
	if err := restore(); err != nil {
		a.logf(ctx, "%v", err)
		runErr = errors.Join(runErr, err)
	}
	bg := context.WithoutCancel(ctx)
	if err := h.eng.Refresh(bg, dst.Name); err != nil && runErr == nil {
		runErr = fmt.Errorf("refresh %s: %w", dst.Name, err)
	}
	r.Counts.Indexed = copied
	r.Changed = copied > 0
	summary := fmt.Sprintf("%s documents copied in %s", thousands(copied), elapsed.Round(time.Millisecond))
	switch {
	case ctx.Err() != nil:
		r.Message = fmt.Sprintf("migration of %s into %s interrupted after %s documents copied", src.Label(), dst.Label(), thousands(copied))
		if task {
			r.Message += ", and demhost asked the cluster to cancel the copy"
		}
		r.Next = &Step{Action: "migrate", Target: dst.Label(), From: src.Label(), Why: "to redo it"}
		a.logf(ctx, "%s", r.Message)
		return r, fmt.Errorf("migrate %s into %s: %w", src.Label(), dst.Label(), ErrInterrupted)
	case runErr != nil:
		r.Message = fmt.Sprintf("migration of %s into %s failed after %s documents copied", src.Label(), dst.Label(), thousands(copied))
		a.logf(ctx, "%s: %v", r.Message, runErr)
		return r, fmt.Errorf("migrate %s into %s: %w", src.Label(), dst.Label(), runErr)
	}
	r.Message = fmt.Sprintf("migrated %s into %s: %s", src.Label(), dst.Label(), summary)
	if srcFull {
		srcCP.Version, srcCP.ActionID, srcCP.SetAt = dst.Number, a.id, time.Time{}
		if err := h.reg.SetCheckpoint(bg, srcCP); err != nil {
			return r, fmt.Errorf("record checkpoint of %s: %w", dst.Label(), err)
		}
		a.logf(ctx, "%s takes the checkpoint of %s: a later resume reads from %s", dst.Label(), src.Label(),
			srcCP.Watermark.UTC().Format(time.RFC3339Nano))
	} else {
		r.Notes = append(r.Notes, fmt.Sprintf("%s never had a complete full update, so neither has %s", src.Label(), dst.Label()))
		r.Next = &Step{Action: "update", Target: dst.Label(), Why: "to fill it completely"}
		a.logf(ctx, "%s", r.Notes[len(r.Notes)-1])
	}
	if active != dst.Number {
		r.Next = &Step{Action: "activate", Target: dst.Label(), Why: "to serve it"}
	}
	a.logf(ctx, "%s", r.Message)
	return r, nil
}
