package host

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/demhost/demhost/host/engine"
	sdk "github.com/demhost/demhost/plugin-sdk"
	"github.com/demhost/demhost/registry"
)

// CreateOptions tune Create.
type CreateOptions struct {
	Force  bool // a new version even when the schema is unchanged
	ESOnly bool // recreate missing physical indexes from stored schemas
}

// Create creates a version of each named index (names may be base names
// only). With no names it fails; the CLI passes Indexes() for --all.
func (h *Host) Create(ctx context.Context, names []string, o CreateOptions) ([]Result, error) {
	targets, err := h.resolveIndexes(ctx, names, !o.ESOnly, "a new version", "create")
	if err != nil {
		return nil, err
	}
	group := actionSpec{kind: registry.ActionCreate, index: commonIndex(targets), params: o}
	return h.runGroup(ctx, group, len(targets), func(ctx context.Context, g *actionGroup) ([]Result, error) {
		var out []Result
		for _, t := range targets {
			spec := actionSpec{kind: registry.ActionCreate, index: t.Index, params: o, group: g}
			var (
				r   Result
				err error
			)
			if o.ESOnly {
				r, err = h.run(ctx, spec, func(ctx context.Context, a *action) (Result, error) {
					return h.recreateMissing(ctx, a, t.Index)
				})
			} else {
				r, err = h.run(ctx, spec, func(ctx context.Context, a *action) (Result, error) {
					return h.create(ctx, a, t.Index, o.Force)
				})
			}
			out = append(out, r)
			if err != nil {
				return out, err
			}
		}
		return out, nil
	})
}

// schemaBody is the index body a source's spec asks for.
func schemaBody(spec sdk.IndexSpec) ([]byte, error) {
	body := struct {
		Mappings json.RawMessage `json:"mappings"`
		Settings json.RawMessage `json:"settings"`
	}{spec.Mappings, spec.Settings}
	if len(body.Mappings) == 0 {
		body.Mappings = json.RawMessage("{}")
	}
	if len(body.Settings) == 0 {
		body.Settings = json.RawMessage("{}")
	}
	b, err := json.Marshal(body)
	if err != nil {
		return nil, fmt.Errorf("schema of %s is not valid JSON: %w", spec.Name, err)
	}
	return b, nil
}

// sourceSchema is the schema the source of index gives now, in canonical
// form, and its hash.
func (h *Host) sourceSchema(index string) (canonical []byte, hash string, err error) {
	p := h.indexes[index]
	schema, err := schemaBody(p.spec)
	if err != nil {
		return nil, "", err
	}
	canonical, hash, err = registry.CanonicalSchema(schema)
	if err != nil {
		return nil, "", fmt.Errorf("schema of %s from source %s: %w", index, p.source.Name(), err)
	}
	return canonical, hash, nil
}

func (h *Host) create(ctx context.Context, a *action, index string, force bool) (Result, error) {
	schema, hash, err := h.sourceSchema(index)
	if err != nil {
		return Result{}, err
	}
	vs, err := h.reg.Versions(ctx, h.opts.Env, index, false)
	if err != nil {
		return Result{}, fmt.Errorf("list versions of %s: %w", index, err)
	}
	if len(vs) > 0 && !force && vs[len(vs)-1].Hash == hash {
		return h.ensureExists(ctx, a, vs[len(vs)-1])
	}
	if err := h.checkAnalysis(ctx, index, schema); err != nil {
		return Result{}, err
	}
	v, err := h.reg.CreateVersion(ctx, h.opts.Env, index, schema, h.opts.CodebaseID)
	if err != nil {
		return Result{}, fmt.Errorf("create version of %s: %w", index, err)
	}
	r := Result{Index: index, Version: v.Number, Changed: true}
	if err := a.setVersion(ctx, v.Number); err != nil {
		return r, err
	}
	if err := h.createPhysical(ctx, v); err != nil {
		return r, err
	}
	r.Message = fmt.Sprintf("created %s (index %s)", v.Label(), v.Name)
	if force && len(vs) > 0 && vs[len(vs)-1].Hash == hash {
		r.Message += ", with the same schema as " + vs[len(vs)-1].Label() + " (forced)"
	}
	a.logf(ctx, "%s", r.Message)
	return r, nil
}

