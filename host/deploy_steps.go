package host

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strings"

	sdk "github.com/demhost/demhost/plugin-sdk"
	"github.com/demhost/demhost/registry"
)

// create makes the new version, or takes the latest one when it already
// holds the source's schema and is not the active one (an earlier deploy
// that stopped before its resume was asked for).
func (d *deployment) create(ctx context.Context, a *action) (Result, error) {
	h := d.h
	r, err := h.create(ctx, a, d.index, false)
	if err == nil && r.Version == d.params.Previous {
		// The active version already holds this schema: the plan asked for
		// a new version all the same (a static setting it cannot compare).
		r, err = h.create(ctx, a, d.index, true)
	}
	if err != nil {
		return r, err
	}
	if !r.Changed || strings.HasPrefix(r.Message, "schema of") {
		r.Notes = append(r.Notes, fmt.Sprintf("%s already holds this schema and is not active, so the deploy fills it again", label(d.index, r.Version)))
	}
	d.params.Version = r.Version
	return r, d.record(ctx)
}

// fill fills the new version from empty: from the source, or by a copy of
// the version that was active when the deploy began.
func (d *deployment) fill(ctx context.Context, a *action) (Result, error) {
	h, n := d.h, d.params.Version
	r := Result{Index: d.index, Version: n}
	v, err := h.fillableVersion(ctx, d.index, n)
	if err != nil {
		return r, err
	}
	if !d.params.FromActive {
		prev, ok, err := d.predecessorFill(ctx)
		if err != nil {
			return r, err
		}
		running := prev.Status == registry.ActionInProgress || prev.Status == registry.ActionQueued
		switch {
		case !ok:
		case d.o.Distributed != nil || prev.Status == registry.ActionComplete:
			return d.continueDistributedFill(ctx, a, prev)
		case running:
			return r, fmt.Errorf("%w; or run `deploy %s --resume --distributed` to wait for it", &FillRunningError{Action: prev}, d.index)
		}
	}
	// A fill that stopped left documents (and maybe a checkpoint) behind:
	// the version starts empty, so that documents deleted in the source
	// since then do not stay.
	if err := h.reg.DeleteCheckpoints(ctx, h.opts.Env, d.index, n); err != nil {
		return r, err
	}
	if err := h.eng.Refresh(ctx, v.Name); err != nil {
		return r, fmt.Errorf("refresh %s: %w", v.Name, err)
	}
	if left, err := h.eng.Count(ctx, v.Name); err != nil {
		return r, fmt.Errorf("count %s: %w", v.Name, err)
	} else if left > 0 {
		gone, err := h.eng.DeleteByQuery(ctx, v.Name, nil)
		if err != nil {
			return r, fmt.Errorf("empty %s before its fill: %w", v.Label(), err)
		}
		a.logf(ctx, "deleted the %s documents an earlier fill left in %s", thousands(gone), v.Label())
	}
	if d.params.FromActive {
		p, err := h.planMigrate(ctx, v.Label(), MigrateOptions{From: label(d.index, d.params.Previous)})
		if err != nil {
			return r, err
		}
		return h.migrate(ctx, a, p)
	}
	if d.o.Distributed != nil {
		return d.fillDistributed(ctx, a, false)
	}
	return h.update(ctx, a, d.index, n, UpdateOptions{Workers: d.o.Workers, BatchSize: d.o.BatchSize})
}

// fillDistributed fills the new version as a distributed update recorded
// as a child of the fill step's action a; with resume, it continues the
// version's last distributed update from its partitions' checkpoints.
func (d *deployment) fillDistributed(ctx context.Context, a *action, resume bool) (Result, error) {
	o := *d.o.Distributed
	o.Detach = false
	o.Update = UpdateOptions{Resume: resume, Workers: d.o.Workers, BatchSize: d.o.BatchSize}
	r, err := d.h.fillDistributed(ctx, d.index, d.params.Version, o, a.id)
	if r.ActionID != 0 {
		note := fmt.Sprintf("filled by distributed update %d", r.ActionID)
		if err != nil {
			note = fmt.Sprintf("distributed update %d (see `demhost history %d`)", r.ActionID, r.ActionID)
		}
		r.Notes = append(r.Notes, note)
		a.logf(ctx, "%s", note)
	}
	r.Next = nil // the deploy's --resume continues it
	return r, err
}

// predecessorFill finds the distributed update that the fill step of the
// deploy this one resumes started: the version's latest distributed
// update, when its parent is that fill step and it read everything.
func (d *deployment) predecessorFill(ctx context.Context) (registry.Action, bool, error) {
	h := d.h
	if d.params.Resumes == 0 {
		return registry.Action{}, false, nil
	}
	prev, ok, err := h.reg.LatestPartitioned(ctx, h.opts.Env, d.index, d.params.Version)
	if err != nil || !ok || prev.ParentID == 0 {
		return prev, false, err
	}
	step, err := h.reg.Action(ctx, prev.ParentID)
	if err != nil {
		return prev, false, fmt.Errorf("read the step of distributed update %d: %w", prev.ID, err)
	}
	var sp stepParams
	if json.Unmarshal(step.Params, &sp) != nil || sp.Step != StepFill || sp.Deploy != d.params.Resumes {
		return prev, false, nil
	}
	var dp distributedParams
	if json.Unmarshal(prev.Params, &dp) != nil || !dp.Since.IsZero() {
		return prev, false, nil
	}
	return prev, true, nil
}

