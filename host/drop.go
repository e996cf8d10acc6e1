package host

import (
	"context"
	"errors"
	"fmt"

	"github.com/demhost/demhost/host/engine"
	"github.com/demhost/demhost/registry"
)

// DropOptions tune Drop.
type DropOptions struct {
	Older  bool // drop every version older than the active one (name is a base name)
	Force  bool // allow dropping the active version
	ESOnly bool // delete in the cluster only
}

// Drop deletes a version's physical index and soft-deletes the version.
func (h *Host) Drop(ctx context.Context, name string, o DropOptions) ([]Result, error) {
	return h.eachVersion(ctx, registry.ActionDrop, name, o.Older, o,
		func(ctx context.Context, a *action, index string, n int) (Result, error) {
			return h.drop(ctx, a, index, n, o)
		})
}

func (h *Host) drop(ctx context.Context, a *action, index string, n int, o DropOptions) (Result, error) {
	r := Result{Index: index, Version: n}
	v, err := h.version(ctx, index, n)
	if err != nil {
		return r, err
	}
	active, err := h.activeNumber(ctx, index)
	if err != nil {
		return r, err
	}
	if active == n && !o.Force {
		return r, fmt.Errorf("%s is the active version of %s: %w", v.Label(), index, ErrActiveVersion)
	}
	gone := false
	if err := h.eng.DeleteIndices(ctx, v.Name); errors.Is(err, engine.ErrNotFound) {
		gone = true
	} else if err != nil {
		return r, fmt.Errorf("delete index %s of %s: %w", v.Name, v.Label(), err)
	}
	r.Changed = true
	switch {
	case o.ESOnly && gone:
		r.Changed = false
		r.Message = fmt.Sprintf("index %s of %s was already missing in the cluster; the registry is unchanged", v.Name, v.Label())
	case o.ESOnly:
		r.Message = fmt.Sprintf("deleted index %s of %s in the cluster; the registry still lists %s", v.Name, v.Label(), v.Label())
	default:
		if err := h.reg.DeleteVersion(context.WithoutCancel(ctx), v.ID); err != nil {
			return r, fmt.Errorf("record drop of %s: %w", v.Label(), err)
		}
		if gone {
			r.Message = fmt.Sprintf("dropped %s (its index %s was already missing in the cluster)", v.Label(), v.Name)
		} else {
			r.Message = fmt.Sprintf("dropped %s (deleted index %s)", v.Label(), v.Name)
		}
		if active == n {
			r.Message += fmt.Sprintf("; it was active, so %s now has no active version", index)
		}
	}
	a.logf(ctx, "%s", r.Message)
	return r, nil
}
