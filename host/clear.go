package host

import (
	"context"
	"fmt"

	"github.com/demhost/demhost/registry"
)

// ClearOptions tune Clear.
type ClearOptions struct {
	Older bool // clear every version older than the active one
}

// Clear removes all documents of a version and keeps the index. A base
// name means its active version.
func (h *Host) Clear(ctx context.Context, name string, o ClearOptions) ([]Result, error) {
	return h.eachVersion(ctx, registry.ActionClear, name, o.Older, o, h.clear)
}

// eachVersion runs one action of kind per version that name and older
// select (see olderOrNamed), under a parent action when there are several.
func (h *Host) eachVersion(ctx context.Context, kind registry.ActionKind, name string, older bool, params any,
	fn func(ctx context.Context, a *action, index string, n int) (Result, error)) ([]Result, error) {
	t, err := h.resolve(ctx, name)
	if err != nil {
		return nil, err
	}
	nums, noop, err := h.olderOrNamed(ctx, string(kind), name, t, older)
	if noop != "" {
		return []Result{{Kind: string(kind), Index: t.Index, Message: noop}}, nil
	}
	if err != nil {
		return nil, err
	}
	group := actionSpec{kind: kind, index: t.Index, params: params}
	return h.runGroup(ctx, group, len(nums), func(ctx context.Context, g *actionGroup) ([]Result, error) {
		var out []Result
		for _, n := range nums {
			spec := actionSpec{kind: kind, index: t.Index, version: n, params: params, group: g}
			r, err := h.run(ctx, spec, func(ctx context.Context, a *action) (Result, error) {
				return fn(ctx, a, t.Index, n)
			})
			out = append(out, r)
			if err != nil {
				return out, err
			}
		}
		return out, nil
	})
}

func (h *Host) clear(ctx context.Context, a *action, index string, n int) (Result, error) {
	r := Result{Index: index, Version: n}
	v, err := h.version(ctx, index, n)
	if err != nil {
		return r, err
	}
	// Forget the complete fill first: even a clear that fails halfway
	// leaves a version that a later --resume must read in full.
	if err := h.reg.DeleteCheckpoints(ctx, h.opts.Env, index, n); err != nil {
		return r, err
	}
	a.logf(ctx, "clear %s (index %s): deleting every document %s", v.Label(), v.Name, h.deletePath(ctx))
	deleted, err := h.eng.DeleteByQuery(ctx, v.Name, []byte(`{"match_all":{}}`))
	r.Counts.Deleted = deleted
	if err != nil {
		return r, fmt.Errorf("clear %s (index %s): %w", v.Label(), v.Name, err)
	}
	if err := h.eng.Refresh(context.WithoutCancel(ctx), v.Name); err != nil {
		return r, fmt.Errorf("refresh %s: %w", v.Name, err)
	}
	r.Changed = deleted > 0
	r.Message = fmt.Sprintf("cleared %s: %s documents deleted", v.Label(), thousands(deleted))
	a.logf(ctx, "%s", r.Message)
	return r, nil
}

// olderOrNamed picks the versions that clear or drop act on: every
// version older than the active one with older, else the named version,
// else (for clear only) the active version. noop explains an empty pick.
func (h *Host) olderOrNamed(ctx context.Context, verb, word string, t registry.Target, older bool) ([]int, string, error) {
	if older && t.Version != 0 {
		return nil, "", fmt.Errorf("%w: to %s the versions older than the active one, name the index %s, not the version %s",
			ErrUsage, verb, t.Index, word)
	}
	if t.Version != 0 {
		return []int{t.Version}, "", nil
	}
	vs, active, err := h.liveVersions(ctx, t.Index)
	if err != nil {
		return nil, "", err
	}
	if !older {
		if verb == "drop" {
			return nil, "", fmt.Errorf("%w: drop takes a version name such as %s-1, or an index name with the older versions", ErrUsage, t.Index)
		}
		if active == 0 {
			return nil, "", fmt.Errorf("%s has no active version; name the version to %s, such as %s-1", t.Index, verb, t.Index)
		}
		return []int{active}, "", nil
	}
	if active == 0 {
		return nil, "", fmt.Errorf("%s has no active version, so no version is older than it; name a version to %s", t.Index, verb)
	}
	var nums []int
	for _, v := range vs {
		if v.Number < active {
			nums = append(nums, v.Number)
		}
	}
	if len(nums) == 0 {
		return nil, fmt.Sprintf("no version of %s is older than the active %s; nothing to %s", t.Index, label(t.Index, active), verb), nil
	}
	return nums, "", nil
}
