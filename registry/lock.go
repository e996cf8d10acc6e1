package registry

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"sync"
	"time"
)

// lockPoll is the base interval between two attempts to take a held lock;
// each wait adds up to as much again of jitter.
const lockPoll = 50 * time.Millisecond

// releaseTimeout bounds Release: a registry that does not answer must not
// keep a stopping demhost from exiting. The lock is freed all the same
// when the lock's connection closes.
const releaseTimeout = 3 * time.Second

// Lock is a held (env, index) lock.
//
// On Postgres the lock is a session advisory lock, which Postgres frees
// when the session's connection dies, even though its holder may still
// run. So the holder fences itself: every lease/15 it asks its own
// session whether it still holds the lock and renews the heartbeat of the
// lock's label; when the session fails, or no renewal got through for
// lease/3, the lock is lost: Lost is closed and the holder must stop
// writing at once. A new holder, in turn, waits until the old holder's
// heartbeat is a full lease old, unless it sees the old holder's process
// gone on its own host. (A SQLite lock cannot be lost while its holder
// lives, so Lost is never closed there.)
type Lock struct {
	r        *Registry
	env      string
	index    string
	actionID int64

	lost    chan struct{} // closed when the lock is lost
	lostErr error         // why; set before lost is closed
	quit    chan struct{} // stops the keep-alive
	done    chan struct{} // closed once the keep-alive has stopped

	mu     sync.Mutex
	handle lockHandle // nil once released
}

// Lock takes the lock of (env, index) for action actionID, waiting up to
// the lock timeout. It fails with a *LockedError naming the holder.
// Release the lock with (*Lock).Release, even after ctx is cancelled, and
// stop writing when Lost is closed. Locks of different indexes or
// environments never block each other.
func (r *Registry) Lock(ctx context.Context, env, index string, actionID int64) (*Lock, error) {
	start := time.Now()
	deadline := start.Add(r.opts.lockTimeout)
	h, err := r.d.openLock(ctx, env, index)
	if err != nil {
		return nil, fmt.Errorf("lock %s%s: %w", env, index, err)
	}
	fail := func(err error) (*Lock, error) {
		rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), releaseTimeout)
		defer cancel()
		h.release(rctx)
		return nil, err
	}
	for {
		ok, err := h.try(ctx)
		if err != nil {
			return fail(fmt.Errorf("lock %s%s: %w", env, index, err))
		}
		if ok {
			break
		}
		left := time.Until(deadline)
		if left <= 0 {
			return fail(r.lockedError(ctx, env, index, time.Since(start), 0))
		}
		wait := min(lockPoll+rand.N(lockPoll), left)
		select {
		case <-ctx.Done():
			return fail(fmt.Errorf("lock %s%s: %w", env, index, ctx.Err()))
		case <-time.After(wait):
		}
	}
	// The lock is ours, but on Postgres its previous holder may still run:
	// wait until its lease has run out before recording ourselves.
	var confirmed time.Time
	for {
		confirmed = time.Now()
		wait, err := r.claim(ctx, env, index, actionID)
		if err != nil {
			return fail(fmt.Errorf("lock %s%s: record holder: %w", env, index, err))
		}
		if wait <= 0 {
			break
		}
		if time.Until(deadline) < wait {
			return fail(r.lockedError(ctx, env, index, time.Since(start), wait))
		}
		select {
		case <-ctx.Done():
			return fail(fmt.Errorf("lock %s%s: %w", env, index, ctx.Err()))
		case <-time.After(wait):
		}
	}
	l := &Lock{r: r, env: env, index: index, actionID: actionID, handle: h,
		lost: make(chan struct{}), quit: make(chan struct{}), done: make(chan struct{})}
	if r.d.leased() {
		go l.keepAlive(confirmed)
	} else {
		close(l.done)
	}
	return l, nil
}

// errHolderAlive rolls back a claim that must wait.
var errHolderAlive = errors.New("the previous holder's lease runs")

// claim records actionID as the holder in the lock's label, unless the
// label names a previous holder whose lease still runs: then it returns
// how long that lease has left. It reads the label with a row lock, so a
// renewal by the previous holder either lands before the read (and
// counts) or after the new label (and finds it is not its own).
func (r *Registry) claim(ctx context.Context, env, index string, actionID int64) (time.Duration, error) {
	var wait time.Duration
	err := r.inTx(ctx, func(tx *sql.Tx) error {
		if r.d.leased() {
			var (
				holder  int64
				host    string
				pid     int
				hb      sql.NullTime
				leaseMS int64
			)
			err := tx.QueryRowContext(ctx, r.q(`SELECT action_id, host, pid, heartbeat_at, lease_ms FROM locks
				WHERE env = ? AND index_name = ?`+r.d.forUpdate()), env, index).Scan(&holder, &host, &pid, &hb, &leaseMS)
			switch {
			case errors.Is(err, sql.ErrNoRows):
			case err != nil:
				return err
			case hb.Valid && !r.holderGone(ctx, tx, holder, host, pid):
				lease := time.Duration(leaseMS) * time.Millisecond
				if left := lease - r.clock().Sub(hb.Time); left > 0 {
					wait = left
					return errHolderAlive
				}
			}
		}
		_, err := tx.ExecContext(ctx, r.q(`INSERT INTO locks (env, index_name, action_id, host, pid, acquired_at, heartbeat_at, lease_ms)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?)
			ON CONFLICT (env, index_name) DO UPDATE SET action_id = excluded.action_id, host = excluded.host,
				pid = excluded.pid, acquired_at = excluded.acquired_at, heartbeat_at = excluded.heartbeat_at,
				lease_ms = excluded.lease_ms`),
			env, index, actionID, hostname(), os.Getpid(), now(), r.clock(), r.opts.lease.Milliseconds())
		return err
	})
	if errors.Is(err, errHolderAlive) {
		return wait, nil
	}
	return 0, err
}

