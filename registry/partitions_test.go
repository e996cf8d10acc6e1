package registry_test

import (
	"context"
	"encoding/json"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/demhost/demhost/internal/testenv"
	"github.com/demhost/demhost/registry"
)

// TestPartitions: the records of a distributed update, on both backends.
func TestPartitions(t *testing.T) {
	t.Run("postgres", func(t *testing.T) {
		t.Parallel()
		base := testenv.PostgresDSN(t)
		testPartitions(t, freshPostgres(t, base), true)
	})
	t.Run("sqlite", func(t *testing.T) {
		t.Parallel()
		testPartitions(t, freshSQLite(t), false)
	})
}

func testPartitions(t *testing.T, dsn string, postgres bool) {
	ctx := testenv.Context(t)
	r := open(t, dsn)
	env := uniqueEnv(t)
	start := func() int64 {
		id, err := r.StartAction(ctx, registry.Action{Env: env, Index: "movies", Version: 1, Kind: registry.ActionUpdate, Pid: -1})
		if err != nil {
			t.Fatal(err)
		}
		return id
	}
	parts := func(n int) []registry.Partition {
		out := make([]registry.Partition, n)
		for k := range out {
			out[k] = registry.Partition{Number: k, Slices: 2}
		}
		return out
	}

	// A failed enqueue records nothing.
	failed := start()
	errEnqueue := errors.New("queue refused")
	err := r.BeginPartitioned(ctx, failed, time.Hour, json.RawMessage(`{"distributed":true}`), parts(2),
		func(ctx context.Context, tx registry.Tx) ([]int64, error) { return nil, errEnqueue })
	if !errors.Is(err, errEnqueue) {
		t.Fatalf("BeginPartitioned: %v, want the enqueue's error", err)
	}
	if ps, _ := r.Partitions(ctx, failed); len(ps) != 0 {
		t.Fatalf("a failed enqueue left partitions: %+v", ps)
	}
	if a, _ := r.Action(ctx, failed); a.Status != registry.ActionQueued {
		t.Fatalf("a failed enqueue left the action %s", a.Status)
	}

	id := start()
	err = r.BeginPartitioned(ctx, id, time.Hour, json.RawMessage(`{"distributed":true}`), parts(4),
		func(ctx context.Context, tx registry.Tx) ([]int64, error) {
			if (tx.Pgx != nil) != postgres || (tx.SQL != nil) == postgres {
				t.Errorf("transaction %+v, want the backend's own kind", tx)
			}
			return []int64{100, 101, 102, 103}, nil
		})
	if err != nil {
		t.Fatal(err)
	}
	a, _ := r.Action(ctx, id)
	if a.Status != registry.ActionInProgress || string(a.Params) != `{"distributed":true}` {
		t.Fatalf("action %s with params %s", a.Status, a.Params)
	}
	if latest, ok, err := r.LatestPartitioned(ctx, env, "movies", 1); err != nil || !ok || latest.ID != id {
		t.Fatalf("LatestPartitioned: %d, %v, %v; want %d", latest.ID, ok, err, id)
	}

	p, status, err := r.ClaimPartition(ctx, id, 1, "host-a pid 1")
	if err != nil || status != registry.ActionInProgress || p.Status != registry.PartitionQueued || p.JobID != 101 {
		t.Fatalf("claim: %+v %s %v", p, status, err)
	}
	// A second claim (a rescue) sees the first taker.
	if p, _, _ = r.ClaimPartition(ctx, id, 1, "host-b pid 2"); p.Status != registry.PartitionRunning || p.Worker != "host-a pid 1" {
		t.Fatalf("second claim saw %+v", p)
	}
	if st, err := r.PartitionProgress(ctx, id, 1, registry.Counts{Indexed: 7}); err != nil || st != registry.ActionInProgress {
		t.Fatalf("progress: %s %v", st, err)
	}
	if a, _ := r.Action(ctx, id); a.Indexed != 7 {
		t.Fatalf("action counts %d indexed during the slice, want 7", a.Indexed)
	}
	for range 2 { // the same slice twice counts once
		if err := r.SliceDone(ctx, id, 1, 0, registry.Counts{Indexed: 10, Failed: 1}); err != nil {
			t.Fatal(err)
		}
	}
	if a, _ := r.Action(ctx, id); a.Indexed != 10 || a.Failed != 1 {
		t.Fatalf("action counts %+v after a slice, want 10 indexed, 1 failed", a.Counts)
	}

	// Of concurrent ends of the last partitions, exactly one sees none left.
	var (
		wg    sync.WaitGroup
		mu    sync.Mutex
		zeros int
	)
	for k := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			left, err := r.EndPartition(ctx, id, k, registry.PartitionComplete, "")
			if err != nil {
				t.Error(err)
			}
			if left == 0 {
				mu.Lock()
				zeros++
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if zeros != 1 {
		t.Fatalf("%d ends saw no partition left, want exactly 1", zeros)
	}

	// Only the first end of a running action counts; the others learn it.
	other := start()
	if err := r.BeginPartitioned(ctx, other, time.Hour, json.RawMessage(`{}`), parts(2),
		func(context.Context, registry.Tx) ([]int64, error) { return []int64{1, 2}, nil }); err != nil {
		t.Fatal(err)
	}
	if ended, err := r.EndRunningAction(ctx, other, registry.ActionInterrupted, "interrupted"); err != nil || !ended {
		t.Fatalf("first end: %v %v", ended, err)
	}
	if ended, err := r.EndRunningAction(ctx, other, registry.ActionComplete, ""); err != nil || ended {
		t.Fatalf("second end: %v %v, want not ended", ended, err)
	}
	ps, _ := r.Partitions(ctx, other)
	for _, p := range ps {
		if p.Status != registry.PartitionCancelled {
			t.Errorf("partition %d of an interrupted action is %s, want cancelled", p.Number, p.Status)
		}
	}
	if _, status, _ := r.ClaimPartition(ctx, other, 0, "late"); status != registry.ActionInterrupted {
		t.Errorf("a claim after the end saw %s", status)
	}

	// A reset forgets the partitions of finished actions, not of running ones.
	if err := r.ResetEnv(ctx, env); err != nil {
		t.Fatal(err)
	}
	if ps, _ := r.Partitions(ctx, other); len(ps) != 0 {
		t.Errorf("reset left %d partitions of a finished action", len(ps))
	}
	if ps, _ := r.Partitions(ctx, id); len(ps) != 4 {
		t.Errorf("reset left %d partitions of a running action, want 4", len(ps))
	}
}

// TestEndRunningActionBesideProgress: the process that ends a distributed
// update (an interrupt, a failure) writes the action and then its
// partitions while workers write a partition and then the action's sums.
// Both must take their locks in one order: the end is never aborted as a
// deadlock's victim (it once was, leaving the action in progress), and
// RunningPartitioned lists the action until it ends.
func TestEndRunningActionBesideProgress(t *testing.T) {
	t.Parallel()
	ctx := testenv.Context(t)
	r := open(t, freshPostgres(t, testenv.PostgresDSN(t)))
	env := uniqueEnv(t)
	for round := range 20 {
		id, err := r.StartAction(ctx, registry.Action{Env: env, Index: "movies", Version: 1, Kind: registry.ActionUpdate, Pid: -1})
		if err != nil {
			t.Fatal(err)
		}
		parts := make([]registry.Partition, 4)
		for k := range parts {
			parts[k] = registry.Partition{Number: k, Slices: 1000}
		}
		if err := r.BeginPartitioned(ctx, id, time.Hour, json.RawMessage(`{"distributed":true}`), parts,
			func(context.Context, registry.Tx) ([]int64, error) { return nil, nil }); err != nil {
			t.Fatal(err)
		}
		if running, err := r.RunningPartitioned(ctx, env, ""); err != nil || len(running) != 1 || running[0].ID != id {
			t.Fatalf("round %d: RunningPartitioned = %+v, %v; want action %d", round, running, err, id)
		}
		stop := make(chan struct{})
		var wg sync.WaitGroup
		for k := range 4 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for s := 0; ; s++ {
					select {
					case <-stop:
						return
					default:
					}
					_, _ = r.PartitionProgress(ctx, id, k, registry.Counts{Indexed: int64(s)})
					_ = r.SliceDone(ctx, id, k, s, registry.Counts{Indexed: 1})
				}
			}()
		}
		time.Sleep(20 * time.Millisecond)
		ended, err := r.EndRunningAction(ctx, id, registry.ActionInterrupted, "interrupted")
		close(stop)
		wg.Wait()
		if err != nil || !ended {
			t.Fatalf("round %d: EndRunningAction beside workers' progress = %v, %v; want it ended", round, ended, err)
		}
		if running, err := r.RunningPartitioned(ctx, env, "movies"); err != nil || len(running) != 0 {
			t.Fatalf("round %d: RunningPartitioned after the end = %+v, %v; want none", round, running, err)
		}
	}
}
