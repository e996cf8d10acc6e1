package host_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/demhost/demhost/host"
	"github.com/demhost/demhost/internal/testenv"
)

// On the in-JVM Elasticsearch 8 (no reindex module: no _reindex, no
// _delete_by_query) migrate copies by scroll and bulk index requests and
// clear deletes by scrolling ids and bulk deletes, each with the exact
// count, and each action log says which path it took. On Elasticsearch
// 7.17 the same actions use the server's APIs and say so.
func TestClearAndMigrateFallbacks(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		name, url   string
		copy, clear string // what the action logs must say
	}{
		{"elasticsearch8", testenv.Elasticsearch8URL(t),
			"by scrolling the source and sending bulk index requests, since the engine has no _reindex",
			"by scrolling the ids and sending bulk deletes, since the engine has no _delete_by_query"},
		{"elasticsearch", testenv.ElasticsearchURL(t), "on the server with _reindex", "with the engine's _delete_by_query"},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			const n = 2500 // more than two scroll pages
			src := newTestSource("movies", n)
			f := newFixture(t, openEngine(t, c.url), openSQLite(t), host.BulkConfig{Workers: 2}, src)
			ctx, h := f.ctx, f.h
			f.one(h.Create(ctx, []string{"movies"}, host.CreateOptions{}))
			f.one(h.Activate(ctx, []string{"movies"}))
			f.one(h.Update(ctx, []string{"movies"}, host.UpdateOptions{}))
			f.one(h.Create(ctx, []string{"movies"}, host.CreateOptions{Force: true}))

			r := f.one(h.Migrate(ctx, "movies", host.MigrateOptions{}))
			if r.Counts.Indexed != n || f.count(f.env+"movies-2") != n {
				t.Fatalf("migrate = %+v, movies-2 holds %d; want %d copied", r, f.count(f.env+"movies-2"), n)
			}
			if log := f.action(r.ActionID).Log; !strings.Contains(log, c.copy) {
				t.Errorf("migrate log = %q, want it to say %q", log, c.copy)
			}

			r = f.one(h.Clear(ctx, "movies-2", host.ClearOptions{}))
			if r.Counts.Deleted != n || f.count(f.env+"movies-2") != 0 || f.count(f.env+"movies-1") != n {
				t.Fatalf("clear movies-2 = %+v; want %d deleted, movies-2 empty and movies-1 untouched", r, n)
			}
			if log := f.action(r.ActionID).Log; !strings.Contains(log, c.clear) {
				t.Errorf("clear log = %q, want it to say %q", log, c.clear)
			}
		})
	}
}

// A schema that names analysis the engine lacks (the in-JVM Elasticsearch
// 8 has no analysis-common) fails at create with an error that names each
// missing component and the engine, and creates no version.
func TestCreateMissingAnalysis(t *testing.T) {
	t.Parallel()
	src := newTestSource("movies", 0)
	src.settings = `{"number_of_shards":1,"analysis":{"analyzer":{"folded":{"type":"custom","tokenizer":"standard","filter":["lowercase","asciifolding"]}}}}`
	src.setMapping(`{"properties":{"title":{"type":"text","analyzer":"folded"},"plot":{"type":"text","analyzer":"english"}}}`)
	f := newFixture(t, openEngine(t, testenv.Elasticsearch8URL(t)), openSQLite(t), host.BulkConfig{}, src)
	_, err := f.h.Create(f.ctx, []string{"movies"}, host.CreateOptions{})
	var me *host.MissingAnalysisError
	if !errors.As(err, &me) {
		t.Fatalf("create = %v, want a *host.MissingAnalysisError", err)
	}
	for _, want := range []string{"movies", "elasticsearch 8.", "[asciifolding]", "[english]", "analysis-common"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not name %s", err, want)
		}
	}
	if vs, err := f.reg.Versions(f.ctx, f.env, "movies", true); err != nil || len(vs) != 0 {
		t.Errorf("versions after the refused create = %+v, %v; want none", vs, err)
	}
}
