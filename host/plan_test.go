package host_test

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/demhost/demhost/host"
	"github.com/demhost/demhost/host/engine"
	"github.com/demhost/demhost/internal/testenv"
	"github.com/demhost/demhost/registry"
)

// plan plans one index and returns its plan.
func plan(t *testing.T, h *host.Host, index string) host.IndexPlan {
	t.Helper()
	ps, err := h.Plan(testenv.Context(t), []string{index}, false)
	if err != nil {
		t.Fatalf("plan %s: %v", index, err)
	}
	if len(ps) != 1 {
		t.Fatalf("plan %s = %d plans, want 1", index, len(ps))
	}
	return ps[0]
}

// fieldOf reads one field's definition from the live mapping of index.
func fieldOf(t *testing.T, eng engine.Engine, index, field string) map[string]any {
	t.Helper()
	raw, err := eng.GetMapping(testenv.Context(t), index)
	if err != nil {
		t.Fatal(err)
	}
	var m struct {
		Properties map[string]map[string]any `json:"properties"`
	}
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatal(err)
	}
	return m.Properties[field]
}

const inPlaceMapping = `{"properties":{"title":{"type":"text","fields":{"raw":{"type":"keyword","ignore_above":128}}},` +
	`"year":{"type":"integer"},"updated":{"type":"date"},"genre":{"type":"keyword"}}}`

func TestPlanAndApplyInPlace(t *testing.T) {
	eachEngine(t, func(t *testing.T, e testenv.Engine) {
		for _, reg := range []struct {
			name string
			open func(t *testing.T) *registry.Registry
		}{{"sqlite", openSQLite}, {"postgres", openPostgres}} {
			t.Run(reg.name, func(t *testing.T) {
				t.Parallel()
				testPlanAndApplyInPlace(t, openEngine(t, e.URL), reg.open(t))
			})
		}
	})
}

func openPostgres(t *testing.T) *registry.Registry {
	t.Helper()
	dsn, _ := testenv.PostgresSchema(t)
	reg, err := registry.Open(testenv.Context(t), dsn)
	if err != nil {
		t.Fatalf("open registry: %v", err)
	}
	t.Cleanup(func() { reg.Close() })
	return reg
}

func testPlanAndApplyInPlace(t *testing.T, eng engine.Engine, reg *registry.Registry) {
	f, src := loaded(t, eng, reg, 20)
	if p := plan(t, f.h, "movies"); p.Kind != host.PlanNoChange || p.Active != 1 || p.ActiveName != "movies-1" || len(p.Changes) != 0 {
		t.Fatalf("plan of an unchanged index = %+v, want no change on movies-1", p)
	}
	src.setMapping(inPlaceMapping)
	src.settings = `{"number_of_shards":1,"number_of_replicas":0,"refresh_interval":"5s"}`
	f.reopen(src)
	h := f.h
	p := plan(t, h, "movies")
	if p.Kind != host.PlanInPlace || p.Kind.String() != "in place" {
		t.Fatalf("plan = %+v, want in place", p)
	}
	want := map[string]string{"title.raw": "new sub-field", "genre": "new field", "settings.index.refresh_interval": "setting"}
	for _, c := range p.Changes {
		if want[c.Path] != c.What || c.Breaking || c.Reason == "" {
			t.Errorf("change %+v, want one of %v, in place, with a reason", c, want)
		}
		delete(want, c.Path)
	}
	if len(want) > 0 {
		t.Errorf("plan lacks changes %v: %+v", want, p.Changes)
	}
	r, err := h.ApplyInPlace(f.ctx, p)
	if err != nil {
		t.Fatalf("apply in place: %v", err)
	}
	if !r.Changed || r.Kind != string(registry.ActionUpdateSchema) || r.Version != 1 || !strings.Contains(r.Message, "movies-1") {
		t.Errorf("result = %+v, want a changed update-schema of movies-1", r)
	}
	// The index really changed, and kept its documents.
	if g := fieldOf(t, eng, f.env+"movies-1", "genre"); g["type"] != "keyword" {
		t.Errorf("genre in the live mapping = %v, want keyword", g)
	}
	set, err := eng.GetSettings(f.ctx, f.env+"movies-1")
	if err != nil || set["index.refresh_interval"] != "5s" {
		t.Errorf("refresh_interval = %q (%v), want 5s", set["index.refresh_interval"], err)
	}
	if n := f.count(f.h.Alias("movies")); n != 20 {
		t.Errorf("alias holds %d documents after an in-place update, want 20", n)
	}
	// The registry records the new schema on the version.
	v, err := reg.Version(f.ctx, f.env, "movies", 1)
	if err != nil || v.Hash != p.Hash {
		t.Errorf("movies-1 hash = %s (%v), want the plan's %s", v.Hash, err, p.Hash)
	}
	if again := plan(t, h, "movies"); again.Kind != host.PlanNoChange {
		t.Errorf("plan after apply = %+v, want no change", again)
	}
	// create sees the schema as the latest version's.
	if cr := f.one(h.Create(f.ctx, []string{"movies"}, host.CreateOptions{})); cr.Changed {
		t.Errorf("create after an in-place update = %+v, want nothing created", cr)
	}
	acts, err := h.History(f.ctx, "movies", 10)
	if err != nil {
		t.Fatal(err)
	}
	var found bool
	for _, a := range acts {
		if a.Kind == registry.ActionUpdateSchema {
			found = a.Status == registry.ActionComplete && a.Version == 1 && strings.Contains(a.Log, "genre")
		}
	}
	if !found {
		t.Errorf("history has no complete update-schema action on movies-1 logging its changes: %+v", acts)
	}
}

