package registry_test

import (
	"errors"
	"net/url"
	"sync/atomic"
	"testing"
	"time"

	"github.com/demhost/demhost/internal/faultproxy"
	"github.com/demhost/demhost/internal/testenv"
	"github.com/demhost/demhost/registry"
)

// proxied returns a Postgres registry DSN and the same DSN through a fault
// proxy.
func proxied(t *testing.T) (direct, viaProxy string, p *faultproxy.Proxy) {
	t.Helper()
	direct = freshPostgres(t, testenv.PostgresDSN(t))
	u, err := url.Parse(direct)
	if err != nil {
		t.Fatal(err)
	}
	p, err = faultproxy.New(u.Host)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Close() })
	viaProxy, err = p.URL(direct)
	if err != nil {
		t.Fatal(err)
	}
	return direct, viaProxy, p
}

// writer stands for an action body: it "writes" until its lock is lost,
// and remembers when it wrote last.
type writer struct {
	last    atomic.Int64 // unix nanoseconds of the last write
	stopped chan struct{}
}

func write(l *registry.Lock) *writer {
	w := &writer{stopped: make(chan struct{})}
	go func() {
		defer close(w.stopped)
		for {
			select {
			case <-l.Lost():
				return
			default:
			}
			w.last.Store(time.Now().UnixNano())
			time.Sleep(5 * time.Millisecond)
		}
	}()
	return w
}

// TestLockLostWhenConnectionCut: the holder's registry connections are
// cut, Postgres frees its session lock; the holder learns it within a few
// seconds and stops, and a second holder gets the lock only after that.
func TestLockLostWhenConnectionCut(t *testing.T) {
	t.Parallel()
	const lease = 3 * time.Second
	ctx := testenv.Context(t)
	direct, viaProxy, proxy := proxied(t)
	a := open(t, viaProxy, registry.WithLease(lease))
	b := open(t, direct, registry.WithLease(lease), registry.WithLockTimeout(30*time.Second))
	env := uniqueEnv(t)

	holder := startAction(t, a, env, "movies", "")
	la, err := a.Lock(ctx, env, "movies", holder.ID)
	if err != nil {
		t.Fatal(err)
	}
	defer la.Release()
	w := write(la)
	time.Sleep(1500 * time.Millisecond) // a few renewals go through
	if err := la.Err(); err != nil {
		t.Fatalf("lock lost before any fault: %v", err)
	}

	cut := time.Now()
	proxy.Cut()
	// Postgres frees the session lock of the cut connection, but whoever
	// takes it must wait out the holder's lease, and a waiter whose
	// timeout is shorter is told so.
	c := open(t, direct, registry.WithLease(lease), registry.WithLockTimeout(lease/2))
	_, err = c.Lock(ctx, env, "movies", holder.ID+2)
	var le *registry.LockedError
	if !errors.As(err, &le) || le.LeaseLeft <= 0 || le.ActionID != holder.ID {
		t.Errorf("lock with a short timeout right after the cut: %v, want a LockedError naming action %d with its lease left", err, holder.ID)
	}
	acquired := make(chan time.Time, 1)
	go func() {
		lb, err := b.Lock(ctx, env, "movies", holder.ID+1)
		if err != nil {
			t.Errorf("second holder: %v", err)
			acquired <- time.Time{}
			return
		}
		acquired <- time.Now()
		lb.Release()
	}()

	select {
	case <-la.Lost():
	case <-time.After(lease):
		t.Fatalf("the holder did not learn within %s that its lock is gone", lease)
	}
	lostAfter := time.Since(cut)
	if err := la.Err(); !errors.Is(err, registry.ErrLockLost) {
		t.Errorf("Err = %v, want ErrLockLost", err)
	}
	<-w.stopped
	bAt := <-acquired
	if bAt.IsZero() {
		return
	}
	last := time.Unix(0, w.last.Load())
	t.Logf("lost %s after the cut; last write %s after; second holder in %s after",
		lostAfter.Round(time.Millisecond), last.Sub(cut).Round(time.Millisecond), bAt.Sub(cut).Round(time.Millisecond))
	if !last.Before(bAt) {
		t.Errorf("the first holder wrote at %s, after the second took the lock at %s", last, bAt)
	}
	// The second holder waited out the lease of the first one's last
	// heartbeat (at most one renewal interval before the cut).
	if min := lease - lease/15 - 200*time.Millisecond; bAt.Sub(cut) < min {
		t.Errorf("second holder took the lock %s after the cut, want it to wait about the lease (>= %s)", bAt.Sub(cut), min)
	}
}

// TestLockLostWhenRegistryStalls: the holder's connections stay open but
// carry nothing. Postgres keeps the session lock, and the holder must
// still count it as lost within lease/3 and stop.
func TestLockLostWhenRegistryStalls(t *testing.T) {
	t.Parallel()
	const lease = 3 * time.Second
	ctx := testenv.Context(t)
	direct, viaProxy, proxy := proxied(t)
	a := open(t, viaProxy, registry.WithLease(lease))
	b := open(t, direct, registry.WithLease(lease), registry.WithLockTimeout(0))
	env := uniqueEnv(t)

	holder := startAction(t, a, env, "movies", "")
	la, err := a.Lock(ctx, env, "movies", holder.ID)
	if err != nil {
		t.Fatal(err)
	}
	w := write(la)
	time.Sleep(500 * time.Millisecond)
	paused := time.Now()
	proxy.Pause()
	select {
	case <-la.Lost():
	case <-time.After(lease):
		t.Fatalf("the holder did not count its lock as lost within %s of a stalled registry", lease)
	}
	<-w.stopped
	if d := time.Since(paused); d > lease/3+lease/15+500*time.Millisecond {
		t.Errorf("lost %s after the stall, want within about lease/3", d)
	}
	// Postgres still holds the stalled session's lock: nobody else gets it.
	if _, err := b.Lock(ctx, env, "movies", holder.ID+1); !errors.Is(err, registry.ErrLocked) {
		t.Errorf("lock of a stalled holder: %v, want ErrLocked", err)
	}
	// Release returns promptly even though the registry does not answer.
	began := time.Now()
	la.Release()
	if d := time.Since(began); d > 5*time.Second {
		t.Errorf("Release took %s on a stalled registry", d)
	}
	proxy.Cut() // the stalled session ends; its lock goes with it
	proxy.Resume()
	b2 := open(t, direct, registry.WithLease(lease), registry.WithLockTimeout(30*time.Second))
	lb, err := b2.Lock(ctx, env, "movies", holder.ID+2)
	if err != nil {
		t.Fatalf("lock after the stalled session was cut: %v", err)
	}
	lb.Release()
}
