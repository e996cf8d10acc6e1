package engine_test

import (
	"testing"
)

// A bulk request waits for a missing shard less long than the client
// waits for the answer, so a lost node's shard costs its items (503, to
// resend), not the whole request.
func TestBulkWaitsLessThanTheRequest(t *testing.T) {
	t.Parallel()
	for _, kind := range kinds {
		f := &fake{status: 200, body: bulkOK}
		eng := openFake(t, kind, f)
		if _, err := eng.Bulk(t.Context(), "movies", []byte("{\"index\":{\"_id\":\"1\"}}\n{}\n")); err != nil {
			t.Fatal(err)
		}
		if got := f.reqs[0].URL.Query().Get("timeout"); got != "30000ms" {
			t.Errorf("%s: bulk timeout = %q, want 30000ms", kind, got)
		}
	}
}
