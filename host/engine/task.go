package engine

import (
	"context"
	"errors"
	"net/http"
	"time"
)

// A server-side task (reindex, delete by query) may run far longer than
// one request may take, so it is started with wait_for_completion=false and
// followed through _tasks: first after taskPollFirst, so a small task ends
// quickly, then at doubling intervals up to taskPollMax.
//
// A poll that fails for a reason worth retrying (a timeout, a node that
// does not answer, 429) does not end the wait: the task goes on in the
// cluster either way. Only when polls have failed for taskPollPatience in a
// row is the task given up, and then cancelled, so nothing goes on copying
// or deleting unobserved.
const (
	taskPollFirst    = 20 * time.Millisecond
	taskPollMax      = time.Second
	taskPollPatience = 30 * time.Second
)

// taskStatus is the answer of GET _tasks/<id>: the running counts in
// task.status, and once completed the final ones in response.
type taskStatus struct {
	Completed bool `json:"completed"`
	Task      struct {
		Status taskCounts `json:"status"`
	} `json:"task"`
	Response taskCounts   `json:"response"`
	Error    *engineError `json:"error"`
}

// done is how many documents a task count reports as handled.
func (tc taskCounts) done() int64 { return tc.Deleted + tc.Created + tc.Updated }

// followTask starts a task with one request and waits for it, and returns
// deleted for delete by query, created+updated for reindex. When ctx ends
// first, the task is cancelled in the cluster, so an interrupted action
// does not go on copying or deleting behind the user's back. With an
// error, the count is what the task had done by then, as far as the
// cluster said: what a failed task did before it failed, or the last
// progress seen before an interruption.
func (a *adapter) followTask(ctx context.Context, op, index string, start send) (int64, error) {
	started, err := a.call(ctx, op, index, start)
	if err != nil {
		return 0, err
	}
	var st struct {
		Task string `json:"task"`
	}
	if err := decode(started, &st); err != nil {
		return 0, err
	}
	if st.Task == "" {
		return 0, &Error{Op: op, Index: index, Reason: "the engine answered without a task id", Err: ErrUnavailable}
	}
	wait := taskPollFirst
	timer := time.NewTimer(wait)
	defer timer.Stop()
	var seen int64        // the last running count
	var failing time.Time // when the current run of failed polls began
	for {
		select {
		case <-ctx.Done():
			a.stopTask(ctx, op, index, st.Task)
			return seen, transportError(ctx, op, index, ctx.Err())
		case <-timer.C:
		}
		wait = min(2*wait, taskPollMax)
		timer.Reset(wait)
		r, err := a.call(ctx, op, index, func(ctx context.Context) raw { return a.c.getTask(ctx, st.Task) })
		if err != nil {
			if ctx.Err() == nil && retryable(err) {
				if failing.IsZero() {
					failing = time.Now()
				}
				if time.Since(failing) < a.taskPatience {
					continue
				}
			}
			a.stopTask(ctx, op, index, st.Task)
			return seen, err
		}
		failing = time.Time{}
		var ts taskStatus
		if err := decode(r, &ts); err != nil {
			return seen, err
		}
		seen = max(seen, ts.Task.Status.done())
		if ts.Completed {
			if ts.Error != nil {
				return seen, &Error{Op: op, Index: index, Status: http.StatusBadRequest, Type: ts.Error.Type,
					Reason: ts.Error.text(), Err: sentinelFor(http.StatusBadRequest, ts.Error.Type)}
			}
			if err := ts.Response.failed(op, index); err != nil {
				return ts.Response.done(), err
			}
			return ts.Response.done(), nil
		}
	}
}

// stopTask asks the cluster to cancel the task, even though ctx has ended.
func (a *adapter) stopTask(ctx context.Context, op, index, id string) {
	_ = a.done(context.WithoutCancel(ctx), op, index, func(ctx context.Context) raw { return a.c.cancelTask(ctx, id) })
}

// retryable tells a failure that may pass (no answer in time, a node down,
// 5xx, 429) from one that will not.
func retryable(err error) bool {
	return errors.Is(err, ErrUnavailable) || errors.Is(err, ErrTooManyRequests)
}
