package registry

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// DefaultLockTimeout is how long Lock waits for a held lock unless
// WithLockTimeout says otherwise.
const DefaultLockTimeout = 30 * time.Second

// DefaultLease is how long a heartbeat stays fresh unless WithLease says
// otherwise.
const DefaultLease = 15 * time.Second

// callTimeout bounds a registry write whose context has no deadline, so
// that a registry that stopped answering (a paused connection) cannot
// hang an action's last writes for good.
const callTimeout = 20 * time.Second

// Option configures Open.
type Option func(*options) error

type options struct {
	lockTimeout time.Duration
	lease       time.Duration
}

// WithLease sets the lease of this process's actions and locks. Default
// DefaultLease (15s); at least 500ms.
//
//   - A running action renews its heartbeat every lease/5; another process
//     marks it abandoned once its heartbeat is older than its lease.
//   - A lock holder on Postgres checks every lease/15 (1s by default)
//     that its session still holds the lock and renews the lock's
//     heartbeat. Without a confirmation for lease/3 it counts the lock as
//     lost (Lost is closed) and must stop writing; a new holder waits until
//     the old holder's heartbeat is a full lease old, which leaves the old
//     one two thirds of the lease to stop.
func WithLease(d time.Duration) Option {
	return func(o *options) error {
		if d < 500*time.Millisecond {
			return fmt.Errorf("lease %s is shorter than 500ms", d)
		}
		o.lease = d
		return nil
	}
}

// WithLockTimeout sets how long Lock waits for a held lock. Default 30s;
// 0 means a single attempt.
func WithLockTimeout(d time.Duration) Option {
	return func(o *options) error {
		if d < 0 {
			return errors.New("lock timeout must not be negative")
		}
		o.lockTimeout = d
		return nil
	}
}

// Registry is an open registry database. It is safe for concurrent use.
type Registry struct {
	opts options
	db   *sql.DB
	d    dialect
	// where names the database in errors: the redacted DSN or the path.
	where string
	// offset is the database server's clock minus ours (0 for SQLite):
	// heartbeats and leases are compared on the server's clock, so that
	// hosts whose clocks disagree still agree on what is stale.
	offset time.Duration
}

// Open opens (and migrates) the registry at dsn: a postgres:// or
// postgresql:// URL, or else a SQLite file path (created with its parent
// folder when missing). Errors name the DSN with its password redacted.
// Open fails with ErrSchemaTooNew when a newer demhost migrated the
// database.
func Open(ctx context.Context, dsn string, opts ...Option) (*Registry, error) {
	o := options{lockTimeout: DefaultLockTimeout, lease: DefaultLease}
	for _, opt := range opts {
		if err := opt(&o); err != nil {
			return nil, fmt.Errorf("open registry %s: %w", RedactDSN(dsn), err)
		}
	}
	var (
		db  *sql.DB
		d   dialect
		err error
	)
	if isPostgresDSN(dsn) {
		db, d, err = openPostgres(ctx, dsn)
	} else {
		db, d, err = openSQLite(ctx, dsn)
	}
	if err != nil {
		return nil, err
	}
	r := &Registry{opts: o, db: db, d: d, where: RedactDSN(dsn)}
	if err := r.migrate(ctx); err != nil {
		r.Close()
		return nil, fmt.Errorf("migrate registry %s: %w", r.where, scrub(err, dsn))
	}
	if r.offset, err = d.clockOffset(ctx, db); err != nil {
		r.Close()
		return nil, fmt.Errorf("read the clock of registry %s: %w", r.where, scrub(err, dsn))
	}
	return r, nil
}

// closeTimeout bounds Close: closing a Postgres pool waits for its
// connections to say goodbye, which a stalled network never lets them do.
const closeTimeout = 3 * time.Second

// Close releases the database. Locks still held stay valid until released.
// It returns within a few seconds even when the registry does not answer
// (the connections are then left to the operating system).
func (r *Registry) Close() error {
	done := make(chan error, 1)
	go func() {
		err := r.db.Close()
		r.d.close()
		done <- err
	}()
	select {
	case err := <-done:
		return err
	case <-time.After(closeTimeout):
		return fmt.Errorf("close registry %s: it did not answer within %s", r.where, closeTimeout)
	}
}

// bound gives ctx the deadline callTimeout unless it has one already.
func bound(ctx context.Context) (context.Context, context.CancelFunc) {
	if _, ok := ctx.Deadline(); ok {
		return ctx, func() {}
	}
	return context.WithTimeout(ctx, callTimeout)
}

// inTx runs fn in one transaction, committed when fn returns nil. The
// transaction ends within callTimeout unless ctx has a deadline.
func (r *Registry) inTx(ctx context.Context, fn func(tx *sql.Tx) error) error {
	ctx, cancel := bound(ctx)
	defer cancel()
	return r.inTxUnbounded(ctx, fn)
}

func (r *Registry) inTxUnbounded(ctx context.Context, fn func(tx *sql.Tx) error) error {
	tx, err := r.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	if err := fn(tx); err != nil {
		tx.Rollback()
		return err
	}
	return tx.Commit()
}

// q rewrites a query's ? placeholders for the backend.
func (r *Registry) q(query string) string { return r.d.rebind(query) }

// exec runs one write statement in its own transaction and fails with
// ErrNotFound when it changed no row.
func (r *Registry) exec(ctx context.Context, query string, args ...any) error {
	ctx, cancel := bound(ctx)
	defer cancel()
	return r.inTxUnbounded(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, r.q(query), args...)
		if err != nil {
			return err
		}
		n, err := res.RowsAffected()
		if err != nil {
			return err
		}
		if n == 0 {
			return ErrNotFound
		}
		return nil
	})
}

// now is the registry's clock: UTC at microsecond precision, which both
// backends store exactly.
func now() time.Time { return time.Now().UTC().Truncate(time.Microsecond) }

// clock is now() on the database server's clock: what heartbeats are
// written and compared with.
func (r *Registry) clock() time.Time {
	return time.Now().Add(r.offset).UTC().Truncate(time.Microsecond)
}

func nullTime(t sql.NullTime) *time.Time {
	if !t.Valid {
		return nil
	}
	u := t.Time.UTC()
	return &u
}
