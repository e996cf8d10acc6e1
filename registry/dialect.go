package registry

import (
	"context"
	"database/sql"
	"hash/fnv"
	"time"
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
	// leased says a held lock can be lost while its holder runs (a
	// Postgres session lock dies with its connection): the holder must
	// then check it and renew the label's heartbeat, and a new holder must
	// wait out a live-looking old holder's lease. A SQLite file lock is
	// only ever freed by its holder or the holder's death.
	leased() bool
	// forUpdate is appended to a SELECT in a transaction to lock the rows
	// it reads ("" where the transaction already excludes other writers).
	forUpdate() string
	// clockOffset is the server's clock minus this host's.
	clockOffset(ctx context.Context, db *sql.DB) (time.Duration, error)
}

// lockHandle is one (env, index) lock being taken or held.
type lockHandle interface {
	// try takes the lock without waiting; false means someone holds it.
	try(ctx context.Context) (bool, error)
	// check confirms that the held lock is still held; an error means it
	// is lost (or that the check could not tell within ctx, which counts
	// as lost too). Only called when the dialect is leased.
	check(ctx context.Context) error
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
