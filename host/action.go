package host

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/demhost/demhost/registry"
)

// Bounds on the registry writes of an action's end. A registry that stopped
// answering must not keep a stopping demhost from exiting: after an
// interrupt or a lost lock, each write gets a short time, and a failed end
// record is said in the returned error (the next action on the index marks
// the action abandoned).
const (
	logTimeout         = 10 * time.Second
	stoppingLogTimeout = 2 * time.Second
	finishTimeout      = 15 * time.Second
	stoppingTimeout    = 3 * time.Second
)

// actionSpec says what an action is about before it starts.
type actionSpec struct {
	kind    registry.ActionKind
	index   string // base name; "" for environment-wide actions
	version int    // 0 when not known yet or not about one version
	params  any    // recorded as JSON
	// locks are the indexes whose locks the action holds; default: index.
	locks []string
	// group is the parent action this one is part of; nil when none.
	group *actionGroup
	// besideFill lets the action start while a distributed update of its
	// index runs without a lock (detached, or its waiting process died):
	// a deploy --resume, whose fill step takes that update over.
	besideFill bool
}

// action is a running, recorded action.
type action struct {
	h  *Host
	id int64
	// started is when the action was recorded, before it waited for its
	// locks.
	started time.Time
}

// logf appends a line to the action's log. A failure to log never fails
// the action: the log is for people, the status is what counts. Once ctx
// is done (an interrupt, a lost lock) the write gets only a moment.
func (a *action) logf(ctx context.Context, format string, args ...any) {
	wait := logTimeout
	if ctx.Err() != nil {
		wait = stoppingLogTimeout
	}
	lctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), wait)
	defer cancel()
	_ = a.h.reg.AppendLog(lctx, a.id, fmt.Sprintf(format, args...))
}

// setVersion records which version the action concerns, once known.
func (a *action) setVersion(ctx context.Context, n int) error {
	if err := a.h.reg.UpdateActionVersion(ctx, a.id, n); err != nil {
		return fmt.Errorf("record version of action %d: %w", a.id, err)
	}
	return nil
}

