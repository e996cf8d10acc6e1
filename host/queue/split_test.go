package queue_test

import (
	"bytes"
	"context"
	"encoding/json"
	"sync"
	"testing"
	"time"

	"github.com/demhost/demhost/estest"
	"github.com/demhost/demhost/host"
	"github.com/demhost/demhost/host/queue"
	"github.com/demhost/demhost/internal/testenv"
	sdk "github.com/demhost/demhost/plugin-sdk"
	"github.com/demhost/demhost/plugins/sqltable/sqltable"
	"github.com/demhost/demhost/registry"
	"github.com/jackc/pgx/v5"
)

// splitRecorder wraps a source to keep the split its Split answered and
// the splits its streams were given.
type splitRecorder struct {
	*sdk.Local
	mu      sync.Mutex
	split   []byte
	streams [][]byte
}

func (r *splitRecorder) Split(ctx context.Context, req *sdk.SplitRequest) (*sdk.SplitResponse, error) {
	resp, err := r.Local.Split(ctx, req)
	if err == nil {
		r.mu.Lock()
		r.split = resp.Split
		r.mu.Unlock()
	}
	return resp, err
}

func (r *splitRecorder) Stream(ctx context.Context, req *sdk.StreamRequest, fn func(*sdk.Batch) error) error {
	r.mu.Lock()
	r.streams = append(r.streams, req.Split)
	r.mu.Unlock()
	return r.Local.Stream(ctx, req, fn)
}

// TestDistributedSplitRecorded: a distributed update of a sqltable table
// (paging off: each partition one statement) is split once, when it is
// enqueued; an ANALYZE that then moves every quantile changes nothing for
// the workers, which start later with their own plugin processes (fresh
// sources). Every row present when they read arrives, each job reads its
// own range (not one job the whole table), and every stream was given the
// recorded split.
func TestDistributedSplitRecorded(t *testing.T) {
	t.Parallel()
	ctx := testenv.Context(t)
	dsn, schema := testenv.PostgresSchema(t)
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	exec := func(sql string) {
		t.Helper()
		if _, err := conn.Exec(ctx, sql); err != nil {
			t.Fatalf("%s: %v", sql, err)
		}
	}
	table := schema + ".books"
	exec("CREATE TABLE " + table + " (id text, n int) WITH (autovacuum_enabled = false)")
	exec("INSERT INTO " + table + " SELECT 'a' || g, g FROM generate_series(1, 6000) g")
	exec("ANALYZE " + table)
	env := estest.New(t)
	reg := openRegistry(t, dsn)
	source := func() *splitRecorder {
		local := sdk.NewLocal("sqltable", sqltable.New(sqltable.WithLogger(quiet())))
		cfg, _ := json.Marshal(map[string]any{"dsn": dsn, "table": table, "index": "books", "id_column": "id", "paging": "off"})
		if _, err := local.Configure(ctx, &sdk.ConfigureRequest{Config: cfg}); err != nil {
			t.Fatal(err)
		}
		return &splitRecorder{Local: local}
	}
	hostOn := func(src *splitRecorder) *host.Host {
		h, err := host.New(ctx, host.Options{Env: env.Prefix(), Registry: reg, Engine: env.Engine(), Sources: []host.Source{src},
			ProgressInterval: 100 * time.Millisecond, Bulk: host.BulkConfig{Workers: 2, BatchSize: 200}})
		if err != nil {
			t.Fatal(err)
		}
		return h
	}
	coord := source()
	h := hostOn(coord)
	if _, err := h.Create(ctx, []string{"books"}, host.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	const partitions, slices = 4, 4 // 16 partitions: a multiple of sdk.HostSubPartitions
	r, err := h.UpdateDistributed(ctx, "books-1", host.DistributedOptions{Partitions: partitions, Slices: slices, Detach: true,
		Queue: coordinator(t, reg, env.Prefix(), queue.Options{})})
	if err != nil {
		t.Fatal(err)
	}
	if len(coord.split) == 0 {
		t.Fatal("the coordinator's source was not asked for a split")
	}
	exec("INSERT INTO " + table + " SELECT '0' || g, g FROM generate_series(1, 3000) g")
	exec("ANALYZE " + table)

	workers := []*splitRecorder{source(), source()}
	for _, w := range workers {
		worker(t, reg, hostOn(w), queue.Options{Concurrency: 2})
	}
	a := waitEnded(t, reg, r.ActionID, time.Minute)
	if a.Status != registry.ActionComplete || a.Indexed != 9000 {
		t.Fatalf("action %d: %s with %d indexed, want complete with 9000: %s\n%s", a.ID, a.Status, a.Indexed, a.Error, a.Log)
	}
	if got := count(t, env, env.Index("books-1")); got != 9000 {
		t.Fatalf("_count %d, want 9000", got)
	}
	streams := 0
	for _, w := range workers {
		for _, s := range w.streams {
			streams++
			if !bytes.Equal(s, coord.split) {
				t.Errorf("a worker's stream was given split %q, want the recorded %q", s, coord.split)
			}
		}
	}
	if streams != partitions*slices {
		t.Errorf("%d streams on the workers, want %d", streams, partitions*slices)
	}
	parts, err := reg.Partitions(ctx, r.ActionID)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range parts {
		if p.Indexed == 0 {
			t.Errorf("partition %d indexed nothing: the jobs did not share the table (%+v)", p.Number, parts)
		}
	}
}
