package registry_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/demhost/demhost/internal/testenv"
	"github.com/demhost/demhost/registry"
)

func testActions(t *testing.T, fresh func(t *testing.T) string) {
	ctx := testenv.Context(t)
	r := open(t, fresh(t))
	env := uniqueEnv(t)
	start := time.Date(2024, 5, 6, 7, 8, 9, 123456000, time.UTC)
	id, err := r.StartAction(ctx, registry.Action{Env: env, Index: "movies", Kind: registry.ActionUpdate,
		StartedAt: start, Argv: []string{"demhost", "update", "movies"}, CodebaseID: "abc",
		Params: json.RawMessage(`{"workers":4}`), ParentID: 7})
	if err != nil {
		t.Fatal(err)
	}
	a, err := r.Action(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	if a.Status != registry.ActionQueued || !a.StartedAt.Equal(start) || a.EndedAt != nil || a.Host == "" ||
		a.User == "" || a.ParentID != 7 || !slices.Equal(a.Argv, []string{"demhost", "update", "movies"}) ||
		string(a.Params) != `{"workers":4}` || a.CodebaseID != "abc" {
		t.Errorf("started action %+v", a)
	}
	for _, step := range []error{
		r.SetActionStatus(ctx, id, registry.ActionInProgress),
		r.UpdateActionVersion(ctx, id, 3),
		r.AppendLog(ctx, id, "first"),
		r.AppendLog(ctx, id, "second"),
		r.FinishAction(ctx, id, registry.ActionFailed, registry.Counts{Indexed: 10, Failed: 2, Deleted: 1}, "boom"),
	} {
		if step != nil {
			t.Fatal(step)
		}
	}
	a, err = r.Action(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	if a.Status != registry.ActionFailed || a.Version != 3 || a.Log != "first\nsecond\n" || a.Error != "boom" ||
		a.Counts != (registry.Counts{Indexed: 10, Failed: 2, Deleted: 1}) || a.EndedAt == nil || a.EndedAt.Before(a.StartedAt) {
		t.Errorf("finished action %+v", a)
	}

	bad := []struct {
		name string
		err  error
	}{
		{"start with a final status", func() error {
			_, err := r.StartAction(ctx, registry.Action{Env: env, Kind: registry.ActionDrop, Status: registry.ActionComplete})
			return err
		}()},
		{"start with invalid params", func() error {
			_, err := r.StartAction(ctx, registry.Action{Env: env, Kind: registry.ActionDrop, Params: json.RawMessage(`{`)})
			return err
		}()},
		{"start without kind", func() error { _, err := r.StartAction(ctx, registry.Action{Env: env}); return err }()},
		{"finish as in_progress", r.FinishAction(ctx, id, registry.ActionInProgress, registry.Counts{}, "")},
		{"set a final status", r.SetActionStatus(ctx, id, registry.ActionComplete)},
	}
	for _, tc := range bad {
		if tc.err == nil {
			t.Errorf("%s: no error", tc.name)
		}
	}
	for name, err := range map[string]error{
		"Action":              func() error { _, err := r.Action(ctx, 1<<40); return err }(),
		"Progress":            r.Progress(ctx, 1<<40, registry.Counts{}),
		"AppendLog":           r.AppendLog(ctx, 1<<40, "x"),
		"FinishAction":        r.FinishAction(ctx, 1<<40, registry.ActionComplete, registry.Counts{}, ""),
		"SetActionStatus":     r.SetActionStatus(ctx, 1<<40, registry.ActionInProgress),
		"UpdateActionVersion": r.UpdateActionVersion(ctx, 1<<40, 1),
	} {
		if !errors.Is(err, registry.ErrNotFound) {
			t.Errorf("%s of an unknown action: %v, want ErrNotFound", name, err)
		}
	}
}

func testProgressSeenByOtherConnection(t *testing.T, fresh func(t *testing.T) string) {
	ctx := testenv.Context(t)
	dsn := fresh(t)
	writer, reader := open(t, dsn), open(t, dsn)
	env := uniqueEnv(t)
	id, err := writer.StartAction(ctx, registry.Action{Env: env, Index: "movies", Kind: registry.ActionUpdate,
		Status: registry.ActionInProgress})
	if err != nil {
		t.Fatal(err)
	}
	for i := int64(1); i <= 3; i++ {
		c := registry.Counts{Indexed: 100 * i, Failed: i}
		if err := writer.Progress(ctx, id, c); err != nil {
			t.Fatal(err)
		}
		if err := writer.AppendLog(ctx, id, fmt.Sprint("batch ", i)); err != nil {
			t.Fatal(err)
		}
		h, err := reader.History(ctx, registry.ActionFilter{Env: env, Index: "movies"})
		if err != nil {
			t.Fatal(err)
		}
		if len(h) != 1 || h[0].Counts != c || h[0].Status != registry.ActionInProgress {
			t.Fatalf("reader sees %+v, want counts %+v in progress", h, c)
		}
	}
	if err := writer.FinishAction(ctx, id, registry.ActionComplete, registry.Counts{Indexed: 300}, ""); err != nil {
		t.Fatal(err)
	}
	a, err := reader.Action(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	if a.Status != registry.ActionComplete || a.Log != "batch 1\nbatch 2\nbatch 3\n" {
		t.Errorf("reader sees %+v", a)
	}
}

func testHistory(t *testing.T, fresh func(t *testing.T) string) {
	ctx := testenv.Context(t)
	r := open(t, fresh(t))
	env := uniqueEnv(t)
	var ids []int64
	for i := range 5 {
		ix := "movies"
		if i%2 == 1 {
			ix = "books"
		}
		id, err := r.StartAction(ctx, registry.Action{Env: env, Index: ix, Kind: registry.ActionCreate})
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, id)
	}
	tests := []struct {
		f    registry.ActionFilter
		want []int64
	}{
		{registry.ActionFilter{Env: env}, []int64{ids[4], ids[3], ids[2], ids[1], ids[0]}},
		{registry.ActionFilter{Env: env, Index: "books"}, []int64{ids[3], ids[1]}},
		{registry.ActionFilter{Env: env, Limit: 2}, []int64{ids[4], ids[3]}},
		{registry.ActionFilter{Env: env, Index: "none"}, nil},
		{registry.ActionFilter{Env: uniqueEnv(t)}, nil},
	}
	for _, tc := range tests {
		h, err := r.History(ctx, tc.f)
		if err != nil {
			t.Fatal(err)
		}
		var got []int64
		for _, a := range h {
			got = append(got, a.ID)
		}
		if !slices.Equal(got, tc.want) {
			t.Errorf("History(%+v) = %v, want %v", tc.f, got, tc.want)
		}
	}
}

func testCheckpoints(t *testing.T, fresh func(t *testing.T) string) {
	ctx := testenv.Context(t)
	r := open(t, fresh(t))
	env, other := uniqueEnv(t), uniqueEnv(t)
	if _, ok, err := r.GetCheckpoint(ctx, env, "movies", 1, "films"); ok || err != nil {
		t.Fatalf("checkpoint before any: ok %v, err %v", ok, err)
	}
	w1 := time.Date(2024, 1, 2, 3, 4, 5, 678901000, time.FixedZone("x", 3600))
	w2 := w1.Add(time.Hour)
	for _, c := range []registry.Checkpoint{
		{Env: env, Index: "movies", Version: 1, Source: "films", Watermark: w1},
		{Env: env, Index: "movies", Version: 1, Source: "films", Watermark: w2},
		{Env: env, Index: "movies", Version: 2, Source: "films", Watermark: w1},
		{Env: other, Index: "movies", Version: 1, Source: "films", Watermark: w1},
	} {
		if err := r.SetCheckpoint(ctx, c); err != nil {
			t.Fatal(err)
		}
	}
	c, ok, err := r.GetCheckpoint(ctx, env, "movies", 1, "films")
	if err != nil || !ok || !c.Watermark.Equal(w2) || c.Source != "films" || c.Version != 1 {
		t.Errorf("checkpoint = %+v, %v, %v; want watermark %v", c, ok, err, w2)
	}
	if err := r.ResetEnv(ctx, env); err != nil {
		t.Fatal(err)
	}
	if _, ok, _ := r.GetCheckpoint(ctx, env, "movies", 1, "films"); ok {
		t.Error("checkpoint survived the reset")
	}
	if _, ok, _ := r.GetCheckpoint(ctx, other, "movies", 1, "films"); !ok {
		t.Error("resetting one environment removed another's checkpoint")
	}
}

func testResetEnv(t *testing.T, fresh func(t *testing.T) string) {
	ctx := testenv.Context(t)
	r := open(t, fresh(t))
	env := uniqueEnv(t)
	if _, err := r.CreateVersion(ctx, env, "movies", []byte(schemaA), ""); err != nil {
		t.Fatal(err)
	}
	done, _ := r.StartAction(ctx, registry.Action{Env: env, Index: "movies", Kind: registry.ActionCreate})
	if err := r.FinishAction(ctx, done, registry.ActionComplete, registry.Counts{}, ""); err != nil {
		t.Fatal(err)
	}
	running, _ := r.StartAction(ctx, registry.Action{Env: env, Kind: registry.ActionReset, Status: registry.ActionInProgress})
	if err := r.ResetEnv(ctx, env); err != nil {
		t.Fatal(err)
	}
	if _, err := r.Action(ctx, done); !errors.Is(err, registry.ErrNotFound) {
		t.Errorf("finished action after reset: %v, want ErrNotFound", err)
	}
	if err := r.FinishAction(ctx, running, registry.ActionComplete, registry.Counts{}, ""); err != nil {
		t.Errorf("the running reset action cannot finish: %v", err)
	}
	if vs, _ := r.Versions(ctx, env, "movies", true); len(vs) != 0 {
		t.Errorf("versions after reset: %v", vs)
	}
}

func testConcurrentMigration(t *testing.T, fresh func(t *testing.T) string) {
	ctx := testenv.Context(t)
	dsn := fresh(t)
	const n = 6
	regs := make([]*registry.Registry, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() { regs[i], errs[i] = registry.Open(ctx, dsn) })
	}
	wg.Wait()
	for _, r := range regs {
		if r != nil {
			defer r.Close()
		}
	}
	if err := errors.Join(errs...); err != nil {
		t.Fatalf("concurrent opens of a fresh database: %v", err)
	}
	env := uniqueEnv(t)
	for i, r := range regs {
		v, err := r.CreateVersion(ctx, env, "movies", []byte(schemaA), "")
		if err != nil || v.Number != i+1 {
			t.Errorf("registry %d: version %d, %v", i, v.Number, err)
		}
	}
}

func testSchemaTooNew(t *testing.T, fresh func(t *testing.T) string) {
	ctx := testenv.Context(t)
	dsn := fresh(t)
	open(t, dsn)
	rawExec(t, dsn, "INSERT INTO schema_version (version, applied_at) VALUES (999, 'future')")
	r, err := registry.Open(ctx, dsn)
	if err == nil {
		r.Close()
		t.Fatal("opened a database with a newer schema")
	}
	want := fmt.Sprintf("schema version 999, this build knows up to %d", registry.KnownSchemaVersion())
	if !errors.Is(err, registry.ErrSchemaTooNew) || !contains(err.Error(), want) || !contains(err.Error(), registry.RedactDSN(dsn)) {
		t.Errorf("error %q: want ErrSchemaTooNew saying %q and naming %s", err, want, registry.RedactDSN(dsn))
	}
}
