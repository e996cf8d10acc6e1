package host_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/demhost/demhost/host"
	"github.com/demhost/demhost/internal/testenv"
	"github.com/demhost/demhost/registry"
)

func TestSeedFlow(t *testing.T) {
	eachEngine(t, func(t *testing.T, e testenv.Engine) {
		seedFlow(t, newFixture(t, openEngine(t, e.URL), openSQLite(t), host.BulkConfig{Workers: 3, BatchSize: 17}, newTestSource("movies", 100)))
	})
}

// TestSeedFlowPostgresTwoPrefixes runs the seed flow twice at once, with
// two prefixes, on one engine and one Postgres registry.
func TestSeedFlowPostgresTwoPrefixes(t *testing.T) {
	t.Parallel()
	dsn := testenv.PostgresDSN(t)
	url := testenv.ElasticsearchURL(t)
	reg, err := registry.Open(context.Background(), dsn)
	if err != nil {
		t.Fatalf("open registry: %v", err)
	}
	t.Cleanup(func() { reg.Close() })
	eng := openEngine(t, url)
	t.Run("group", func(t *testing.T) {
		for _, name := range []string{"a", "b"} {
			t.Run(name, func(t *testing.T) {
				t.Parallel()
				f := newFixture(t, eng, reg, host.BulkConfig{}, newTestSource("movies", 100))
				seedFlow(t, f)
				rows, err := f.h.List(f.ctx)
				if err != nil {
					t.Fatal(err)
				}
				for _, r := range rows {
					if !strings.HasPrefix(r.Physical, f.env) {
						t.Errorf("list of %s shows %s", f.env, r.Physical)
					}
				}
			})
		}
	})
}