// ensureExists handles an unchanged schema: nothing to do unless the
// version's physical index is missing (or its creation failed before).
func (h *Host) ensureExists(ctx context.Context, a *action, v registry.Version) (Result, error) {
	r := Result{Index: v.Index, Version: v.Number}
	if err := a.setVersion(ctx, v.Number); err != nil {
		return r, err
	}
	ok, err := h.eng.Exists(ctx, v.Name)
	if err != nil {
		return r, fmt.Errorf("check index %s: %w", v.Name, err)
	}
	if ok && v.Status != registry.VersionFailed {
		r.Message = fmt.Sprintf("schema of %s unchanged since %s; nothing created", v.Index, v.Label())
		return r, nil
	}
	if err := h.createPhysical(ctx, v); err != nil {
		return r, err
	}
	r.Changed = true
	r.Message = fmt.Sprintf("schema of %s unchanged since %s; its missing index %s was recreated", v.Index, v.Label(), v.Name)
	a.logf(ctx, "%s", r.Message)
	return r, nil
}

// createPhysical creates a version's index in the cluster from its stored
// schema and records the outcome on the version.
func (h *Host) createPhysical(ctx context.Context, v registry.Version) error {
	err := h.eng.CreateIndex(ctx, v.Name, v.Schema)
	if errors.Is(err, engine.ErrAlreadyExists) {
		err = nil
	}
	status := registry.VersionReady
	if err != nil {
		status = registry.VersionFailed
	}
	if serr := h.reg.SetVersionStatus(context.WithoutCancel(ctx), v.ID, status); serr != nil && err == nil {
		err = fmt.Errorf("record status of %s: %w", v.Label(), serr)
	}
	if err != nil {
		var ee *engine.Error
		if errors.As(err, &ee) && errors.Is(err, engine.ErrRejected) && ee.Reason != "" {
			return fmt.Errorf("the engine rejected the schema of %s (index %s): %s; %s is marked failed: %w",
				v.Label(), v.Name, ee.Reason, v.Label(), err)
		}
		return fmt.Errorf("create index %s for %s: %w", v.Name, v.Label(), err)
	}
	return nil
}

// recreateMissing recreates, from their stored schemas, the versions of
// index that are missing in the cluster, and restores the active alias.
func (h *Host) recreateMissing(ctx context.Context, a *action, index string) (Result, error) {
	vs, active, err := h.liveVersions(ctx, index)
	if err != nil {
		return Result{}, err
	}
	r := Result{Index: index}
	var made []string
	for _, v := range vs {
		ok, err := h.eng.Exists(ctx, v.Name)
		if err != nil {
			return r, fmt.Errorf("check index %s: %w", v.Name, err)
		}
		if ok {
			continue
		}
		if err := h.createPhysical(ctx, v); err != nil {
			return r, err
		}
		made = append(made, v.Label())
		a.logf(ctx, "recreated %s (index %s) from its stored schema", v.Label(), v.Name)
		if v.Number == active {
			if err := h.pointAlias(ctx, index, v.Name); err != nil {
				return r, err
			}
		}
	}
	r.Changed = len(made) > 0
	switch {
	case len(vs) == 0:
		r.Message = fmt.Sprintf("%s has no version to recreate", index)
		r.Next = &Step{Action: "create", Target: index}
	case len(made) == 0:
		r.Message = fmt.Sprintf("every version of %s exists in the cluster; nothing recreated", index)
	default:
		r.Message = fmt.Sprintf("recreated %s from stored schemas", joinNames(made))
	}
	return r, nil
}
