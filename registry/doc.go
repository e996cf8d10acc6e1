// Package registry is demhost's memory: the indexes, versions, actions,
// locks and resume checkpoints of every environment, kept in Postgres (for
// shared deployments, through pgx) or in SQLite (the embedded default,
// pure Go). Both backends pass one conformance suite.
//
// Open picks the backend from the DSN (postgres:// or postgresql:// for
// Postgres, anything else is a SQLite file path) and migrates the schema
// from the SQL files embedded under migrations/, once, even when several
// processes start together. Every write is one transaction, and every
// query is scoped to one environment prefix.
//
// Locks: (*Registry).Lock takes the lock of one (environment, index). On
// Postgres it is a session advisory lock on a dedicated connection; on
// SQLite it is the write lock of a small file under <registry>.locks/.
// Either way the operating system frees it when the process dies. The
// locks table only labels the holder, so that a waiter that times out can
// name it in a *LockedError.
package registry
