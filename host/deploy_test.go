package host_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/demhost/demhost/host"
	"github.com/demhost/demhost/internal/testenv"
	sdk "github.com/demhost/demhost/plugin-sdk"
	"github.com/demhost/demhost/plugins/sqltable/sqltable"
	"github.com/demhost/demhost/registry"
)

// countedSource is the test source with a count, off by extra from what
// it streams (a source whose count the gate should refuse).
type countedSource struct {
	*testSource
	extra int64
}

func (s *countedSource) Count(_ context.Context, req *sdk.CountRequest) (*sdk.CountResponse, error) {
	if req.Index != s.index {
		return nil, sdk.ErrUnknownIndex
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	var n int64
	for _, d := range s.docs {
		if !d.del {
			n++
		}
	}
	return &sdk.CountResponse{Count: n + s.extra}, nil
}

// yearTypes are mappings of the test source that differ only in the type
// of "year": each is a new version to the plan.
var yearTypes = []string{"integer", "long", "keyword", "short", "double"}

func yearMapping(typ string) string {
	return fmt.Sprintf(`{"properties":{"title":{"type":"text"},"year":{"type":%q},"updated":{"type":"date"}}}`, typ)
}

// postgresRegistry opens a registry in a schema of its own in the test Postgres.
func postgresRegistry(t *testing.T) *registry.Registry {
	t.Helper()
	dsn, _ := testenv.PostgresSchema(t)
	reg, err := registry.Open(context.Background(), dsn)
	if err != nil {
		t.Fatalf("open registry: %v", err)
	}
	t.Cleanup(func() { reg.Close() })
	return reg
}

// steps returns the step names of results, in order.
func steps(rs []host.Result) []string {
	var out []string
	for _, r := range rs {
		if r.Step != "" {
			out = append(out, r.Step)
		}
	}
	return out
}

// TestDeploySchemaChange deploys a first version and then a type change
// (a new version), on both engines, with a Postgres registry and with
// SQLite: each ends active with exactly the source's documents, recorded
// as a deploy with one child per step; a deploy with nothing to change
// does nothing.
func TestDeploySchemaChange(t *testing.T) {
	eachEngine(t, func(t *testing.T, e testenv.Engine) {
		for name, open := range map[string]func(*testing.T) *registry.Registry{"postgres": postgresRegistry, "sqlite": openSQLite} {
			t.Run(name, func(t *testing.T) {
				t.Parallel()
				src := &countedSource{testSource: newTestSource("movies", 500)}
				f := newFixture(t, openEngine(t, e.URL), open(t), host.BulkConfig{Workers: 2, BatchSize: 50}, src)
				o := host.DeployOptions{Config: host.DeployConfig{Gate: host.GateConfig{Probes: []host.Probe{
					{Name: "films", Query: json.RawMessage(`{"match":{"title":"film"}}`), MinHits: 500},
					{Name: "of another index", Index: "books", Query: json.RawMessage(`{"match":{"title":"film"}}`), MinHits: 1e9}}}}}
				rs, err := f.h.Deploy(f.ctx, []string{"movies"}, o)
				if err != nil {
					t.Fatalf("first deploy: %v", err)
				}
				want := []string{"create", "fill", "catch-up", "gate", "restore", "activate", "final catch-up", "retain"}
				if got := steps(rs); strings.Join(got, ",") != strings.Join(want, ",") {
					t.Fatalf("steps %v, want %v", got, want)
				}
				last := rs[len(rs)-1]
				if last.Kind != "deploy" || last.Version != 1 || !last.Changed {
					t.Fatalf("deploy result %+v", last)
				}
				for _, r := range rs[:len(rs)-1] {
					if r.ParentID != last.ActionID {
						t.Errorf("step %s has parent %d, want the deploy %d", r.Step, r.ParentID, last.ActionID)
					}
				}
				if !strings.Contains(rs[3].Message, "count: 500 in the index, 500 in the source") || !strings.Contains(rs[3].Message, `probe "films": 500 hits`) {
					t.Errorf("gate said %q", rs[3].Message)
				}

				rs, err = f.h.Deploy(f.ctx, []string{"movies"}, o)
				if err != nil || len(rs) != 1 || rs[0].Changed || !strings.Contains(rs[0].Message, "nothing to deploy") {
					t.Fatalf("deploy of an unchanged schema: %+v, %v", rs, err)
				}

				src.add(25, time.Now())
				src.setMapping(yearMapping("keyword"))
				f.reopen(src)
				rs, err = f.h.Deploy(f.ctx, []string{"movies"}, o)
				if err != nil {
					t.Fatalf("deploy of a type change: %v", err)
				}
				if last := rs[len(rs)-1]; last.Version != 2 || !strings.Contains(last.Message, "replacing movies-1") {
					t.Fatalf("deploy result %+v", last)
				}
				if got := f.alias("movies"); len(got) != 1 || got[0] != f.env+"movies-2" {
					t.Fatalf("alias points at %v, want %smovies-2 alone", got, f.env)
				}
				if n := f.count(f.h.Alias("movies")); n != 525 {
					t.Errorf("the active version holds %d documents, want exactly 525", n)
				}
				kids, err := f.reg.Children(f.ctx, rs[len(rs)-1].ActionID)
				if err != nil || len(kids) != 8 {
					t.Fatalf("the deploy has %d children (%v), want 8", len(kids), err)
				}
				for _, k := range kids {
					if k.Status != registry.ActionComplete {
						t.Errorf("step %s (%s) ended %s", k.Params, k.Kind, k.Status)
					}
				}
			})
		}
	})
}

// TestDeployGateFails checks both gates: a count off by more than the
// tolerance, and a probe with too few hits. The old version stays active,
// the error is a *GateError with the figures, and a resume, once the
// cause is gone, completes from the gate.
func TestDeployGateFails(t *testing.T) {
	eachEngine(t, func(t *testing.T, e testenv.Engine) {
		src := &countedSource{testSource: newTestSource("movies", 200)}
		f := newFixture(t, openEngine(t, e.URL), postgresRegistry(t), host.BulkConfig{Workers: 2}, src)
		if _, err := f.h.Deploy(f.ctx, []string{"movies"}, host.DeployOptions{}); err != nil {
			t.Fatalf("first deploy: %v", err)
		}
		src.setMapping(yearMapping("keyword"))
		f.reopen(src)

		// The source says 203; the index gets 200; 1% of 203 allows 2.
		src.extra = 3
		o := host.DeployOptions{Config: host.DeployConfig{Gate: host.GateConfig{Tolerance: 0.01}}}
		rs, err := f.h.Deploy(f.ctx, []string{"movies"}, o)
		var ge *host.GateError
		if !errors.As(err, &ge) || len(ge.Checks) != 1 || ge.Checks[0].Gate != "count" || ge.Checks[0].Got != 200 ||
			ge.Checks[0].Want != 203 || ge.Checks[0].Allowed != 2 {
			t.Fatalf("deploy with a short count: %v (%+v)", err, ge)
		}
		var de *host.DeployError
		if !errors.As(err, &de) || de.Step != "gate" || de.Version != 2 {
			t.Errorf("error %v is not a *DeployError at the gate of movies-2", err)
		}
		for _, want := range []string{"movies-2 failed the gate count: 200 in the index, 203 in the source, tolerance 0.01 (2 documents); movies-1 stays active"} {
			if !strings.Contains(err.Error(), want) {
				t.Errorf("error %q does not say %q", err, want)
			}
		}
		if got := steps(rs); got[len(got)-1] != "gate" {
			t.Errorf("steps %v, want the gate last", got)
		}
		if got := f.alias("movies"); len(got) != 1 || got[0] != f.env+"movies-1" {
			t.Fatalf("after a failed gate the alias points at %v, want %smovies-1", got, f.env)
		}

		// A probe with too few hits fails too; count and probe are both named.
		o.Config.Gate.Probes = []host.Probe{{Name: "aliens", Query: json.RawMessage(`{"match":{"title":"alien"}}`), MinHits: 1}}
		o.Resume = true
		_, err = f.h.Deploy(f.ctx, []string{"movies"}, o)
		if !errors.As(err, &ge) || len(ge.Checks) != 2 || !strings.Contains(err.Error(), `gate probe "aliens": 0 hits, at least 1 wanted`) ||
			!strings.Contains(err.Error(), "gate count: 200 in the index, 203") {
			t.Fatalf("deploy with a failing probe: %v", err)
		}

		// Fixed: the resume continues from the catch-up before the gate.
		src.extra = 0
		o.Config.Gate.Probes = nil
		rs, err = f.h.Deploy(f.ctx, []string{"movies"}, o)
		if err != nil {
			t.Fatalf("resumed deploy: %v", err)
		}
		if got := steps(rs); got[0] != "catch-up" || rs[len(rs)-1].Version != 2 {
			t.Errorf("resume ran steps %v into %+v; want from the catch-up, into movies-2", got, rs[len(rs)-1])
		}
		if got := f.alias("movies"); len(got) != 1 || got[0] != f.env+"movies-2" {
			t.Fatalf("after the resume the alias points at %v", got)
		}
	})
}

// TestDeployRetain drops exactly the versions beyond retain: never the
// active one nor the one it replaced, even when that one is old (a
// rollback had activated it).
func TestDeployRetain(t *testing.T) {
	t.Parallel()
	src := &countedSource{testSource: newTestSource("movies", 20)}
	f := newFixture(t, openEngine(t, testenv.ElasticsearchURL(t)), postgresRegistry(t), host.BulkConfig{Workers: 1}, src)
	deploy := func(typ string, retain int) []host.Result {
		t.Helper()
		src.setMapping(yearMapping(typ))
		f.reopen(src)
		rs, err := f.h.Deploy(f.ctx, []string{"movies"}, host.DeployOptions{Config: host.DeployConfig{Retain: retain}})
		if err != nil {
			t.Fatalf("deploy %s: %v", typ, err)
		}
		if len(rs) < 2 {
			t.Fatalf("deploy %s did not deploy a new version: %+v", typ, rs)
		}
		return rs
	}
	deploy(yearTypes[0], 0) // movies-1
	deploy(yearTypes[1], 0) // movies-2
	deploy(yearTypes[2], 0) // movies-3
	// Roll back to movies-1; the next deploy replaces it.
	f.one(f.h.Activate(f.ctx, []string{"movies-1"}))
	rs := deploy(yearTypes[3], 1) // movies-4; keeps 4 (newest) and 1 (previous)
	if msg := rs[len(rs)-2].Message; !strings.Contains(msg, "dropped movies-2, movies-3") {
		t.Errorf("retain said %q", msg)
	}
	vs, err := f.reg.Versions(f.ctx, f.env, "movies", false)
	if err != nil {
		t.Fatal(err)
	}
	var live []int
	for _, v := range vs {
		live = append(live, v.Number)
	}
	if fmt.Sprint(live) != "[1 4]" {
		t.Errorf("live versions %v, want [1 4]", live)
	}
	for _, n := range []int{2, 3} {
		if ok, _ := f.eng.Exists(f.ctx, fmt.Sprintf("%smovies-%d", f.env, n)); ok {
			t.Errorf("movies-%d still exists in the cluster", n)
		}
	}
	rs = deploy(yearTypes[4], 1) // movies-5; previous 4; drops 1
	if msg := rs[len(rs)-2].Message; !strings.Contains(msg, "dropped movies-1") {
		t.Errorf("retain said %q", msg)
	}
}

// writeDuring is a source that runs once, after the first batch of the
// first stream, a function that writes to the source's table.
type writeDuring struct {
	*sdk.Local
	once  sync.Once
	write func()
}

func (w *writeDuring) Stream(ctx context.Context, req *sdk.StreamRequest, fn func(*sdk.Batch) error) error {
	return w.Local.Stream(ctx, req, func(b *sdk.Batch) error {
		if err := fn(b); err != nil {
			return err
		}
		w.once.Do(w.write)
		return nil
	})
}

// TestDeployCatchesUpWritesDuringFill deploys from sqltable on a real
// Postgres table while rows are updated, inserted and soft-deleted during
// the fill: the catch-up reads them from the fill's watermark, and the
// version ends active with the table's exact count and its latest rows.
func TestDeployCatchesUpWritesDuringFill(t *testing.T) {
	eachEngine(t, func(t *testing.T, e testenv.Engine) {
		ctx := testenv.Context(t)
		dsn, schema := testenv.PostgresSchema(t)
		conn, err := pgx.Connect(ctx, dsn)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close(context.Background())
		exec := func(sql string) {
			t.Helper()
			if _, err := conn.Exec(ctx, sql); err != nil {
				t.Errorf("%s: %v", sql, err)
			}
		}
		exec("CREATE TABLE " + schema + ".books (id int PRIMARY KEY, status text NOT NULL, gone boolean NOT NULL DEFAULT false, updated_at timestamptz NOT NULL)")
		exec("INSERT INTO " + schema + ".books SELECT g, 'old', false, now() - interval '1 day' FROM generate_series(1, 3000) g")

		local := sdk.NewLocal("sqltable", sqltable.New())
		cfg, _ := json.Marshal(map[string]any{"dsn": dsn, "table": schema + ".books", "id_column": "id",
			"updated_at_column": "updated_at", "deleted_column": "gone", "page_size": 100})
		if _, err := local.Configure(ctx, &sdk.ConfigureRequest{Config: cfg}); err != nil {
			t.Fatal(err)
		}
		wconn, err := pgx.Connect(ctx, dsn)
		if err != nil {
			t.Fatal(err)
		}
		defer wconn.Close(context.Background())
		src := &writeDuring{Local: local, write: func() {
			for _, sql := range []string{
				"UPDATE " + schema + ".books SET status = 'new', updated_at = now() WHERE id <= 50",
				"UPDATE " + schema + ".books SET gone = true, updated_at = now() WHERE id BETWEEN 51 AND 60",
				"INSERT INTO " + schema + ".books SELECT g, 'added', false, now() FROM generate_series(3001, 3020) g",
			} {
				if _, err := wconn.Exec(ctx, sql); err != nil {
					t.Errorf("%s: %v", sql, err)
				}
			}
		}}
		eng := openEngine(t, e.URL)
		env := randomPrefix(t)
		h, err := host.New(ctx, host.Options{Env: env, Registry: postgresRegistry(t), Engine: eng, Sources: []host.Source{src},
			Bulk: host.BulkConfig{Workers: 1, BatchSize: 100}, ResumeOverlap: -1})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { cleanupPrefix(t, eng, env) })
		rs, err := h.Deploy(ctx, []string{"books"}, host.DeployOptions{})
		if err != nil {
			t.Fatalf("deploy: %v", err)
		}
		var catchup host.Result
		for _, r := range rs {
			if r.Step == "catch-up" {
				catchup = r
			}
		}
		if catchup.Counts.Indexed < 50 || catchup.Counts.Deleted < 10 {
			t.Errorf("the catch-up indexed %d and deleted %d; want the 50 updated rows (and the added ones) and the 10 deleted",
				catchup.Counts.Indexed, catchup.Counts.Deleted)
		}
		f := &fixture{t: t, ctx: ctx, h: h, eng: eng, env: env}
		if n := f.count(h.Alias("books")); n != 3010 {
			t.Errorf("the active version holds %d documents, want exactly 3010 (3000 + 20 added - 10 deleted)", n)
		}
		for id, want := range map[string]string{"7": "new", "3010": "added", "100": "old"} {
			if got := statusIn(t, e.URL, h.Alias("books"), id); got != want {
				t.Errorf("document %s has status %q, want %q", id, got, want)
			}
		}
	})
}

