package host

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/demhost/demhost/host/engine"
	"github.com/demhost/demhost/registry"
)

// ResetOptions tune Reset.
type ResetOptions struct {
	ESOnly bool // delete in the cluster only, then recreate registered versions
	// AllowEmptyPrefix lets Reset run with no environment prefix, where it
	// deletes every index of the cluster except dot-indices.
	AllowEmptyPrefix bool
}

// deleteChunk bounds the names in one delete request (URL length).
const deleteChunk = 50

// Reset deletes every index and alias under the prefix and the
// environment's registry rows. It never touches names outside the prefix,
// nor dot-indices. It refuses an empty prefix unless AllowEmptyPrefix.
func (h *Host) Reset(ctx context.Context, o ResetOptions) (Result, error) {
	env := h.opts.Env
	if env == "" && !o.AllowEmptyPrefix {
		return Result{}, fmt.Errorf("%w: refusing to reset with no environment prefix, which would delete every index of the cluster; set an environment prefix", ErrUsage)
	}
	idxs, err := h.reg.Indexes(ctx, env)
	if err != nil {
		return Result{}, fmt.Errorf("list indexes: %w", err)
	}
	lockSet := map[string]bool{}
	for _, n := range h.names {
		lockSet[n] = true
	}
	for _, ix := range idxs {
		lockSet[ix.Name] = true
	}
	locks := make([]string, 0, len(lockSet))
	for n := range lockSet {
		locks = append(locks, n)
	}
	sort.Strings(locks) // one order everywhere, so two resets cannot deadlock
	spec := actionSpec{kind: registry.ActionReset, params: o, locks: locks}
	return h.run(ctx, spec, func(ctx context.Context, a *action) (Result, error) {
		return h.reset(ctx, a, o, lockSet)
	})
}

// ownedBy reports whether a physical index name belongs to env: it must be
// env + a known base name + "-" + a version number. Anything else under
// the prefix may belong to another environment whose prefix starts with
// this one (qa_ and qa_eu_), so a reset leaves it alone.
func ownedBy(env, name string, bases map[string]bool) bool {
	if strings.HasPrefix(name, ".") || !strings.HasPrefix(name, env) {
		return false
	}
	base, _, ok := registry.ParseVersionName(name[len(env):])
	return ok && bases[base]
}

func (h *Host) reset(ctx context.Context, a *action, o ResetOptions, bases map[string]bool) (Result, error) {
	env := h.opts.Env
	var r Result
	stats, err := h.eng.ListIndices(ctx, env)
	if err != nil {
		return r, fmt.Errorf("list indices under %s: %w", quoteEnv(env), err)
	}
	var names, foreign []string
	for _, s := range stats {
		switch {
		case ownedBy(env, s.Name, bases):
			names = append(names, s.Name)
		case strings.HasPrefix(s.Name, env) && !strings.HasPrefix(s.Name, "."):
			foreign = append(foreign, s.Name)
		}
	}
	sort.Strings(names)
	sort.Strings(foreign)
	if err := h.deleteIndices(ctx, names); err != nil {
		return r, err
	}
	for _, n := range names {
		a.logf(ctx, "deleted index %s", n)
	}
	for _, n := range foreign {
		a.logf(ctx, "left %s alone: it starts with %s but is not a version of this environment's indexes (another environment's prefix may start with this one)", n, quoteEnv(env))
	}
	r.Changed = len(names) > 0
	if !o.ESOnly {
		if err := h.reg.ResetEnv(context.WithoutCancel(ctx), env); err != nil {
			return r, fmt.Errorf("reset registry rows of %s: %w", quoteEnv(env), err)
		}
		r.Message = fmt.Sprintf("reset environment %s: deleted %d indices and the registry's versions, actions and checkpoints", quoteEnv(env), len(names))
		if len(foreign) > 0 {
			r.Message += fmt.Sprintf("; left %d indices that start with the prefix but are not this environment's: %s", len(foreign), joinNames(foreign))
		}
		return r, nil
	}
	idxs, err := h.reg.Indexes(ctx, env)
	if err != nil {
		return r, fmt.Errorf("list indexes: %w", err)
	}
	made := 0
	for _, ix := range idxs {
		vs, err := h.reg.Versions(ctx, env, ix.Name, false)
		if err != nil {
			return r, fmt.Errorf("list versions of %s: %w", ix.Name, err)
		}
		for _, v := range vs {
			if v.Status == registry.VersionFailed {
				continue
			}
			if err := h.createPhysical(ctx, v); err != nil {
				return r, err
			}
			made++
			a.logf(ctx, "recreated %s (index %s) from its stored schema", v.Label(), v.Name)
			if v.Number == ix.Active {
				if err := h.pointAlias(ctx, ix.Name, v.Name); err != nil {
					return r, err
				}
			}
		}
	}
	r.Changed = r.Changed || made > 0
	r.Message = fmt.Sprintf("reset environment %s in the cluster: deleted %d indices, recreated %d registered versions empty, with their aliases",
		quoteEnv(env), len(names), made)
	return r, nil
}

// deleteIndices deletes indices by explicit name, a few per request; one
// that vanished meanwhile is not an error.
func (h *Host) deleteIndices(ctx context.Context, names []string) error {
	for len(names) > 0 {
		chunk := names[:min(deleteChunk, len(names))]
		names = names[len(chunk):]
		err := h.eng.DeleteIndices(ctx, chunk...)
		if errors.Is(err, engine.ErrNotFound) {
			for _, n := range chunk {
				if err := h.eng.DeleteIndices(ctx, n); err != nil && !errors.Is(err, engine.ErrNotFound) {
					return fmt.Errorf("delete index %s: %w", n, err)
				}
			}
			continue
		}
		if err != nil {
			return fmt.Errorf("delete indices %s: %w", joinNames(chunk), err)
		}
	}
	return nil
}
