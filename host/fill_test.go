package host_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/demhost/demhost/host"
	"github.com/demhost/demhost/internal/testenv"
	sdk "github.com/demhost/demhost/plugin-sdk"
	"github.com/demhost/demhost/plugins/sqltable/sqltable"
)

// TestResumeReadsLateCommit is issue 11's repro against real Postgres and
// both engines: a row updated by a transaction that is open while an
// update --resume reads, and commits after it, arrives on the next
// --resume, because the checkpoint comes from Postgres's watermark and not
// from the host's clock.
func TestResumeReadsLateCommit(t *testing.T) {
	eachEngine(t, func(t *testing.T, e testenv.Engine) {
		ctx := testenv.Context(t)
		dsn := testenv.PostgresDSN(t)
		conn, err := pgx.Connect(ctx, dsn)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close(context.Background())
		schema := strings.TrimSuffix(randomPrefix(t), "_") + "_late"
		exec := func(sql string) {
			t.Helper()
			if _, err := conn.Exec(ctx, sql); err != nil {
				t.Fatalf("%s: %v", sql, err)
			}
		}
		exec("CREATE SCHEMA " + schema)
		t.Cleanup(func() { conn.Exec(context.Background(), "DROP SCHEMA "+schema+" CASCADE") })
		exec("CREATE TABLE " + schema + ".books (id int PRIMARY KEY, status text NOT NULL, updated_at timestamptz NOT NULL)")
		exec("INSERT INTO " + schema + ".books SELECT g, 'old', now() - interval '1 day' FROM generate_series(1, 5000) g")

		src := sdk.NewLocal("sqltable", sqltable.New())
		cfg, _ := json.Marshal(map[string]any{"dsn": dsn, "table": schema + ".books", "id_column": "id", "updated_at_column": "updated_at"})
		if _, err := src.Configure(ctx, &sdk.ConfigureRequest{Config: cfg}); err != nil {
			t.Fatal(err)
		}
		eng := openEngine(t, e.URL)
		env := randomPrefix(t)
		h, err := host.New(ctx, host.Options{Env: env, Registry: openSQLite(t), Engine: eng, Sources: []host.Source{src},
			Bulk: host.BulkConfig{Workers: 2}, ResumeOverlap: -1})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { cleanupPrefix(t, eng, env) })
		f := &fixture{t: t, ctx: ctx, h: h, eng: eng, env: env}
		f.one(h.Create(ctx, []string{"books"}, host.CreateOptions{}))
		f.one(h.Activate(ctx, []string{"books"}))
		if r := f.one(h.Update(ctx, []string{"books"}, host.UpdateOptions{})); r.Counts.Indexed != 5000 {
			t.Fatalf("full update indexed %d, want 5000", r.Counts.Indexed)
		}

		// 1. A web request's transaction updates row 3001 and stays open.
		late, err := pgx.Connect(ctx, dsn)
		if err != nil {
			t.Fatal(err)
		}
		defer late.Close(context.Background())
		tx, err := late.Begin(ctx)
		if err != nil {
			t.Fatal(err)
		}
		defer tx.Rollback(context.Background())
		if _, err := tx.Exec(ctx, "UPDATE "+schema+".books SET status = 'late', updated_at = now() WHERE id = 3001"); err != nil {
			t.Fatal(err)
		}
		time.Sleep(20 * time.Millisecond)
		// 2. Meanwhile update --resume runs; it cannot see row 3001's change.
		if r := f.one(h.Update(ctx, []string{"books"}, host.UpdateOptions{Resume: true})); r.Counts.Indexed != 0 {
			t.Fatalf("resume during the open transaction indexed %d, want 0", r.Counts.Indexed)
		}
		// 3. The transaction commits.
		if err := tx.Commit(ctx); err != nil {
			t.Fatal(err)
		}
		// 4. The next --resume reads it.
		r := f.one(h.Update(ctx, []string{"books"}, host.UpdateOptions{Resume: true}))
		if r.Counts.Indexed != 1 {
			t.Errorf("resume after the commit indexed %d, want exactly row 3001", r.Counts.Indexed)
		}
		if got := statusIn(t, e.URL, h.Alias("books"), "3001"); got != "late" {
			t.Errorf("document 3001 has status %q in the engine, want the committed 'late'", got)
		}
		acts, err := h.History(ctx, "books", 1)
		if err != nil || !strings.Contains(acts[0].Log, "watermark from source sqltable") {
			t.Errorf("the update's log does not name the source's watermark: %v %q", err, acts[0].Log)
		}
	})
}

