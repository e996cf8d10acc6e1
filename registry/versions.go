package registry

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strconv"
)

const versionColumns = `id, env, index_name, number, name, schema_json, schema_hash,
	codebase_id, status, created_at, deleted_at, load_settings`

type scanner interface{ Scan(dest ...any) error }

func scanVersion(s scanner) (Version, error) {
	var (
		v       Version
		schema  string
		status  string
		deleted sql.NullTime
		load    sql.NullString
	)
	err := s.Scan(&v.ID, &v.Env, &v.Index, &v.Number, &v.Name, &schema, &v.Hash,
		&v.CodebaseID, &status, &v.CreatedAt, &deleted, &load)
	if err != nil {
		return Version{}, err
	}
	v.Schema = []byte(schema)
	v.Status = VersionStatus(status)
	v.CreatedAt = v.CreatedAt.UTC()
	v.DeletedAt = nullTime(deleted)
	if load.Valid {
		v.LoadSettings = json.RawMessage(load.String)
	}
	return v, nil
}

// CreateVersion allocates version N+1 of (env, index) with the given
// schema (canonicalised and hashed here), status building, and returns it.
// The physical name is env + index + "-" + N. The number comes from a
// counter row updated in the same transaction, so concurrent creates never
// share a number and numbers are never reused, even after a reset.
func (r *Registry) CreateVersion(ctx context.Context, env, index string, schema []byte, codebaseID string) (Version, error) {
	if index == "" {
		return Version{}, errors.New("create version: empty index name")
	}
	canonical, hash, err := CanonicalSchema(schema)
	if err != nil {
		return Version{}, fmt.Errorf("create version of %s%s: %w", env, index, err)
	}
	var v Version
	err = r.inTx(ctx, func(tx *sql.Tx) error {
		var n int
		if err := tx.QueryRowContext(ctx, r.q(`INSERT INTO version_counters (env, index_name, last_number)
			VALUES (?, ?, 1)
			ON CONFLICT (env, index_name) DO UPDATE SET last_number = version_counters.last_number + 1
			RETURNING last_number`), env, index).Scan(&n); err != nil {
			return fmt.Errorf("allocate number: %w", err)
		}
		if _, err := tx.ExecContext(ctx, r.q(`INSERT INTO indexes (env, name, active) VALUES (?, ?, 0)
			ON CONFLICT (env, name) DO NOTHING`), env, index); err != nil {
			return fmt.Errorf("record index: %w", err)
		}
		row := tx.QueryRowContext(ctx, r.q(`INSERT INTO versions
			(env, index_name, number, name, schema_json, schema_hash, codebase_id, status, created_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
			RETURNING `+versionColumns),
			env, index, n, env+index+"-"+strconv.Itoa(n), string(canonical), hash, codebaseID,
			string(VersionBuilding), now())
		v, err = scanVersion(row)
		return err
	})
	if err != nil {
		return Version{}, fmt.Errorf("create version of %s%s: %w", env, index, err)
	}
	return v, nil
}

// Versions lists the versions of (env, index), oldest first. Soft-deleted
// versions are included only when withDeleted is true.
func (r *Registry) Versions(ctx context.Context, env, index string, withDeleted bool) ([]Version, error) {
	query := `SELECT ` + versionColumns + ` FROM versions WHERE env = ? AND index_name = ?`
	if !withDeleted {
		query += ` AND deleted_at IS NULL`
	}
	rows, err := r.db.QueryContext(ctx, r.q(query+` ORDER BY number`), env, index)
	if err != nil {
		return nil, fmt.Errorf("list versions of %s%s: %w", env, index, err)
	}
	defer rows.Close()
	var vs []Version
	for rows.Next() {
		v, err := scanVersion(rows)
		if err != nil {
			return nil, fmt.Errorf("list versions of %s%s: %w", env, index, err)
		}
		vs = append(vs, v)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list versions of %s%s: %w", env, index, err)
	}
	return vs, nil
}

// Version returns version n of (env, index), soft-deleted or not
// (ErrNotFound when unknown).
func (r *Registry) Version(ctx context.Context, env, index string, n int) (Version, error) {
	row := r.db.QueryRowContext(ctx, r.q(`SELECT `+versionColumns+` FROM versions
		WHERE env = ? AND index_name = ? AND number = ?`), env, index, n)
	v, err := scanVersion(row)
	if errors.Is(err, sql.ErrNoRows) {
		err = ErrNotFound
	}
	if err != nil {
		return Version{}, fmt.Errorf("version %s%s-%d: %w", env, index, n, err)
	}
	return v, nil
}

// SetVersionStatus sets a version's status.
func (r *Registry) SetVersionStatus(ctx context.Context, id int64, s VersionStatus) error {
	switch s {
	case VersionBuilding, VersionReady, VersionFailed:
	default:
		return fmt.Errorf("set status of version id %d: unknown status %q", id, s)
	}
	if err := r.exec(ctx, `UPDATE versions SET status = ? WHERE id = ?`, string(s), id); err != nil {
		return fmt.Errorf("set status of version id %d: %w", id, err)
	}
	return nil
}

