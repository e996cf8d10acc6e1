package host

import (
	"context"
	"strings"
	"sync"

	"github.com/demhost/demhost/registry"
)

// groupCounts sums, per running parent action, the counts of its children
// that have ended, so a parent shows running counts in the history while
// its later children still run.
type groupCounts struct {
	mu   sync.Mutex
	sums map[int64]*registry.Counts
}

func (g *groupCounts) open(parent int64) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.sums == nil {
		g.sums = map[int64]*registry.Counts{}
	}
	g.sums[parent] = &registry.Counts{}
}

// close ends a group and returns the summed counts of its children.
func (g *groupCounts) close(parent int64) registry.Counts {
	g.mu.Lock()
	defer g.mu.Unlock()
	var sum registry.Counts
	if s, ok := g.sums[parent]; ok {
		sum = *s
	}
	delete(g.sums, parent)
	return sum
}

// add adds a child's final counts to its parent's sum and returns the new
// sum; ok is false when the parent is not a group under way.
func (g *groupCounts) add(parent int64, c registry.Counts) (sum registry.Counts, ok bool) {
	g.mu.Lock()
	defer g.mu.Unlock()
	s, ok := g.sums[parent]
	if !ok {
		return registry.Counts{}, false
	}
	s.Indexed += c.Indexed
	s.Failed += c.Failed
	s.Deleted += c.Deleted
	s.Skipped += c.Skipped
	return *s, true
}

// childEnded records a child's counts in its running parent.
func (h *Host) childEnded(ctx context.Context, parent int64, c registry.Counts) {
	if parent == 0 {
		return
	}
	if sum, ok := h.groups.add(parent, c); ok {
		_ = h.reg.Progress(ctx, parent, sum) // running figures; the parent's end records the final ones
	}
}

// runGroup runs fn, which records up to children actions (an update over
// several versions, drop --older, create --all...). With more than one
// child it first records a parent action of spec's kind and gives fn its
// id, so that each child records it as its parent; the parent holds no
// lock (each child takes its own), sums the children's counts (as each
// child ends, so the history shows them while the group runs) and ends
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
		h.groups.open(a.id)
		out, err = fn(ctx, a.id)
		r := Result{Index: spec.index, Counts: h.groups.close(a.id)}
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