func statusIn(t *testing.T, url, index, id string) string {
	t.Helper()
	code, body := testenv.Request(t, "GET", url+"/"+index+"/_doc/"+id, nil)
	if code != 200 {
		t.Fatalf("GET %s/_doc/%s: %d %s", index, id, code, body)
	}
	var doc struct {
		Source struct {
			Status string `json:"status"`
		} `json:"_source"`
	}
	if err := json.Unmarshal(body, &doc); err != nil {
		t.Fatal(err)
	}
	return doc.Source.Status
}

// TestFillStates walks a version through the states list tells apart, and
// checks that --resume on a version that never had a complete full fill
// reads everything and says so.
func TestFillStates(t *testing.T) {
	eachEngine(t, func(t *testing.T, e testenv.Engine) {
		src := newTestSource("books", 500)
		src.add(80, time.Now().Add(-10*time.Minute))
		f := newFixture(t, openEngine(t, e.URL), openSQLite(t), host.BulkConfig{Workers: 2, BatchSize: 50}, src)
		ctx, h := f.ctx, f.h
		state := func(want string) {
			t.Helper()
			rows, err := h.List(ctx, "books")
			if err != nil {
				t.Fatal(err)
			}
			if rows[len(rows)-1].Status != want {
				t.Errorf("list says %s is %q, want %q", rows[len(rows)-1].Name, rows[len(rows)-1].Status, want)
			}
		}
		f.one(h.Create(ctx, []string{"books"}, host.CreateOptions{}))
		state(host.FillEmpty)

		// A partial first fill (--start) is not complete ...
		r := f.one(h.Update(ctx, []string{"books-1"}, host.UpdateOptions{Start: time.Now().Add(-30 * time.Minute)}))
		if r.Counts.Indexed != 80 || len(r.Notes) == 0 {
			t.Fatalf("--start fill: %d indexed, notes %q; want 80 and a note that it is not complete", r.Counts.Indexed, r.Notes)
		}
		state(host.FillPartial)
		// ... so --resume reads everything, and says so.
		r = f.one(h.Update(ctx, []string{"books-1"}, host.UpdateOptions{Resume: true}))
		if r.Counts.Indexed != 580 || len(r.Notes) != 1 || !strings.Contains(r.Notes[0], "never had a complete full update") {
			t.Fatalf("resume after a partial fill: %d indexed, notes %q; want 580 and a note", r.Counts.Indexed, r.Notes)
		}
		state(host.FillReady)
		if r = f.one(h.Update(ctx, []string{"books-1"}, host.UpdateOptions{Resume: true})); r.Counts.Indexed != 0 {
			t.Errorf("resume of a ready version with no change indexed %d", r.Counts.Indexed)
		}

		// An interrupted full fill after a clear leaves "interrupted".
		f.one(h.Clear(ctx, "books-1", host.ClearOptions{}))
		state(host.FillEmpty)
		cctx, cancel := context.WithCancel(ctx)
		src.onWrite = func(n int) {
			if n == 100 {
				cancel()
			}
		}
		_, err := h.Update(cctx, []string{"books-1"}, host.UpdateOptions{})
		src.onWrite = nil
		if err == nil {
			t.Fatal("the cancelled update succeeded")
		}
		state(host.FillInterrupted)
		// A clear forgets the checkpoint: --resume reads everything.
		if r = f.one(h.Update(ctx, []string{"books-1"}, host.UpdateOptions{Resume: true})); r.Counts.Indexed != 580 {
			t.Errorf("resume after clear + interrupted fill indexed %d, want 580", r.Counts.Indexed)
		}
		state(host.FillReady)
		// --start later than the checkpoint does not move it forward.
		f.one(h.Update(ctx, []string{"books-1"}, host.UpdateOptions{Start: time.Now().Add(time.Hour)}))
		src.add(7, time.Now().Add(-time.Second))
		if r = f.one(h.Update(ctx, []string{"books-1"}, host.UpdateOptions{Resume: true})); r.Counts.Indexed != 7 {
			t.Errorf("resume after a --start in the future indexed %d, want the 7 changed since the checkpoint", r.Counts.Indexed)
		}
	})
}

