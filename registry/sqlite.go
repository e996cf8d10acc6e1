package registry

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"modernc.org/sqlite"
)

// sqliteBusyTimeout is how long a write waits for another writer of the
// registry file before failing with SQLITE_BUSY.
const sqliteBusyTimeout = "15000"

// sqliteDialect is the dialect of the embedded registry file.
type sqliteDialect struct {
	path string
}

func openSQLite(ctx context.Context, path string) (*sql.DB, dialect, error) {
	if path == "" {
		return nil, nil, errors.New("open registry: empty SQLite path")
	}
	if dir := filepath.Dir(path); dir != "" {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return nil, nil, fmt.Errorf("open registry %s: create folder: %w", path, err)
		}
	}
	// Transactions begin IMMEDIATE: a write transaction takes the write lock
	// up front, so two writers queue on busy_timeout instead of one failing
	// when it upgrades a read lock.
	db, err := sql.Open("sqlite", path+"?_pragma=busy_timeout("+sqliteBusyTimeout+")"+
		"&_pragma=journal_mode(WAL)&_pragma=synchronous(NORMAL)&_txlock=immediate")
	if err != nil {
		return nil, nil, fmt.Errorf("open registry %s: %w", path, err)
	}
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		if !isReadOnly(err) {
			return nil, nil, fmt.Errorf("open registry %s: %w", path, err)
		}
		// A file or folder this process may not write: open it read-only,
		// so that list and history still work. In a folder where the WAL
		// index cannot be made either, only an immutable open reads it.
		var rerr error
		for _, q := range []string{"mode=ro", "mode=ro&immutable=1"} {
			ro, err := sql.Open("sqlite", "file:"+path+"?"+q+"&_pragma=busy_timeout("+sqliteBusyTimeout+")")
			if err == nil {
				if err = ro.PingContext(ctx); err == nil {
					if err = readable(ctx, ro); err == nil {
						return ro, &sqliteDialect{path: path}, nil
					}
				}
				ro.Close()
			}
			rerr = err
		}
		return nil, nil, fmt.Errorf("open registry %s read-only (%v): %w", path, rerr, err)
	}
	return db, &sqliteDialect{path: path}, nil
}

// isReadOnly tells a SQLite error that says the file or its folder may not
// be written (SQLITE_READONLY and its extended codes, SQLITE_CANTOPEN).
func isReadOnly(err error) bool {
	var se *sqlite.Error
	if !errors.As(err, &se) {
		return false
	}
	code := se.Code() & 0xff
	return code == 8 || code == 14
}

// readable reads the schema, which a read-only open defers until the first
// query.
func readable(ctx context.Context, db *sql.DB) error {
	var n int
	return db.QueryRowContext(ctx, "SELECT count(*) FROM sqlite_master").Scan(&n)
}

func (s *sqliteDialect) name() string                                  { return "sqlite" }
func (s *sqliteDialect) rebind(q string) string                        { return q }
func (s *sqliteDialect) lockMigrations(context.Context, *sql.Tx) error { return nil }
func (s *sqliteDialect) close()                                        {}
func (s *sqliteDialect) leased() bool                                  { return false }
func (s *sqliteDialect) forUpdate() string                             { return "" }

func (s *sqliteDialect) clockOffset(context.Context, *sql.DB) (time.Duration, error) { return 0, nil }

// openLock opens the lock file of (env, index), <registry>.locks/<key>.db.
// The lock is SQLite's own write lock on that file, held by an open
// BEGIN IMMEDIATE transaction: the operating system drops it when the
// process dies, and different pairs use different files, so they never
// block each other or the registry itself.
func (s *sqliteDialect) openLock(ctx context.Context, env, index string) (lockHandle, error) {
	dir := s.path + ".locks"
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("create lock folder %s: %w", dir, err)
	}
	file := filepath.Join(dir, strconv.FormatUint(uint64(lockKey(env, index)), 16)+".db")
	db, err := sql.Open("sqlite", file+"?_pragma=busy_timeout(0)&_txlock=immediate")
	if err != nil {
		return nil, fmt.Errorf("open lock file %s: %w", file, err)
	}
	db.SetMaxOpenConns(1)
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("open lock file %s: %w", file, err)
	}
	return &sqliteLock{db: db, file: file}, nil
}

type sqliteLock struct {
	db   *sql.DB
	file string
	tx   *sql.Tx
}

func (l *sqliteLock) try(ctx context.Context) (bool, error) {
	if err := ctx.Err(); err != nil {
		return false, err
	}
	// Without cancel: database/sql rolls a transaction back when its
	// context ends, which would drop a held lock behind the holder's back.
	tx, err := l.db.BeginTx(context.WithoutCancel(ctx), nil)
	if err != nil {
		var se *sqlite.Error
		if errors.As(err, &se) && se.Code()&0xff == 5 { // SQLITE_BUSY
			return false, nil
		}
		return false, fmt.Errorf("lock file %s: %w", l.file, err)
	}
	l.tx = tx
	return true, nil
}

func (l *sqliteLock) check(context.Context) error { return nil }

func (l *sqliteLock) release(context.Context) error {
	var err error
	if l.tx != nil {
		err = l.tx.Rollback()
		l.tx = nil
	}
	if cerr := l.db.Close(); err == nil {
		err = cerr
	}
	return err
}
