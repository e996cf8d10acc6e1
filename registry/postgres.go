package registry

import (
	"context"
	"database/sql"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/jackc/pgx/v5/stdlib"
)

// migrationLockKey is the advisory lock that serialises migrations.
const migrationLockKey int64 = 0x64656d686f7374 // "demhost"

// postgres is the dialect of a shared Postgres registry, through a pgx pool.
type postgres struct {
	pool *pgxpool.Pool
}

func openPostgres(ctx context.Context, dsn string) (*sql.DB, dialect, error) {
	cfg, err := pgxpool.ParseConfig(dsn)
	if err != nil {
		return nil, nil, fmt.Errorf("parse registry DSN %s: %w", RedactDSN(dsn), scrub(err, dsn))
	}
	if cfg.ConnConfig.ConnectTimeout == 0 {
		cfg.ConnConfig.ConnectTimeout = 10 * time.Second
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, nil, fmt.Errorf("open registry %s: %w", RedactDSN(dsn), scrub(err, dsn))
	}
	if err := pool.Ping(ctx); err != nil {
		pool.Close()
		return nil, nil, fmt.Errorf("connect to registry %s: %w", RedactDSN(dsn), scrub(err, dsn))
	}
	return stdlib.OpenDBFromPool(pool), &postgres{pool: pool}, nil
}

func (p *postgres) name() string { return "postgres" }

func (p *postgres) rebind(q string) string {
	var b strings.Builder
	n := 0
	for _, c := range q {
		if c == '?' {
			n++
			b.WriteByte('$')
			b.WriteString(strconv.Itoa(n))
			continue
		}
		b.WriteRune(c)
	}
	return b.String()
}

func (p *postgres) lockMigrations(ctx context.Context, tx *sql.Tx) error {
	_, err := tx.ExecContext(ctx, "SELECT pg_advisory_xact_lock($1)", migrationLockKey)
	return err
}

func (p *postgres) close()            { p.pool.Close() }
func (p *postgres) leased() bool      { return true }
func (p *postgres) forUpdate() string { return " FOR UPDATE" }

func (p *postgres) clockOffset(ctx context.Context, db *sql.DB) (time.Duration, error) {
	t0 := time.Now()
	var server time.Time
	if err := db.QueryRowContext(ctx, "SELECT clock_timestamp()").Scan(&server); err != nil {
		return 0, err
	}
	t1 := time.Now()
	return server.Sub(t0.Add(t1.Sub(t0) / 2)), nil
}

// openLock opens a connection of its own, outside the pool: the session
// advisory lock lives exactly as long as that connection, so closing it (or
// the death of this process) always frees the lock, and a held lock never
// starves the pool.
func (p *postgres) openLock(ctx context.Context, env, index string) (lockHandle, error) {
	conn, err := pgx.ConnectConfig(ctx, p.pool.Config().ConnConfig.Copy())
	if err != nil {
		return nil, fmt.Errorf("open lock connection: %w", err)
	}
	return &pgLock{conn: conn, key: lockKey(env, index)}, nil
}

type pgLock struct {
	conn *pgx.Conn
	key  int64
	held bool
}

func (l *pgLock) try(ctx context.Context) (bool, error) {
	var ok bool
	if err := l.conn.QueryRow(ctx, "SELECT pg_try_advisory_lock($1)", l.key).Scan(&ok); err != nil {
		return false, err
	}
	l.held = ok
	return ok, nil
}

// check asks the lock's own session whether it still holds the advisory
// lock: pg_locks shows a bigint key as classid (high 32 bits), objid (low
// 32 bits) and objsubid 1. A broken connection fails the query.
func (l *pgLock) check(ctx context.Context) error {
	var held bool
	err := l.conn.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM pg_locks
		WHERE locktype = 'advisory' AND granted AND pid = pg_backend_pid()
		AND classid = $1::bigint::oid AND objid = $2::bigint::oid AND objsubid = 1)`,
		int64(uint64(l.key)>>32), int64(uint32(l.key))).Scan(&held)
	if err != nil {
		return err
	}
	if !held {
		return fmt.Errorf("the session no longer holds advisory lock %d", l.key)
	}
	return nil
}

func (l *pgLock) release(ctx context.Context) error {
	if l.conn.IsClosed() {
		l.held = false
		return nil // the session is gone, and its lock with it
	}
	var err error
	if l.held {
		var ok bool
		err = l.conn.QueryRow(ctx, "SELECT pg_advisory_unlock($1)", l.key).Scan(&ok)
		if err == nil && !ok {
			err = fmt.Errorf("advisory lock %d was not held", l.key)
		}
		l.held = false
	}
	// Closing the session frees the lock even when the unlock failed.
	if cerr := l.conn.Close(ctx); err == nil {
		err = cerr
	}
	return err
}
