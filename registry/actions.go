package registry

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/user"
)

const actionColumns = `id, parent_id, env, index_name, version, kind, status, started_at, ended_at,
	argv, host, os_user, codebase_id, docs_indexed, docs_failed, docs_deleted, params, log, error,
	pid, proc_start, heartbeat_at, lease_ms, docs_skipped`

func scanAction(s scanner) (Action, error) {
	var (
		a            Action
		kind, status string
		ended        sql.NullTime
		argv, params string
		heartbeat    sql.NullTime
	)
	err := s.Scan(&a.ID, &a.ParentID, &a.Env, &a.Index, &a.Version, &kind, &status, &a.StartedAt, &ended,
		&argv, &a.Host, &a.User, &a.CodebaseID, &a.Indexed, &a.Failed, &a.Deleted, &params, &a.Log, &a.Error,
		&a.Pid, &a.procStart, &heartbeat, &a.leaseMS, &a.Skipped)
	if err != nil {
		return Action{}, err
	}
	a.Kind, a.Status = ActionKind(kind), ActionStatus(status)
	a.StartedAt = a.StartedAt.UTC()
	a.EndedAt = nullTime(ended)
	a.Heartbeat = nullTime(heartbeat)
	if err := json.Unmarshal([]byte(argv), &a.Argv); err != nil {
		return Action{}, fmt.Errorf("action %d argv: %w", a.ID, err)
	}
	a.Params = json.RawMessage(params)
	return a, nil
}

// hostname and osUser fill an action's Host and User when left empty.
func hostname() string {
	h, err := os.Hostname()
	if err != nil {
		return "unknown"
	}
	return h
}

func osUser() string {
	if u, err := user.Current(); err == nil {
		return u.Username
	}
	return os.Getenv("USER")
}

// StartAction records a and returns its id. Status must be queued or
// in_progress (empty means queued); StartedAt defaults to now, Host and
// User to this machine's hostname and OS user, Pid to this process, Params
// to {}. The action's heartbeat starts fresh; keep it so with Heartbeat
// while the action runs, or another process marks it abandoned.
func (r *Registry) StartAction(ctx context.Context, a Action) (int64, error) {
	switch a.Status {
	case "":
		a.Status = ActionQueued
	case ActionQueued, ActionInProgress:
	default:
		return 0, fmt.Errorf("start %s action: status %q is not queued or in_progress", a.Kind, a.Status)
	}
	if a.Kind == "" {
		return 0, errors.New("start action: empty kind")
	}
	if a.StartedAt.IsZero() {
		a.StartedAt = now()
	}
	if a.Host == "" {
		a.Host = hostname()
	}
	if a.User == "" {
		a.User = osUser()
	}
	if len(a.Params) == 0 {
		a.Params = json.RawMessage("{}")
	}
	if !json.Valid(a.Params) {
		return 0, fmt.Errorf("start %s action on %s%s: params are not valid JSON", a.Kind, a.Env, a.Index)
	}
	if a.Argv == nil {
		a.Argv = []string{}
	}
	argv, err := json.Marshal(a.Argv)
	if err != nil {
		return 0, err
	}
	r.own(&a)
	var id int64
	err = r.inTx(ctx, func(tx *sql.Tx) error {
		return tx.QueryRowContext(ctx, r.q(`INSERT INTO actions (parent_id, env, index_name, version, kind, status,
			started_at, argv, host, os_user, codebase_id, docs_indexed, docs_failed, docs_deleted, params, log, error,
			pid, proc_start, heartbeat_at, lease_ms, docs_skipped)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`),
			a.ParentID, a.Env, a.Index, a.Version, string(a.Kind), string(a.Status),
			a.StartedAt.UTC(), string(argv), a.Host, a.User, a.CodebaseID,
			a.Indexed, a.Failed, a.Deleted, string(a.Params), a.Log, a.Error,
			a.Pid, a.procStart, a.Heartbeat.UTC(), a.leaseMS, a.Skipped).Scan(&id)
	})
	if err != nil {
		return 0, fmt.Errorf("start %s action on %s%s: %w", a.Kind, a.Env, a.Index, err)
	}
	return id, nil
}

// SetActionStatus moves an action to in_progress (after its lock is held),
// or back to queued.
func (r *Registry) SetActionStatus(ctx context.Context, id int64, s ActionStatus) error {
	if s != ActionQueued && s != ActionInProgress {
		return fmt.Errorf("set status of action %d: %q is not queued or in_progress; use FinishAction", id, s)
	}
	if err := r.exec(ctx, `UPDATE actions SET status = ? WHERE id = ?`, string(s), id); err != nil {
		return fmt.Errorf("set status of action %d: %w", id, err)
	}
	return nil
}

// UpdateActionVersion records which version an action concerns, once known.
func (r *Registry) UpdateActionVersion(ctx context.Context, id int64, version int) error {
	if err := r.exec(ctx, `UPDATE actions SET version = ? WHERE id = ?`, version, id); err != nil {
		return fmt.Errorf("set version of action %d: %w", id, err)
	}
	return nil
}

