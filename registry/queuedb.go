package registry

import (
	"context"
	"database/sql"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5/pgxpool"
)

// QueueDB is a connection pool of its own on the registry's database, for
// a job queue whose tables live there (River's): exactly one of Pool
// (Postgres) and SQL (SQLite) is set. The caller closes it.
type QueueDB struct {
	Pool *pgxpool.Pool
	SQL  *sql.DB
	// Schema is where the registry's tables are: the first schema of the
	// DSN's search_path, "" when it sets none (Postgres's default then
	// applies). The queue's tables go there too.
	Schema string
}

// Close closes the pool.
func (q QueueDB) Close() {
	if q.Pool != nil {
		q.Pool.Close()
	}
	if q.SQL != nil {
		_ = q.SQL.Close()
	}
}

// QueueDB opens a pool on the registry's database with the registry's own
// settings (server, credentials, search_path; on SQLite the file and its
// pragmas) and at most conns connections (Postgres; at least 2). SQLite
// gets one connection, which River requires.
func (r *Registry) QueueDB(ctx context.Context, conns int) (QueueDB, error) {
	switch d := r.d.(type) {
	case *postgres:
		cfg := d.pool.Config()
		cfg.MaxConns = int32(max(conns, 2))
		cfg.MinConns = 0
		pool, err := pgxpool.NewWithConfig(ctx, cfg)
		if err != nil {
			return QueueDB{}, fmt.Errorf("open a queue pool on registry %s: %w", r.where, err)
		}
		return QueueDB{Pool: pool, Schema: firstSchema(cfg.ConnConfig.RuntimeParams["search_path"])}, nil
	case *sqliteDialect:
		db, err := sql.Open("sqlite", d.path+"?_pragma=busy_timeout("+sqliteBusyTimeout+")"+
			"&_pragma=journal_mode(WAL)&_pragma=synchronous(NORMAL)&_txlock=immediate")
		if err != nil {
			return QueueDB{}, fmt.Errorf("open a queue connection on registry %s: %w", r.where, err)
		}
		db.SetMaxOpenConns(1)
		return QueueDB{SQL: db}, nil
	}
	return QueueDB{}, fmt.Errorf("registry %s: no queue for backend %s", r.where, r.d.name())
}

// firstSchema is the first schema named by a search_path, unquoted; ""
// for none or for "$user" (which depends on the role).
func firstSchema(path string) string {
	first, _, _ := strings.Cut(path, ",")
	first = strings.TrimSpace(first)
	if strings.HasPrefix(first, `"`) && strings.HasSuffix(first, `"`) && len(first) >= 2 {
		return strings.ReplaceAll(first[1:len(first)-1], `""`, `"`)
	}
	if first == "$user" {
		return ""
	}
	return strings.ToLower(first)
}
