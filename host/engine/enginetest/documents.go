package enginetest

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/demhost/demhost/host/engine"
)

// This file checks the calls on documents: bulk, refresh, count, and the
// two server-side tasks, delete by query and reindex.

func testBulkItemFailures(t *testing.T, e *env) {
	ctx := t.Context()
	name := e.create("bulkbad", mapping)
	body := `{"index":{"_id":"a"}}
{"n":1}
{"create":{"_id":"b"}}
{"n":"not a number"}
{"index":{"_id":"c"}}
{"n":3}
{"delete":{"_id":"missing"}}
{"create":{"_id":"a"}}
{"n":4}
`
	res, err := e.eng.Bulk(ctx, name, []byte(body))
	if err != nil {
		t.Fatal(err)
	}
	if res.Items != 5 || len(res.Failures) != 2 {
		t.Fatalf("result = %+v, want 5 items and two failures", res)
	}
	f := res.Failures[0]
	// Elasticsearch 8 calls it document_parsing_exception.
	parsing := f.Type == "mapper_parsing_exception" || f.Type == "document_parsing_exception"
	if f.Position != 1 || f.ID != "b" || f.Status != 400 || !parsing ||
		f.Index != name || !strings.Contains(f.Reason, "[n]") {
		t.Errorf("failure = %+v, want position 1, id b, 400 mapper_parsing_exception (or document_parsing_exception) on field n in %s", f, name)
	}
	// A delete of a missing document is not a failure; a second create is.
	if f := res.Failures[1]; f.Position != 4 || f.ID != "a" || f.Status != 409 || f.Type != "version_conflict_engine_exception" {
		t.Errorf("failure = %+v, want position 4, id a, 409 version_conflict_engine_exception", f)
	}
	e.refresh(name)
	if n := e.count(name); n != 2 {
		t.Errorf("count = %d, want the 2 good documents", n)
	}
}

func testBulkNoErrors(t *testing.T, e *env) {
	ctx := t.Context()
	a, b := e.create("bulk_a", mapping), e.create("bulk_b", mapping)
	// index "" is /_bulk: each action names its index.
	body := fmt.Sprintf("{\"index\":{\"_index\":%q,\"_id\":\"1\"}}\n{\"n\":1}\n{\"index\":{\"_index\":%q}}\n{\"n\":2}\n", a, b)
	res, err := e.eng.Bulk(ctx, "", []byte(body))
	if err != nil || res.Items != 2 || len(res.Failures) != 0 {
		t.Fatalf("Bulk = %+v, %v; want 2 items, no failures", res, err)
	}
	e.refresh(a, b)
	if na, nb := e.count(a), e.count(b); na != 1 || nb != 1 {
		t.Errorf("counts %d, %d; want 1, 1", na, nb)
	}
	if res, err := e.eng.Bulk(ctx, a, nil); err != nil || res.Items != 0 || len(res.Failures) != 0 {
		t.Errorf("Bulk of an empty body = %+v, %v; want nothing, no error", res, err)
	}
}

func testRefreshAndCount(t *testing.T, e *env) {
	settings := `{"settings":{"number_of_shards":1,"number_of_replicas":0,"refresh_interval":"-1"}}`
	a, b := e.create("refresh_a", settings), e.create("refresh_b", settings)
	for _, name := range []string{a, b} {
		res, err := e.eng.Bulk(t.Context(), name, []byte("{\"index\":{}}\n{\"n\":1}\n{\"index\":{}}\n{\"n\":2}\n"))
		if err != nil || len(res.Failures) > 0 {
			t.Fatalf("bulk into %s: %v %+v", name, err, res.Failures)
		}
	}
	if n := e.count(a); n != 0 {
		t.Errorf("count of %s before a refresh = %d, want 0 (refresh_interval -1)", a, n)
	}
	e.refresh(a, b)
	if na, nb := e.count(a), e.count(b); na != 2 || nb != 2 {
		t.Errorf("counts after Refresh(%s, %s) = %d, %d; want 2, 2", a, b, na, nb)
	}
}

func testDeleteByQuery(t *testing.T, e *env) {
	ctx := t.Context()
	name := e.create("dbq", mapping)
	e.fill(name, 6)
	n, err := e.eng.DeleteByQuery(ctx, name, []byte(`{"term":{"even":true}}`))
	if err != nil || n != 3 {
		t.Fatalf("DeleteByQuery = %d, %v; want 3", n, err)
	}
	if got := e.count(name); got != 3 {
		t.Errorf("count after = %d, want 3, visible at once", got)
	}
	_, err = e.eng.DeleteByQuery(ctx, name, []byte(`{"bogus_query":{}}`))
	wantEngineError(t, "delete by a bad query", err, engine.ErrRejected, name)
	// An empty query matches every document.
	if n, err := e.eng.DeleteByQuery(ctx, name, nil); err != nil || n != 3 {
		t.Errorf("DeleteByQuery(nil) = %d, %v; want the 3 left", n, err)
	}
	if got := e.count(name); got != 0 {
		t.Errorf("count after deleting all = %d, want 0", got)
	}
}

