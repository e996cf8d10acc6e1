package registry

import (
	"context"
	"fmt"
	"os"
	"sync"
	"time"
)

// abandonTimeout bounds the write that marks actions abandoned, which
// list and history attempt on the side: on a read-only or stalled
// registry they go on without it.
const abandonTimeout = 3 * time.Second

// own stamps a with what tells whether its process is alive: this
// process's pid and start (unless the caller named another pid), a fresh
// heartbeat and this registry's lease.
func (r *Registry) own(a *Action) {
	if a.Pid == 0 {
		a.Pid = os.Getpid()
	}
	if a.Pid == os.Getpid() {
		a.procStart = selfStart()
	}
	hb := r.clock()
	a.Heartbeat = &hb
	a.leaseMS = r.opts.lease.Milliseconds()
}

// Heartbeat keeps action id alive in the registry: it renews the action's
// heartbeat every lease/5 until stop is called (stop waits for a renewal
// under way). A failed renewal is retried at the next tick; once the
// heartbeat is a full lease old, other processes may mark the action
// abandoned unless they can see its process alive on their own host.
func (r *Registry) Heartbeat(id int64) (stop func()) {
	every := r.opts.lease / 5
	quit := make(chan struct{})
	done := make(chan struct{})
	ctx, cancel := context.WithCancel(context.Background())
	go func() {
		defer close(done)
		t := time.NewTicker(every)
		defer t.Stop()
		for {
			select {
			case <-quit:
				return
			case <-t.C:
			}
			bctx, bcancel := context.WithTimeout(ctx, every)
			_, _ = r.db.ExecContext(bctx, r.q(`UPDATE actions SET heartbeat_at = ?
				WHERE id = ? AND status IN ('queued', 'in_progress')`), r.clock(), id)
			bcancel()
		}
	}()
	var once sync.Once
	return func() {
		once.Do(func() {
			close(quit)
			cancel()
			<-done
		})
	}
}

// MarkAbandoned marks as abandoned every action of env (of one index when
// index is not "") that is still queued or in progress although its
// process is gone, and returns their ids. An action's process is gone
// when:
//
//   - it ran on this host and its pid is no longer that process (no such
//     process, or one started at another time, or the host was rebooted);
//   - otherwise, when its heartbeat is older than the lease it was
//     recorded with. An action whose process runs on another host and
//     renews its heartbeat is never marked.
//
// The ids are returned even when recording fails (a read-only registry);
// err then says why.
func (r *Registry) MarkAbandoned(ctx context.Context, env, index string) ([]int64, error) {
	query := `SELECT ` + actionColumns + ` FROM actions WHERE env = ? AND status IN ('queued', 'in_progress')`
	args := []any{env}
	if index != "" {
		query += ` AND index_name = ?`
		args = append(args, index)
	}
	ctx, cancel := bound(ctx)
	defer cancel()
	rows, err := r.db.QueryContext(ctx, r.q(query+` ORDER BY id`), args...)
	if err != nil {
		return nil, fmt.Errorf("find abandoned actions of %s%s: %w", env, index, err)
	}
	var acts []Action
	for rows.Next() {
		a, err := scanAction(rows)
		if err != nil {
			rows.Close()
			return nil, fmt.Errorf("find abandoned actions of %s%s: %w", env, index, err)
		}
		acts = append(acts, a)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("find abandoned actions of %s%s: %w", env, index, err)
	}
	ids, err := r.abandon(ctx, acts)
	if err != nil {
		return ids, fmt.Errorf("mark abandoned actions of %s%s: %w", env, index, err)
	}
	return ids, nil
}

// settle marks the abandoned actions among acts, and shows them so in
// acts even when the registry cannot be written.
func (r *Registry) settle(ctx context.Context, acts []Action) {
	_, _ = r.abandon(ctx, acts)
}

// abandon finds the actions of acts whose process is gone, records them
// as abandoned and sets their Status, EndedAt and Error in acts. The
// record is a compare-and-set on the heartbeat that was judged, so an
// action that renewed its heartbeat meanwhile is left alone.
func (r *Registry) abandon(ctx context.Context, acts []Action) ([]int64, error) {
	var (
		ids      []int64
		firstErr error
	)
	for i := range acts {
		a := &acts[i]
		if a.Status != ActionQueued && a.Status != ActionInProgress {
			continue
		}
		why, gone := r.gone(a)
		if !gone {
			continue
		}
		text := "abandoned: " + why
		at := now()
		observed := a.StartedAt
		if a.Heartbeat != nil {
			observed = *a.Heartbeat
		}
		if firstErr == nil {
			wctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), abandonTimeout)
			res, err := r.db.ExecContext(wctx, r.q(`UPDATE actions SET status = ?, ended_at = ?,
				error = CASE WHEN error = '' THEN ? ELSE error || '; ' || ? END
				WHERE id = ? AND status IN ('queued', 'in_progress')
				AND (heartbeat_at IS NULL OR heartbeat_at <= ?)`),
				string(ActionAbandoned), at, text, text, a.ID, observed.UTC())
			cancel()
			if err != nil {
				firstErr = err
			} else if n, err := res.RowsAffected(); err == nil && n == 0 {
				continue // it renewed its heartbeat, or ended, meanwhile
			}
		}
		ids = append(ids, a.ID)
		a.Status, a.EndedAt = ActionAbandoned, &at
		if a.Error == "" {
			a.Error = text
		} else {
			a.Error += "; " + text
		}
	}
	return ids, firstErr
}

// gone tells whether the process of a running action is gone, and why.
func (r *Registry) gone(a *Action) (string, bool) {
	if a.Pid > 0 && a.Host == hostname() {
		if alive, known := processAlive(a.Pid, a.procStart); known {
			if alive {
				return "", false
			}
			return fmt.Sprintf("its process %d on host %s is gone", a.Pid, a.Host), true
		}
	}
	hb := a.StartedAt
	if a.Heartbeat != nil {
		hb = *a.Heartbeat
	}
	lease := time.Duration(a.leaseMS) * time.Millisecond
	if lease <= 0 {
		lease = DefaultLease
	}
	if age := r.clock().Sub(hb); age > lease {
		return fmt.Sprintf("no heartbeat from host %s since %s (lease %s)", a.Host, hb.UTC().Format(time.RFC3339), lease), true
	}
	return "", false
}
