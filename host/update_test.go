package host_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/demhost/demhost/host"
	"github.com/demhost/demhost/internal/testenv"
	"github.com/demhost/demhost/registry"
)

func TestUpdateResume(t *testing.T) {
	eachEngine(t, func(t *testing.T, e testenv.Engine) {
		src := newTestSource("movies", 100)
		f := newFixture(t, openEngine(t, e.URL), openSQLite(t), host.BulkConfig{Workers: 2}, src)
		ctx, h := f.ctx, f.h
		f.one(h.Create(ctx, []string{"movies"}, host.CreateOptions{}))
		_, err := h.Update(ctx, []string{"movies"}, host.UpdateOptions{})
		var noActive *host.NoActiveVersionError
		if !errors.As(err, &noActive) || noActive.Index != "movies" || noActive.Latest != 1 {
			t.Fatalf("update with no active version: err = %v, want a NoActiveVersionError naming movies and movies-1", err)
		}
		f.one(h.Activate(ctx, []string{"movies"}))
		r := f.one(h.Update(ctx, []string{"movies"}, host.UpdateOptions{Resume: true}))
		if r.Counts.Indexed != 100 {
			t.Fatalf("first resume (no checkpoint) indexed %d, want 100", r.Counts.Indexed)
		}
		src.add(20, time.Now().Add(time.Second))
		r = f.one(h.Update(ctx, []string{"movies"}, host.UpdateOptions{Resume: true}))
		if r.Counts.Indexed != 20 {
			t.Fatalf("resume indexed %d, want the 20 changed documents", r.Counts.Indexed)
		}
		if n := f.count(h.Alias("movies")); n != 120 {
			t.Fatalf("count = %d, want 120", n)
		}
		r = f.one(h.Update(ctx, []string{"movies-1"}, host.UpdateOptions{Resume: true, Start: time.Now().Add(-2 * time.Hour)}))
		if r.Counts.Indexed != 120 {
			t.Fatalf("--start before every document indexed %d, want 120 (--start wins over --resume)", r.Counts.Indexed)
		}
		acts, err := h.History(ctx, "movies", 10)
		if err != nil {
			t.Fatal(err)
		}
		last := acts[len(acts)-3] // the first update
		if last.Kind != registry.ActionUpdate || !strings.Contains(last.Log, "never had a complete full update") {
			t.Errorf("first update's log = %q, want it to say there was no checkpoint", last.Log)
		}
	})
}

func TestUpdateRejectedDocument(t *testing.T) {
	eachEngine(t, func(t *testing.T, e testenv.Engine) {
		src := newTestSource("movies", 100)
		src.addRaw("bad \"one\"", `{"title":"Bad","year":"not a year"}`, time.Now())
		f := newFixture(t, openEngine(t, e.URL), openSQLite(t), host.BulkConfig{Workers: 2, BatchSize: 10}, src)
		ctx, h := f.ctx, f.h
		f.one(h.Create(ctx, []string{"movies"}, host.CreateOptions{}))
		f.one(h.Activate(ctx, []string{"movies"}))
		rs, err := h.Update(ctx, []string{"movies"}, host.UpdateOptions{})
		if !errors.Is(err, host.ErrDocumentsFailed) {
			t.Fatalf("err = %v, want ErrDocumentsFailed", err)
		}
		if len(rs) != 1 {
			t.Fatalf("results = %+v", rs)
		}
		r := rs[0]
		if r.Counts.Indexed != 100 || r.Counts.Failed != 1 {
			t.Fatalf("counts = %+v, want 100 indexed and 1 failed", r.Counts)
		}
		if len(r.Failures) != 1 || r.Failures[0].ID != `bad "one"` || !strings.Contains(r.Failures[0].Reason, "year") {
			t.Fatalf("failures = %+v, want the bad document with a reason naming the field", r.Failures)
		}
		if n := f.count(h.Alias("movies")); n != 100 {
			t.Fatalf("count = %d, want 100", n)
		}
		acts, err := h.History(ctx, "movies", 1)
		if err != nil {
			t.Fatal(err)
		}
		if a := acts[0]; a.Status != registry.ActionFailed || a.Failed != 1 || !strings.Contains(a.Log, `bad \"one\"`) {
			t.Fatalf("action = %s failed=%d log %q, want failed with the document logged", a.Status, a.Failed, a.Log)
		}
	})
}

