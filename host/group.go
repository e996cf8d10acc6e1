package host

import (
	"context"
	"strings"

	"github.com/demhost/demhost/registry"
)

// runGroup runs fn, which records up to children actions (an update over
// several versions, drop --older, create --all...). With more than one
// child it first records a parent action of spec's kind and gives fn its
// id, so that each child records it as its parent; the parent holds no
// lock (each child takes its own), sums the children's counts and ends
// failed or interrupted when fn returns an error. With one child or none
// fn gets parent 0 and no parent is recorded.
func (h *Host) runGroup(ctx context.Context, spec actionSpec, children int, fn func(ctx context.Context, parent int64) ([]Result, error)) ([]Result, error) {
	if children < 2 {
		return fn(ctx, 0)
	}
	spec.locks = []string{}
	spec.version = 0
	var (
		out    []Result
		err    error
		called bool
	)
	_, perr := h.run(ctx, spec, func(ctx context.Context, a *action) (Result, error) {
		called = true
		a.logf(ctx, "%s of %d targets; each is a child action", spec.kind, children)
		out, err = fn(ctx, a.id)
		r := Result{Index: spec.index}
		var done []string
		for _, c := range out {
			if c.ActionID != 0 && c.ParentID == a.id {
				r.Counts.Indexed += c.Counts.Indexed
				r.Counts.Failed += c.Counts.Failed
				r.Counts.Deleted += c.Counts.Deleted
				done = append(done, target(c.Index, c.Version))
			}
		}
		a.logf(ctx, "ran %d of %d child actions: %s", len(done), children, strings.Join(done, ", "))
		return r, err
	})
	if !called || (err == nil && perr != nil) {
		return out, perr
	}
	return out, err
}

// commonIndex is the index every target shares, or "" when they differ.
func commonIndex(targets []registry.Target) string {
	if len(targets) == 0 {
		return ""
	}
	for _, t := range targets[1:] {
		if t.Index != targets[0].Index {
			return ""
		}
	}
	return targets[0].Index
}

// target names an index or one of its versions for a log line.
func target(index string, version int) string {
	if version > 0 {
		return label(index, version)
	}
	return index
}
