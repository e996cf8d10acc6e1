package host

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"

	"github.com/demhost/demhost/registry"
)

// DeployOptions tune Deploy.
type DeployOptions struct {
	// All says the names are every index (the CLI's --all); with no names
	// Deploy takes Indexes().
	All bool
	// Resume continues each index's unfinished deploy from the step it
	// reached; an index without one is deployed as without Resume.
	Resume bool
	// FromActive fills a new version by a server-side copy of the active
	// version (as migrate does) instead of from the source.
	FromActive bool
	// Workers and BatchSize override Options.Bulk when non-zero.
	Workers   int
	BatchSize int
	// Distributed, when set, fills a new version from the source as a
	// distributed update (see UpdateDistributed): partition jobs that
	// `demhost worker`s run, while the deploy holds the index's lock and
	// waits. Its Queue is required; Update and Detach are ignored. The
	// catch-up passes run in the deploy's own process.
	Distributed *DistributedOptions
	// Config tunes the catch-up, the gate, health and retention.
	Config DeployConfig
	// OnStep, when set, receives each step's result as the step ends, for
	// the caller to show. Default: none.
	OnStep func(Result)
}

// The steps of a deploy of a new version, in order. Each is recorded as a
// child action of the deploy, with the step's name in its parameters.
const (
	StepCreate   = "create"
	StepFill     = "fill"
	StepCatchup  = "catch-up"
	StepGate     = "gate"
	StepRestore  = "restore"
	StepActivate = "activate"
	StepFinal    = "final catch-up"
	StepRetain   = "retain"
)

// deploySteps are the steps in the order they run.
var deploySteps = []string{StepCreate, StepFill, StepCatchup, StepGate, StepRestore, StepActivate, StepFinal, StepRetain}

// stepKinds are the kinds of the steps' child actions: a step that fills
// is an update or a migrate, so that list shows its fill state.
var stepKinds = map[string]registry.ActionKind{
	StepCreate: registry.ActionCreate, StepFill: registry.ActionUpdate, StepCatchup: registry.ActionUpdate,
	StepGate: registry.ActionGate, StepRestore: registry.ActionRestore, StepActivate: registry.ActionActivate,
	StepFinal: registry.ActionUpdate, StepRetain: registry.ActionRetain,
}

// deployParams are a deploy's recorded parameters: what a resume needs.
type deployParams struct {
	FromActive bool   `json:"from_active"`
	Previous   int    `json:"previous"`            // the active version when the deploy began; 0 when none
	Resumes    int64  `json:"resumes,omitempty"`   // the deploy this one continues
	FromStep   string `json:"from_step,omitempty"` // its first step; "" for create
	Version    int    `json:"version,omitempty"`   // the new version, once known
}

// stepParams are a step's recorded parameters.
type stepParams struct {
	Step   string `json:"step"`
	Deploy int64  `json:"deploy"`
}

// deployment is one deploy of a new version of index while it runs.
type deployment struct {
	h      *Host
	parent *action
	group  *actionGroup
	index  string
	o      DeployOptions
	params deployParams
	out    []Result
}

