package host_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/demhost/demhost/host"
	"github.com/demhost/demhost/host/engine"
	"github.com/demhost/demhost/internal/testenv"
	sdk "github.com/demhost/demhost/plugin-sdk"
	"github.com/demhost/demhost/registry"
)

// loaded builds a fixture whose movies-1 is created, active and filled.
func loaded(t *testing.T, eng engine.Engine, reg *registry.Registry, n int) (*fixture, *testSource) {
	src := newTestSource("movies", n)
	f := newFixture(t, eng, reg, host.BulkConfig{Workers: 2}, src)
	f.one(f.h.Create(f.ctx, []string{"movies"}, host.CreateOptions{}))
	f.one(f.h.Activate(f.ctx, []string{"movies"}))
	f.one(f.h.Update(f.ctx, []string{"movies"}, host.UpdateOptions{}))
	return f, src
}

func TestResetStaysInsideItsPrefix(t *testing.T) {
	eachEngine(t, func(t *testing.T, e testenv.Engine) {
		eng := openEngine(t, e.URL)
		reg := openSQLite(t)
		a, _ := loaded(t, eng, reg, 30)
		b, _ := loaded(t, eng, reg, 40)
		// A name that starts like a's prefix but is not under it.
		near := strings.TrimSuffix(a.env, "_") + "x_movies-1"
		if err := eng.CreateIndex(a.ctx, near, []byte(`{}`)); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { eng.DeleteIndices(context.Background(), near) })
		// Another environment whose prefix starts with a's (a.env+"eu_").
		nested := a.env + "eu_movies-1"
		if err := eng.CreateIndex(a.ctx, nested, []byte(`{}`)); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { eng.DeleteIndices(context.Background(), nested) })

		r, err := a.h.Reset(a.ctx, host.ResetOptions{})
		if err != nil || !r.Changed {
			t.Fatalf("reset = %+v, %v", r, err)
		}
		if ok, _ := eng.Exists(a.ctx, a.env+"movies-1"); ok {
			t.Errorf("%smovies-1 survived the reset", a.env)
		}
		if n := b.count(b.h.Alias("movies")); n != 40 {
			t.Errorf("the other prefix's index has %d documents after the reset, want 40", n)
		}
		if ok, _ := eng.Exists(a.ctx, near); !ok {
			t.Errorf("%s, outside the prefix, was deleted", near)
		}
		if ok, _ := eng.Exists(a.ctx, nested); !ok {
			t.Errorf("%s, another environment's index under a longer prefix, was deleted", nested)
		}
		if !strings.Contains(r.Message, nested) {
			t.Errorf("reset message %q does not say it left %s alone", r.Message, nested)
		}
		rows, err := a.h.List(a.ctx)
		if err != nil || len(rows) != 1 || rows[0].Status != host.StatusNotCreated {
			t.Errorf("list after reset = %+v, %v; want movies not created", rows, err)
		}
		if rows, _ := b.h.List(b.ctx); len(rows) != 1 || !rows[0].Active || rows[0].Docs != 40 {
			t.Errorf("other prefix's list after reset = %+v", rows)
		}
		acts, err := a.h.History(a.ctx, "", 0)
		if err != nil || len(acts) != 1 || acts[0].Kind != registry.ActionReset || acts[0].Status != registry.ActionComplete {
			t.Errorf("history after reset = %+v, %v; want only the reset", acts, err)
		}
		// Version numbers are never reused.
		if r := a.one(a.h.Create(a.ctx, []string{"movies"}, host.CreateOptions{})); r.Version != 2 {
			t.Errorf("create after reset made version %d, want 2", r.Version)
		}
	})
}

func TestResetESOnlyRecreates(t *testing.T) {
	t.Parallel()
	f, _ := loaded(t, openEngine(t, testenv.ElasticsearchURL(t)), openSQLite(t), 25)
	r, err := f.h.Reset(f.ctx, host.ResetOptions{ESOnly: true})
	if err != nil {
		t.Fatalf("reset --es-only: %v", err)
	}
	if n := f.count(f.h.Alias("movies")); n != 0 {
		t.Fatalf("alias count after reset --es-only = %d, want 0 (recreated empty)", n)
	}
	if got := f.alias("movies"); len(got) != 1 || got[0] != f.env+"movies-1" {
		t.Fatalf("alias after reset --es-only = %v", got)
	}
	if !strings.Contains(r.Message, "recreated 1") {
		t.Errorf("message = %q", r.Message)
	}
	r2 := f.one(f.h.Update(f.ctx, []string{"movies"}, host.UpdateOptions{}))
	if r2.Counts.Indexed != 25 {
		t.Fatalf("update after reset --es-only = %+v", r2)
	}
}

