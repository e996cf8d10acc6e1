package registry

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

// PartitionStatus is where one partition of a distributed update is.
type PartitionStatus string

const (
	PartitionQueued    PartitionStatus = "queued"    // its job waits for a worker
	PartitionRunning   PartitionStatus = "running"   // a worker reads it (or died reading it)
	PartitionRetrying  PartitionStatus = "retrying"  // an attempt failed; River retries it after a backoff
	PartitionComplete  PartitionStatus = "complete"  // every slice is done
	PartitionFailed    PartitionStatus = "failed"    // its last attempt failed
	PartitionCancelled PartitionStatus = "cancelled" // its action ended first (interrupted, failed)
)

// Partition is one partition of a distributed update: the unit of work of
// one River job. It is read as Slices slices, one after another; Done and
// Counts are its checkpoint, written as each slice ends, so a job rescued
// from a dead worker starts at slice Done.
type Partition struct {
	ActionID int64
	Number   int // k of the action's n partitions
	Slices   int
	Done     int // slices done
	Status   PartitionStatus
	Counts          // of the slices done
	Running  Counts // of the slice being read (Indexed and Deleted only), for progress
	Attempts int    // how many times a worker took it
	JobID    int64  // its River job
	Worker   string // host and pid of the worker that last took it
	Error    string // the last attempt's error
	// UpdatedAt is when a worker last wrote it.
	UpdatedAt *time.Time
}

// Tx is a registry transaction handed to code that writes other tables of
// the registry's database in it, such as River's job queue: Pgx on
// Postgres, SQL on SQLite; the other is nil.
type Tx struct {
	Pgx pgx.Tx
	SQL *sql.Tx
}

// txExec runs statements in either kind of transaction.
type txExec struct {
	r   *Registry
	pgx pgx.Tx
	sql *sql.Tx
}

func (t txExec) exec(ctx context.Context, query string, args ...any) (int64, error) {
	if t.pgx != nil {
		tag, err := t.pgx.Exec(ctx, t.r.q(query), args...)
		return tag.RowsAffected(), err
	}
	res, err := t.sql.ExecContext(ctx, t.r.q(query), args...)
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}

// lockAction takes the row lock of action id. Every transaction that
// writes an action's partitions and its sums takes it first, so that all
// of them lock in one order, the action and then its partitions, as
// EndRunningAction does: a worker's progress (partition, then the sums
// on the action) once deadlocked with the interrupt that ended the action
// (action, then its partitions), and the interrupt was the one aborted.
// SQLite runs one write transaction at a time, so it needs no lock.
func lockAction(ctx context.Context, t txExec, id int64) error {
	if t.pgx == nil {
		return nil
	}
	_, err := t.pgx.Exec(ctx, `SELECT 1 FROM actions WHERE id = $1 FOR UPDATE`, id)
	return err
}

// inQueueTx runs fn in one transaction that River can share: a pgx
// transaction on Postgres, a database/sql one on SQLite.
func (r *Registry) inQueueTx(ctx context.Context, fn func(t txExec, tx Tx) error) error {
	ctx, cancel := bound(ctx)
	defer cancel()
	if pg, ok := r.d.(*postgres); ok {
		ptx, err := pg.pool.Begin(ctx)
		if err != nil {
			return err
		}
		if err := fn(txExec{r: r, pgx: ptx}, Tx{Pgx: ptx}); err != nil {
			_ = ptx.Rollback(context.WithoutCancel(ctx))
			return err
		}
		return ptx.Commit(ctx)
	}
	return r.inTxUnbounded(ctx, func(stx *sql.Tx) error {
		return fn(txExec{r: r, sql: stx}, Tx{SQL: stx})
	})
}