// TestConcurrentNewerCatchesUp: two update --newer started together; the
// one that waited for the lock reads only what changed since the first
// one's watermark, not the whole load again.
func TestConcurrentNewerCatchesUp(t *testing.T) {
	eachEngine(t, func(t *testing.T, e testenv.Engine) {
		src := newTestSource("books", 3000)
		f := newFixture(t, openEngine(t, e.URL), openSQLite(t), host.BulkConfig{Workers: 2, BatchSize: 100}, src)
		ctx, h := f.ctx, f.h
		f.one(h.Create(ctx, []string{"books"}, host.CreateOptions{}))
		f.one(h.Activate(ctx, []string{"books"}))
		f.one(h.Create(ctx, []string{"books"}, host.CreateOptions{Force: true}))

		started := make(chan struct{})
		var once sync.Once
		src.onWrite = func(n int) {
			if n == 10 {
				once.Do(func() { close(started) })
				time.Sleep(300 * time.Millisecond) // let the second run queue on the lock
			}
			if n == 2000 {
				src.add(5, time.Now()) // written while the first run reads
			}
		}
		var wg sync.WaitGroup
		results := make([][]host.Result, 2)
		errs := make([]error, 2)
		wg.Add(2)
		go func() {
			defer wg.Done()
			results[0], errs[0] = h.Update(ctx, []string{"books"}, host.UpdateOptions{Newer: true})
		}()
		go func() {
			defer wg.Done()
			<-started
			results[1], errs[1] = h.Update(ctx, []string{"books"}, host.UpdateOptions{Newer: true})
		}()
		wg.Wait()
		src.onWrite = nil
		for i, err := range errs {
			if err != nil || len(results[i]) != 1 {
				t.Fatalf("run %d: %v, %+v", i, err, results[i])
			}
		}
		first, second := results[0][0], results[1][0]
		if first.Counts.Indexed < 3000 {
			t.Errorf("the first run indexed %d, want the full 3000 or more", first.Counts.Indexed)
		}
		if second.Counts.Indexed != 5 || len(second.Notes) == 0 || !strings.Contains(second.Notes[0], "while this update waited for its lock") {
			t.Errorf("the second run indexed %d with notes %q; want only the 5 that changed meanwhile, and a note saying why", second.Counts.Indexed, second.Notes)
		}
		if n := f.count(fmt.Sprintf("%sbooks-2", f.env)); n != 3005 {
			t.Errorf("books-2 holds %d documents, want 3005", n)
		}
	})
}

// skippingSource serves the test source's documents and reports n
// records it skipped.
type skippingSource struct {
	*testSource
	n int
}

func (s skippingSource) Stream(ctx context.Context, req *sdk.StreamRequest, w sdk.Writer) error {
	if req.Partition == 0 {
		for i := range s.n {
			if err := sdk.Skip(w, fmt.Sprintf("bad-%d", i), fmt.Sprintf("row %d has no title", i)); err != nil {
				return err
			}
		}
	}
	return s.testSource.Stream(ctx, req, w)
}