// continueDistributedFill goes on with prev, the distributed fill of the
// deploy this one resumes: it takes its result when it completed after
// that deploy stopped (killed, its workers were not), waits for it while
// its jobs still run, and else continues it from its partitions'
// checkpoints.
func (d *deployment) continueDistributedFill(ctx context.Context, a *action, prev registry.Action) (Result, error) {
	h := d.h
	if prev.Status == registry.ActionComplete {
		r := Result{Index: d.index, Version: d.params.Version, Counts: prev.Counts, Changed: true,
			Message: fmt.Sprintf("the fill of deploy %d, distributed update %d, completed after that deploy stopped: %s indexed, %s deleted",
				d.params.Resumes, prev.ID, thousands(prev.Counts.Indexed), thousands(prev.Counts.Deleted))}
		a.logf(ctx, "%s", r.Message)
		return r, nil
	}
	if prev.Status != registry.ActionInProgress && prev.Status != registry.ActionQueued {
		a.logf(ctx, "the fill of deploy %d was distributed update %d, which ended %s; it continues from its partitions' checkpoints",
			d.params.Resumes, prev.ID, prev.Status)
		return d.fillDistributed(ctx, a, true)
	}
	var dp distributedParams
	_ = json.Unmarshal(prev.Params, &dp)
	parts, err := h.reg.Partitions(ctx, prev.ID)
	if err != nil {
		return Result{}, err
	}
	jobs := partitionJobs(parts)
	note := fmt.Sprintf("the fill of deploy %d, distributed update %d, is still running on the workers; waiting for it", d.params.Resumes, prev.ID)
	a.logf(ctx, "%s", note)
	stopBeat := h.reg.Heartbeat(prev.ID)
	defer stopBeat()
	pa := &action{h: h, id: prev.ID, started: prev.StartedAt}
	r := Result{ActionID: prev.ID, Kind: string(registry.ActionUpdate), Index: d.index, Version: d.params.Version}
	r, err = h.awaitDistributed(ctx, pa, r, dp, jobs, d.o.Distributed.Queue)
	r.Notes = append(r.Notes, note)
	r.Next = nil
	return r, err
}

// catchup reads what changed in the source since the version's checkpoint
// (the fill's watermark, then each pass's), in up to passes passes, until
// one moves fewer documents than the threshold.
func (d *deployment) catchup(ctx context.Context, a *action, passes int) (Result, error) {
	h, n := d.h, d.params.Version
	r := Result{Index: d.index, Version: n}
	p := h.indexes[d.index]
	if !p.spec.Capabilities.Since {
		r.Message = fmt.Sprintf("source %s cannot read what changed since a time, so there is nothing to catch up", p.source.Name())
		a.logf(ctx, "%s", r.Message)
		return r, nil
	}
	threshold := d.o.Config.CatchupThreshold
	for pass := 1; pass <= passes; pass++ {
		pr, err := h.update(ctx, a, d.index, n, UpdateOptions{Resume: true, Workers: d.o.Workers, BatchSize: d.o.BatchSize})
		r.Counts.Indexed += pr.Counts.Indexed
		r.Counts.Failed += pr.Counts.Failed
		r.Counts.Deleted += pr.Counts.Deleted
		r.Counts.Skipped += pr.Counts.Skipped
		r.Failures, r.Skips, r.Notes = append(r.Failures, pr.Failures...), append(r.Skips, pr.Skips...), append(r.Notes, pr.Notes...)
		if err != nil {
			r.Message = pr.Message
			return r, err
		}
		moved := pr.Counts.Indexed + pr.Counts.Deleted
		r.Changed = r.Changed || moved > 0
		a.logf(ctx, "catch-up pass %d of %s moved %s documents", pass, label(d.index, n), thousands(moved))
		if passes == 1 || moved < threshold {
			r.Message = fmt.Sprintf("caught up %s in %d pass(es): %s indexed, %s deleted", label(d.index, n), pass,
				thousands(r.Counts.Indexed), thousands(r.Counts.Deleted))
			return r, nil
		}
	}
	r.Message = fmt.Sprintf("caught up %s in %d passes, the last still moving %s or more documents; the gate judges the result",
		label(d.index, n), passes, thousands(threshold))
	a.logf(ctx, "%s", r.Message)
	return r, nil
}

// counter is a source that can count its documents (*sdk.Plugin and
// *sdk.Local are; the answer is sdk.ErrNoCount when the plugin cannot).
type counter interface {
	Count(ctx context.Context, req *sdk.CountRequest) (*sdk.CountResponse, error)
}