// BeginPartitioned starts the recorded action id (queued) as a distributed
// update, in one transaction: it moves the action to in_progress with the
// given lease and params (its liveness is then the heartbeat that its workers renew,
// see Heartbeat), records its partitions, and calls enqueue with the same
// transaction to enqueue one job per partition, in the order of parts;
// enqueue returns the jobs' ids. If enqueue fails nothing is recorded.
// A partition of parts may come with Done and Counts from an earlier
// action that this one continues.
func (r *Registry) BeginPartitioned(ctx context.Context, id int64, lease time.Duration, params json.RawMessage,
	parts []Partition, enqueue func(ctx context.Context, tx Tx) ([]int64, error)) error {
	if !json.Valid(params) {
		return fmt.Errorf("enqueue the partitions of action %d: params are not valid JSON", id)
	}
	err := r.inQueueTx(ctx, func(t txExec, tx Tx) error {
		n, err := t.exec(ctx, `UPDATE actions SET status = ?, lease_ms = ?, heartbeat_at = ?, params = ?
			WHERE id = ? AND status = ?`,
			string(ActionInProgress), lease.Milliseconds(), r.clock(), string(params), id, string(ActionQueued))
		if err != nil {
			return err
		}
		if n == 0 {
			return fmt.Errorf("the action is no longer queued: %w", ErrNotFound)
		}
		at := now()
		for _, p := range parts {
			status := PartitionQueued
			if p.Done >= p.Slices {
				status = PartitionComplete
			}
			if _, err := t.exec(ctx, `INSERT INTO partitions (action_id, number, slices, done, status,
				docs_indexed, docs_failed, docs_deleted, docs_skipped, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
				id, p.Number, p.Slices, p.Done, string(status), p.Indexed, p.Failed, p.Deleted, p.Skipped, at); err != nil {
				return err
			}
		}
		jobs, err := enqueue(ctx, tx)
		if err != nil {
			return err
		}
		for i, job := range jobs {
			if i < len(parts) {
				if _, err := t.exec(ctx, `UPDATE partitions SET job_id = ? WHERE action_id = ? AND number = ?`,
					job, id, parts[i].Number); err != nil {
					return err
				}
			}
		}
		return sumPartitions(ctx, t, id)
	})
	if err != nil {
		return fmt.Errorf("enqueue the partitions of action %d: %w", id, err)
	}
	return nil
}

// sumPartitions records the sum of an action's partitions as its counts,
// the done slices and the running ones, so history shows them.
func sumPartitions(ctx context.Context, t txExec, id int64) error {
	_, err := t.exec(ctx, `UPDATE actions SET
		docs_indexed = (SELECT COALESCE(SUM(docs_indexed + running_indexed), 0) FROM partitions WHERE action_id = ?),
		docs_failed = (SELECT COALESCE(SUM(docs_failed), 0) FROM partitions WHERE action_id = ?),
		docs_deleted = (SELECT COALESCE(SUM(docs_deleted + running_deleted), 0) FROM partitions WHERE action_id = ?),
		docs_skipped = (SELECT COALESCE(SUM(docs_skipped), 0) FROM partitions WHERE action_id = ?)
		WHERE id = ?`, id, id, id, id, id)
	return err
}

const partitionColumns = `action_id, number, slices, done, status, docs_indexed, docs_failed, docs_deleted, docs_skipped,
	running_indexed, running_deleted, attempts, job_id, worker, error, updated_at`

func scanPartition(s scanner) (Partition, error) {
	var (
		p       Partition
		status  string
		updated sql.NullTime
	)
	err := s.Scan(&p.ActionID, &p.Number, &p.Slices, &p.Done, &status, &p.Indexed, &p.Failed, &p.Deleted, &p.Skipped,
		&p.Running.Indexed, &p.Running.Deleted, &p.Attempts, &p.JobID, &p.Worker, &p.Error, &updated)
	p.Status, p.UpdatedAt = PartitionStatus(status), nullTime(updated)
	return p, err
}

// Partitions returns the partitions of action id by number; none when it
// is not a distributed update.
func (r *Registry) Partitions(ctx context.Context, id int64) ([]Partition, error) {
	rows, err := r.db.QueryContext(ctx, r.q(`SELECT `+partitionColumns+` FROM partitions WHERE action_id = ? ORDER BY number`), id)
	if err != nil {
		return nil, fmt.Errorf("partitions of action %d: %w", id, err)
	}
	defer rows.Close()
	var out []Partition
	for rows.Next() {
		p, err := scanPartition(rows)
		if err != nil {
			return nil, fmt.Errorf("partitions of action %d: %w", id, err)
		}
		out = append(out, p)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("partitions of action %d: %w", id, err)
	}
	return out, nil
}

// ClaimPartition records that worker took partition number of action id
// (an attempt more) and returns the partition as it was before, with the
// action's status: a partition found running was left so by a worker that
// died or was cut off, and is taken over. It changes nothing when the
// action is no longer in progress or the partition has ended; the caller
// then drops the job.
func (r *Registry) ClaimPartition(ctx context.Context, id int64, number int, worker string) (Partition, ActionStatus, error) {
	var (
		p      Partition
		status ActionStatus
	)
	err := r.inTx(ctx, func(tx *sql.Tx) error {
		var s string
		if err := tx.QueryRowContext(ctx, r.q(`SELECT status FROM actions WHERE id = ?`+r.d.forUpdate()), id).Scan(&s); err != nil {
			if errors.Is(err, sql.ErrNoRows) {
				return ErrNotFound
			}
			return err
		}
		status = ActionStatus(s)
		var err error
		p, err = scanPartition(tx.QueryRowContext(ctx, r.q(`SELECT `+partitionColumns+` FROM partitions
			WHERE action_id = ? AND number = ?`), id, number))
		if errors.Is(err, sql.ErrNoRows) {
			return ErrNotFound
		}
		if err != nil || status != ActionInProgress {
			return err
		}
		_, err = tx.ExecContext(ctx, r.q(`UPDATE partitions SET status = ?, attempts = attempts + 1, worker = ?,
			running_indexed = 0, running_deleted = 0, updated_at = ?
			WHERE action_id = ? AND number = ? AND status IN (?, ?, ?)`),
			string(PartitionRunning), worker, now(), id, number,
			string(PartitionQueued), string(PartitionRunning), string(PartitionRetrying))
		return err
	})
	if err != nil {
		return p, status, fmt.Errorf("take partition %d of action %d: %w", number, id, err)
	}
	return p, status, nil
}

// PartitionProgress records the counts of the slice being read and the
// action's running sum, and returns the action's status: a worker stops
// when it is no longer in progress.
func (r *Registry) PartitionProgress(ctx context.Context, id int64, number int, running Counts) (ActionStatus, error) {
	var s string
	err := r.inQueueTx(ctx, func(t txExec, _ Tx) error {
		if err := lockAction(ctx, t, id); err != nil {
			return err
		}
		if _, err := t.exec(ctx, `UPDATE partitions SET running_indexed = ?, running_deleted = ?, updated_at = ?
			WHERE action_id = ? AND number = ?`, running.Indexed, running.Deleted, now(), id, number); err != nil {
			return err
		}
		return sumPartitions(ctx, t, id)
	})
	if err == nil {
		err = r.db.QueryRowContext(ctx, r.q(`SELECT status FROM actions WHERE id = ?`), id).Scan(&s)
	}
	if err != nil {
		return "", fmt.Errorf("record progress of partition %d of action %d: %w", number, id, err)
	}
	return ActionStatus(s), nil
}

// SliceDone records that slice of partition number is done with counts c:
// the partition's checkpoint moves past it. A slice already recorded (by
// an attempt that was thought dead) is not counted twice.
func (r *Registry) SliceDone(ctx context.Context, id int64, number, slice int, c Counts) error {
	err := r.inQueueTx(ctx, func(t txExec, _ Tx) error {
		if err := lockAction(ctx, t, id); err != nil {
			return err
		}
		if _, err := t.exec(ctx, `UPDATE partitions SET done = ?, docs_indexed = docs_indexed + ?, docs_failed = docs_failed + ?,
			docs_deleted = docs_deleted + ?, docs_skipped = docs_skipped + ?, running_indexed = 0, running_deleted = 0,
			updated_at = ? WHERE action_id = ? AND number = ? AND done = ?`,
			slice+1, c.Indexed, c.Failed, c.Deleted, c.Skipped, now(), id, number, slice); err != nil {
			return err
		}
		return sumPartitions(ctx, t, id)
	})
	if err != nil {
		return fmt.Errorf("record slice %d of partition %d of action %d: %w", slice, number, id, err)
	}
	return nil
}

// EndPartition records how partition number of action id ended (with
// errText for a failure or a retry) and returns how many of the action's
// partitions are not complete yet. Ends of one action's partitions are
// serialised, so exactly one caller sees 0 after completing the last one:
// that caller finishes the action.
func (r *Registry) EndPartition(ctx context.Context, id int64, number int, s PartitionStatus, errText string) (int, error) {
	left := 0
	err := r.inTx(ctx, func(tx *sql.Tx) error {
		var status string
		if err := tx.QueryRowContext(ctx, r.q(`SELECT status FROM actions WHERE id = ?`+r.d.forUpdate()), id).Scan(&status); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, r.q(`UPDATE partitions SET status = ?, error = ?, running_indexed = 0,
			running_deleted = 0, updated_at = ? WHERE action_id = ? AND number = ?`),
			string(s), errText, now(), id, number); err != nil {
			return err
		}
		return tx.QueryRowContext(ctx, r.q(`SELECT COUNT(*) FROM partitions WHERE action_id = ? AND status <> ?`),
			id, string(PartitionComplete)).Scan(&left)
	})
	if err != nil {
		return 0, fmt.Errorf("end partition %d of action %d: %w", number, id, err)
	}
	return left, nil
}

// EndRunningAction is FinishAction for an action that several processes
// may end (a distributed update: its last worker, a failing one, the
// process that waits for it): only the first of them ends it, and it
// reports whether that was this call. Partitions not yet ended are marked
// cancelled, and the action's counts are those of its partitions unless
// it has none.
func (r *Registry) EndRunningAction(ctx context.Context, id int64, s ActionStatus, errText string) (bool, error) {
	switch s {
	case ActionComplete, ActionFailed, ActionInterrupted:
	default:
		return false, fmt.Errorf("end action %d: %q is not complete, failed or interrupted", id, s)
	}
	ended := false
	err := r.inQueueTx(ctx, func(t txExec, _ Tx) error {
		n, err := t.exec(ctx, `UPDATE actions SET status = ?, error = ?, ended_at = ? WHERE id = ? AND status IN (?, ?)`,
			string(s), errText, now(), id, string(ActionQueued), string(ActionInProgress))
		if err != nil || n == 0 {
			return err
		}
		ended = true
		if _, err := t.exec(ctx, `UPDATE partitions SET status = ?, running_indexed = 0, running_deleted = 0
			WHERE action_id = ? AND status IN (?, ?, ?)`, string(PartitionCancelled), id,
			string(PartitionQueued), string(PartitionRunning), string(PartitionRetrying)); err != nil {
			return err
		}
		return sumPartitions(ctx, t, id)
	})
	if err != nil {
		return false, fmt.Errorf("end action %d: %w", id, err)
	}
	return ended, nil
}

// LatestPartitioned returns the latest distributed update of version n of
// (env, index) (an action with partitions); ok is false when there is none.
func (r *Registry) LatestPartitioned(ctx context.Context, env, index string, n int) (a Action, ok bool, err error) {
	var id sql.NullInt64
	err = r.db.QueryRowContext(ctx, r.q(`SELECT MAX(a.id) FROM actions a WHERE a.env = ? AND a.index_name = ?
		AND a.version = ? AND a.kind = ? AND EXISTS (SELECT 1 FROM partitions p WHERE p.action_id = a.id)`),
		env, index, n, string(ActionUpdate)).Scan(&id)
	if err != nil {
		return Action{}, false, fmt.Errorf("latest distributed update of %s%s-%d: %w", env, index, n, err)
	}
	if !id.Valid {
		return Action{}, false, nil
	}
	a, err = r.Action(ctx, id.Int64)
	return a, err == nil, err
}

// RunningPartitioned returns the distributed updates of (env, index) that
// have not ended (queued or in progress), oldest first; index "" means
// every index of env.
func (r *Registry) RunningPartitioned(ctx context.Context, env, index string) ([]Action, error) {
	rows, err := r.db.QueryContext(ctx, r.q(`SELECT `+actionColumns+` FROM actions a WHERE a.env = ? AND (a.index_name = ? OR ? = '')
		AND a.kind = ? AND a.status IN ('queued', 'in_progress') AND EXISTS (SELECT 1 FROM partitions p WHERE p.action_id = a.id)
		ORDER BY a.id`), env, index, index, string(ActionUpdate))
	if err != nil {
		return nil, fmt.Errorf("running distributed updates of %s%s: %w", env, index, err)
	}
	defer rows.Close()
	var out []Action
	for rows.Next() {
		a, err := scanAction(rows)
		if err != nil {
			return nil, fmt.Errorf("running distributed updates of %s%s: %w", env, index, err)
		}
		out = append(out, a)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("running distributed updates of %s%s: %w", env, index, err)
	}
	return out, nil
}