func TestPlanNewVersion(t *testing.T) {
	eachEngine(t, func(t *testing.T, e testenv.Engine) {
		eng := openEngine(t, e.URL)
		f, src := loaded(t, eng, openSQLite(t), 5)
		src.setMapping(`{"properties":{"title":{"type":"keyword"},"year":{"type":"integer"},"updated":{"type":"date"},"genre":{"type":"keyword"}}}`)
		src.settings = `{"number_of_shards":2,"number_of_replicas":0}`
		f.reopen(src)
		h := f.h
		p := plan(t, h, "movies")
		if p.Kind != host.PlanNewVersion || p.Kind.String() != "new version" {
			t.Fatalf("plan = %+v, want new version", p)
		}
		breaking := map[string]bool{}
		for _, c := range p.Changes {
			if c.Breaking {
				breaking[c.Path+" "+c.What] = c.Reason != ""
			}
		}
		if !breaking["title type"] || !breaking["settings.index.number_of_shards shards"] || len(breaking) != 2 {
			t.Errorf("breaking changes = %v, want the title type and the shard count, with reasons: %+v", breaking, p.Changes)
		}
		if _, err := h.ApplyInPlace(f.ctx, p); !errors.Is(err, host.ErrUsage) {
			t.Errorf("ApplyInPlace of a new-version plan = %v, want ErrUsage", err)
		}
	})
}

func TestPlanWithoutActiveVersion(t *testing.T) {
	eng := openEngine(t, testenv.ElasticsearchURL(t))
	t.Parallel()
	src := newTestSource("movies", 1)
	f := newFixture(t, eng, openSQLite(t), host.BulkConfig{}, src)
	p := plan(t, f.h, "movies")
	if p.Kind != host.PlanNewVersion || len(p.Changes) != 1 || !strings.Contains(p.Changes[0].Reason, "no version yet") {
		t.Errorf("plan before any create = %+v, want a new version because there is none", p)
	}
	f.one(f.h.Create(f.ctx, []string{"movies"}, host.CreateOptions{}))
	p = plan(t, f.h, "movies")
	if p.Kind != host.PlanNewVersion || p.Latest != 1 || !strings.Contains(p.Changes[0].Reason, "no active version") {
		t.Errorf("plan with an inactive movies-1 = %+v, want a new version naming movies-1", p)
	}
	ps, err := f.h.Plan(f.ctx, nil, true)
	if err != nil || len(ps) != 1 || ps[0].Index != "movies" {
		t.Errorf("plan --all = %+v, %v; want movies", ps, err)
	}
	if _, err := f.h.Plan(f.ctx, []string{"nosuch"}, false); !errors.Is(err, host.ErrUnknownIndex) || !strings.Contains(err.Error(), "movies") {
		t.Errorf("plan of an unknown name = %v, want ErrUnknownIndex listing movies", err)
	}
	if _, err := f.h.Plan(f.ctx, []string{"movies-1"}, false); !errors.Is(err, host.ErrUsage) {
		t.Errorf("plan of a version = %v, want ErrUsage", err)
	}
	if _, err := f.h.Plan(f.ctx, nil, false); !errors.Is(err, host.ErrUsage) {
		t.Errorf("plan of nothing = %v, want ErrUsage", err)
	}
	// An active version whose index is gone needs a new version.
	f.one(f.h.Activate(f.ctx, []string{"movies"}))
	if p := plan(t, f.h, "movies"); p.Kind != host.PlanNoChange {
		t.Errorf("plan of an active, unchanged movies-1 = %+v, want no change", p)
	}
	if err := eng.DeleteIndices(f.ctx, f.env+"movies-1"); err != nil {
		t.Fatal(err)
	}
	if p := plan(t, f.h, "movies"); p.Kind != host.PlanNewVersion || len(p.Changes) != 1 || p.Changes[0].What != "missing index" {
		t.Errorf("plan with movies-1's index gone = %+v, want a new version for the missing index", p)
	}
}

