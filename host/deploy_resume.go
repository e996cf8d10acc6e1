package host

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"

	"github.com/demhost/demhost/registry"
)

// resumable says whether Deploy continues an unfinished deploy of p's
// index: with o.Resume, when there is one whose version still holds the
// source's schema (or is already active). note says why one is not.
func (h *Host) resumable(ctx context.Context, p IndexPlan, o DeployOptions) (bool, string, error) {
	if !o.Resume {
		return false, "", nil
	}
	prev, reached, ok, err := h.unfinishedDeploy(ctx, p.Index, 0)
	if err != nil || !ok {
		return false, "", err
	}
	if prev.Version == 0 || reached > slices.Index(deploySteps, StepActivate) {
		return true, "", nil
	}
	v, err := h.reg.Version(ctx, h.opts.Env, p.Index, prev.Version)
	if err != nil {
		return false, "", fmt.Errorf("read version %s: %w", label(p.Index, prev.Version), err)
	}
	if v.DeletedAt == nil && v.Hash == p.Hash {
		return true, "", nil
	}
	return false, fmt.Sprintf("the unfinished deploy %d built %s for another schema than the source's now, so it was not resumed",
		prev.Resumes, v.Label()), nil
}

// unfinishedDeploy finds the latest deploy of index other than the action
// skip and, when it did not complete, returns its parameters and the
// index in deploySteps of the first step it did not complete. Its
// parameters' Resumes is set to its id.
func (h *Host) unfinishedDeploy(ctx context.Context, index string, skip int64) (deployParams, int, bool, error) {
	acts, err := h.reg.History(ctx, registry.ActionFilter{Env: h.opts.Env, Index: index, Limit: 1000})
	if err != nil {
		return deployParams{}, 0, false, fmt.Errorf("read history of %s: %w", index, err)
	}
	for _, act := range acts {
		if act.Kind != registry.ActionDeploy || act.ParentID != 0 || act.ID == skip {
			continue
		}
		if act.Status == registry.ActionComplete {
			return deployParams{}, 0, false, nil
		}
		var p deployParams
		if err := json.Unmarshal(act.Params, &p); err != nil {
			return p, 0, false, fmt.Errorf("read parameters of deploy %d: %w", act.ID, err)
		}
		done := map[string]bool{}
		for _, s := range deploySteps[:max(slices.Index(deploySteps, p.FromStep), 0)] {
			done[s] = true // the deploy it resumed had done these
		}
		kids, err := h.reg.Children(ctx, act.ID)
		if err != nil {
			return p, 0, false, fmt.Errorf("read the steps of deploy %d: %w", act.ID, err)
		}
		for _, k := range kids {
			var sp stepParams
			if json.Unmarshal(k.Params, &sp) == nil && k.Status == registry.ActionComplete {
				done[sp.Step] = true
			}
		}
		reached := len(deploySteps) - 1
		for i, s := range deploySteps {
			if !done[s] {
				reached = i
				break
			}
		}
		// A failed gate is checked again after another catch-up: the
		// source may have moved, or been fixed, since.
		if deploySteps[reached] == StepGate {
			reached--
		}
		p.Resumes = act.ID
		return p, reached, true, nil
	}
	return deployParams{}, 0, false, nil
}
