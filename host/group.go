package host

import (
	"context"
	"strings"
	"sync"

	"github.com/demhost/demhost/registry"
)

// actionGroup is a running parent action: its children hold a pointer to it and
// add their counts as each ends, so that the parent shows running counts
// in the history while its later children still run. A nil group is "no
// parent".
type actionGroup struct {
	h  *Host
	id int64

	mu  sync.Mutex
	sum registry.Counts
}

// parentID is the id children record as their parent; 0 for no group.
func (g *actionGroup) parentID() int64 {
	if g == nil {
		return 0
	}
	return g.id
}

// childEnded adds a child's final counts and records the running sum on
// the parent; the parent's end records the final one.
func (g *actionGroup) childEnded(ctx context.Context, c registry.Counts) {
	if g == nil {
		return
	}
	g.mu.Lock()
	g.sum.Indexed += c.Indexed
	g.sum.Failed += c.Failed
	g.sum.Deleted += c.Deleted
	g.sum.Skipped += c.Skipped
	sum := g.sum
	g.mu.Unlock()
	_ = g.h.reg.Progress(ctx, g.id, sum)
}

func (g *actionGroup) counts() registry.Counts {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.sum
}

// runGroup runs fn, which records up to children actions (an update over
// several versions, drop --older, create --all...). With more than one
// child it first records a parent action of spec's kind and gives fn its
// group, so that each child records it as its parent; the parent holds no
// lock (each child takes its own), sums the children's counts (as each
// child ends, so the history shows them while the group runs) and ends
// failed or interrupted when fn returns an error. With one child or none
// fn gets a nil group and no parent is recorded.
func (h *Host) runGroup(ctx context.Context, spec actionSpec, children int, fn func(ctx context.Context, g *actionGroup) ([]Result, error)) ([]Result, error) {
	if children < 2 {
		return fn(ctx, nil)
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
		g := &actionGroup{h: h, id: a.id}
		out, err = fn(ctx, g)
		r := Result{Index: spec.index, Counts: g.counts()}
		var done []string
		for _, c := range out {
			if c.ActionID != 0 && c.ParentID == a.id {
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