// TestDeployInPlaceAndFromActive: a new field is applied in place on the
// active version (no new version), and a type change with FromActive is
// filled by a server-side copy of the active version.
func TestDeployInPlaceAndFromActive(t *testing.T) {
	t.Parallel()
	src := &countedSource{testSource: newTestSource("movies", 120)}
	f := newFixture(t, openEngine(t, testenv.ElasticsearchURL(t)), postgresRegistry(t), host.BulkConfig{Workers: 2}, src)
	if _, err := f.h.Deploy(f.ctx, []string{"movies"}, host.DeployOptions{All: false}); err != nil {
		t.Fatalf("first deploy: %v", err)
	}

	src.setMapping(`{"properties":{"title":{"type":"text"},"year":{"type":"integer"},"updated":{"type":"date"},"rating":{"type":"keyword"}}}`)
	f.reopen(src)
	rs, err := f.h.Deploy(f.ctx, nil, host.DeployOptions{All: true})
	if err != nil || len(rs) != 1 || rs[0].Kind != string(registry.ActionUpdateSchema) || rs[0].Version != 1 {
		t.Fatalf("deploy of a new field: %+v, %v; want one in-place update of movies-1", rs, err)
	}
	if vs, _ := f.reg.Versions(f.ctx, f.env, "movies", false); len(vs) != 1 {
		t.Fatalf("an in-place deploy made %d versions, want 1", len(vs))
	}

	src.setMapping(`{"properties":{"title":{"type":"text"},"year":{"type":"keyword"},"updated":{"type":"date"},"rating":{"type":"keyword"}}}`)
	f.reopen(src)
	rs, err = f.h.Deploy(f.ctx, []string{"movies"}, host.DeployOptions{FromActive: true})
	if err != nil {
		t.Fatalf("deploy --from-active: %v", err)
	}
	if rs[1].Step != "fill" || rs[1].Kind != string(registry.ActionMigrate) || rs[1].Counts.Indexed != 120 {
		t.Errorf("the fill of deploy --from-active: %+v, want a migrate of 120 documents", rs[1])
	}
	if got := f.alias("movies"); len(got) != 1 || got[0] != f.env+"movies-2" {
		t.Fatalf("alias points at %v, want %smovies-2", got, f.env)
	}
	if n := f.count(f.h.Alias("movies")); n != 120 {
		t.Errorf("movies-2 holds %d documents, want 120", n)
	}
}

