package enginetest

import (
	"fmt"
	"strings"
	"testing"
)

// testCopyAndDeleteKeepRouting: Reindex keeps each document's id and
// routing, and DeleteByQuery finds routed documents, whether the engine
// runs them as server tasks or the adapter scrolls and sends bulk requests
// (an engine without the reindex module).
func testCopyAndDeleteKeepRouting(t *testing.T, e *env) {
	ctx := t.Context()
	src, dst := e.create("route_src", mapping), e.create("route_dst", mapping)
	var b strings.Builder
	for i := range 30 {
		fmt.Fprintf(&b, "{\"index\":{\"_id\":\"%d\",\"routing\":\"r%d\"}}\n{\"n\":%d,\"even\":%t}\n", i, i%3, i, i%2 == 0)
	}
	e.bulk(src, b.String())
	if n, err := e.eng.Reindex(ctx, src, dst); err != nil || n != 30 {
		t.Fatalf("Reindex = %d, %v; want 30", n, err)
	}
	e.refresh(dst)
	for r := range 3 {
		q := fmt.Sprintf(`{"bool":{"filter":[{"term":{"_routing":"r%d"}},{"ids":{"values":["%d"]}}]}}`, r, r)
		if n, err := e.eng.CountQuery(ctx, dst, []byte(q)); err != nil || n != 1 {
			t.Errorf("document %d with routing r%d in %s: count %d, %v; want 1", r, r, dst, n, err)
		}
	}
	if n, err := e.eng.DeleteByQuery(ctx, dst, []byte(`{"term":{"_routing":"r1"}}`)); err != nil || n != 10 {
		t.Fatalf("DeleteByQuery of routing r1 = %d, %v; want 10", n, err)
	}
	if got := e.count(dst); got != 20 {
		t.Errorf("count %s after deleting r1 = %d, want 20", dst, got)
	}
}
