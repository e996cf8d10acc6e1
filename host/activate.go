package host

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/demhost/demhost/registry"
)

// Activate points each alias at the latest version, or at the named version.
func (h *Host) Activate(ctx context.Context, names []string) ([]Result, error) {
	targets, err := h.resolveAll(ctx, names)
	if err != nil {
		return nil, err
	}
	group := actionSpec{kind: registry.ActionActivate, index: commonIndex(targets)}
	return h.runGroup(ctx, group, len(targets), func(ctx context.Context, g *actionGroup) ([]Result, error) {
		var out []Result
		for _, t := range targets {
			spec := actionSpec{kind: registry.ActionActivate, index: t.Index, version: t.Version, group: g}
			r, err := h.run(ctx, spec, func(ctx context.Context, a *action) (Result, error) {
				return h.activate(ctx, a, t)
			})
			out = append(out, r)
			if err != nil {
				return out, err
			}
		}
		return out, nil
	})
}

func (h *Host) activate(ctx context.Context, a *action, t registry.Target) (Result, error) {
	r := Result{Index: t.Index, Version: t.Version}
	vs, active, err := h.liveVersions(ctx, t.Index)
	if err != nil {
		return r, err
	}
	var v registry.Version
	if t.Version != 0 {
		if v, err = h.version(ctx, t.Index, t.Version); err != nil {
			return r, err
		}
		if v.Status == registry.VersionFailed {
			return r, fmt.Errorf("version %s failed to build and cannot be activated; create a new version", v.Label())
		}
	} else {
		found := false
		for _, c := range slices.Backward(vs) {
			if c.Status != registry.VersionFailed {
				v, found = c, true
				break
			}
		}
		if !found {
			return r, &NoVersionError{Index: t.Index}
		}
		r.Version = v.Number
		if err := a.setVersion(ctx, v.Number); err != nil {
			return r, err
		}
	}
	// A load that died left refresh off: readers would never see new
	// documents, so the settings are put back before the alias moves.
	if err := h.restoreLoad(ctx, a, v); err != nil {
		return r, fmt.Errorf("activate %s: %w", v.Label(), err)
	}
	alias := h.Alias(t.Index)
	current, err := h.eng.GetAlias(ctx, alias)
	if err != nil {
		return r, fmt.Errorf("read alias %s: %w", alias, err)
	}
	if active == v.Number && len(current) == 1 && current[0] == v.Name {
		r.Message = fmt.Sprintf("%s is already active; nothing changed", v.Label())
		return r, nil
	}
	ok, err := h.eng.Exists(ctx, v.Name)
	if err != nil {
		return r, fmt.Errorf("check index %s: %w", v.Name, err)
	}
	if !ok {
		return r, &MissingIndexError{Index: t.Index, Version: v.Number, Physical: v.Name}
	}
	// The alias moves only onto an index that holds its shards.
	if _, err := h.waitHealth(ctx, a, v, h.opts.Health.WaitForStatus, h.opts.Health.Timeout); err != nil {
		return r, err
	}
	if err := h.swapAlias(ctx, alias, v.Name, current); err != nil {
		return r, err
	}
	if err := h.reg.SetActive(context.WithoutCancel(ctx), h.opts.Env, t.Index, v.Number); err != nil {
		return r, fmt.Errorf("record %s as active: %w", v.Label(), err)
	}
	r.Changed = true
	if active != 0 && active != v.Number {
		r.Message = fmt.Sprintf("activated %s (alias %s → %s), replacing %s", v.Label(), alias, v.Name, label(t.Index, active))
	} else {
		r.Message = fmt.Sprintf("activated %s (alias %s → %s)", v.Label(), alias, v.Name)
	}
	a.logf(ctx, "%s", r.Message)
	return r, nil
}

// pointAlias points index's alias at physical alone.
func (h *Host) pointAlias(ctx context.Context, index, physical string) error {
	alias := h.Alias(index)
	current, err := h.eng.GetAlias(ctx, alias)
	if err != nil {
		return fmt.Errorf("read alias %s: %w", alias, err)
	}
	if len(current) == 1 && current[0] == physical {
		return nil
	}
	return h.swapAlias(ctx, alias, physical, current)
}

// swapAlias moves alias onto physical in one atomic request.
func (h *Host) swapAlias(ctx context.Context, alias, physical string, current []string) error {
	remove := make([]string, 0, len(current))
	for _, c := range current {
		if c != physical {
			remove = append(remove, c)
		}
	}
	if err := h.eng.SwapAlias(ctx, alias, physical, remove); err != nil {
		return fmt.Errorf("point alias %s at %s: %w", alias, physical, err)
	}
	return nil
}

func joinNames(names []string) string { return strings.Join(names, ", ") }
