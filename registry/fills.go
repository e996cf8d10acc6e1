package registry

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
)

// SetCheckpoint stores the watermark of (env, index, version, source),
// with the action that set it and the time.
func (r *Registry) SetCheckpoint(ctx context.Context, c Checkpoint) error {
	if c.SetAt.IsZero() {
		c.SetAt = now()
	}
	err := r.inTx(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, r.q(`INSERT INTO checkpoints (env, index_name, version, source, watermark, action_id, set_at)
			VALUES (?, ?, ?, ?, ?, ?, ?)
			ON CONFLICT (env, index_name, version, source) DO UPDATE SET watermark = excluded.watermark,
				action_id = excluded.action_id, set_at = excluded.set_at`),
			c.Env, c.Index, c.Version, c.Source, c.Watermark.UTC().Truncate(time.Microsecond), c.ActionID,
			c.SetAt.UTC().Truncate(time.Microsecond))
		return err
	})
	if err != nil {
		return fmt.Errorf("set checkpoint of %s%s-%d from %s: %w", c.Env, c.Index, c.Version, c.Source, err)
	}
	return nil
}

// GetCheckpoint returns the watermark; ok is false when there is none.
func (r *Registry) GetCheckpoint(ctx context.Context, env, index string, version int, source string) (c Checkpoint, ok bool, err error) {
	c = Checkpoint{Env: env, Index: index, Version: version, Source: source}
	var setAt sql.NullTime
	err = r.db.QueryRowContext(ctx, r.q(`SELECT watermark, action_id, set_at FROM checkpoints
		WHERE env = ? AND index_name = ? AND version = ? AND source = ?`), env, index, version, source).
		Scan(&c.Watermark, &c.ActionID, &setAt)
	if errors.Is(err, sql.ErrNoRows) {
		return Checkpoint{}, false, nil
	}
	if err != nil {
		return Checkpoint{}, false, fmt.Errorf("checkpoint of %s%s-%d from %s: %w", env, index, version, source, err)
	}
	c.Watermark = c.Watermark.UTC()
	if setAt.Valid {
		c.SetAt = setAt.Time.UTC()
	}
	return c, true, nil
}

// Checkpoints returns the checkpoints of every version of (env, index), by
// version number; a version with several sources gets its latest.
func (r *Registry) Checkpoints(ctx context.Context, env, index string) (map[int]Checkpoint, error) {
	rows, err := r.db.QueryContext(ctx, r.q(`SELECT version, source, watermark, action_id, set_at FROM checkpoints
		WHERE env = ? AND index_name = ? ORDER BY version, set_at`), env, index)
	if err != nil {
		return nil, fmt.Errorf("checkpoints of %s%s: %w", env, index, err)
	}
	defer rows.Close()
	out := map[int]Checkpoint{}
	for rows.Next() {
		c := Checkpoint{Env: env, Index: index}
		var setAt sql.NullTime
		if err := rows.Scan(&c.Version, &c.Source, &c.Watermark, &c.ActionID, &setAt); err != nil {
			return nil, fmt.Errorf("checkpoints of %s%s: %w", env, index, err)
		}
		c.Watermark = c.Watermark.UTC()
		if setAt.Valid {
			c.SetAt = setAt.Time.UTC()
		}
		out[c.Version] = c
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("checkpoints of %s%s: %w", env, index, err)
	}
	return out, nil
}

// DeleteCheckpoints forgets every checkpoint of a version, when its
// documents are removed (clear) or it is dropped: a later --resume must
// then read everything.
func (r *Registry) DeleteCheckpoints(ctx context.Context, env, index string, version int) error {
	err := r.inTx(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, r.q(`DELETE FROM checkpoints WHERE env = ? AND index_name = ? AND version = ?`),
			env, index, version)
		return err
	})
	if err != nil {
		return fmt.Errorf("delete checkpoints of %s%s-%d: %w", env, index, version, err)
	}
	return nil
}

// LatestFills returns, by version number, the latest action of (env,
// index) of one of kinds that concerns a single version (child actions
// included): what last changed the version's documents.
func (r *Registry) LatestFills(ctx context.Context, env, index string, kinds ...ActionKind) (map[int]Action, error) {
	if len(kinds) == 0 {
		return map[int]Action{}, nil
	}
	query := `SELECT a.version, a.id, a.kind, a.status, a.started_at, a.params, a.docs_skipped FROM actions a
		WHERE a.env = ? AND a.index_name = ? AND a.version > 0 AND a.kind IN (?` + strings.Repeat(", ?", len(kinds)-1) + `)
		ORDER BY a.version, a.id`
	args := []any{env, index}
	for _, k := range kinds {
		args = append(args, string(k))
	}
	rows, err := r.db.QueryContext(ctx, r.q(query), args...)
	if err != nil {
		return nil, fmt.Errorf("latest fills of %s%s: %w", env, index, err)
	}
	defer rows.Close()
	out := map[int]Action{}
	for rows.Next() {
		a := Action{Env: env, Index: index}
		var kind, status, params string
		if err := rows.Scan(&a.Version, &a.ID, &kind, &status, &a.StartedAt, &params, &a.Skipped); err != nil {
			return nil, fmt.Errorf("latest fills of %s%s: %w", env, index, err)
		}
		a.Kind, a.Status, a.Params = ActionKind(kind), ActionStatus(status), json.RawMessage(params)
		a.StartedAt = a.StartedAt.UTC()
		out[a.Version] = a // ordered by id: the last one wins
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("latest fills of %s%s: %w", env, index, err)
	}
	return out, nil
}

// SetLoadSettings records on a version the original values of the index
// settings a full load is about to change, before it changes them, so
// that whichever later action finds them still applied can restore them.
// nil clears the record, once they are restored.
func (r *Registry) SetLoadSettings(ctx context.Context, env, index string, version int, orig json.RawMessage) error {
	var v any
	if orig != nil {
		v = string(orig)
	}
	err := r.inTx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, r.q(`UPDATE versions SET load_settings = ?
			WHERE env = ? AND index_name = ? AND number = ?`), v, env, index, version)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err == nil && n == 0 {
			return ErrNotFound
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("record load settings of %s%s-%d: %w", env, index, version, err)
	}
	return nil
}
