package enginetest

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/demhost/demhost/host/engine"
)

// This file checks the calls on whole indices: identity, create, delete,
// exists, list, settings, and the names a destructive call must refuse.

func testInfo(t *testing.T, e *env) {
	info, err := e.eng.Info(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if info.Version == "" || info.Version[0] < '0' || info.Version[0] > '9' || info.ClusterName == "" {
		t.Errorf("Info = %+v, want a version number and a cluster name", info)
	}
	if want := e.kind; want != "" && info.Kind != want {
		t.Errorf("Info.Kind = %q, want %q", info.Kind, want)
	}
}

func testCreateIndex(t *testing.T, e *env) {
	alias := e.name("created_alias")
	name := e.create("created", `{"settings":{"number_of_shards":2,"number_of_replicas":0},
 "mappings":{"properties":{"n":{"type":"long"}}},"aliases":{"`+alias+`":{}}}`)
	if !e.exists(name) {
		t.Fatalf("%s does not exist after CreateIndex", name)
	}
	set, err := e.eng.GetSettings(t.Context(), name)
	if err != nil || set["index.number_of_shards"] != "2" {
		t.Errorf("settings of %s = %v, %v; want the body's 2 shards", name, set, err)
	}
	if got, err := e.eng.GetAlias(t.Context(), alias); err != nil || !slices.Equal(got, []string{name}) {
		t.Errorf("GetAlias(%s) = %v, %v; want the body's alias on [%s]", alias, got, err, name)
	}
	// No body: the engine's defaults.
	bare := e.name("bare")
	if err := e.eng.CreateIndex(t.Context(), bare, nil); err != nil || !e.exists(bare) {
		t.Errorf("CreateIndex(%s, nil) = %v, want an index with defaults", bare, err)
	}
}

func testCreateTwice(t *testing.T, e *env) {
	name := e.create("twice", mapping)
	err := e.eng.CreateIndex(t.Context(), name, []byte(mapping))
	ee := wantEngineError(t, "second create", err, engine.ErrAlreadyExists, name)
	if ee != nil && (ee.Index != name || ee.Type != "resource_already_exists_exception" || ee.Op != "create index") {
		t.Errorf("error = %+v, want op create index, index %s and the engine's type", ee, name)
	}
}

func testBadMapping(t *testing.T, e *env) {
	name := e.name("badmap")
	err := e.eng.CreateIndex(t.Context(), name, []byte(`{"mappings":{"properties":{"title":{"type":"nonsense"}}}}`))
	ee := wantEngineError(t, "create with a bad mapping", err, engine.ErrRejected, name)
	if ee != nil && (!strings.Contains(ee.Reason, "title") || ee.Status != 400) {
		t.Errorf("error = %+v, want status 400 and a reason naming field title", ee)
	}
	if e.exists(name) {
		t.Errorf("a refused create left %s behind", name)
	}
}

func testDeleteIndices(t *testing.T, e *env) {
	a, b, keep := e.create("del_a", mapping), e.create("del_b", mapping), e.create("del_keep", mapping)
	if err := e.eng.DeleteIndices(t.Context(), a, b); err != nil {
		t.Fatal(err)
	}
	if e.exists(a) || e.exists(b) || !e.exists(keep) {
		t.Errorf("after DeleteIndices(%s, %s): exists %v, %v, and %s %v; want only %s left",
			a, b, e.exists(a), e.exists(b), keep, e.exists(keep), keep)
	}
}

func testDeleteMissing(t *testing.T, e *env) {
	name := e.name("never")
	wantEngineError(t, "delete of a missing index", e.eng.DeleteIndices(t.Context(), name), engine.ErrNotFound, name)
	keep := e.create("present", mapping)
	err := e.eng.DeleteIndices(t.Context(), keep, name)
	wantEngineError(t, "delete of one present and one missing index", err, engine.ErrNotFound, name)
}

// testRefusedNames sends the names that could address more than they say
// with a cancelled context: refusing before any request is the only way to
// answer ErrRejected rather than a cancellation. One name under the case's
// own prefix then goes with a live context, and must not delete anything.
func testRefusedNames(t *testing.T, e *env) {
	keep := e.create("refused_keep", mapping)
	dead, cancel := context.WithCancel(context.Background())
	cancel()
	calls := map[string]func(ctx context.Context, name string) error{
		"DeleteIndices": func(ctx context.Context, n string) error { return e.eng.DeleteIndices(ctx, keep, n) },
		"SwapAlias index": func(ctx context.Context, n string) error {
			return e.eng.SwapAlias(ctx, e.name("refused_alias"), n, nil)
		},
		"SwapAlias remove": func(ctx context.Context, n string) error {
			return e.eng.SwapAlias(ctx, e.name("refused_alias"), keep, []string{n})
		},
		"DeleteAlias": func(ctx context.Context, n string) error { return e.eng.DeleteAlias(ctx, n, e.name("refused_alias")) },
		"DeleteByQuery": func(ctx context.Context, n string) error {
			_, err := e.eng.DeleteByQuery(ctx, n, []byte(`{"match_all":{}}`))
			return err
		},
		"Reindex from": func(ctx context.Context, n string) error { _, err := e.eng.Reindex(ctx, n, keep); return err },
		"Reindex into": func(ctx context.Context, n string) error { _, err := e.eng.Reindex(ctx, keep, n); return err },
		"ListIndices":  func(ctx context.Context, n string) error { _, err := e.eng.ListIndices(ctx, n); return err },
	}
	names := []string{"_all", "*", e.prefix + "*", e.prefix + "?", keep + "," + e.name("other")}
	for op, call := range calls {
		for _, n := range names {
			err := call(dead, n)
			if !errors.Is(err, engine.ErrRejected) || errors.Is(err, context.Canceled) {
				t.Errorf("%s(%q) = %v, want ErrRejected before any request", op, n, err)
			}
		}
	}
	if err := e.eng.DeleteIndices(dead, keep, ""); !errors.Is(err, engine.ErrRejected) {
		t.Errorf("DeleteIndices with an empty name = %v, want ErrRejected", err)
	}
	if err := e.eng.DeleteIndices(dead); !errors.Is(err, engine.ErrRejected) {
		t.Errorf("DeleteIndices with no name = %v, want ErrRejected", err)
	}
	if err := e.eng.DeleteIndices(t.Context(), e.prefix+"*"); !errors.Is(err, engine.ErrRejected) {
		t.Errorf("DeleteIndices(%s*) = %v, want ErrRejected", e.prefix, err)
	}
	if !e.exists(keep) {
		t.Errorf("%s is gone after refused deletes", keep)
	}
}

func testExists(t *testing.T, e *env) {
	alias := e.name("exists_alias")
	name := e.create("exists", `{"aliases":{"`+alias+`":{}}}`)
	for _, c := range []struct {
		name string
		want bool
	}{{name, true}, {alias, true}, {e.name("nope"), false}} {
		got, err := e.eng.Exists(t.Context(), c.name)
		if err != nil || got != c.want {
			t.Errorf("Exists(%s) = %v, %v; want %v", c.name, got, err, c.want)
		}
	}
}

func testListIndices(t *testing.T, e *env) {
	ctx := t.Context()
	sub := e.name("list_")
	alias := sub + "alias"
	a := e.create("list_a", `{"aliases":{"`+alias+`":{}}}`)
	b := e.create("list_b", mapping)
	e.create("listx", mapping) // under the case's prefix, outside sub
	e.fill(b, 3)
	got, err := e.eng.ListIndices(ctx, sub)
	if err != nil {
		t.Fatal(err)
	}
	want := []engine.IndexStat{{Name: a, Aliases: []string{alias}}, {Name: b, Docs: 3}}
	if len(got) != len(want) {
		t.Fatalf("ListIndices(%s) = %+v, want %+v", sub, got, want)
	}
	for i := range want {
		if got[i].Name != want[i].Name || got[i].Docs != want[i].Docs ||
			!slices.Equal(got[i].Aliases, want[i].Aliases) || got[i].Health == "" {
			t.Errorf("item %d = %+v, want %+v with a health", i, got[i], want[i])
		}
	}
	if none, err := e.eng.ListIndices(ctx, e.name("list_none_")); err != nil || len(none) != 0 {
		t.Errorf("ListIndices of an unused prefix = %+v, %v; want none, no error", none, err)
	}
	all, err := e.eng.ListIndices(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	names := make([]string, 0, len(all))
	for _, st := range all {
		if strings.HasPrefix(st.Name, ".") {
			t.Errorf("ListIndices(\"\") lists dot-index %s", st.Name)
		}
		names = append(names, st.Name)
	}
	if !slices.Contains(names, a) || !slices.Contains(names, b) {
		t.Errorf("ListIndices(\"\") = %v, want it to hold %s and %s", names, a, b)
	}
}

func testSettings(t *testing.T, e *env) {
	ctx := t.Context()
	name := e.create("settings", mapping)
	if err := e.eng.PutSettings(ctx, name, []byte(`{"index":{"refresh_interval":"-1"}}`)); err != nil {
		t.Fatal(err)
	}
	got, err := e.eng.GetSettings(ctx, name)
	if err != nil {
		t.Fatal(err)
	}
	if got["index.refresh_interval"] != "-1" || got["index.number_of_shards"] != "1" {
		t.Errorf("settings = %v, want refresh_interval -1 and 1 shard", got)
	}
	if _, ok := got["index.max_result_window"]; ok {
		t.Errorf("settings = %v, want no unset default", got)
	}
	err = e.eng.PutSettings(ctx, name, []byte(`{"index":{"number_of_shards":3}}`))
	wantEngineError(t, "update of a static setting", err, engine.ErrRejected, name)
}

// testMissing checks that every call on one index says ErrNotFound, naming
// it, when the index does not exist; GetAlias alone answers nothing.
func testMissing(t *testing.T, e *env) {
	ctx := t.Context()
	name := e.name("absent")
	other := e.create("present", mapping)
	checks := map[string]func() error{
		"Count":         func() error { _, err := e.eng.Count(ctx, name); return err },
		"GetSettings":   func() error { _, err := e.eng.GetSettings(ctx, name); return err },
		"PutSettings":   func() error { return e.eng.PutSettings(ctx, name, []byte(`{"index":{"refresh_interval":"1s"}}`)) },
		"Refresh":       func() error { return e.eng.Refresh(ctx, name) },
		"DeleteByQuery": func() error { _, err := e.eng.DeleteByQuery(ctx, name, nil); return err },
		"Reindex":       func() error { _, err := e.eng.Reindex(ctx, name, other); return err },
		"DeleteAlias":   func() error { return e.eng.DeleteAlias(ctx, name, e.name("alias")) },
		"SwapAlias":     func() error { return e.eng.SwapAlias(ctx, e.name("alias"), name, nil) },
	}
	for op, f := range checks {
		wantEngineError(t, op+" on a missing index", f(), engine.ErrNotFound, name)
	}
	if got, err := e.eng.GetAlias(ctx, e.name("noalias")); err != nil || got != nil {
		t.Errorf("GetAlias(missing) = %v, %v; want nil, nil", got, err)
	}
	if e.exists(name) {
		t.Errorf("a call on missing %s created it", name)
	}
}
