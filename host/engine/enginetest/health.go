package enginetest

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/demhost/demhost/host/engine"
)

// testHealth checks Health on a cluster of any size: an index with more
// replicas than the cluster has data nodes can never be green, so the
// case makes one and sees the wait for green time out at yellow, while
// the wait for yellow, and for green on an index without replicas, end
// at once.
func testHealth(t *testing.T, e *env) {
	ctx := t.Context()
	plain := e.create("health_plain", mapping)
	got, err := e.eng.Health(ctx, plain, engine.Green, time.Minute)
	if err != nil || got.Status != engine.Green || got.TimedOut || got.ActivePrimaryShards != 1 || got.ActiveShards != 1 ||
		got.UnassignedShards != 0 || got.DataNodes < 1 || got.Nodes < got.DataNodes {
		t.Fatalf("Health(%s, green) = %+v, %v; want green at once, 1 active shard, the cluster's nodes", plain, got, err)
	}

	// One replica more than the data nodes: every replica is unassigned.
	replicas := got.DataNodes
	over := e.create("health_over", fmt.Sprintf(`{"settings":{"number_of_shards":1,"number_of_replicas":%d}}`, replicas))
	got, err = e.eng.Health(ctx, over, engine.Yellow, time.Minute)
	if err != nil || got.Status != engine.Yellow || got.TimedOut {
		t.Fatalf("Health(%s, yellow) = %+v, %v; want yellow at once", over, got, err)
	}
	began := time.Now()
	got, err = e.eng.Health(ctx, over, engine.Green, 1500*time.Millisecond)
	waited := time.Since(began)
	if err != nil || !got.TimedOut || got.Status != engine.Yellow || got.UnassignedShards < 1 || got.ActiveShards != got.DataNodes {
		t.Errorf("Health(%s, green) with %d replica(s) on %d data node(s) = %+v, %v; want timed out at yellow with the replicas unassigned",
			over, replicas, got.DataNodes, got, err)
	}
	if waited < time.Second {
		t.Errorf("Health(%s, green, 1.5s) returned after %s; want it to wait on the server", over, waited)
	}
	// A timeout of 0 asks once.
	if got, err := e.eng.Health(ctx, over, engine.Green, 0); err != nil || !got.TimedOut || got.Status != engine.Yellow {
		t.Errorf("Health(%s, green, 0) = %+v, %v; want yellow, not green, at once", over, got, err)
	}

	// An alias reads as the index it points to.
	alias := e.name("health_alias")
	e.must(e.eng.SwapAlias(ctx, alias, plain, nil), "alias %s", alias)
	if got, err := e.eng.Health(ctx, alias, engine.Green, time.Minute); err != nil || got.Status != engine.Green {
		t.Errorf("Health(alias %s, green) = %+v, %v; want green", alias, got, err)
	}

	// A missing index is not found at once, not red after the timeout.
	missing := e.name("health_missing")
	began = time.Now()
	_, err = e.eng.Health(ctx, missing, engine.Green, time.Minute)
	wantEngineError(t, "Health of a missing index", err, engine.ErrNotFound, missing)
	if d := time.Since(began); d > 20*time.Second {
		t.Errorf("Health of a missing index took %s; want it to fail at once", d)
	}

	// Only green and yellow can be waited for; names must be explicit.
	if _, err := e.eng.Health(ctx, plain, engine.Red, time.Second); !errors.Is(err, engine.ErrRejected) {
		t.Errorf("Health(%s, red) = %v, want ErrRejected", plain, err)
	}
	dead, cancel := context.WithCancel(context.Background())
	cancel()
	for _, n := range []string{"", "_all", "*", e.prefix + "*", plain + "," + over} {
		if _, err := e.eng.Health(dead, n, engine.Green, time.Second); !errors.Is(err, engine.ErrRejected) || errors.Is(err, context.Canceled) {
			t.Errorf("Health(%q) = %v, want ErrRejected before any request", n, err)
		}
	}
}
