package host_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/demhost/demhost/host"
	"github.com/demhost/demhost/internal/testenv"
	"github.com/demhost/demhost/registry"
)

// action reads one action back from the registry.
func (f *fixture) action(id int64) registry.Action {
	f.t.Helper()
	a, err := f.reg.Action(f.ctx, id)
	if err != nil {
		f.t.Fatalf("read action %d: %v", id, err)
	}
	return a
}

// children checks that rs are n child actions of one parent, as recorded
// in the registry, and returns that parent.
func (f *fixture) children(rs []host.Result, n int) registry.Action {
	f.t.Helper()
	if len(rs) != n {
		f.t.Fatalf("got %d results, want %d: %+v", len(rs), n, rs)
	}
	parent := rs[0].ParentID
	if parent == 0 {
		f.t.Fatalf("results have no parent action: %+v", rs)
	}
	for _, r := range rs {
		if r.ParentID != parent {
			f.t.Fatalf("results have parents %d and %d, want one: %+v", parent, r.ParentID, rs)
		}
		if a := f.action(r.ActionID); a.ParentID != parent || a.Version != r.Version {
			f.t.Fatalf("recorded child %d has parent %d and version %d, want parent %d and version %d",
				a.ID, a.ParentID, a.Version, parent, r.Version)
		}
	}
	p := f.action(parent)
	if p.ParentID != 0 || p.Version != 0 {
		f.t.Fatalf("parent action %+v has a parent or a version", p)
	}
	return p
}

func TestGroupedActions(t *testing.T) {
	eachEngine(t, func(t *testing.T, e testenv.Engine) {
		f := newFixture(t, openEngine(t, e.URL), openSQLite(t), host.BulkConfig{Workers: 2}, newTestSource("movies", 100))
		ctx, h := f.ctx, f.h
		f.one(h.Create(ctx, []string{"movies"}, host.CreateOptions{}))
		f.one(h.Activate(ctx, []string{"movies"}))
		r := f.one(h.Update(ctx, []string{"movies"}, host.UpdateOptions{}))
		if a := f.action(r.ActionID); r.ParentID != 0 || a.ParentID != 0 {
			t.Fatalf("an update of one version has parent %d (recorded %d), want none", r.ParentID, a.ParentID)
		}
		for range 2 {
			f.one(h.Create(ctx, []string{"movies"}, host.CreateOptions{Force: true}))
		}

		// update --newer over movies-2 and movies-3: a parent and two children.
		rs, err := h.Update(ctx, []string{"movies"}, host.UpdateOptions{Newer: true})
		if err != nil {
			t.Fatalf("update --newer: %v", err)
		}
		p := f.children(rs, 2)
		if p.Kind != registry.ActionUpdate || p.Index != "movies" || p.Status != registry.ActionComplete ||
			p.Indexed != 200 || p.EndedAt == nil {
			t.Fatalf("parent = %s of %q %s indexed %d ended %v, want a complete update of movies with 200 indexed",
				p.Kind, p.Index, p.Status, p.Indexed, p.EndedAt)
		}
		acts, err := h.History(ctx, "movies", 3)
		if err != nil {
			t.Fatal(err)
		}
		if len(acts) != 3 || acts[2].ID != p.ID || acts[0].ParentID != p.ID || acts[1].ParentID != p.ID {
			t.Fatalf("history = %+v, want the two children then their parent %d", acts, p.ID)
		}

		// A child that fails makes the parent failed.
		if err := f.eng.DeleteIndices(ctx, f.env+"movies-3"); err != nil {
			t.Fatal(err)
		}
		rs, err = h.Update(ctx, []string{"movies"}, host.UpdateOptions{Newer: true})
		if err == nil || !strings.Contains(err.Error(), "movies-3") {
			t.Fatalf("update --newer with movies-3 missing: err = %v, want one naming movies-3", err)
		}
		p = f.children(rs, 2)
		if c := f.action(rs[1].ActionID); c.Status != registry.ActionFailed {
			t.Fatalf("child movies-3 is %s, want failed", c.Status)
		}
		if p.Status != registry.ActionFailed || p.Indexed != 100 || !strings.Contains(p.Error, "movies-3") {
			t.Fatalf("parent = %s indexed %d error %q, want failed with movies-2's 100 and an error naming movies-3",
				p.Status, p.Indexed, p.Error)
		}

		// clear --older and drop --older over movies-1 and movies-2.
		if _, err := h.Create(ctx, []string{"movies"}, host.CreateOptions{ESOnly: true}); err != nil {
			t.Fatal(err)
		}
		f.one(h.Activate(ctx, []string{"movies-3"}))
		rs, err = h.Clear(ctx, "movies", host.ClearOptions{Older: true})
		if err != nil {
			t.Fatalf("clear --older: %v", err)
		}
		if p := f.children(rs, 2); p.Kind != registry.ActionClear || p.Status != registry.ActionComplete || p.Deleted != 200 {
			t.Fatalf("clear parent = %s %s deleted %d, want a complete clear with 200 deleted", p.Kind, p.Status, p.Deleted)
		}
		rs, err = h.Drop(ctx, "movies", host.DropOptions{Older: true})
		if err != nil {
			t.Fatalf("drop --older: %v", err)
		}
		if p := f.children(rs, 2); p.Kind != registry.ActionDrop || p.Status != registry.ActionComplete || p.Index != "movies" {
			t.Fatalf("drop parent = %s %s of %q, want a complete drop of movies", p.Kind, p.Status, p.Index)
		}
	})
}

