package registry

import (
	"context"
	"database/sql"
	"hash/fnv"
)

// dialect is what differs between the backends. Everything else — the
// queries, the transactions, the rules — lives once in Registry. The SQL
// is written with ? placeholders, RETURNING and ON CONFLICT, which both
// Postgres and SQLite (3.35+) understand; only the placeholders need
// rewriting.
type dialect interface {
	// name is "postgres" or "sqlite".
	name() string
	// rebind rewrites ? placeholders into the backend's own.
	rebind(query string) string
	// lockMigrations serialises migrations between processes. It runs
	// first inside the migration transaction. (SQLite needs nothing: its
	// transactions begin IMMEDIATE, which already excludes other writers.)
	lockMigrations(ctx context.Context, tx *sql.Tx) error
	// openLock prepares the lock of (env, index): a dedicated connection
	// or file that the returned handle polls and then holds.
	openLock(ctx context.Context, env, index string) (lockHandle, error)
	// close releases what the dialect holds besides the *sql.DB.
	close()
}

// lockHandle is one (env, index) lock being taken or held.
type lockHandle interface {
	// try takes the lock without waiting; false means someone holds it.
	try(ctx context.Context) (bool, error)
	// release frees the lock (when held) and closes the handle.
	release(ctx context.Context) error
}

// lockKey is the 64-bit key of the lock of (env, index).
func lockKey(env, index string) int64 {
	h := fnv.New64a()
	h.Write([]byte(env))
	h.Write([]byte{0})
	h.Write([]byte(index))
	return int64(h.Sum64())
}