// holderGone tells whether a previous holder's process is known to be gone:
// it ran on this host and its pid is no longer that process.
func (r *Registry) holderGone(ctx context.Context, tx *sql.Tx, action int64, host string, pid int) bool {
	if host != hostname() || pid <= 0 {
		return false
	}
	var start string
	err := tx.QueryRowContext(ctx, r.q(`SELECT proc_start FROM actions WHERE id = ? AND pid = ?`), action, pid).Scan(&start)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return false
	}
	alive, known := processAlive(pid, start)
	return known && !alive
}

// keepAlive confirms the lock every lease/15 until Release, and declares
// it lost on the first failure of the lock's session, or when no
// confirmation got through for lease/3. confirmed is when the last
// confirmation was sent; the lock counts as held until lease/3 after it.
func (l *Lock) keepAlive(confirmed time.Time) {
	defer close(l.done)
	lease := l.r.opts.lease
	every, grace := lease/15, lease/3
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() {
		select {
		case <-l.quit:
			cancel()
		case <-ctx.Done():
		}
	}()
	tick := time.NewTicker(every)
	defer tick.Stop()
	var lastErr error
	for {
		validUntil := confirmed.Add(grace)
		expire := time.NewTimer(time.Until(validUntil))
		select {
		case <-l.quit:
			expire.Stop()
			return
		case <-expire.C:
			why := fmt.Sprintf("no confirmation from the registry for %s", grace)
			if lastErr != nil {
				why += fmt.Sprintf(" (%v)", lastErr)
			}
			l.lose(why)
			return
		case <-tick.C:
			expire.Stop()
		}
		sent := time.Now()
		cctx, ccancel := context.WithDeadline(ctx, validUntil)
		err := l.handle.check(cctx)
		if err != nil {
			ccancel()
			select {
			case <-l.quit:
				return // released meanwhile
			default:
			}
			l.lose(fmt.Sprintf("its registry connection failed: %v", err))
			return
		}
		ok, err := l.beat(cctx)
		ccancel()
		switch {
		case err != nil:
			lastErr = err // tried again at the next tick, until validUntil
		case !ok:
			l.lose("its label names another holder")
			return
		default:
			confirmed, lastErr = sent, nil
		}
	}
}

// beat renews the heartbeat of the lock's label, through the registry's
// pool (not the lock's connection); ok is false when the label is no
// longer this holder's.
func (l *Lock) beat(ctx context.Context) (ok bool, err error) {
	res, err := l.r.db.ExecContext(ctx, l.r.q(`UPDATE locks SET heartbeat_at = ?
		WHERE env = ? AND index_name = ? AND action_id = ? AND host = ? AND pid = ?`),
		l.r.clock(), l.env, l.index, l.actionID, hostname(), os.Getpid())
	if err != nil {
		return false, err
	}
	n, err := res.RowsAffected()
	return n == 1, err
}

func (l *Lock) lose(why string) {
	l.lostErr = fmt.Errorf("%w: lock of %s%s held by action %d: %s", ErrLockLost, l.env, l.index, l.actionID, why)
	close(l.lost)
}

// Lost is closed when the lock is lost while held (see Lock); Err then
// says why. It is never closed for a lock released first.
func (l *Lock) Lost() <-chan struct{} { return l.lost }

// Err is nil while the lock is held, and an error matching ErrLockLost
// once Lost is closed.
func (l *Lock) Err() error {
	select {
	case <-l.lost:
		return l.lostErr
	default:
		return nil
	}
}

// lockedError describes the holder of (env, index) from its label in the
// locks table and, when it is still recorded, its action. leaseLeft is
// how long the holder's lease still runs when its session lock is gone.
func (r *Registry) lockedError(ctx context.Context, env, index string, waited, leaseLeft time.Duration) error {
	e := &LockedError{Env: env, Index: index, Waited: waited, LeaseLeft: leaseLeft}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), releaseTimeout)
	defer cancel()
	var (
		host    string
		at      time.Time
		aHost   sql.NullString
		aStated sql.NullTime
	)
	err := r.db.QueryRowContext(ctx, r.q(`SELECT l.action_id, l.host, l.acquired_at, a.host, a.started_at
		FROM locks l LEFT JOIN actions a ON a.id = l.action_id
		WHERE l.env = ? AND l.index_name = ?`), env, index).Scan(&e.ActionID, &host, &at, &aHost, &aStated)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("%w (holder unknown: %v)", e, err)
	}
	e.Host, e.StartedAt = host, at.UTC()
	if aHost.Valid {
		e.Host = aHost.String
	}
	if aStated.Valid {
		e.StartedAt = aStated.Time.UTC()
	}
	return e
}

// Release frees the lock. It is safe to call more than once, it works
// after the context given to Lock is cancelled, and it returns within a
// few seconds whatever the registry does.
func (l *Lock) Release() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.handle == nil {
		return nil
	}
	select {
	case <-l.quit:
	default:
		close(l.quit)
	}
	<-l.done
	ctx, cancel := context.WithTimeout(context.Background(), releaseTimeout)
	defer cancel()
	// The label goes first, while the lock still keeps others from
	// writing their own.
	_, lerr := l.r.db.ExecContext(ctx, l.r.q(`DELETE FROM locks
		WHERE env = ? AND index_name = ? AND action_id = ? AND pid = ?`), l.env, l.index, l.actionID, os.Getpid())
	err := l.handle.release(ctx)
	l.handle = nil
	if err == nil && lerr != nil {
		err = lerr
	}
	if err != nil {
		return fmt.Errorf("release lock %s%s: %w", l.env, l.index, err)
	}
	return nil
}
