package host_test

import (
	"errors"
	"net/url"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/demhost/demhost/host"
	"github.com/demhost/demhost/internal/faultproxy"
	"github.com/demhost/demhost/internal/testenv"
	"github.com/demhost/demhost/registry"
)

// proxiedPostgres opens a registry in a fresh Postgres schema through a
// fault proxy, and returns it with the proxy and the direct DSN.
func proxiedPostgres(t *testing.T, opts ...registry.Option) (*registry.Registry, *faultproxy.Proxy, string) {
	t.Helper()
	ctx := testenv.Context(t)
	direct, _ := testenv.PostgresSchema(t)
	u, err := url.Parse(direct)
	if err != nil {
		t.Fatal(err)
	}
	p, err := faultproxy.New(u.Host)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Close() })
	via, err := p.URL(direct)
	if err != nil {
		t.Fatal(err)
	}
	reg, err := registry.Open(ctx, via, opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { reg.Close() })
	return reg, p, direct
}

// TestUpdateStopsWhenLockLost: the registry connections of a running
// update are cut, so Postgres frees its lock. The update stops and ends
// failed with "lock lost" (not interrupted), in its result and its record.
func TestUpdateStopsWhenLockLost(t *testing.T) {
	eachEngine(t, func(t *testing.T, e testenv.Engine) {
		reg, proxy, _ := proxiedPostgres(t, registry.WithLease(3*time.Second))
		src := newTestSource("movies", 20000)
		f := newFixture(t, openEngine(t, e.URL), reg, host.BulkConfig{Workers: 2, BatchSize: 50}, src)
		ctx, h := f.ctx, f.h
		f.one(h.Create(ctx, []string{"movies"}, host.CreateOptions{}))
		f.one(h.Activate(ctx, []string{"movies"}))

		var cut time.Time
		src.written = 0
		src.onWrite = func(n int) {
			if n == 2000 {
				cut = time.Now()
				proxy.Cut()
			}
			if n > 2000 {
				time.Sleep(time.Millisecond) // a slow source: the run outlasts the cut
			}
		}
		rs, err := h.Update(ctx, []string{"movies"}, host.UpdateOptions{})
		src.onWrite = nil
		stopped := time.Since(cut)
		if !errors.Is(err, registry.ErrLockLost) || errors.Is(err, host.ErrInterrupted) {
			t.Fatalf("update whose lock was lost: %v, want ErrLockLost and not ErrInterrupted", err)
		}
		if stopped > 3*time.Second {
			t.Errorf("the update stopped %s after its lock was lost", stopped)
		}
		if len(rs) != 1 || rs[0].Counts.Indexed >= 20000 {
			t.Errorf("results %+v, want a partial update", rs)
		}
		acts, err := h.History(ctx, "movies", 1)
		if err != nil {
			t.Fatal(err)
		}
		if a := acts[0]; a.Kind != registry.ActionUpdate || a.Status != registry.ActionFailed || !strings.Contains(a.Error, "lock lost") {
			t.Errorf("recorded %s %s %q, want a failed update saying lock lost", a.Kind, a.Status, a.Error)
		}
	})
}

// TestNextActionMarksAbandoned: an action left in progress by a process
// that died is marked abandoned by the next action on its index, which
// says so in its log; an action of another index is left alone.
func TestNextActionMarksAbandoned(t *testing.T) {
	eachEngine(t, func(t *testing.T, e testenv.Engine) {
		reg := openSQLite(t)
		f := newFixture(t, openEngine(t, e.URL), reg, host.BulkConfig{}, newTestSource("movies", 10))
		ctx, h := f.ctx, f.h
		dead := exec.Command("true")
		if err := dead.Run(); err != nil {
			t.Fatal(err)
		}
		self, _ := os.Hostname()
		start := func(index string) int64 {
			id, err := reg.StartAction(ctx, registry.Action{Env: f.env, Index: index, Kind: registry.ActionUpdate,
				Status: registry.ActionInProgress, Host: self, Pid: dead.Process.Pid})
			if err != nil {
				t.Fatal(err)
			}
			return id
		}
		stale, other := start("movies"), start("books")
		r := f.one(h.Create(ctx, []string{"movies"}, host.CreateOptions{}))
		a, err := reg.Action(ctx, stale)
		if err != nil {
			t.Fatal(err)
		}
		if a.Status != registry.ActionAbandoned {
			t.Errorf("stale action after the next action on its index: %s, want abandoned", a.Status)
		}
		created, err := reg.Action(ctx, r.ActionID)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(created.Log, "abandoned") {
			t.Errorf("the create's log does not say it marked action %d abandoned: %q", stale, created.Log)
		}
		// Not read through History or Action (which would mark it): the
		// action of another index is still in progress in the registry.
		ids, err := reg.MarkAbandoned(ctx, f.env, "books")
		if err != nil || len(ids) != 1 || ids[0] != other {
			t.Errorf("MarkAbandoned of books = %v, %v; want [%d], left by the create of movies", ids, err, other)
		}
	})
}
