package registry

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strconv"
	"strings"
)

//go:embed migrations
var migrationFiles embed.FS

// migration is one embedded SQL file, migrations/<dialect>/NNNN_name.sql.
type migration struct {
	version int
	file    string
}

// migrations lists the dialect's migrations in version order.
func migrations(dialect string) ([]migration, error) {
	dir := path.Join("migrations", dialect)
	entries, err := fs.ReadDir(migrationFiles, dir)
	if err != nil {
		return nil, err
	}
	var ms []migration
	for _, e := range entries {
		num, _, ok := strings.Cut(e.Name(), "_")
		v, err := strconv.Atoi(num)
		if !ok || err != nil || !strings.HasSuffix(e.Name(), ".sql") {
			return nil, fmt.Errorf("migration file %s: name is not NNNN_name.sql", e.Name())
		}
		ms = append(ms, migration{version: v, file: path.Join(dir, e.Name())})
	}
	sort.Slice(ms, func(i, j int) bool { return ms[i].version < ms[j].version })
	return ms, nil
}

// KnownSchemaVersion is the newest registry schema this build can use.
func KnownSchemaVersion() int {
	ms, err := migrations("sqlite")
	if err != nil || len(ms) == 0 {
		return 0
	}
	return ms[len(ms)-1].version
}

// migrate brings the schema up to date in one transaction that excludes
// every other migrating process: an advisory transaction lock on Postgres,
// BEGIN IMMEDIATE on SQLite. The first process migrates; the others then
// find the schema current.
//
// It applies every known migration that is not recorded yet, in version
// order, not only those above the highest recorded one: migrations written
// side by side may land out of order (0003 before 0002), and a registry
// migrated in between must still get the one it lacks.
//
// A registry whose schema is already current is only read, never written,
// so list and history work on a read-only registry (a file without write
// permission, a Postgres role with only SELECT).
func (r *Registry) migrate(ctx context.Context) error {
	ms, err := migrations(r.d.name())
	if err != nil {
		return err
	}
	known := 0
	if len(ms) > 0 {
		known = ms[len(ms)-1].version
	}
	if applied, err := appliedVersions(ctx, r.db); err == nil {
		if top := maxVersion(applied); top > known {
			return tooNew(top, known)
		}
		if missing(ms, applied) == nil {
			return nil
		}
	}
	var from int
	err = r.inTxUnbounded(ctx, func(tx *sql.Tx) error {
		if err := r.d.lockMigrations(ctx, tx); err != nil {
			return fmt.Errorf("lock migrations: %w", err)
		}
		if _, err := tx.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_version (
			version INTEGER NOT NULL PRIMARY KEY,
			applied_at TEXT NOT NULL)`); err != nil {
			return fmt.Errorf("create schema_version: %w", err)
		}
		applied, err := appliedVersions(ctx, tx)
		if err != nil {
			return fmt.Errorf("read schema_version: %w", err)
		}
		from = maxVersion(applied)
		if from > known {
			return tooNew(from, known)
		}
		for _, m := range missing(ms, applied) {
			body, err := migrationFiles.ReadFile(m.file)
			if err != nil {
				return err
			}
			if _, err := tx.ExecContext(ctx, string(body)); err != nil {
				return fmt.Errorf("apply %s: %w", m.file, err)
			}
			if _, err := tx.ExecContext(ctx, r.q("INSERT INTO schema_version (version, applied_at) VALUES (?, ?)"),
				m.version, now().Format("2006-01-02T15:04:05.000000Z")); err != nil {
				return fmt.Errorf("record %s: %w", m.file, err)
			}
		}
		return nil
	})
	if err != nil && !errors.Is(err, ErrSchemaTooNew) {
		return fmt.Errorf("bring the schema from version %d to %d (this needs write access to the registry once): %w", from, known, err)
	}
	return err
}

func tooNew(current, known int) error {
	return fmt.Errorf("%w: the database has schema version %d, this build knows up to %d; upgrade demhost",
		ErrSchemaTooNew, current, known)
}

type querier interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
}

// appliedVersions reads the recorded schema versions; it fails when there
// is no schema_version table yet.
func appliedVersions(ctx context.Context, q querier) (map[int]bool, error) {
	rows, err := q.QueryContext(ctx, "SELECT version FROM schema_version")
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	applied := map[int]bool{}
	for rows.Next() {
		var v int
		if err := rows.Scan(&v); err != nil {
			return nil, err
		}
		applied[v] = true
	}
	return applied, rows.Err()
}

func maxVersion(applied map[int]bool) int {
	top := 0
	for v := range applied {
		top = max(top, v)
	}
	return top
}

// missing lists the migrations of ms that applied lacks, in order.
func missing(ms []migration, applied map[int]bool) []migration {
	var out []migration
	for _, m := range ms {
		if !applied[m.version] {
			out = append(out, m)
		}
	}
	return out
}