// Deploy applies each index's plan (see Plan): nothing for no change,
// ApplyInPlace for an in-place change, and for a new version the steps of
// deployNew. With Resume, an index whose last deploy did not complete
// continues it from the step it reached instead, unless that deploy built
// a schema other than the source's now. It stops at the first index that
// fails; a failed gate is a *GateError, and the old version stays active.
func (h *Host) Deploy(ctx context.Context, names []string, o DeployOptions) ([]Result, error) {
	if len(names) == 0 && !o.All {
		return nil, fmt.Errorf("%w: name the indexes to deploy, or use --all", ErrUsage)
	}
	if o.Distributed != nil && o.Distributed.Queue == nil {
		return nil, errors.New("distributed deploy: a queue is required")
	}
	o.Config = o.Config.withDefaults()
	if err := o.Config.Check(); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrUsage, err)
	}
	plans, err := h.Plan(ctx, names, o.All)
	if err != nil {
		return nil, err
	}
	var out []Result
	for _, p := range plans {
		var (
			rs []Result
			r  Result
		)
		resume, note, err := h.resumable(ctx, p, o)
		switch {
		case err != nil:
		case resume:
			ro := o
			ro.Resume = true
			rs, err = h.deployNew(ctx, p.Index, ro)
		case p.Kind == PlanNoChange:
			rs = []Result{{Kind: string(registry.ActionDeploy), Index: p.Index, Version: p.Active,
				Message: fmt.Sprintf("%s already has the source's schema; nothing to deploy", p.ActiveName)}}
		case p.Kind == PlanInPlace:
			r, err = h.ApplyInPlace(ctx, p)
			rs = []Result{r}
		default:
			ro := o
			ro.Resume = false
			rs, err = h.deployNew(ctx, p.Index, ro)
		}
		if note != "" && len(rs) > 0 {
			rs[len(rs)-1].Notes = append(rs[len(rs)-1].Notes, note)
		}
		out = append(out, rs...)
		if err != nil {
			return out, err
		}
	}
	return out, nil
}

// deployNew deploys a new version of index: create, fill, catch up, gate,
// restore and wait for health, activate, catch up once more, retain. It
// is one parent action, holding the index's lock, with one child action
// per step. With resume set, it continues that earlier deploy from the
// step it reached.
func (h *Host) deployNew(ctx context.Context, index string, o DeployOptions) ([]Result, error) {
	d := &deployment{h: h, index: index, o: o}
	spec := actionSpec{kind: registry.ActionDeploy, index: index, params: map[string]any{"from_active": o.FromActive, "resume": o.Resume},
		besideFill: o.Resume} // its fill step takes over the fill of the deploy it resumes
	var stepErr error
	r, err := h.run(ctx, spec, func(ctx context.Context, a *action) (Result, error) {
		d.parent, d.group = a, &actionGroup{h: h, id: a.id}
		r, err := d.run(ctx)
		stepErr = err
		return r, err
	})
	r.Kind = string(registry.ActionDeploy)
	out := append(d.out, r)
	if stepErr != nil {
		return out, stepErr
	}
	return out, err
}

// run decides where to start, records it, and runs the steps from there.
func (d *deployment) run(ctx context.Context) (Result, error) {
	h, a := d.h, d.parent
	r := Result{Index: d.index}
	from := 0
	active, err := h.activeNumber(ctx, d.index)
	if err != nil {
		return r, err
	}
	d.params = deployParams{FromActive: d.o.FromActive, Previous: active}
	if d.o.Resume {
		prev, reached, ok, err := h.unfinishedDeploy(ctx, d.index, a.id)
		if err != nil {
			return r, err
		}
		if ok {
			from = reached
			if prev.Version == 0 {
				from = 0 // it never created its version
			}
			d.params = prev
			d.params.FromStep = deploySteps[from]
			a.logf(ctx, "resuming deploy %d of %s from its %s step", d.params.Resumes, d.index, deploySteps[from])
		} else {
			r.Notes = append(r.Notes, fmt.Sprintf("%s has no unfinished deploy to resume, so this is a new deploy", d.index))
			a.logf(ctx, "%s", r.Notes[0])
		}
	}
	if d.params.Resumes == 0 {
		// Planned before the lock: another deploy may have run meanwhile.
		p, err := h.planIndex(ctx, d.index)
		if err != nil {
			return r, err
		}
		switch p.Kind {
		case PlanNoChange:
			r.Version = p.Active
			r.Message = fmt.Sprintf("%s already has the source's schema (another action deployed it meanwhile); nothing to deploy", p.ActiveName)
			a.logf(ctx, "%s", r.Message)
			return r, nil
		case PlanInPlace:
			return r, &StalePlanError{Index: d.index, What: "another action changed it meanwhile, and the change is now in place; run deploy again"}
		}
	}
	if d.o.FromActive != d.params.FromActive && d.params.Resumes != 0 {
		r.Notes = append(r.Notes, fmt.Sprintf("the resumed deploy %s; it goes on that way",
			map[bool]string{true: "fills from the active version", false: "fills from the source"}[d.params.FromActive]))
	}
	if d.params.FromActive && d.params.Previous == 0 && from <= 1 {
		return r, usage(&NoActiveVersionError{Index: d.index})
	}
	if err := d.record(ctx); err != nil {
		return r, err
	}
	for _, step := range deploySteps[from:] {
		if _, err := d.step(ctx, step); err != nil {
			r.Version, r.Counts = d.params.Version, d.group.counts()
			r.Message = fmt.Sprintf("deploy of %s stopped at its %s step", d.label(), step)
			if errors.Is(err, ErrInterrupted) || ctx.Err() != nil {
				r.Message = fmt.Sprintf("deploy of %s interrupted at its %s step", d.label(), step)
			}
			r.Next = &Step{Action: "deploy", Target: d.index, Resume: true, Why: "to continue from the " + step + " step"}
			if d.params.Previous != 0 && !d.activated(step) {
				r.Message += fmt.Sprintf("; %s stays active", label(d.index, d.params.Previous))
			}
			return r, &DeployError{Index: d.index, Version: d.params.Version, Step: step, Active: d.activeNow(ctx), Err: err}
		}
	}
	r.Version, r.Changed = d.params.Version, true
	r.Counts = d.group.counts()
	r.Message = fmt.Sprintf("deployed %s: created, filled, caught up, gated and activated", d.label())
	if d.params.Previous != 0 {
		r.Message += fmt.Sprintf(", replacing %s", label(d.index, d.params.Previous))
	}
	a.logf(ctx, "%s", r.Message)
	return r, nil
}