// TestConcurrentDeploys runs two deploys of one schema change at once, as
// two CI jobs would: one builds the new version; the other waits for the
// lock, finds the schema deployed and does nothing.
func TestConcurrentDeploys(t *testing.T) {
	t.Parallel()
	src := &countedSource{testSource: newTestSource("movies", 300)}
	f := newFixture(t, openEngine(t, testenv.ElasticsearchURL(t)), postgresRegistry(t), host.BulkConfig{Workers: 2}, src)
	other, err := host.New(f.ctx, host.Options{Env: f.env, Registry: f.reg, Engine: f.eng, Sources: []host.Source{sdk.NewLocal("test", src)}})
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	results := make([][]host.Result, 2)
	errs := make([]error, 2)
	for i, h := range []*host.Host{f.h, other} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			results[i], errs[i] = h.Deploy(f.ctx, []string{"movies"}, host.DeployOptions{})
		}()
	}
	wg.Wait()
	built, idle := 0, 0
	for i := range 2 {
		if errs[i] != nil {
			t.Fatalf("deploy %d: %v", i, errs[i])
		}
		last := results[i][len(results[i])-1]
		switch {
		case len(results[i]) == 9 && last.Version == 1:
			built++
		case len(results[i]) == 1 && strings.Contains(last.Message, "nothing to deploy"):
			idle++
		default:
			t.Errorf("deploy %d: %+v", i, results[i])
		}
	}
	if built != 1 || idle != 1 {
		t.Errorf("%d deploys built a version and %d did nothing; want 1 and 1", built, idle)
	}
	if vs, _ := f.reg.Versions(f.ctx, f.env, "movies", false); len(vs) != 1 {
		t.Errorf("two deploys of one schema made %d versions, want 1", len(vs))
	}
}

