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

// Option configures Open.
type Option func(*options) error

type options struct {
	lockTimeout time.Duration
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
}

// Open opens (and migrates) the registry at dsn: a postgres:// or
// postgresql:// URL, or else a SQLite file path (created with its parent
// folder when missing). Errors name the DSN with its password redacted.
// Open fails with ErrSchemaTooNew when a newer demhost migrated the
// database.
func Open(ctx context.Context, dsn string, opts ...Option) (*Registry, error) {
	o := options{lockTimeout: DefaultLockTimeout}
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
	return r, nil
}

// Backend is "postgres" or "sqlite".
func (r *Registry) Backend() string { return r.d.name() }

// Close releases the database. Locks still held stay valid until released.
func (r *Registry) Close() error {
	err := r.db.Close()
	r.d.close()
	return err
}

// inTx runs fn in one transaction, committed when fn returns nil.
func (r *Registry) inTx(ctx context.Context, fn func(tx *sql.Tx) error) error {
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
	return r.inTx(ctx, func(tx *sql.Tx) error {
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

func nullTime(t sql.NullTime) *time.Time {
	if !t.Valid {
		return nil
	}
	u := t.Time.UTC()
	return &u
}
