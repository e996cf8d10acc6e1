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

// Lock is a held (env, index) lock.
type Lock struct {
	r        *Registry
	env      string
	index    string
	actionID int64

	mu     sync.Mutex
	handle lockHandle // nil once released
}

// Lock takes the lock of (env, index) for action actionID, waiting up to
// the lock timeout. It fails with a *LockedError naming the holder.
// Release the lock with (*Lock).Release, even after ctx is cancelled.
// Locks of different indexes or environments never block each other.
func (r *Registry) Lock(ctx context.Context, env, index string, actionID int64) (*Lock, error) {
	start := time.Now()
	deadline := start.Add(r.opts.lockTimeout)
	h, err := r.d.openLock(ctx, env, index)
	if err != nil {
		return nil, fmt.Errorf("lock %s%s: %w", env, index, err)
	}
	for {
		ok, err := h.try(ctx)
		if err != nil {
			h.release(context.WithoutCancel(ctx))
			return nil, fmt.Errorf("lock %s%s: %w", env, index, err)
		}
		if ok {
			break
		}
		left := time.Until(deadline)
		if left <= 0 {
			h.release(context.WithoutCancel(ctx))
			return nil, r.lockedError(ctx, env, index, time.Since(start))
		}
		wait := min(lockPoll+rand.N(lockPoll), left)
		select {
		case <-ctx.Done():
			h.release(context.WithoutCancel(ctx))
			return nil, fmt.Errorf("lock %s%s: %w", env, index, ctx.Err())
		case <-time.After(wait):
		}
	}
	l := &Lock{r: r, env: env, index: index, actionID: actionID, handle: h}
	err = r.inTx(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, r.q(`INSERT INTO locks (env, index_name, action_id, host, pid, acquired_at)
			VALUES (?, ?, ?, ?, ?, ?)
			ON CONFLICT (env, index_name) DO UPDATE SET action_id = excluded.action_id, host = excluded.host,
				pid = excluded.pid, acquired_at = excluded.acquired_at`),
			env, index, actionID, hostname(), os.Getpid(), now())
		return err
	})
	if err != nil {
		l.Release()
		return nil, fmt.Errorf("lock %s%s: record holder: %w", env, index, err)
	}
	return l, nil
}

// lockedError describes the holder of (env, index) from its label in the
// locks table and, when it is still recorded, its action.
func (r *Registry) lockedError(ctx context.Context, env, index string, waited time.Duration) error {
	e := &LockedError{Env: env, Index: index, Waited: waited}
	ctx = context.WithoutCancel(ctx)
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

// Release frees the lock. It is safe to call more than once, and it works
// after the context given to Lock is cancelled.
func (l *Lock) Release() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.handle == nil {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(context.Background()), 30*time.Second)
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
