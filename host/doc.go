// Package host holds demhost's policy: resolving names, planning versions
// from schema hashes, the actions (create, activate, update, clear, drop,
// reset), and the bulk indexer. It takes plain structs; only the CLI and
// package config read flags, files or the environment.
package host