func TestUpdateInterruptedThenResumed(t *testing.T) {
	eachEngine(t, func(t *testing.T, e testenv.Engine) {
		src := newTestSource("movies", 2000)
		f := newFixture(t, openEngine(t, e.URL), openSQLite(t), host.BulkConfig{Workers: 2, BatchSize: 50}, src)
		ctx, h := f.ctx, f.h
		f.one(h.Create(ctx, []string{"movies"}, host.CreateOptions{}))
		f.one(h.Activate(ctx, []string{"movies"}))
		f.one(h.Update(ctx, []string{"movies"}, host.UpdateOptions{}))
		src.add(3000, time.Now().Add(time.Second))

		cctx, cancel := context.WithCancel(ctx)
		defer cancel()
		src.written = 0
		src.onWrite = func(n int) {
			if n == 1000 {
				cancel()
			}
		}
		rs, err := h.Update(cctx, []string{"movies"}, host.UpdateOptions{Resume: true})
		src.onWrite = nil
		if !errors.Is(err, host.ErrInterrupted) {
			t.Fatalf("err = %v, want ErrInterrupted", err)
		}
		if len(rs) != 1 || rs[0].Counts.Indexed >= 3000 {
			t.Fatalf("interrupted results = %+v, want fewer than 3000 indexed", rs)
		}
		acts, err := h.History(ctx, "movies", 1)
		if err != nil {
			t.Fatal(err)
		}
		if a := acts[0]; a.Status != registry.ActionInterrupted || a.Indexed != rs[0].Counts.Indexed || a.EndedAt == nil {
			t.Fatalf("action = %s indexed %d ended %v, want interrupted with the result's counts", a.Status, a.Indexed, a.EndedAt)
		}
		r := f.one(h.Update(ctx, []string{"movies"}, host.UpdateOptions{Resume: true}))
		if r.Counts.Indexed != 3000 {
			t.Fatalf("resume after the interruption indexed %d, want 3000", r.Counts.Indexed)
		}
		if n := f.count(h.Alias("movies")); n != 5000 {
			t.Fatalf("count = %d, want 5000", n)
		}
	})
}

func TestUpdateRestoresLoadSettings(t *testing.T) {
	eachEngine(t, func(t *testing.T, e testenv.Engine) {
		src := newTestSource("movies", 500)
		src.settings = `{"number_of_shards":1,"number_of_replicas":1,"refresh_interval":"7s"}`
		f := newFixture(t, openEngine(t, e.URL), openSQLite(t), host.BulkConfig{Workers: 2, BatchSize: 20}, src)
		ctx, h := f.ctx, f.h
		v2 := f.env + "movies-2"
		f.one(h.Create(ctx, []string{"movies"}, host.CreateOptions{}))
		f.one(h.Activate(ctx, []string{"movies"}))
		f.one(h.Create(ctx, []string{"movies"}, host.CreateOptions{Force: true}))

		settings := func() (string, string) {
			s, err := f.eng.GetSettings(context.Background(), v2)
			if err != nil {
				t.Errorf("get settings: %v", err)
			}
			return s["index.refresh_interval"], s["index.number_of_replicas"]
		}
		for _, interrupt := range []bool{true, false} {
			cctx, cancel := context.WithCancel(ctx)
			var once sync.Once
			var during [2]string
			src.written = 0
			src.onWrite = func(n int) {
				if n == 100 {
					once.Do(func() {
						during[0], during[1] = settings()
						if interrupt {
							cancel()
						}
					})
				}
			}
			_, err := h.Update(cctx, []string{"movies-2"}, host.UpdateOptions{})
			cancel()
			src.onWrite = nil
			if interrupt != errors.Is(err, host.ErrInterrupted) || (!interrupt && err != nil) {
				t.Fatalf("interrupt=%v: err = %v", interrupt, err)
			}
			if during != [2]string{"-1", "0"} {
				t.Errorf("interrupt=%v: settings during the load = %v, want refresh -1 and 0 replicas", interrupt, during)
			}
			if ri, rep := settings(); ri != "7s" || rep != "1" {
				t.Errorf("interrupt=%v: settings after = %s, %s, want 7s and 1 restored", interrupt, ri, rep)
			}
		}
		if n := f.count(v2); n != 500 {
			t.Fatalf("movies-2 count = %d, want 500", n)
		}
	})
}

