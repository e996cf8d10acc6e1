package host_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/demhost/demhost/host"
	"github.com/demhost/demhost/internal/testenv"
	sdk "github.com/demhost/demhost/plugin-sdk"
	"github.com/demhost/demhost/registry"
)

// loadSettings returns the refresh interval and replicas of a physical index.
func (f *fixture) loadSettings(physical string) (string, string) {
	f.t.Helper()
	s, err := f.eng.GetSettings(context.Background(), physical)
	if err != nil {
		f.t.Fatalf("get settings of %s: %v", physical, err)
	}
	return s["index.refresh_interval"], s["index.number_of_replicas"]
}

// reopen replaces the fixture's host with a new one on the same prefix,
// registry and engine, so that the sources are described again (a host
// reads its sources' schemas once, when it starts).
func (f *fixture) reopen(srcs ...sdk.Source) {
	f.t.Helper()
	var sources []host.Source
	for _, s := range srcs {
		l := sdk.NewLocal("test", s)
		if _, err := l.Configure(f.ctx, &sdk.ConfigureRequest{}); err != nil {
			f.t.Fatal(err)
		}
		sources = append(sources, l)
	}
	h, err := host.New(f.ctx, host.Options{Env: f.env, CodebaseID: "test-2", Registry: f.reg, Engine: f.eng, Sources: sources})
	if err != nil {
		f.t.Fatalf("new host: %v", err)
	}
	f.h = h
}

// TestMigrate fills a forced new version with a new mapping from the
// active one, then a third version from an older one with --from.
func TestMigrate(t *testing.T) {
	eachEngine(t, func(t *testing.T, e testenv.Engine) {
		src := newTestSource("movies", 120)
		src.settings = `{"number_of_shards":1,"number_of_replicas":1,"refresh_interval":"7s"}`
		f := newFixture(t, openEngine(t, e.URL), openSQLite(t), host.BulkConfig{Workers: 2}, src)
		ctx, h := f.ctx, f.h
		v1, v2, v3 := f.env+"movies-1", f.env+"movies-2", f.env+"movies-3"
		f.one(h.Create(ctx, []string{"movies"}, host.CreateOptions{}))
		f.one(h.Activate(ctx, []string{"movies"}))
		f.one(h.Update(ctx, []string{"movies"}, host.UpdateOptions{}))
		src.setMapping(`{"properties":{"title":{"type":"keyword"},"year":{"type":"integer"},"updated":{"type":"date"}}}`)
		f.reopen(src)
		h = f.h
		f.one(h.Create(ctx, []string{"movies"}, host.CreateOptions{}))

		r := f.one(h.Migrate(ctx, "movies", host.MigrateOptions{}))
		if r.Kind != "migrate" || r.Version != 2 || r.Counts.Indexed != 120 || !r.Changed {
			t.Fatalf("migrate movies = %+v, want 120 documents copied into version 2", r)
		}
		if !strings.Contains(r.Message, "migrated movies-1 into movies-2") || r.Next == nil || r.Next.Action != "activate" || r.Next.Target != "movies-2" {
			t.Errorf("message = %q, next %+v; want it to name both versions and the next step, activating movies-2", r.Message, r.Next)
		}
		if n := f.count(v2); n != 120 {
			t.Errorf("movies-2 count = %d, want 120", n)
		}
		if n := f.count(v1); n != 120 {
			t.Errorf("movies-1 count = %d, want it untouched at 120", n)
		}
		if got := f.alias("movies"); len(got) != 1 || got[0] != v1 {
			t.Errorf("alias = %v, want it still on %s", got, v1)
		}
		if ri, rep := f.loadSettings(v2); ri != "7s" || rep != "1" {
			t.Errorf("movies-2 settings after = %s, %s; want 7s and 1 restored", ri, rep)
		}
		a := f.action(r.ActionID)
		if a.Kind != registry.ActionMigrate || a.Version != 2 || a.Status != registry.ActionComplete ||
			a.Counts.Indexed != 120 || !strings.Contains(string(a.Params), `"movies-1"`) {
			t.Errorf("recorded action = %+v, want a complete migrate of version 2 from movies-1 with 120 indexed", a)
		}

		// Activate movies-2 and give it more documents than movies-1;
		// --from then copies the older movies-1, not the active one.
		f.one(h.Activate(ctx, []string{"movies"}))
		src.add(30, time.Now())
		f.one(h.Update(ctx, []string{"movies"}, host.UpdateOptions{}))
		f.one(h.Create(ctx, []string{"movies"}, host.CreateOptions{Force: true}))
		r = f.one(h.Migrate(ctx, "movies-3", host.MigrateOptions{From: "movies-1"}))
		if r.Version != 3 || r.Counts.Indexed != 120 {
			t.Fatalf("migrate movies-3 --from movies-1 = %+v, want 120 documents into version 3", r)
		}
		if n, active := f.count(v3), f.count(v2); n != 120 || active != 150 {
			t.Errorf("counts: movies-3 = %d, movies-2 = %d; want 120 and 150", n, active)
		}
	})
}

