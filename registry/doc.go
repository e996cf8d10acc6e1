// Package registry is demhost's memory: the indexes, versions, actions,
// locks and resume checkpoints of every environment, kept in Postgres (for
// shared deployments, through pgx) or in SQLite (the embedded default,
// pure Go). Both backends pass one conformance suite.
package registry