// run records an action as queued, takes its locks, records it as
// in_progress, runs fn, records how it ended and releases the locks, in
// that order, so that nothing changes in the cluster without a record and
// a cancelled run leaves no lock behind.
//
// While it runs, the action renews its heartbeat in the registry (so that
// no other process marks it abandoned), and fn's context is cancelled
// with a cause matching registry.ErrLockLost as soon as one of its locks
// is lost: fn must then stop writing, and the action ends failed ("lock
// lost"), not interrupted. Having taken its locks, the action first marks
// abandoned the earlier actions on those indexes whose process died.
func (h *Host) run(ctx context.Context, spec actionSpec, fn func(ctx context.Context, a *action) (Result, error)) (Result, error) {
	start := time.Now()
	params := []byte("{}")
	if spec.params != nil {
		b, err := json.Marshal(spec.params)
		if err != nil {
			return Result{}, fmt.Errorf("encode parameters of %s %s: %w", spec.kind, spec.index, err)
		}
		params = b
	}
	target := spec.index
	if spec.version > 0 {
		target = label(spec.index, spec.version)
	}
	if target == "" {
		target = "environment " + quoteEnv(h.opts.Env)
	}
	id, err := h.reg.StartAction(ctx, registry.Action{
		ParentID: spec.group.parentID(), Env: h.opts.Env, Index: spec.index, Version: spec.version, Kind: spec.kind,
		Status: registry.ActionQueued, StartedAt: start, Argv: h.opts.Argv,
		Host: h.opts.Hostname, User: h.opts.User, CodebaseID: h.opts.CodebaseID, Params: params,
	})
	if err != nil {
		return Result{}, fmt.Errorf("record %s of %s: %w", spec.kind, target, err)
	}
	stopBeat := h.reg.Heartbeat(id)
	defer stopBeat()
	res := Result{ActionID: id, ParentID: spec.group.parentID(), Kind: string(spec.kind), Index: spec.index, Version: spec.version}
	// fnCtx is fn's context once the locks are held; its cause tells a
	// lost lock from an interrupt.
	fnCtx := ctx
	finish := func(r Result, err error) (Result, error) {
		r.ActionID, r.ParentID, r.Kind, r.Duration = id, spec.group.parentID(), string(spec.kind), time.Since(start)
		if r.Index == "" {
			r.Index = spec.index
		}
		lost := context.Cause(fnCtx)
		if !errors.Is(lost, registry.ErrLockLost) {
			lost = nil
		}
		status, text := registry.ActionComplete, ""
		switch {
		case lost != nil:
			status = registry.ActionFailed
			err = fmt.Errorf("%s %s stopped: %w", spec.kind, target, lost)
			text = err.Error()
		case err == nil:
		case ctx.Err() != nil || errors.Is(err, context.Canceled) || errors.Is(err, ErrInterrupted):
			status = registry.ActionInterrupted
			if !errors.Is(err, ErrInterrupted) {
				err = fmt.Errorf("%s %s: %w", spec.kind, target, ErrInterrupted)
			}
			text = err.Error()
		default:
			status, text = registry.ActionFailed, err.Error()
		}
		wait := finishTimeout
		if fnCtx.Err() != nil {
			wait = stoppingTimeout
		}
		bg, cancel := context.WithTimeout(context.WithoutCancel(ctx), wait)
		defer cancel()
		if ferr := h.reg.FinishAction(bg, id, status, r.Counts, text); ferr != nil {
			if err == nil {
				err = fmt.Errorf("record end of action %d: %w", id, ferr)
			} else {
				err = fmt.Errorf("%w; the registry did not take the end of action %d either (%v), so it shows %s until the next action on %s marks it abandoned",
					err, id, ferr, registry.ActionInProgress, target)
			}
		}
		spec.group.childEnded(bg, r.Counts)
		return r, err
	}

	locks := spec.locks
	if locks == nil {
		locks = []string{spec.index}
	}
	var held []*registry.Lock
	defer func() {
		for i := len(held) - 1; i >= 0; i-- {
			_ = held[i].Release()
		}
	}()
	for _, ix := range locks {
		lk, err := h.reg.Lock(ctx, h.opts.Env, ix, id)
		if err != nil {
			return finish(res, fmt.Errorf("lock %s%s: %w", h.opts.Env, ix, err))
		}
		held = append(held, lk)
	}
	lctx, loseLock := context.WithCancelCause(ctx)
	defer loseLock(nil)
	watching := make(chan struct{})
	defer close(watching)
	for _, lk := range held {
		go func() {
			select {
			case <-lk.Lost():
				loseLock(lk.Err())
			case <-watching:
			}
		}()
	}
	fnCtx = lctx
	if err := h.reg.SetActionStatus(lctx, id, registry.ActionInProgress); err != nil {
		return finish(res, fmt.Errorf("record start of action %d: %w", id, err))
	}
	a := &action{h: h, id: id, started: start}
	if len(held) > 0 {
		for _, ix := range locks {
			if ids, _ := h.reg.MarkAbandoned(lctx, h.opts.Env, ix); len(ids) > 0 {
				a.logf(lctx, "marked earlier action(s) %s on %s abandoned: their process is gone", joinIDs(ids), ix)
			}
		}
	}
	if !spec.besideFill {
		for _, ix := range locks {
			if err := h.checkNoRunningFill(lctx, ix, spec.version); err != nil {
				return finish(res, err)
			}
		}
	}
	r, err := fn(lctx, a)
	if r.Version == 0 {
		r.Version = spec.version
	}
	return finish(r, err)
}

func joinIDs(ids []int64) string {
	s := make([]string, len(ids))
	for i, id := range ids {
		s[i] = strconv.FormatInt(id, 10)
	}
	return strings.Join(s, ", ")
}

func quoteEnv(env string) string {
	if env == "" {
		return "(no prefix)"
	}
	return env
}
