package engine_test

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/demhost/demhost/host/engine"
	"github.com/demhost/demhost/internal/testenv"
)

func testReindex(t *testing.T, s *suite) {
	ctx := testenv.Context(t)
	src, dst := s.create(t, "resrc", mapping), s.create(t, "redst", mapping)
	s.fill(t, src, 5)
	n, err := s.eng.Reindex(ctx, src, dst)
	if err != nil || n != 5 {
		t.Fatalf("Reindex = %d, %v; want 5", n, err)
	}
	if err := s.eng.Refresh(ctx, dst); err != nil {
		t.Fatal(err)
	}
	if got := s.count(t, dst); got != 5 {
		t.Errorf("count %s = %d, want 5", dst, got)
	}
	if _, err := s.eng.Reindex(ctx, s.prefix+"nope", dst); !errors.Is(err, engine.ErrNotFound) {
		t.Errorf("reindex from missing = %v, want ErrNotFound", err)
	}
	// Documents the destination's mapping rejects: the engine's reason, not its raw answer.
	strict := s.create(t, "restrict", `{"mappings":{"properties":{"n":{"type":"boolean"}}}}`)
	if _, err := s.eng.Reindex(ctx, src, strict); !errors.Is(err, engine.ErrRejected) || !strings.Contains(err.Error(), "5 failures, first: failed to parse") {
		t.Errorf("reindex into an incompatible mapping = %v, want ErrRejected with the first failure's reason", err)
	}
	// A reindex that fails partway reports what it copied before the
	// failure: exactly what the destination then holds.
	mixed := s.create(t, "remixed", `{"mappings":{"properties":{"v":{"type":"keyword"}}}}`)
	var b strings.Builder
	const total, bad = 2500, 2400
	for i := range total {
		v := strconv.Itoa(i)
		if i == bad {
			v = "not a number"
		}
		fmt.Fprintf(&b, "{\"index\":{\"_id\":\"%d\"}}\n{\"v\":%q}\n", i, v)
	}
	if res, err := s.eng.Bulk(ctx, mixed, []byte(b.String())); err != nil || len(res.Failures) > 0 {
		t.Fatalf("fill %s: %v %+v", mixed, err, res.Failures)
	}
	if err := s.eng.Refresh(ctx, mixed); err != nil {
		t.Fatal(err)
	}
	numeric := s.create(t, "renumeric", `{"mappings":{"properties":{"v":{"type":"long"}}}}`)
	got, err := s.eng.Reindex(ctx, mixed, numeric)
	if !errors.Is(err, engine.ErrRejected) {
		t.Fatalf("reindex with one bad document = %d, %v; want ErrRejected", got, err)
	}
	if err := s.eng.Refresh(ctx, numeric); err != nil {
		t.Fatal(err)
	}
	if held := s.count(t, numeric); got != held || got <= 0 || got >= total {
		t.Errorf("failed reindex reported %d copied; the destination holds %d of %d", got, held, total)
	}
}

func testDeleteByQuery(t *testing.T, s *suite) {
	ctx := testenv.Context(t)
	name := s.create(t, "dbq", mapping)
	s.fill(t, name, 6)
	n, err := s.eng.DeleteByQuery(ctx, name, []byte(`{"term":{"even":true}}`))
	if err != nil || n != 3 {
		t.Fatalf("DeleteByQuery = %d, %v; want 3", n, err)
	}
	if got := s.count(t, name); got != 3 {
		t.Errorf("count after = %d, want 3 (refresh=true)", got)
	}
	if _, err := s.eng.DeleteByQuery(ctx, name, []byte(`{"bogus_query":{}}`)); !errors.Is(err, engine.ErrRejected) {
		t.Errorf("bad query = %v, want ErrRejected", err)
	}
}

func testSettings(t *testing.T, s *suite) {
	ctx := testenv.Context(t)
	name := s.create(t, "settings", mapping)
	if err := s.eng.PutSettings(ctx, name, []byte(`{"index":{"refresh_interval":"-1"}}`)); err != nil {
		t.Fatal(err)
	}
	got, err := s.eng.GetSettings(ctx, name)
	if err != nil {
		t.Fatal(err)
	}
	if got["index.refresh_interval"] != "-1" || got["index.number_of_shards"] != "1" {
		t.Errorf("settings = %v, want refresh_interval -1 and 1 shard", got)
	}
	err = s.eng.PutSettings(ctx, name, []byte(`{"index":{"number_of_shards":3}}`))
	if !errors.Is(err, engine.ErrRejected) || !strings.Contains(err.Error(), name) {
		t.Errorf("static setting update = %v, want ErrRejected naming %s", err, name)
	}
}

func testList(t *testing.T, s *suite) {
	ctx := testenv.Context(t)
	sub := s.prefix + "list_"
	alias := sub + "alias"
	a := s.create(t, "list_a", `{"aliases":{"`+alias+`":{}}}`)
	b := s.create(t, "list_b", mapping)
	s.create(t, "listx", mapping) // same suite prefix, outside sub
	s.fill(t, b, 3)
	got, err := s.eng.ListIndices(ctx, sub)
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
	all, err := s.eng.ListIndices(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	for _, st := range all {
		if strings.HasPrefix(st.Name, ".") {
			t.Errorf("ListIndices(\"\") lists dot-index %s", st.Name)
		}
	}
	if _, err := s.eng.ListIndices(ctx, sub+"*"); !errors.Is(err, engine.ErrRejected) {
		t.Errorf("ListIndices with '*' = %v, want ErrRejected", err)
	}
}

func testMissing(t *testing.T, s *suite) {
	ctx := testenv.Context(t)
	name := s.prefix + "absent"
	checks := map[string]func() error{
		"count":        func() error { _, err := s.eng.Count(ctx, name); return err },
		"get settings": func() error { _, err := s.eng.GetSettings(ctx, name); return err },
		"put settings": func() error { return s.eng.PutSettings(ctx, name, []byte(`{"index":{"refresh_interval":"1s"}}`)) },
		"refresh":      func() error { return s.eng.Refresh(ctx, name) },
		"dbq":          func() error { _, err := s.eng.DeleteByQuery(ctx, name, nil); return err },
	}
	for op, f := range checks {
		err := f()
		if !errors.Is(err, engine.ErrNotFound) || !strings.Contains(err.Error(), name) {
			t.Errorf("%s on missing index = %v, want ErrNotFound naming %s", op, err, name)
		}
	}
	if got, err := s.eng.GetAlias(ctx, s.prefix+"noalias"); err != nil || got != nil {
		t.Errorf("GetAlias(missing) = %v, %v; want nil, nil", got, err)
	}
}