// TestDeployWaitsForHealth: a new version that cannot turn green (a
// replica on a one-node cluster) stops the deploy at its restore step,
// before the alias moves, with the host's *UnhealthyError; the old
// version stays active.
func TestDeployWaitsForHealth(t *testing.T) {
	t.Parallel()
	src := &countedSource{testSource: newTestSource("movies", 50)}
	eng := openEngine(t, testenv.ElasticsearchURL(t))
	f := newFixture(t, eng, postgresRegistry(t), host.BulkConfig{Workers: 1}, src)
	if _, err := f.h.Deploy(f.ctx, []string{"movies"}, host.DeployOptions{}); err != nil {
		t.Fatalf("first deploy: %v", err)
	}
	src.mu.Lock()
	src.settings = `{"number_of_shards":1,"number_of_replicas":1}`
	src.mu.Unlock()
	src.setMapping(yearMapping("keyword")) // a new version, not an in-place replicas change
	h, err := host.New(f.ctx, host.Options{Env: f.env, Registry: f.reg, Engine: eng, Sources: []host.Source{sdk.NewLocal("test", src)},
		Health: host.HealthConfig{WaitForStatus: host.WaitGreen, Timeout: 2 * time.Second}})
	if err != nil {
		t.Fatal(err)
	}
	_, err = h.Deploy(f.ctx, []string{"movies"}, host.DeployOptions{})
	var de *host.DeployError
	var sick *host.UnhealthyError
	if !errors.As(err, &de) || de.Step != "restore" || !errors.As(err, &sick) {
		t.Fatalf("deploy of a version that cannot be green: %v; want a *DeployError at restore wrapping *UnhealthyError", err)
	}
	if !strings.Contains(err.Error(), "movies-1 is active") {
		t.Errorf("error %q does not say movies-1 stays active", err)
	}
	if got := f.alias("movies"); len(got) != 1 || got[0] != f.env+"movies-1" {
		t.Fatalf("alias points at %v, want %smovies-1", got, f.env)
	}
}