// Progress records an action's running counts. They are committed at
// once, so another process reading the history sees them.
func (r *Registry) Progress(ctx context.Context, id int64, c Counts) error {
	if err := r.exec(ctx, `UPDATE actions SET docs_indexed = ?, docs_failed = ?, docs_deleted = ?, docs_skipped = ? WHERE id = ?`,
		c.Indexed, c.Failed, c.Deleted, c.Skipped, id); err != nil {
		return fmt.Errorf("record progress of action %d: %w", id, err)
	}
	return nil
}

// AppendLog appends a line (a newline is added) to an action's log.
func (r *Registry) AppendLog(ctx context.Context, id int64, line string) error {
	if err := r.exec(ctx, `UPDATE actions SET log = log || ? WHERE id = ?`, line+"\n", id); err != nil {
		return fmt.Errorf("append to log of action %d: %w", id, err)
	}
	return nil
}

// FinishAction ends an action with status (complete, failed or
// interrupted), its final counts and error text, and sets EndedAt. It
// overrides abandoned: an action marked so while its process was cut off
// from the registry tells how it really ended once it gets through.
func (r *Registry) FinishAction(ctx context.Context, id int64, s ActionStatus, c Counts, errText string) error {
	switch s {
	case ActionComplete, ActionFailed, ActionInterrupted:
	default:
		return fmt.Errorf("finish action %d: %q is not complete, failed or interrupted", id, s)
	}
	if err := r.exec(ctx, `UPDATE actions SET status = ?, docs_indexed = ?, docs_failed = ?, docs_deleted = ?,
		docs_skipped = ?, error = ?, ended_at = ? WHERE id = ?`,
		string(s), c.Indexed, c.Failed, c.Deleted, c.Skipped, errText, now(), id); err != nil {
		return fmt.Errorf("finish action %d: %w", id, err)
	}
	return nil
}

// Action returns one action (ErrNotFound when unknown). An action still
// queued or in progress whose process is gone is marked abandoned first
// (see MarkAbandoned).
func (r *Registry) Action(ctx context.Context, id int64) (Action, error) {
	a, err := scanAction(r.db.QueryRowContext(ctx, r.q(`SELECT `+actionColumns+` FROM actions WHERE id = ?`), id))
	if errors.Is(err, sql.ErrNoRows) {
		err = ErrNotFound
	}
	if err != nil {
		return Action{}, fmt.Errorf("action %d: %w", id, err)
	}
	acts := []Action{a}
	r.settle(ctx, acts)
	return acts[0], nil
}

// Children returns the actions whose parent is id, in the order they ran.
func (r *Registry) Children(ctx context.Context, id int64) ([]Action, error) {
	rows, err := r.db.QueryContext(ctx, r.q(`SELECT `+actionColumns+` FROM actions WHERE parent_id = ? ORDER BY id`), id)
	if err != nil {
		return nil, fmt.Errorf("children of action %d: %w", id, err)
	}
	defer rows.Close()
	var out []Action
	for rows.Next() {
		a, err := scanAction(rows)
		if err != nil {
			return nil, fmt.Errorf("children of action %d: %w", id, err)
		}
		out = append(out, a)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("children of action %d: %w", id, err)
	}
	r.settle(ctx, out)
	return out, nil
}

// History lists the actions of f.Env (optionally of one index), newest
// first. Those still queued or in progress whose process is gone are
// marked abandoned first (see MarkAbandoned); on a read-only registry they
// are only shown so.
func (r *Registry) History(ctx context.Context, f ActionFilter) ([]Action, error) {
	limit := f.Limit
	if limit <= 0 {
		limit = 100
	}
	query := `SELECT ` + actionColumns + ` FROM actions WHERE env = ?`
	args := []any{f.Env}
	if f.Index != "" {
		query += ` AND index_name = ?`
		args = append(args, f.Index)
	}
	rows, err := r.db.QueryContext(ctx, r.q(query+` ORDER BY id DESC LIMIT ?`), append(args, limit)...)
	if err != nil {
		return nil, fmt.Errorf("history of %s%s: %w", f.Env, f.Index, err)
	}
	defer rows.Close()
	var out []Action
	for rows.Next() {
		a, err := scanAction(rows)
		if err != nil {
			return nil, fmt.Errorf("history of %s%s: %w", f.Env, f.Index, err)
		}
		out = append(out, a)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("history of %s%s: %w", f.Env, f.Index, err)
	}
	r.settle(ctx, out)
	return out, nil
}

// ResetEnv deletes every row of env — indexes, versions, checkpoints and
// finished actions with their partitions — in one transaction. It keeps
// the version counters, so that version numbers are never reused after a
// reset, the lock labels, and the actions still queued or in progress (the
// reset's own record among them). Other environments are untouched.
func (r *Registry) ResetEnv(ctx context.Context, env string) error {
	err := r.inTx(ctx, func(tx *sql.Tx) error {
		for _, q := range []string{
			`DELETE FROM checkpoints WHERE env = ?`,
			`DELETE FROM versions WHERE env = ?`,
			`DELETE FROM indexes WHERE env = ?`,
			`DELETE FROM partitions WHERE action_id IN (SELECT id FROM actions
				WHERE env = ? AND status NOT IN ('queued', 'in_progress'))`,
			`DELETE FROM actions WHERE env = ? AND status NOT IN ('queued', 'in_progress')`,
		} {
			if _, err := tx.ExecContext(ctx, r.q(q), env); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("reset environment %q: %w", env, err)
	}
	return nil
}