func TestUpdateAllSkipsInactive(t *testing.T) {
	eachEngine(t, func(t *testing.T, e testenv.Engine) {
		f := newFixture(t, openEngine(t, e.URL), openSQLite(t), host.BulkConfig{Workers: 2},
			newTestSource("movies", 100), newTestSource("shows", 30), newTestSource("songs", 5))
		ctx, h := f.ctx, f.h
		rs, err := h.Create(ctx, []string{"movies", "shows"}, host.CreateOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if p := f.children(rs, 2); p.Kind != registry.ActionCreate || p.Index != "" || p.Status != registry.ActionComplete {
			t.Fatalf("create of two indexes: parent = %s of %q %s, want a complete create of no single index", p.Kind, p.Index, p.Status)
		}
		f.one(h.Activate(ctx, []string{"movies"}))

		rs, err = h.Update(ctx, nil, host.UpdateOptions{All: true})
		if err != nil {
			t.Fatalf("update --all: %v", err)
		}
		got := map[string]host.Result{}
		for _, r := range rs {
			got[r.Index] = r
		}
		if len(rs) != 3 || got["movies"].Counts.Indexed != 100 || got["movies"].ParentID != 0 {
			t.Fatalf("update --all = %+v, want movies updated with 100, as a single action", rs)
		}
		for _, ix := range []string{"shows", "songs"} {
			r := got[ix]
			if r.Changed || r.ActionID != 0 || !strings.Contains(r.Message, ix+" has no active version") || !strings.Contains(r.Message, "skipped") ||
				r.Next == nil || r.Next.Target != ix {
				t.Errorf("update --all, %s = %+v (next %+v), want it skipped with a message and a next step", ix, r, r.Next)
			}
		}

		for _, names := range [][]string{{"shows"}, {"movies", "shows"}} {
			rs, err = h.Update(ctx, names, host.UpdateOptions{})
			if err == nil || !strings.Contains(err.Error(), "shows has no active version") || errors.Is(err, host.ErrDocumentsFailed) {
				t.Fatalf("update %v: %+v, %v; want an error saying shows has no active version", names, rs, err)
			}
			if len(rs) != 0 {
				t.Fatalf("update %v ran %+v before failing, want nothing run", names, rs)
			}
		}

		f.one(h.Activate(ctx, []string{"shows"}))
		rs, err = h.Update(ctx, nil, host.UpdateOptions{All: true})
		if err != nil {
			t.Fatalf("update --all: %v", err)
		}
		rs = rs[:2] // songs, skipped, comes last
		if p := f.children(rs, 2); p.Index != "" || p.Status != registry.ActionComplete || p.Indexed != 130 {
			t.Fatalf("update --all parent = %q %s indexed %d, want a complete update of 130 documents", p.Index, p.Status, p.Indexed)
		}
	})
}

// TestGroupParentRunningCounts checks that a parent action shows the counts
// of its children that have ended while later children still run.
func TestGroupParentRunningCounts(t *testing.T) {
	eachEngine(t, func(t *testing.T, e testenv.Engine) {
		src := newTestSource("movies", 100)
		f := newFixture(t, openEngine(t, e.URL), openSQLite(t), host.BulkConfig{Workers: 2}, src)
		ctx, h := f.ctx, f.h
		f.one(h.Create(ctx, []string{"movies"}, host.CreateOptions{}))
		f.one(h.Activate(ctx, []string{"movies"}))
		for range 2 {
			f.one(h.Create(ctx, []string{"movies"}, host.CreateOptions{Force: true}))
		}
		// Documents 1-100 go to movies-2 (the first child); the 101st is
		// the first of movies-3, when movies-2 has ended.
		var parent *registry.Action
		var readErr error
		src.onWrite = func(n int) {
			if n != 101 {
				return
			}
			acts, err := h.History(ctx, "movies", 10)
			if err != nil {
				readErr = err
				return
			}
			for _, a := range acts {
				if a.Kind == registry.ActionUpdate && a.ParentID == 0 && a.Status == registry.ActionInProgress {
					parent = &a
				}
			}
		}
		rs, err := h.Update(ctx, []string{"movies-2", "movies-3"}, host.UpdateOptions{})
		if err != nil {
			t.Fatalf("update movies-2 movies-3: %v", err)
		}
		p := f.children(rs, 2)
		if readErr != nil || parent == nil {
			t.Fatalf("no running parent update seen during movies-3 (history error %v)", readErr)
		}
		if parent.ID != p.ID || parent.Indexed != 100 {
			t.Errorf("running parent %d showed %d indexed, want parent %d with movies-2's 100", parent.ID, parent.Indexed, p.ID)
		}
		if p.Indexed != 200 {
			t.Errorf("parent ended with %d indexed, want 200", p.Indexed)
		}
	})
}
