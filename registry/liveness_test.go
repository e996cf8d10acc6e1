package registry_test

import (
	"os"
	"os/exec"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/demhost/demhost/internal/testenv"
	"github.com/demhost/demhost/registry"
)

// deadPid returns the pid of a process of this host that has exited.
func deadPid(t *testing.T) int {
	t.Helper()
	cmd := exec.Command("true")
	if err := cmd.Run(); err != nil {
		t.Skipf("cannot run true: %v", err)
	}
	return cmd.Process.Pid
}

func testAbandoned(t *testing.T, fresh func(t *testing.T) string) {
	ctx := testenv.Context(t)
	dsn := fresh(t)
	r := open(t, dsn)
	short := open(t, dsn, registry.WithLease(500*time.Millisecond))
	env := uniqueEnv(t)
	self, _ := os.Hostname()
	start := func(r *registry.Registry, host string, pid int, index string) int64 {
		t.Helper()
		id, err := r.StartAction(ctx, registry.Action{Env: env, Index: index, Kind: registry.ActionUpdate,
			Status: registry.ActionInProgress, Host: host, Pid: pid})
		if err != nil {
			t.Fatal(err)
		}
		return id
	}
	dead := start(r, self, deadPid(t), "movies")            // this host, process gone
	alive := start(short, self, 0, "movies")                // this very process, heartbeat left to go stale
	elsewhere := start(r, "far-away-host", 4242, "movies")  // another host, fresh heartbeat
	silent := start(short, "far-away-host", 4242, "movies") // another host, lease long run out
	otherIndex := start(r, self, deadPid(t), "books")       // dead, but of another index
	time.Sleep(700 * time.Millisecond)

	a, err := r.Action(ctx, alive)
	if err != nil {
		t.Fatal(err)
	}
	if a.Pid != os.Getpid() || a.Heartbeat == nil || a.Host != self {
		t.Errorf("StartAction recorded pid %d heartbeat %v host %q, want this process", a.Pid, a.Heartbeat, a.Host)
	}

	ids, err := r.MarkAbandoned(ctx, env, "movies")
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(ids)
	if want := []int64{dead, silent}; !slices.Equal(ids, want) {
		t.Errorf("MarkAbandoned = %v, want %v (dead pid, stale other host)", ids, want)
	}
	status := func(id int64) registry.Action {
		t.Helper()
		a, err := r.Action(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		return a
	}
	for id, want := range map[int64]registry.ActionStatus{
		dead: registry.ActionAbandoned, silent: registry.ActionAbandoned,
		alive: registry.ActionInProgress, elsewhere: registry.ActionInProgress,
	} {
		if a := status(id); a.Status != want {
			t.Errorf("action %d (%s pid %d): %s, want %s", id, a.Host, a.Pid, a.Status, want)
		}
	}
	if a := status(dead); a.EndedAt == nil || !strings.Contains(a.Error, "is gone") {
		t.Errorf("abandoned action: ended %v, error %q; want an end and why", a.EndedAt, a.Error)
	}
	if a := status(silent); !strings.Contains(a.Error, "no heartbeat from host far-away-host") {
		t.Errorf("abandoned action of another host: error %q", a.Error)
	}
	// History marks the rest (another index) as it reads them.
	h, err := r.History(ctx, registry.ActionFilter{Env: env, Index: "books"})
	if err != nil {
		t.Fatal(err)
	}
	if len(h) != 1 || h[0].ID != otherIndex || h[0].Status != registry.ActionAbandoned {
		t.Errorf("history of books = %+v, want action %d abandoned", h, otherIndex)
	}
	// The process that was thought dead gets through after all: its own
	// end wins.
	if err := r.FinishAction(ctx, silent, registry.ActionFailed, registry.Counts{}, "lock lost"); err != nil {
		t.Fatal(err)
	}
	if a := status(silent); a.Status != registry.ActionFailed || a.Error != "lock lost" {
		t.Errorf("finished after abandoned: %s %q", a.Status, a.Error)
	}
	// A renewed heartbeat keeps an action of another host alive past its
	// lease.
	beating := start(short, "far-away-host", 4242, "news")
	stop := short.Heartbeat(beating)
	time.Sleep(1200 * time.Millisecond)
	if ids, _ := short.MarkAbandoned(ctx, env, "news"); len(ids) != 0 {
		t.Errorf("MarkAbandoned marked %v although action %d renews its heartbeat", ids, beating)
	}
	stop()
	time.Sleep(700 * time.Millisecond)
	if ids, _ := short.MarkAbandoned(ctx, env, "news"); !slices.Equal(ids, []int64{beating}) {
		t.Errorf("MarkAbandoned = %v once the heartbeat stopped, want [%d]", ids, beating)
	}
}