// TestApplyInPlaceRefused: the engine refuses an in-place change (here a
// new field beyond the index's field limit, set on the index by hand);
// the action fails with the engine's reason and the registry keeps the
// schema it had.
func TestApplyInPlaceRefused(t *testing.T) {
	eachEngine(t, func(t *testing.T, e testenv.Engine) {
		eng := openEngine(t, e.URL)
		reg := openSQLite(t)
		f, src := loaded(t, eng, reg, 5)
		before, err := reg.Version(f.ctx, f.env, "movies", 1)
		if err != nil {
			t.Fatal(err)
		}
		if err := eng.PutSettings(f.ctx, before.Name, []byte(`{"index.mapping.total_fields.limit":3}`)); err != nil {
			t.Fatal(err)
		}
		src.setMapping(`{"properties":{"title":{"type":"text"},"year":{"type":"integer"},"updated":{"type":"date"},"genre":{"type":"keyword"}}}`)
		f.reopen(src)
		h := f.h
		p := plan(t, h, "movies")
		if p.Kind != host.PlanInPlace {
			t.Fatalf("plan = %+v, want in place", p)
		}
		r, err := h.ApplyInPlace(f.ctx, p)
		var ee *engine.Error
		if !errors.As(err, &ee) || !errors.Is(err, engine.ErrRejected) || !strings.Contains(err.Error(), "movies-1") ||
			!strings.Contains(strings.ToLower(err.Error()), "limit") {
			t.Fatalf("apply = %v, want the engine's refusal naming movies-1 and the limit", err)
		}
		after, err := reg.Version(f.ctx, f.env, "movies", 1)
		if err != nil || after.Hash != before.Hash || string(after.Schema) != string(before.Schema) {
			t.Errorf("movies-1 after a refused update: hash %s (%v), want %s unchanged", after.Hash, err, before.Hash)
		}
		a, err := reg.Action(f.ctx, r.ActionID)
		if err != nil || a.Status != registry.ActionFailed || !strings.Contains(strings.ToLower(a.Error), "limit") {
			t.Errorf("action %d = %+v (%v), want failed with the engine's reason", r.ActionID, a, err)
		}
		if g := fieldOf(t, eng, before.Name, "genre"); g != nil {
			t.Errorf("genre is in the live mapping after a refusal: %v", g)
		}
	})
}

// TestApplyInPlaceStale: a plan made before the index changed is not
// applied.
func TestApplyInPlaceStale(t *testing.T) {
	eng := openEngine(t, testenv.OpenSearchURL(t))
	t.Parallel()
	f, src := loaded(t, eng, openSQLite(t), 3)
	src.setMapping(inPlaceMapping)
	f.reopen(src)
	h := f.h
	p := plan(t, h, "movies")
	if _, err := h.ApplyInPlace(f.ctx, p); err != nil {
		t.Fatal(err)
	}
	var stale *host.StalePlanError
	if _, err := h.ApplyInPlace(context.WithoutCancel(f.ctx), p); !errors.As(err, &stale) {
		t.Errorf("second apply of one plan = %v, want a *StalePlanError", err)
	}
}
