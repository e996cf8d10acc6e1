package host

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/demhost/demhost/registry"
)

// actionSpec says what an action is about before it starts.
type actionSpec struct {
	kind    registry.ActionKind
	index   string // base name; "" for environment-wide actions
	version int    // 0 when not known yet or not about one version
	params  any    // recorded as JSON
	// locks are the indexes whose locks the action holds; default: index.
	locks []string
	// parent is the id of the action this one is part of; 0 when none.
	parent int64
}

// action is a running, recorded action.
type action struct {
	h  *Host
	id int64
}

// logf appends a line to the action's log. A failure to log never fails
// the action: the log is for people, the status is what counts.
func (a *action) logf(ctx context.Context, format string, args ...any) {
	_ = a.h.reg.AppendLog(context.WithoutCancel(ctx), a.id, fmt.Sprintf(format, args...))
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
		ParentID: spec.parent, Env: h.opts.Env, Index: spec.index, Version: spec.version, Kind: spec.kind,
		Status: registry.ActionQueued, StartedAt: start, Argv: h.opts.Argv,
		Host: h.opts.Hostname, User: h.opts.User, CodebaseID: h.opts.CodebaseID, Params: params,
	})
	if err != nil {
		return Result{}, fmt.Errorf("record %s of %s: %w", spec.kind, target, err)
	}
	res := Result{ActionID: id, ParentID: spec.parent, Kind: string(spec.kind), Index: spec.index, Version: spec.version}
	bg := context.WithoutCancel(ctx)
	finish := func(r Result, err error) (Result, error) {
		r.ActionID, r.ParentID, r.Kind, r.Duration = id, spec.parent, string(spec.kind), time.Since(start)
		if r.Index == "" {
			r.Index = spec.index
		}
		status, text := registry.ActionComplete, ""
		switch {
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
		if ferr := h.reg.FinishAction(bg, id, status, r.Counts, text); ferr != nil && err == nil {
			err = fmt.Errorf("record end of action %d: %w", id, ferr)
		}
		h.childEnded(bg, spec.parent, r.Counts)
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
	if err := h.reg.SetActionStatus(ctx, id, registry.ActionInProgress); err != nil {
		return finish(res, fmt.Errorf("record start of action %d: %w", id, err))
	}
	a := &action{h: h, id: id}
	r, err := fn(ctx, a)
	if r.Version == 0 {
		r.Version = spec.version
	}
	return finish(r, err)
}

func quoteEnv(env string) string {
	if env == "" {
		return "(no prefix)"
	}
	return env
}