func TestUpdateRecordsRunningProgress(t *testing.T) {
	t.Parallel()
	src := newTestSource("movies", 300)
	f := newFixture(t, openEngine(t, testenv.ElasticsearchURL(t)), openSQLite(t), host.BulkConfig{Workers: 1, BatchSize: 10}, src)
	ctx, h := f.ctx, f.h
	f.one(h.Create(ctx, []string{"movies"}, host.CreateOptions{}))
	f.one(h.Activate(ctx, []string{"movies"}))
	var seen registry.Action
	src.onWrite = func(n int) {
		if n != 290 { // after the SDK's first batch of 256 documents
			return
		}
		for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
			acts, err := h.History(ctx, "movies", 1)
			if err == nil && len(acts) == 1 && acts[0].Indexed > 0 {
				seen = acts[0]
				return
			}
		}
	}
	f.one(h.Update(ctx, []string{"movies"}, host.UpdateOptions{}))
	if seen.Status != registry.ActionInProgress || seen.Indexed <= 0 || seen.Indexed > 290 {
		t.Fatalf("action seen during the update = %s with %d indexed, want in_progress with running counts", seen.Status, seen.Indexed)
	}
}

// TestStreamsReadPartitionsInTurn: with 2 streams, the host asks the
// source for 16 partitions per stream and each stream reads its own in
// turn (k, 2+k, 4+k…), so that the two move through the source's ids side
// by side; every partition is read once and every document indexed.
func TestStreamsReadPartitionsInTurn(t *testing.T) {
	e := testenv.Engines(t)[0]
	src := newTestSource("movies", 500)
	f := newFixture(t, openEngine(t, e.URL), openSQLite(t), host.BulkConfig{Workers: 2}, src)
	ctx, h := f.ctx, f.h
	f.one(h.Create(ctx, []string{"movies"}, host.CreateOptions{}))
	f.one(h.Activate(ctx, []string{"movies"}))
	src.mu.Lock()
	src.asked = nil
	src.mu.Unlock()
	r := f.one(h.Update(ctx, []string{"movies"}, host.UpdateOptions{}))
	if r.Counts.Indexed != 500 {
		t.Fatalf("indexed %d, want 500", r.Counts.Indexed)
	}
	src.mu.Lock()
	asked := slices.Clone(src.asked)
	src.mu.Unlock()
	var want []string
	for k := range 32 {
		want = append(want, fmt.Sprintf("%d/32", k))
	}
	sorted := slices.Clone(asked)
	slices.SortFunc(sorted, func(a, b string) int {
		var x, y int
		fmt.Sscanf(a, "%d/", &x)
		fmt.Sscanf(b, "%d/", &y)
		return x - y
	})
	if !slices.Equal(sorted, want) {
		t.Fatalf("partitions asked for: %v; want each of 0..31 of 32 once", asked)
	}
	// Each stream goes up through its own: partition 2j+k comes after
	// 2(j-1)+k.
	at := map[string]int{}
	for i, a := range asked {
		at[a] = i
	}
	for p := 2; p < 32; p++ {
		if at[fmt.Sprintf("%d/32", p)] < at[fmt.Sprintf("%d/32", p-2)] {
			t.Fatalf("partition %d was asked for before %d: %v", p, p-2, asked)
		}
	}
}
