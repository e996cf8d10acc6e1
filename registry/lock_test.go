package registry_test

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/demhost/demhost/internal/testenv"
	"github.com/demhost/demhost/registry"
)

// startAction records an in-progress action to hold a lock for.
func startAction(t *testing.T, r *registry.Registry, env, index, host string) registry.Action {
	t.Helper()
	ctx := testenv.Context(t)
	id, err := r.StartAction(ctx, registry.Action{Env: env, Index: index, Kind: registry.ActionUpdate,
		Status: registry.ActionInProgress, Host: host})
	if err != nil {
		t.Fatal(err)
	}
	a, err := r.Action(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func testLockRace(t *testing.T, fresh func(t *testing.T) string) {
	ctx := testenv.Context(t)
	dsn := fresh(t)
	r1, r2 := open(t, dsn), open(t, dsn, registry.WithLockTimeout(20*time.Second))
	env := uniqueEnv(t)
	first, err := r1.Lock(ctx, env, "movies", 1)
	if err != nil {
		t.Fatal(err)
	}
	got := make(chan error, 1)
	var second *registry.Lock
	go func() {
		var err error
		second, err = r2.Lock(ctx, env, "movies", 2)
		got <- err
	}()
	select {
	case err := <-got:
		t.Fatalf("second Lock returned (%v) while the first was held", err)
	case <-time.After(500 * time.Millisecond):
	}
	if err := first.Release(); err != nil {
		t.Fatal(err)
	}
	if err := <-got; err != nil {
		t.Fatalf("second Lock after release: %v", err)
	}
	if err := second.Release(); err != nil {
		t.Fatal(err)
	}
	if err := second.Release(); err != nil {
		t.Errorf("second Release: %v", err)
	}
	if err := first.Release(); err != nil {
		t.Errorf("Release of a lock released long ago: %v", err)
	}
}

func testLockTimeoutNamesHolder(t *testing.T, fresh func(t *testing.T) string) {
	ctx := testenv.Context(t)
	dsn := fresh(t)
	holder := open(t, dsn)
	waiter := open(t, dsn, registry.WithLockTimeout(300*time.Millisecond))
	env := uniqueEnv(t)
	a := startAction(t, holder, env, "movies", "holder-host")
	l, err := holder.Lock(ctx, env, "movies", a.ID)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Release()
	b := startAction(t, waiter, env, "movies", "waiter-host")
	_, err = waiter.Lock(ctx, env, "movies", b.ID)
	var le *registry.LockedError
	if !errors.As(err, &le) || !errors.Is(err, registry.ErrLocked) {
		t.Fatalf("Lock of a held lock: %v, want a LockedError", err)
	}
	if le.ActionID != a.ID || le.Host != "holder-host" || !le.StartedAt.Equal(a.StartedAt) ||
		le.Env != env || le.Index != "movies" || le.Waited < 300*time.Millisecond {
		t.Errorf("LockedError %+v, want action %d on holder-host since %v", le, a.ID, a.StartedAt)
	}
	for _, part := range []string{strconv.FormatInt(a.ID, 10), "holder-host", a.StartedAt.Format(time.RFC3339)} {
		if !strings.Contains(err.Error(), part) {
			t.Errorf("message %q does not name %s", err, part)
		}
	}
	// Zero timeout: a single attempt.
	once := open(t, dsn, registry.WithLockTimeout(0))
	if _, err := once.Lock(ctx, env, "movies", b.ID); !errors.Is(err, registry.ErrLocked) {
		t.Errorf("single attempt: %v, want ErrLocked", err)
	}
}

func testLocksIndependent(t *testing.T, fresh func(t *testing.T) string) {
	ctx := testenv.Context(t)
	dsn := fresh(t)
	r := open(t, dsn, registry.WithLockTimeout(0))
	env, other := uniqueEnv(t), uniqueEnv(t)
	pairs := [][2]string{{env, "movies"}, {env, "books"}, {other, "movies"}, {env, "movie"}, {env + "m", "ovies"}}
	var held []*registry.Lock
	for _, p := range pairs {
		l, err := r.Lock(ctx, p[0], p[1], 1)
		if err != nil {
			t.Fatalf("lock %s%s while others are held: %v", p[0], p[1], err)
		}
		held = append(held, l)
	}
	// While held, writing to the registry still works.
	if _, err := r.CreateVersion(ctx, env, "movies", []byte(schemaA), ""); err != nil {
		t.Errorf("create while locked: %v", err)
	}
	for _, l := range held {
		if err := l.Release(); err != nil {
			t.Error(err)
		}
	}
}

func testLockReleasedAfterCancel(t *testing.T, fresh func(t *testing.T) string) {
	dsn := fresh(t)
	r := open(t, dsn, registry.WithLockTimeout(10*time.Second))
	env := uniqueEnv(t)
	ctx, cancel := context.WithCancel(testenv.Context(t))
	l, err := r.Lock(ctx, env, "movies", 1)
	if err != nil {
		t.Fatal(err)
	}
	cancel()
	// The lock is still held after the cancel …
	probe := open(t, dsn, registry.WithLockTimeout(0))
	if _, err := probe.Lock(testenv.Context(t), env, "movies", 2); !errors.Is(err, registry.ErrLocked) {
		t.Fatalf("lock after its context was cancelled: %v, want it still held", err)
	}
	// … and Release frees it all the same.
	if err := l.Release(); err != nil {
		t.Fatalf("Release after cancel: %v", err)
	}
	l2, err := r.Lock(testenv.Context(t), env, "movies", 2)
	if err != nil {
		t.Fatalf("lock after release: %v", err)
	}
	l2.Release()
	// A Lock whose context is already cancelled fails at once.
	if _, err := r.Lock(ctx, env, "movies", 3); !errors.Is(err, context.Canceled) {
		t.Errorf("Lock with a cancelled context: %v", err)
	}
}

const helperEnv = "DEMHOST_REGISTRY_HELPER"

// TestHelperProcess is not a test: testLockReleasedWhenProcessDies runs
// the test binary again with helperEnv set, and this takes a lock, says
// so and waits to be killed.
func TestHelperProcess(t *testing.T) {
	spec := os.Getenv(helperEnv)
	if spec == "" {
		t.Skip("helper process for the lock tests")
	}
	dsn, env, _ := strings.Cut(spec, "\n")
	r, err := registry.Open(context.Background(), dsn)
	if err != nil {
		fmt.Println("ERROR", err)
		os.Exit(1)
	}
	a := startAction(t, r, env, "movies", "") // this host: its death can be seen from its pid
	if _, err := r.Lock(context.Background(), env, "movies", a.ID); err != nil {
		fmt.Println("ERROR", err)
		os.Exit(1)
	}
	fmt.Println("LOCKED", a.ID)
	time.Sleep(2 * time.Minute)
	os.Exit(3) // never reached when the parent kills us
}

func testLockReleasedWhenProcessDies(t *testing.T, fresh func(t *testing.T) string) {
	ctx := testenv.Context(t)
	dsn := fresh(t)
	r := open(t, dsn, registry.WithLockTimeout(200*time.Millisecond))
	env := uniqueEnv(t)

	cmd := exec.CommandContext(ctx, os.Args[0], "-test.run=^TestHelperProcess$")
	cmd.Env = append(os.Environ(), helperEnv+"="+dsn+"\n"+env)
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill()
	line, err := bufio.NewReader(out).ReadString('\n')
	if err != nil {
		t.Fatalf("helper process: %v", err)
	}
	idText, ok := strings.CutPrefix(strings.TrimSpace(line), "LOCKED ")
	if !ok {
		t.Fatalf("helper process says %q", line)
	}
	childAction, _ := strconv.ParseInt(idText, 10, 64)

	_, err = r.Lock(ctx, env, "movies", 99)
	var le *registry.LockedError
	self, _ := os.Hostname()
	if !errors.As(err, &le) || le.ActionID != childAction || le.Host != self {
		t.Fatalf("lock held by the helper: %v, want a LockedError naming action %d", err, childAction)
	}

	if err := cmd.Process.Kill(); err != nil { // SIGKILL: no chance to clean up
		t.Fatal(err)
	}
	cmd.Wait()
	r2 := open(t, dsn, registry.WithLockTimeout(15*time.Second))
	began := time.Now()
	l, err := r2.Lock(ctx, env, "movies", 99)
	if err != nil {
		t.Fatalf("lock after its holder died: %v", err)
	}
	// The holder's label names a pid of this host that is gone: no need to
	// wait out its lease (DefaultLease).
	if waited := time.Since(began); waited > registry.DefaultLease/2 {
		t.Errorf("took the lock of a dead holder after %s, want well under its lease", waited)
	}
	if err := l.Release(); err != nil {
		t.Error(err)
	}
	// Its action, left in progress by the SIGKILL, now shows abandoned.
	a, err := r2.Action(ctx, childAction)
	if err != nil {
		t.Fatal(err)
	}
	if a.Status != registry.ActionAbandoned || a.EndedAt == nil || !strings.Contains(a.Error, "gone") {
		t.Errorf("action of the killed helper: status %s, ended %v, error %q; want abandoned", a.Status, a.EndedAt, a.Error)
	}
}