// TestMigrateDocumentsFail copies into a version whose mapping rejects
// every document: the action fails with the engine's reason, and the
// load settings are restored.
func TestMigrateDocumentsFail(t *testing.T) {
	eachEngine(t, func(t *testing.T, e testenv.Engine) {
		src := newTestSource("movies", 20)
		src.settings = `{"number_of_shards":1,"number_of_replicas":1,"refresh_interval":"7s"}`
		f := newFixture(t, openEngine(t, e.URL), openSQLite(t), host.BulkConfig{Workers: 2}, src)
		ctx, h := f.ctx, f.h
		f.one(h.Create(ctx, []string{"movies"}, host.CreateOptions{}))
		f.one(h.Activate(ctx, []string{"movies"}))
		f.one(h.Update(ctx, []string{"movies"}, host.UpdateOptions{}))
		src.setMapping(`{"properties":{"title":{"type":"integer"}}}`)
		f.reopen(src)
		h = f.h
		f.one(h.Create(ctx, []string{"movies"}, host.CreateOptions{}))

		rs, err := h.Migrate(ctx, "movies", host.MigrateOptions{})
		if err == nil || errors.Is(err, host.ErrUsage) || !strings.Contains(err.Error(), "title") {
			t.Fatalf("err = %v, want a failure naming the field the engine rejected", err)
		}
		if len(rs) != 1 || rs[0].ActionID == 0 {
			t.Fatalf("results = %+v, want the recorded action", rs)
		}
		if !strings.Contains(rs[0].Message, "failed after 0 documents copied") {
			t.Errorf("message = %q, want how many documents were copied before the failure", rs[0].Message)
		}
		a := f.action(rs[0].ActionID)
		if a.Kind != registry.ActionMigrate || a.Status != registry.ActionFailed || !strings.Contains(a.Error, "title") {
			t.Errorf("recorded action = %+v, want a failed migrate with the engine's reason", a)
		}
		if ri, rep := f.loadSettings(f.env + "movies-2"); ri != "7s" || rep != "1" {
			t.Errorf("movies-2 settings after the failure = %s, %s; want 7s and 1 restored", ri, rep)
		}
	})
}

// TestMigrateRefuses checks every request Migrate refuses before it
// records anything.
func TestMigrateRefuses(t *testing.T) {
	eachEngine(t, func(t *testing.T, e testenv.Engine) {
		f := newFixture(t, openEngine(t, e.URL), openSQLite(t), host.BulkConfig{Workers: 2},
			newTestSource("movies", 10), newTestSource("books", 10))
		ctx, h := f.ctx, f.h
		// movies-1 active; movies-2 dropped; movies-3 missing in the
		// cluster; books-1 and books-2 with none active.
		f.one(h.Create(ctx, []string{"movies"}, host.CreateOptions{}))
		f.one(h.Activate(ctx, []string{"movies"}))
		f.one(h.Create(ctx, []string{"movies"}, host.CreateOptions{Force: true}))
		f.one(h.Drop(ctx, "movies-2", host.DropOptions{}))
		f.one(h.Create(ctx, []string{"movies"}, host.CreateOptions{Force: true}))
		if err := f.eng.DeleteIndices(ctx, f.env+"movies-3"); err != nil {
			t.Fatal(err)
		}
		f.one(h.Create(ctx, []string{"books"}, host.CreateOptions{}))
		f.one(h.Create(ctx, []string{"books"}, host.CreateOptions{Force: true}))
		before, err := h.History(ctx, "", 100)
		if err != nil {
			t.Fatal(err)
		}

		for _, c := range []struct {
			name, from, want string
		}{
			{"movies-1", "", "movies-1 is both the source and the target"},
			{"movies-1", "movies-1", "movies-1 is both the source and the target"},
			{"books", "", "books has no active version"},
			{"books-2", "movies-1", "movies-1 is a version of movies, not of books"},
			{"movies-1", "movies", "the source of a migration is a version"},
			{"movies-2", "", "movies-2 was dropped"},
			{"movies-1", "movies-2", "movies-2 was dropped"},
			{"movies", "", "movies-3 is missing in the cluster"},
			{"movies-1", "movies-3", "movies-3 is missing in the cluster"},
		} {
			rs, err := h.Migrate(ctx, c.name, host.MigrateOptions{From: c.from})
			if !errors.Is(err, host.ErrUsage) || !strings.Contains(err.Error(), c.want) || len(rs) != 0 {
				t.Errorf("migrate %s --from %q: %v, %+v; want ErrUsage saying %q", c.name, c.from, err, rs, c.want)
			}
		}
		after, err := h.History(ctx, "", 100)
		if err != nil {
			t.Fatal(err)
		}
		if len(after) != len(before) {
			t.Errorf("refused migrations recorded %d actions, want none", len(after)-len(before))
		}
	})
}