func TestResetRefusesEmptyPrefix(t *testing.T) {
	t.Parallel()
	eng := openEngine(t, testenv.ElasticsearchURL(t))
	h, err := host.New(testenv.Context(t), host.Options{Registry: openSQLite(t), Engine: eng})
	if err != nil {
		t.Fatal(err)
	}
	_, err = h.Reset(testenv.Context(t), host.ResetOptions{})
	if !errors.Is(err, host.ErrUsage) || !strings.Contains(err.Error(), "prefix") {
		t.Fatalf("reset with no prefix: err = %v, want ErrUsage naming the prefix", err)
	}
}

func TestClearAndESOnly(t *testing.T) {
	eachEngine(t, func(t *testing.T, e testenv.Engine) {
		f, _ := loaded(t, openEngine(t, e.URL), openSQLite(t), 30)
		ctx, h := f.ctx, f.h
		r := f.one(h.Clear(ctx, "movies", host.ClearOptions{}))
		if r.Counts.Deleted != 30 || r.Version != 1 {
			t.Fatalf("clear = %+v, want 30 deleted from movies-1", r)
		}
		if n := f.count(h.Alias("movies")); n != 0 {
			t.Fatalf("count after clear = %d", n)
		}
		r = f.one(h.Drop(ctx, "movies-1", host.DropOptions{ESOnly: true, Force: true}))
		if !r.Changed {
			t.Fatalf("drop --es-only = %+v", r)
		}
		rows, err := h.List(ctx)
		if err != nil || len(rows) != 1 || rows[0].Exists || !rows[0].Active {
			t.Fatalf("list after drop --es-only = %+v, %v; want movies-1 registered, active, missing", rows, err)
		}
		r = f.one(h.Create(ctx, []string{"movies"}, host.CreateOptions{ESOnly: true}))
		if !r.Changed || !strings.Contains(r.Message, "movies-1") {
			t.Fatalf("create --es-only = %+v", r)
		}
		if got := f.alias("movies"); len(got) != 1 || got[0] != f.env+"movies-1" {
			t.Fatalf("alias after create --es-only = %v", got)
		}
		r = f.one(h.Create(ctx, []string{"movies"}, host.CreateOptions{ESOnly: true}))
		if r.Changed {
			t.Fatalf("second create --es-only = %+v, want a no-op", r)
		}
	})
}

func TestCreateRejectedMapping(t *testing.T) {
	eachEngine(t, func(t *testing.T, e testenv.Engine) {
		src := newTestSource("movies", 1)
		src.setMapping(`{"properties":{"title":{"type":"no_such_type"}}}`)
		f := newFixture(t, openEngine(t, e.URL), openSQLite(t), host.BulkConfig{}, src)
		_, err := f.h.Create(f.ctx, []string{"movies"}, host.CreateOptions{})
		if err == nil || !strings.Contains(err.Error(), "movies-1") || !strings.Contains(err.Error(), "no_such_type") {
			t.Fatalf("err = %v, want the version and the engine's reason", err)
		}
		rows, err := f.h.List(f.ctx)
		if err != nil || len(rows) != 1 || rows[0].Status != string(registry.VersionFailed) {
			t.Fatalf("list = %+v, %v; want movies-1 failed", rows, err)
		}
		if _, err := f.h.Activate(f.ctx, []string{"movies"}); err == nil {
			t.Fatal("activating an index whose only version failed succeeded")
		}
	})
}

func TestNewRejects(t *testing.T) {
	t.Parallel()
	eng := openEngine(t, testenv.ElasticsearchURL(t))
	reg := openSQLite(t)
	local := func(name string, s sdk.Source) host.Source { return sdk.NewLocal(name, s) }
	tests := []struct {
		name string
		opts host.Options
		want string
	}{
		{"no registry", host.Options{Engine: eng}, "registry"},
		{"no engine", host.Options{Registry: reg}, "engine"},
		{"bad prefix", host.Options{Registry: reg, Engine: eng, Env: "Qa1_"}, "lower case"},
		{"prefix with a star", host.Options{Registry: reg, Engine: eng, Env: "qa*"}, "'*'"},
		{"prefix starting with _", host.Options{Registry: reg, Engine: eng, Env: "_qa"}, "start"},
		{"unknown wait status", host.Options{Registry: reg, Engine: eng, Health: host.HealthConfig{WaitForStatus: "blue"}}, `"blue"`},
		{"one index from two sources", host.Options{Registry: reg, Engine: eng, Sources: []host.Source{
			local("first", newTestSource("movies", 1)), local("second", newTestSource("movies", 1))}}, "first and second"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := host.New(context.Background(), tt.opts)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v, want one containing %q", err, tt.want)
			}
		})
	}
}
