package registry_test

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/demhost/demhost/internal/testenv"
	"github.com/demhost/demhost/registry"
)

// testFills covers what the host reads to tell a version's fill state:
// checkpoints with the action that set them, their deletion by a clear,
// and the latest filling action of each version.
func testFills(t *testing.T, fresh func(t *testing.T) string) {
	ctx := testenv.Context(t)
	r := open(t, fresh(t))
	env := uniqueEnv(t)
	w := time.Date(2025, 5, 6, 7, 8, 9, 0, time.UTC)
	set := w.Add(time.Minute)
	for _, c := range []registry.Checkpoint{
		{Env: env, Index: "movies", Version: 1, Source: "films", Watermark: w, ActionID: 7, SetAt: set},
		{Env: env, Index: "movies", Version: 2, Source: "films", Watermark: w.Add(time.Hour), ActionID: 9},
		{Env: env, Index: "books", Version: 1, Source: "films", Watermark: w},
	} {
		if err := r.SetCheckpoint(ctx, c); err != nil {
			t.Fatal(err)
		}
	}
	c, ok, err := r.GetCheckpoint(ctx, env, "movies", 1, "films")
	if err != nil || !ok || c.ActionID != 7 || !c.SetAt.Equal(set) {
		t.Errorf("checkpoint = %+v, %v, %v; want action 7 set at %v", c, ok, err, set)
	}
	all, err := r.Checkpoints(ctx, env, "movies")
	if err != nil || len(all) != 2 || all[2].ActionID != 9 || all[2].SetAt.IsZero() || !all[2].Watermark.Equal(w.Add(time.Hour)) {
		t.Errorf("checkpoints of movies = %+v, %v; want versions 1 and 2, 2 set by action 9 just now", all, err)
	}
	if err := r.DeleteCheckpoints(ctx, env, "movies", 1); err != nil {
		t.Fatal(err)
	}
	if _, ok, _ := r.GetCheckpoint(ctx, env, "movies", 1, "films"); ok {
		t.Error("checkpoint of movies-1 survived DeleteCheckpoints")
	}
	if _, ok, _ := r.GetCheckpoint(ctx, env, "movies", 2, "films"); !ok {
		t.Error("deleting movies-1's checkpoints removed movies-2's")
	}
	if _, ok, _ := r.GetCheckpoint(ctx, env, "books", 1, "films"); !ok {
		t.Error("deleting movies-1's checkpoints removed books-1's")
	}

	start := func(kind registry.ActionKind, version int, status registry.ActionStatus) int64 {
		id, err := r.StartAction(ctx, registry.Action{Env: env, Index: "movies", Version: version, Kind: kind, Status: registry.ActionInProgress})
		if err != nil {
			t.Fatal(err)
		}
		if status != registry.ActionInProgress {
			if err := r.FinishAction(ctx, id, status, registry.Counts{}, ""); err != nil {
				t.Fatal(err)
			}
		}
		return id
	}
	start(registry.ActionUpdate, 1, registry.ActionFailed)
	last1 := start(registry.ActionUpdate, 1, registry.ActionInterrupted)
	start(registry.ActionActivate, 1, registry.ActionComplete) // not a fill
	start(registry.ActionUpdate, 0, registry.ActionComplete)   // a parent: no version
	last2 := start(registry.ActionClear, 2, registry.ActionComplete)
	fills, err := r.LatestFills(ctx, env, "movies", registry.ActionUpdate, registry.ActionMigrate, registry.ActionClear)
	if err != nil {
		t.Fatal(err)
	}
	if len(fills) != 2 || fills[1].ID != last1 || fills[1].Status != registry.ActionInterrupted ||
		fills[2].ID != last2 || fills[2].Kind != registry.ActionClear {
		t.Errorf("latest fills = %+v; want movies-1 the interrupted update %d, movies-2 the clear %d", fills, last1, last2)
	}
}

func testLoadSettings(t *testing.T, fresh func(t *testing.T) string) {
	ctx := testenv.Context(t)
	r := open(t, fresh(t))
	env := uniqueEnv(t)
	v, err := r.CreateVersion(ctx, env, "movies", []byte(schemaA), "")
	if err != nil {
		t.Fatal(err)
	}
	if v.LoadSettings != nil {
		t.Errorf("a new version has load settings %s", v.LoadSettings)
	}
	orig := json.RawMessage(`{"index":{"refresh_interval":null,"number_of_replicas":"1"}}`)
	if err := r.SetLoadSettings(ctx, env, "movies", v.Number, orig); err != nil {
		t.Fatal(err)
	}
	got, err := r.Version(ctx, env, "movies", v.Number)
	if err != nil || string(got.LoadSettings) != string(orig) {
		t.Errorf("load settings = %s, %v; want %s", got.LoadSettings, err, orig)
	}
	if err := r.SetLoadSettings(ctx, env, "movies", v.Number, nil); err != nil {
		t.Fatal(err)
	}
	if got, _ := r.Version(ctx, env, "movies", v.Number); got.LoadSettings != nil {
		t.Errorf("load settings after clearing = %s", got.LoadSettings)
	}
	if err := r.SetLoadSettings(ctx, env, "movies", v.Number+5, orig); err == nil {
		t.Error("load settings of a missing version were recorded")
	}
}
