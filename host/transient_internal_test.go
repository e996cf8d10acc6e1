package host

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/demhost/demhost/host/engine"
	sdk "github.com/demhost/demhost/plugin-sdk"
)

// failTimes is an item failure a fakeBulk returns for the first n sends
// of an id; n < 1 means every send.
type failTimes struct {
	n int
	f engine.BulkItemFailure
}

func (ft failTimes) fails(sent int) bool { return ft.f.Status != 0 && (ft.n < 1 || sent <= ft.n) }

var (
	lostShard = engine.BulkItemFailure{Status: 503, Type: "unavailable_shards_exception",
		Reason: "[idx-1][2] primary shard is not active Timeout: [30s]"}
	lostNode = engine.BulkItemFailure{Status: 500, Type: "node_disconnected_exception",
		Reason: "[node-2][127.0.0.1:9312][indices:data/write/bulk[s]] disconnected"}
	brokenDoc = engine.BulkItemFailure{Status: 500, Type: "some_internal_exception", Reason: "boom"}
)

// A node lost mid-load: its shards' items come back 503 or with a
// transport error until a replica is promoted. They are resent on their
// own, never counted as failed, and the retries say so.
func TestIndexerResendsItemsOfALostNode(t *testing.T) {
	t.Parallel()
	eng := &fakeBulk{itemFail: map[string]failTimes{
		"p0-1": {n: 3, f: lostShard},
		"p0-2": {n: 1, f: lostNode},
		"p0-3": {n: 1, f: brokenDoc}, // an unknown 500 is the document's: failed, not resent
	}}
	var logged []string
	ix := newIndexer(eng, "idx-1", fastRetries(BulkConfig{Workers: 2, Retries: 1}),
		func(f string, a ...any) { logged = append(logged, f) })
	if err := ix.run(context.Background(), &genSource{n: 6, batch: 6}, sdk.StreamRequest{Index: "idx"}, 1); err != nil {
		t.Fatal(err)
	}
	if c := ix.counts(); c.Indexed != 5 || c.Failed != 1 || eng.seen["p0-1"] != 4 || eng.seen["p0-2"] != 2 || eng.seen["p0-3"] != 1 {
		t.Fatalf("counts = %+v, sends %v; want 5 indexed, p0-3 failed, p0-1 sent 4 times and p0-2 twice", c, eng.seen)
	}
	r := ix.retries()
	if r == nil || r.ItemsUnavailable != 4 || r.Total() != 4 {
		t.Fatalf("retries = %+v, want 4 unavailable-shard item retries", r)
	}
	if got := ix.summary(); !strings.HasPrefix(got, "retries: 4 (unavailable shard items 4)") {
		t.Errorf("summary = %q", got)
	}
	n := 0
	for _, l := range logged {
		if strings.Contains(l, "could not write to a shard") {
			n++
		}
	}
	if n != 1 {
		t.Errorf("log = %q; want the lost shard logged once", logged)
	}
}

// A shard that never comes back: the run fails, naming the index and the
// cause, once no document has been accepted for BackpressureTimeout.
func TestIndexerGivesUpOnAShardThatStaysLost(t *testing.T) {
	t.Parallel()
	eng := &fakeBulk{itemFail: map[string]failTimes{"p0-0": {f: lostShard}}}
	ix := newIndexer(eng, "idx-1", fastRetries(BulkConfig{Workers: 1, BackpressureTimeout: 300 * time.Millisecond}), nil)
	err := ix.run(context.Background(), &genSource{n: 3, batch: 3}, sdk.StreamRequest{Index: "idx"}, 1)
	if !errors.Is(err, engine.ErrUnavailable) {
		t.Fatalf("run = %v, want a failure wrapping ErrUnavailable", err)
	}
	for _, w := range []string{"idx-1", "unavailable", "p0-0", "primary shard is not active", "bring the node back"} {
		if !strings.Contains(err.Error(), w) {
			t.Errorf("error %q does not say %q", err, w)
		}
	}
	if c := ix.counts(); c.Indexed != 2 || c.Failed != 0 {
		t.Errorf("counts = %+v, want 2 indexed and none failed", c)
	}
}