// DeleteVersion soft-deletes a version (sets DeletedAt). When it was the
// active version, the index is left with no active version. Deleting a
// deleted version again changes nothing.
func (r *Registry) DeleteVersion(ctx context.Context, id int64) error {
	err := r.inTx(ctx, func(tx *sql.Tx) error {
		var env, index string
		var n int
		err := tx.QueryRowContext(ctx, r.q(`SELECT env, index_name, number FROM versions WHERE id = ?`), id).
			Scan(&env, &index, &n)
		if errors.Is(err, sql.ErrNoRows) {
			return ErrNotFound
		}
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, r.q(`UPDATE versions SET deleted_at = ?
			WHERE id = ? AND deleted_at IS NULL`), now(), id); err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, r.q(`UPDATE indexes SET active = 0
			WHERE env = ? AND name = ? AND active = ?`), env, index, n)
		return err
	})
	if err != nil {
		return fmt.Errorf("delete version id %d: %w", id, err)
	}
	return nil
}

// Indexes lists the indexes of env that have had at least one version
// since the last reset, by name.
func (r *Registry) Indexes(ctx context.Context, env string) ([]Index, error) {
	rows, err := r.db.QueryContext(ctx, r.q(`SELECT env, name, active FROM indexes WHERE env = ? ORDER BY name`), env)
	if err != nil {
		return nil, fmt.Errorf("list indexes of environment %q: %w", env, err)
	}
	defer rows.Close()
	var out []Index
	for rows.Next() {
		var ix Index
		if err := rows.Scan(&ix.Env, &ix.Name, &ix.Active); err != nil {
			return nil, fmt.Errorf("list indexes of environment %q: %w", env, err)
		}
		out = append(out, ix)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list indexes of environment %q: %w", env, err)
	}
	return out, nil
}

// SetActive records version n as the active version of (env, index).
// n = 0 clears it. A version that does not exist or is deleted gives
// ErrNotFound.
func (r *Registry) SetActive(ctx context.Context, env, index string, n int) error {
	err := r.inTx(ctx, func(tx *sql.Tx) error {
		if n == 0 {
			_, err := tx.ExecContext(ctx, r.q(`UPDATE indexes SET active = 0 WHERE env = ? AND name = ?`), env, index)
			return err
		}
		var one int
		err := tx.QueryRowContext(ctx, r.q(`SELECT 1 FROM versions
			WHERE env = ? AND index_name = ? AND number = ? AND deleted_at IS NULL`), env, index, n).Scan(&one)
		if errors.Is(err, sql.ErrNoRows) {
			return ErrNotFound
		}
		if err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, r.q(`INSERT INTO indexes (env, name, active) VALUES (?, ?, ?)
			ON CONFLICT (env, name) DO UPDATE SET active = excluded.active`), env, index, n)
		return err
	})
	if err != nil {
		return fmt.Errorf("activate %s%s-%d: %w", env, index, n, err)
	}
	return nil
}

// Resolve turns a user's word into a base index or a version of env.
// extra are base names known elsewhere (the plugins' indexes, which may
// have no version yet). A known base name wins, so a base name that itself
// ends in "-<digits>" still resolves to the index; otherwise
// "<base>-<N>" resolves to version N when it exists and is not deleted.
// An unknown word gives an *UnknownNameError listing the known base names
// and version labels, sorted. WithDropped also resolves a dropped version.
func (r *Registry) Resolve(ctx context.Context, env, word string, extra []string, opts ...ResolveOption) (Target, error) {
	var o resolveOptions
	for _, opt := range opts {
		opt(&o)
	}
	bases := map[string]bool{}
	for _, e := range extra {
		bases[e] = true
	}
	ixs, err := r.Indexes(ctx, env)
	if err != nil {
		return Target{}, fmt.Errorf("resolve %q: %w", word, err)
	}
	for _, ix := range ixs {
		bases[ix.Name] = true
	}
	if bases[word] {
		return Target{Index: word}, nil
	}
	if base, n, ok := ParseVersionName(word); ok && bases[base] {
		v, err := r.Version(ctx, env, base, n)
		switch {
		case err == nil && (v.DeletedAt == nil || o.dropped):
			return Target{Index: base, Version: n}, nil
		case err != nil && !errors.Is(err, ErrNotFound):
			return Target{}, fmt.Errorf("resolve %q: %w", word, err)
		}
	}
	known := make([]string, 0, len(bases))
	for b := range bases {
		known = append(known, b)
	}
	rows, err := r.db.QueryContext(ctx, r.q(`SELECT index_name, number FROM versions
		WHERE env = ? AND deleted_at IS NULL`), env)
	if err != nil {
		return Target{}, fmt.Errorf("resolve %q: %w", word, err)
	}
	defer rows.Close()
	for rows.Next() {
		var v Version
		if err := rows.Scan(&v.Index, &v.Number); err != nil {
			return Target{}, fmt.Errorf("resolve %q: %w", word, err)
		}
		known = append(known, v.Label())
	}
	if err := rows.Err(); err != nil {
		return Target{}, fmt.Errorf("resolve %q: %w", word, err)
	}
	sort.Strings(known)
	return Target{}, &UnknownNameError{Name: word, Known: known}
}