// gate checks the new version before it is activated: its count against
// the source's, and each probe's hits. Every check that fails is named,
// with its figures, in a *GateError.
func (d *deployment) gate(ctx context.Context, a *action) (Result, error) {
	h, n := d.h, d.params.Version
	r := Result{Index: d.index, Version: n}
	v, err := h.version(ctx, d.index, n)
	if err != nil {
		return r, err
	}
	if err := h.eng.Refresh(ctx, v.Name); err != nil {
		return r, fmt.Errorf("refresh %s: %w", v.Name, err)
	}
	got, err := h.eng.Count(ctx, v.Name)
	if err != nil {
		return r, fmt.Errorf("count %s: %w", v.Name, err)
	}
	cfg := d.o.Config.Gate
	var checks []GateCheck
	src := h.indexes[d.index].source
	want, counted, err := sourceCount(ctx, src, d.index)
	switch {
	case err != nil:
		return r, err
	case !counted:
		note := fmt.Sprintf("count not checked: source %s cannot count its documents (%s in the index)", src.Name(), thousands(got))
		r.Notes = append(r.Notes, note)
		a.logf(ctx, "%s", note)
	default:
		checks = append(checks, GateCheck{Gate: "count", Got: got, Want: want,
			Tolerance: cfg.Tolerance, Allowed: int64(math.Floor(cfg.Tolerance * float64(want)))})
	}
	for _, p := range cfg.Probes {
		if p.Index != "" && p.Index != d.index {
			continue
		}
		hits, err := h.eng.CountQuery(ctx, v.Name, p.Query)
		if err != nil {
			return r, fmt.Errorf("gate probe %q on %s: %w", p.Name, v.Label(), err)
		}
		checks = append(checks, GateCheck{Gate: "probe", Probe: p.Name, Got: hits, Want: p.MinHits})
	}
	ge := &GateError{Index: d.index, Version: n, Active: d.params.Previous}
	var passed []string
	for _, c := range checks {
		a.logf(ctx, "%s: %s", map[bool]string{true: "passed", false: "FAILED"}[c.passed()], c)
		if c.passed() {
			passed = append(passed, c.String())
		} else {
			ge.Checks = append(ge.Checks, c)
		}
	}
	if len(ge.Checks) > 0 {
		r.Message = ge.Error()
		return r, ge
	}
	r.Message = fmt.Sprintf("%s passed the gate", v.Label())
	if len(passed) > 0 {
		r.Message = fmt.Sprintf("%s passed the %s", v.Label(), strings.Join(passed, "; and the "))
	}
	return r, nil
}

// sourceCount asks src for its count of index; counted is false when the
// source cannot count.
func sourceCount(ctx context.Context, src Source, index string) (n int64, counted bool, err error) {
	c, ok := src.(counter)
	if !ok {
		return 0, false, nil
	}
	resp, err := c.Count(ctx, &sdk.CountRequest{Index: index})
	if errors.Is(err, sdk.ErrNoCount) {
		return 0, false, nil
	}
	if err != nil {
		return 0, false, fmt.Errorf("count the documents of %s in source %s: %w", index, src.Name(), err)
	}
	return resp.Count, true, nil
}

// restore puts back the settings a load changed on the new version, if
// any are still applied, and waits for its health.
func (d *deployment) restore(ctx context.Context, a *action) (Result, error) {
	h, n := d.h, d.params.Version
	r := Result{Index: d.index, Version: n}
	v, err := h.version(ctx, d.index, n)
	if err != nil {
		return r, err
	}
	if err := h.restoreLoad(ctx, a, v); err != nil {
		return r, err
	}
	health, err := h.waitHealth(ctx, a, v, h.opts.Health.WaitForStatus, h.opts.Health.Timeout)
	if err != nil {
		return r, err
	}
	r.Message = fmt.Sprintf("%s has its load settings and is %s", v.Label(), health)
	if health == "" {
		r.Message = fmt.Sprintf("%s has its load settings (health not waited for)", v.Label())
	}
	return r, nil
}

// retain drops the versions beyond the newest Retain, never the active
// version nor the one it replaced.
func (d *deployment) retain(ctx context.Context, a *action) (Result, error) {
	h := d.h
	r := Result{Index: d.index, Version: d.params.Version}
	keep := d.o.Config.Retain
	if keep <= 0 {
		r.Message = "retain is not set, so every version is kept"
		return r, nil
	}
	vs, active, err := h.liveVersions(ctx, d.index)
	if err != nil {
		return r, err
	}
	var dropped []string
	for i, v := range vs {
		newest := i >= len(vs)-keep
		if newest || v.Number == active || v.Number == d.params.Previous {
			continue
		}
		if _, err := h.drop(ctx, a, d.index, v.Number, DropOptions{}); err != nil {
			return r, err
		}
		dropped = append(dropped, v.Label())
	}
	r.Changed = len(dropped) > 0
	if len(dropped) == 0 {
		r.Message = fmt.Sprintf("%s has no more than the %d versions to retain (and the previous one); nothing dropped", d.index, keep)
		return r, nil
	}
	r.Message = fmt.Sprintf("dropped %s, keeping the newest %d version(s) of %s and the previous one", joinNames(dropped), keep, d.index)
	return r, nil
}