// TestSkippedRecordsCounted: records a source skips are counted beside
// indexed/failed/deleted in the result, the action and list, and the first
// ones are named with their reasons; none is a failure.
func TestSkippedRecordsCounted(t *testing.T) {
	eachEngine(t, func(t *testing.T, e testenv.Engine) {
		src := skippingSource{newTestSource("books", 300), 150}
		f := newFixture(t, openEngine(t, e.URL), openSQLite(t), host.BulkConfig{Workers: 2}, src)
		ctx, h := f.ctx, f.h
		f.one(h.Create(ctx, []string{"books"}, host.CreateOptions{}))
		f.one(h.Activate(ctx, []string{"books"}))
		r := f.one(h.Update(ctx, []string{"books"}, host.UpdateOptions{}))
		if r.Counts.Indexed != 300 || r.Counts.Skipped != 150 || r.Counts.Failed != 0 {
			t.Fatalf("counts = %+v, want 300 indexed, 150 skipped, 0 failed", r.Counts)
		}
		if len(r.Skips) != 100 || r.Skips[0].ID != "bad-0" || r.Skips[0].Reason != "row 0 has no title" {
			t.Errorf("skips = %d, first %+v; want the first 100 with their reasons", len(r.Skips), r.Skips[0])
		}
		if !strings.Contains(r.Message, "150 skipped") {
			t.Errorf("message %q does not count the skips", r.Message)
		}
		acts, err := h.History(ctx, "books", 1)
		if err != nil || acts[0].Skipped != 150 || !strings.Contains(acts[0].Log, `source skipped "bad-7": row 7 has no title`) {
			t.Errorf("action: skipped %d, log %q (%v)", acts[0].Skipped, acts[0].Log, err)
		}
		rows, err := h.List(ctx, "books")
		if err != nil || rows[0].Skipped != 150 || rows[0].Status != host.FillReady {
			t.Errorf("list = %+v (%v), want 150 skipped and ready", rows, err)
		}
		if n := f.count(h.Alias("books")); n != 300 {
			t.Errorf("count = %d, want 300", n)
		}
	})
}

// TestProgressEvents: the host reports a running update to OnProgress
// (it draws nothing itself), ending with one Final report whose counts are
// the result's.
func TestProgressEvents(t *testing.T) {
	t.Parallel()
	ctx := testenv.Context(t)
	url := testenv.ElasticsearchURL(t)
	eng := openEngine(t, url)
	src := newTestSource("books", 2000)
	src.onWrite = func(n int) {
		if n%500 == 0 {
			time.Sleep(60 * time.Millisecond) // long enough for reports in between
		}
	}
	local := sdk.NewLocal("test", src)
	var mu sync.Mutex
	var got []host.Progress
	env := randomPrefix(t)
	h, err := host.New(ctx, host.Options{Env: env, Registry: openSQLite(t), Engine: eng, Sources: []host.Source{local},
		Bulk: host.BulkConfig{Workers: 2, BatchSize: 100}, ProgressInterval: 20 * time.Millisecond,
		OnProgress: func(p host.Progress) { mu.Lock(); got = append(got, p); mu.Unlock() }})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cleanupPrefix(t, eng, env) })
	f := &fixture{t: t, ctx: ctx, h: h, eng: eng, env: env}
	f.one(h.Create(ctx, []string{"books"}, host.CreateOptions{}))
	f.one(h.Activate(ctx, []string{"books"}))
	r := f.one(h.Update(ctx, []string{"books"}, host.UpdateOptions{}))
	mu.Lock()
	defer mu.Unlock()
	if len(got) < 3 {
		t.Fatalf("%d progress reports, want several", len(got))
	}
	last := got[len(got)-1]
	if !last.Final || last.Counts != r.Counts || last.ActionID != r.ActionID || last.Index != "books" || last.Version != 1 {
		t.Errorf("last report %+v, want Final with the result's counts %+v and action %d", last, r.Counts, r.ActionID)
	}
	for i, p := range got[:len(got)-1] {
		if p.Final {
			t.Errorf("report %d of %d is Final", i, len(got))
		}
		if i > 0 && p.Counts.Indexed < got[i-1].Counts.Indexed {
			t.Errorf("counts went back: %d then %d", got[i-1].Counts.Indexed, p.Counts.Indexed)
		}
	}
}