// activeNow is the active version, for an error's message; 0 when it
// cannot be read.
func (d *deployment) activeNow(ctx context.Context) int {
	n, _ := d.h.activeNumber(context.WithoutCancel(ctx), d.index)
	return n
}

// activated says whether the deploy had activated its version before step.
func (d *deployment) activated(step string) bool {
	return slices.Index(deploySteps, step) > slices.Index(deploySteps, StepActivate)
}

func (d *deployment) label() string {
	if d.params.Version == 0 {
		return d.index
	}
	return label(d.index, d.params.Version)
}

// record writes the deploy's parameters on its action, for a resume.
func (d *deployment) record(ctx context.Context) error {
	b, err := json.Marshal(d.params)
	if err != nil {
		return fmt.Errorf("encode parameters of deploy %d: %w", d.parent.id, err)
	}
	if err := d.h.reg.SetActionParams(ctx, d.parent.id, b); err != nil {
		return fmt.Errorf("record parameters of deploy %d: %w", d.parent.id, err)
	}
	if d.params.Version != 0 {
		return d.parent.setVersion(ctx, d.params.Version)
	}
	return nil
}

// step runs one step as a child action and collects its result.
func (d *deployment) step(ctx context.Context, step string) (Result, error) {
	h := d.h
	spec := actionSpec{kind: stepKinds[step], index: d.index, version: d.params.Version, locks: []string{},
		params: stepParams{Step: step, Deploy: d.parent.id}, group: d.group}
	if step == StepFill && d.params.FromActive {
		spec.kind = registry.ActionMigrate
	}
	d.parent.logf(ctx, "step %s of %s", step, d.label())
	r, err := h.run(ctx, spec, func(ctx context.Context, a *action) (Result, error) {
		switch step {
		case StepCreate:
			return d.create(ctx, a)
		case StepFill:
			return d.fill(ctx, a)
		case StepCatchup:
			return d.catchup(ctx, a, d.o.Config.CatchupPasses)
		case StepGate:
			return d.gate(ctx, a)
		case StepRestore:
			return d.restore(ctx, a)
		case StepActivate:
			return h.activate(ctx, a, registry.Target{Index: d.index, Version: d.params.Version})
		case StepFinal:
			return d.catchup(ctx, a, 1)
		default:
			return d.retain(ctx, a)
		}
	})
	r.Step = step
	d.out = append(d.out, r)
	if d.o.OnStep != nil {
		d.o.OnStep(r)
	}
	return r, err
}
