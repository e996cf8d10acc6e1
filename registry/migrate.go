package registry

import (
	"context"
	"database/sql"
	"embed"
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
func (r *Registry) migrate(ctx context.Context) error {
	ms, err := migrations(r.d.name())
	if err != nil {
		return err
	}
	known := 0
	if len(ms) > 0 {
		known = ms[len(ms)-1].version
	}
	return r.inTx(ctx, func(tx *sql.Tx) error {
		if err := r.d.lockMigrations(ctx, tx); err != nil {
			return fmt.Errorf("lock migrations: %w", err)
		}
		if _, err := tx.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_version (
			version INTEGER NOT NULL PRIMARY KEY,
			applied_at TEXT NOT NULL)`); err != nil {
			return fmt.Errorf("create schema_version: %w", err)
		}
		var current int
		if err := tx.QueryRowContext(ctx, "SELECT COALESCE(MAX(version), 0) FROM schema_version").Scan(&current); err != nil {
			return fmt.Errorf("read schema_version: %w", err)
		}
		if current > known {
			return fmt.Errorf("%w: the database has schema version %d, this build knows up to %d; upgrade demhost",
				ErrSchemaTooNew, current, known)
		}
		for _, m := range ms {
			if m.version <= current {
				continue
			}
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
}