func seedFlow(t *testing.T, f *fixture) {
	ctx, h := f.ctx, f.h
	v1, v2 := f.env+"movies-1", f.env+"movies-2"

	rows, err := h.List(ctx)
	if err != nil {
		t.Fatalf("list: %v", err)
	}
	if len(rows) != 1 || rows[0].Name != "movies" || rows[0].Status != host.StatusNotCreated {
		t.Fatalf("list before create = %+v, want one row movies not created", rows)
	}

	r := f.one(h.Create(ctx, []string{"movies"}, host.CreateOptions{}))
	if !r.Changed || r.Version != 1 || !strings.Contains(r.Message, "movies-1") {
		t.Fatalf("create = %+v, want movies-1 created", r)
	}
	r = f.one(h.Create(ctx, []string{"movies"}, host.CreateOptions{}))
	if r.Changed || !strings.Contains(r.Message, "unchanged") {
		t.Fatalf("second create = %+v, want a no-op saying the schema is unchanged", r)
	}

	r = f.one(h.Activate(ctx, []string{"movies"}))
	if !r.Changed || r.Version != 1 {
		t.Fatalf("activate = %+v", r)
	}
	if got := f.alias("movies"); len(got) != 1 || got[0] != v1 {
		t.Fatalf("alias = %v, want [%s]", got, v1)
	}

	r = f.one(h.Update(ctx, []string{"movies"}, host.UpdateOptions{}))
	if r.Counts.Indexed != 100 || r.Counts.Failed != 0 || r.Version != 1 {
		t.Fatalf("update = %+v, want 100 indexed into movies-1", r)
	}
	if n := f.count(h.Alias("movies")); n != 100 {
		t.Fatalf("alias count = %d, want 100", n)
	}

	r = f.one(h.Create(ctx, []string{"movies"}, host.CreateOptions{Force: true}))
	if !r.Changed || r.Version != 2 {
		t.Fatalf("create --force = %+v, want movies-2", r)
	}
	r = f.one(h.Update(ctx, []string{"movies"}, host.UpdateOptions{Newer: true}))
	if r.Version != 2 || r.Counts.Indexed != 100 {
		t.Fatalf("update --newer = %+v, want 100 into movies-2", r)
	}
	if got := f.alias("movies"); len(got) != 1 || got[0] != v1 {
		t.Fatalf("alias after update --newer = %v, want [%s]", got, v1)
	}
	if n := f.count(v1); n != 100 {
		t.Fatalf("movies-1 count after update --newer = %d, want 100", n)
	}

	r = f.one(h.Activate(ctx, []string{"movies"}))
	if r.Version != 2 || !r.Changed {
		t.Fatalf("activate = %+v, want movies-2", r)
	}
	if got := f.alias("movies"); len(got) != 1 || got[0] != v2 {
		t.Fatalf("alias = %v, want [%s] alone", got, v2)
	}
	r = f.one(h.Activate(ctx, []string{"movies-1"}))
	if got := f.alias("movies"); r.Version != 1 || len(got) != 1 || got[0] != v1 {
		t.Fatalf("rollback: result %+v, alias %v, want [%s]", r, got, v1)
	}
	r = f.one(h.Activate(ctx, []string{"movies-1"}))
	if r.Changed || !strings.Contains(r.Message, "already active") {
		t.Fatalf("activate of the active version = %+v, want a no-op", r)
	}
	f.one(h.Activate(ctx, []string{"movies-2"}))

	_, err = h.Drop(ctx, "movies-2", host.DropOptions{})
	if !errors.Is(err, host.ErrActiveVersion) || !strings.Contains(err.Error(), "movies-2 is the active version of movies") {
		t.Fatalf("drop of the active version: err = %v, want ErrActiveVersion naming movies-2", err)
	}
	if n := f.count(v2); n != 100 {
		t.Fatalf("movies-2 count after refused drop = %d", n)
	}
	r = f.one(h.Drop(ctx, "movies", host.DropOptions{Older: true}))
	if r.Version != 1 || !r.Changed {
		t.Fatalf("drop --older = %+v, want movies-1 dropped", r)
	}
	if ok, err := f.eng.Exists(ctx, v1); err != nil || ok {
		t.Fatalf("movies-1 exists after drop: %v, %v", ok, err)
	}

	rows, err = h.List(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 1 || rows[0].Name != "movies-2" || !rows[0].Active || !rows[0].Exists || rows[0].Docs != 100 || rows[0].CodebaseID != "test-1" {
		t.Fatalf("list at the end = %+v, want movies-2 active with 100 docs", rows)
	}

	_, err = h.Activate(ctx, []string{"nosuch"})
	if !errors.Is(err, host.ErrUnknownIndex) || !errors.Is(err, registry.ErrUnknownName) || !strings.Contains(err.Error(), "movies") {
		t.Fatalf("activate nosuch: err = %v, want an unknown-name error listing movies", err)
	}

	acts, err := h.History(ctx, "movies", 0)
	if err != nil {
		t.Fatal(err)
	}
	want := []struct {
		kind    registry.ActionKind
		version int
		status  registry.ActionStatus
		indexed int64
	}{ // newest first
		{registry.ActionDrop, 1, registry.ActionComplete, 0},
		{registry.ActionDrop, 2, registry.ActionFailed, 0},
		{registry.ActionActivate, 2, registry.ActionComplete, 0},
		{registry.ActionActivate, 1, registry.ActionComplete, 0},
		{registry.ActionActivate, 1, registry.ActionComplete, 0},
		{registry.ActionActivate, 2, registry.ActionComplete, 0},
		{registry.ActionUpdate, 2, registry.ActionComplete, 100},
		{registry.ActionCreate, 2, registry.ActionComplete, 0},
		{registry.ActionUpdate, 1, registry.ActionComplete, 100},
		{registry.ActionActivate, 1, registry.ActionComplete, 0},
		{registry.ActionCreate, 1, registry.ActionComplete, 0},
		{registry.ActionCreate, 1, registry.ActionComplete, 0},
	}
	if len(acts) != len(want) {
		t.Fatalf("history has %d actions, want %d: %+v", len(acts), len(want), acts)
	}
	for i, w := range want {
		a := acts[i]
		if a.Kind != w.kind || a.Version != w.version || a.Status != w.status || a.Indexed != w.indexed || a.Env != f.env {
			t.Errorf("history[%d] = %s v%d %s indexed %d env %q, want %s v%d %s indexed %d",
				i, a.Kind, a.Version, a.Status, a.Indexed, a.Env, w.kind, w.version, w.status, w.indexed)
		}
	}
}