func testReindex(t *testing.T, e *env) {
	ctx := t.Context()
	src, dst := e.create("re_src", mapping), e.create("re_dst", mapping)
	e.fill(src, 5)
	n, err := e.eng.Reindex(ctx, src, dst)
	if err != nil || n != 5 {
		t.Fatalf("Reindex = %d, %v; want 5", n, err)
	}
	e.refresh(dst)
	if got := e.count(dst); got != 5 {
		t.Errorf("count %s = %d, want 5", dst, got)
	}
	// Documents the destination's mapping rejects: the engine's reason,
	// not its raw answer.
	strict := e.create("re_strict", `{"mappings":{"properties":{"n":{"type":"boolean"}}}}`)
	_, err = e.eng.Reindex(ctx, src, strict)
	if wantEngineError(t, "reindex into an incompatible mapping", err, engine.ErrRejected, strict) != nil &&
		!regexp.MustCompile(`5 failures, first: (\[\d+:\d+\] )?failed to parse`).MatchString(err.Error()) {
		t.Errorf("reindex into an incompatible mapping = %v, want the count and the first failure's reason", err)
	}
}

// testReindexPartialFailure: a reindex that fails partway reports what it
// copied before the failure, which is exactly what the destination holds.
func testReindexPartialFailure(t *testing.T, e *env) {
	ctx := t.Context()
	mixed := e.create("re_mixed", `{"mappings":{"properties":{"v":{"type":"keyword"}}}}`)
	var b strings.Builder
	const total, bad = 2500, 2400
	for i := range total {
		v := strconv.Itoa(i)
		if i == bad {
			v = "not a number"
		}
		fmt.Fprintf(&b, "{\"index\":{\"_id\":\"%d\"}}\n{\"v\":%q}\n", i, v)
	}
	e.bulk(mixed, b.String())
	numeric := e.create("re_numeric", `{"mappings":{"properties":{"v":{"type":"long"}}}}`)
	got, err := e.eng.Reindex(ctx, mixed, numeric)
	if !errors.Is(err, engine.ErrRejected) {
		t.Fatalf("reindex with one bad document = %d, %v; want ErrRejected", got, err)
	}
	e.refresh(numeric)
	if held := e.count(numeric); got != held || got <= 0 || got >= total {
		t.Errorf("failed reindex reported %d copied; the destination holds %d of %d", got, held, total)
	}
}

// testCancelledContext: a call whose context has ended sends nothing and
// says so, with an error that wraps the context's.
func testCancelledContext(t *testing.T, e *env) {
	name := e.create("cancelled", mapping)
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	calls := map[string]func() error{
		"Info":          func() error { _, err := e.eng.Info(ctx); return err },
		"CreateIndex":   func() error { return e.eng.CreateIndex(ctx, e.name("cancelled_new"), nil) },
		"DeleteIndices": func() error { return e.eng.DeleteIndices(ctx, name) },
		"Exists":        func() error { _, err := e.eng.Exists(ctx, name); return err },
		"ListIndices":   func() error { _, err := e.eng.ListIndices(ctx, e.prefix); return err },
		"GetAlias":      func() error { _, err := e.eng.GetAlias(ctx, e.name("alias")); return err },
		"SwapAlias":     func() error { return e.eng.SwapAlias(ctx, e.name("alias"), name, nil) },
		"DeleteAlias":   func() error { return e.eng.DeleteAlias(ctx, name, e.name("alias")) },
		"Bulk": func() error {
			_, err := e.eng.Bulk(ctx, name, []byte("{\"index\":{}}\n{\"n\":1}\n"))
			return err
		},
		"Refresh":       func() error { return e.eng.Refresh(ctx, name) },
		"Count":         func() error { _, err := e.eng.Count(ctx, name); return err },
		"DeleteByQuery": func() error { _, err := e.eng.DeleteByQuery(ctx, name, nil); return err },
		"GetSettings":   func() error { _, err := e.eng.GetSettings(ctx, name); return err },
		"PutSettings":   func() error { return e.eng.PutSettings(ctx, name, []byte(`{"index":{"refresh_interval":"-1"}}`)) },
		"Reindex":       func() error { _, err := e.eng.Reindex(ctx, name, e.name("cancelled_dst")); return err },
	}
	for op, call := range calls {
		if err := call(); !errors.Is(err, context.Canceled) {
			t.Errorf("%s with a cancelled context = %v, want an error wrapping context.Canceled", op, err)
		}
	}
	if !e.exists(name) || e.exists(e.name("cancelled_new")) || e.exists(e.name("cancelled_dst")) {
		t.Errorf("a call with a cancelled context changed the cluster")
	}
}
