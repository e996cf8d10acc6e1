package host

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/demhost/demhost/host/engine"
	"github.com/demhost/demhost/host/schemadiff"
	"github.com/demhost/demhost/registry"
)

// PlanKind is what applying a source's current schema to an index takes.
type PlanKind int

const (
	// PlanNoChange: the active version already has the schema.
	PlanNoChange PlanKind = iota
	// PlanInPlace: the engine can apply every change to the active
	// version's index (PUT _mapping, PUT _settings); see ApplyInPlace.
	PlanInPlace
	// PlanNewVersion: at least one change needs a new version (or the
	// index has no active version), created and filled.
	PlanNewVersion
)

var planKindNames = [...]string{"no change", "in place", "new version"}

// String is "no change", "in place" or "new version".
func (k PlanKind) String() string {
	if int(k) < len(planKindNames) && k >= 0 {
		return planKindNames[k]
	}
	return fmt.Sprintf("PlanKind(%d)", int(k))
}

// MarshalText spells a kind in JSON as "no_change", "in_place" or
// "new_version".
func (k PlanKind) MarshalText() ([]byte, error) {
	return []byte(strings.ReplaceAll(k.String(), " ", "_")), nil
}

// UnmarshalText reads what MarshalText writes.
func (k *PlanKind) UnmarshalText(b []byte) error {
	for i, n := range planKindNames {
		if strings.ReplaceAll(n, " ", "_") == string(b) {
			*k = PlanKind(i)
			return nil
		}
	}
	return fmt.Errorf("unknown plan kind %q", b)
}

// Change is one difference between the active version's schema and the
// source's: its path (a field such as "title.raw", "mappings.dynamic" or
// "settings.index.refresh_interval"), what changed, the values before and
// after, whether it needs a new version (Breaking), and why.
type Change = schemadiff.Change

// IndexPlan is what applying the source's current schema to one index
// would do.
type IndexPlan struct {
	Index string `json:"index"` // base name
	// Active is the active version's number, ActiveName its name
	// ("movies-3"); 0 and "" when none is active.
	Active     int    `json:"active,omitempty"`
	ActiveName string `json:"active_name,omitempty"`
	// ActiveHash is the active version's recorded schema hash.
	ActiveHash string `json:"active_hash,omitempty"`
	// Latest is the newest live version's number; 0 when there is none.
	Latest int      `json:"latest,omitempty"`
	Kind   PlanKind `json:"kind"`
	// Changes are the differences, mapping first, then settings. For a
	// new version because there is no active version, one change says so.
	Changes []Change `json:"changes"`
	// Hash is the target schema's hash; Schema its canonical JSON.
	Hash   string          `json:"hash"`
	Schema json.RawMessage `json:"-"`
	// Source is the name of the source that provides the index.
	Source string `json:"source"`
}

// Plan says, for each named index (base names), or every index the sources
// provide when all is set, what applying the source's current schema
// would do, without changing anything. It reads the registry and the
// active version's mapping in the cluster: an active version whose index
// is missing needs a new version too.
func (h *Host) Plan(ctx context.Context, names []string, all bool) ([]IndexPlan, error) {
	if all {
		if len(names) > 0 {
			return nil, fmt.Errorf("%w: name indexes or use --all, not both", ErrUsage)
		}
		names = h.Indexes()
		if len(names) == 0 {
			return nil, nil
		}
	}
	targets, err := h.resolveIndexes(ctx, names, true, "a plan", "plan")
	if err != nil {
		return nil, err
	}
	out := make([]IndexPlan, 0, len(targets))
	seen := map[string]bool{}
	for _, t := range targets {
		if seen[t.Index] {
			continue
		}
		seen[t.Index] = true
		p, err := h.planIndex(ctx, t.Index)
		if err != nil {
			return out, err
		}
		out = append(out, p)
	}
	return out, nil
}

// planIndex plans one index that a source provides.
func (h *Host) planIndex(ctx context.Context, index string) (IndexPlan, error) {
	canonical, hash, err := h.sourceSchema(index)
	if err != nil {
		return IndexPlan{}, err
	}
	p := IndexPlan{Index: index, Hash: hash, Schema: canonical, Source: h.indexes[index].source.Name(), Changes: []Change{}}
	vs, active, err := h.liveVersions(ctx, index)
	if err != nil {
		return p, err
	}
	if len(vs) > 0 {
		p.Latest = vs[len(vs)-1].Number
	}
	var cur *registry.Version
	for i := range vs {
		if vs[i].Number == active {
			cur = &vs[i]
		}
	}
	if cur == nil {
		p.Kind = PlanNewVersion
		reason := index + " has no version yet"
		if p.Latest > 0 {
			reason = fmt.Sprintf("%s has no active version (its latest is %s)", index, label(index, p.Latest))
		}
		p.Changes = append(p.Changes, Change{Path: index, What: "no active version", Breaking: true, Reason: reason})
		return p, nil
	}
	p.Active, p.ActiveName, p.ActiveHash = cur.Number, cur.Label(), cur.Hash
	// The active index must be there, whatever the schema: without it
	// there is nothing to change in place, nor to serve.
	liveRaw, err := h.eng.GetMapping(ctx, cur.Name)
	if errors.Is(err, engine.ErrNotFound) {
		p.Kind = PlanNewVersion
		p.Changes = append(p.Changes, Change{Path: index, What: "missing index", Breaking: true,
			Reason: (&MissingIndexError{Index: index, Version: cur.Number, Physical: cur.Name}).Error()})
		return p, nil
	}
	if err != nil {
		return p, fmt.Errorf("read mapping of %s (index %s): %w", cur.Label(), cur.Name, err)
	}
	if cur.Hash == hash {
		p.Kind = PlanNoChange
		return p, nil
	}
	from, err := schemadiff.Parse(cur.Schema)
	if err != nil {
		return p, fmt.Errorf("recorded schema of %s: %w", cur.Label(), err)
	}
	to, err := schemadiff.Parse(canonical)
	if err != nil {
		return p, fmt.Errorf("schema of %s from source %s: %w", index, p.Source, err)
	}
	var live map[string]any
	if err := json.Unmarshal(liveRaw, &live); err != nil {
		return p, fmt.Errorf("read mapping of %s (index %s): %w", cur.Label(), cur.Name, err)
	}
	p.Changes = append(p.Changes, schemadiff.Compare(from, to, live)...)
	switch {
	case schemadiff.Breaking(p.Changes):
		p.Kind = PlanNewVersion
	case len(p.Changes) == 0:
		// Only the text differs (1 for "1"): record the new hash.
		p.Kind = PlanInPlace
		p.Changes = append(p.Changes, Change{Path: index, What: "schema text",
			Reason: "the schema's text changed but the engine reads it the same; only its hash is recorded"})
	default:
		p.Kind = PlanInPlace
	}
	return p, nil
}

// StalePlanError is returned by ApplyInPlace when the index is no longer
// as the plan saw it: another version was activated, or its schema or the
// source's changed meanwhile.
type StalePlanError struct {
	Index string
	What  string // what differs
}

func (e *StalePlanError) Error() string {
	return fmt.Sprintf("the plan of %s is stale: %s", e.Index, e.What)
}

// ApplyInPlace applies an in-place plan: under the index's lock, as an
// update-schema action, it plans the index again (it fails with a
// *StalePlanError when that plan differs from p), updates the settings
// and the mapping of the active version's index, and then records the new
// schema and its hash on that version. When the engine refuses a change
// the action fails with the engine's reason and the registry is left as
// it was.
func (h *Host) ApplyInPlace(ctx context.Context, p IndexPlan) (Result, error) {
	if p.Kind != PlanInPlace {
		return Result{Index: p.Index}, fmt.Errorf("%w: the plan of %s is %q; only an in-place plan is applied in place", ErrUsage, p.Index, p.Kind)
	}
	if _, ok := h.indexes[p.Index]; !ok {
		return Result{Index: p.Index}, fmt.Errorf("index %s is not provided by any configured source, so it has no schema to apply", p.Index)
	}
	params := struct {
		FromHash string   `json:"from_hash"`
		ToHash   string   `json:"to_hash"`
		Changes  []Change `json:"changes"`
	}{p.ActiveHash, p.Hash, p.Changes}
	spec := actionSpec{kind: registry.ActionUpdateSchema, index: p.Index, version: p.Active, params: params}
	return h.run(ctx, spec, func(ctx context.Context, a *action) (Result, error) {
		return h.applyInPlace(ctx, a, p)
	})
}

func (h *Host) applyInPlace(ctx context.Context, a *action, want IndexPlan) (Result, error) {
	r := Result{Index: want.Index, Version: want.Active}
	p, err := h.planIndex(ctx, want.Index)
	if err != nil {
		return r, err
	}
	switch {
	case p.Active != want.Active:
		return r, &StalePlanError{Index: want.Index, What: fmt.Sprintf("the active version is now %s, not %s", nonEmpty(p.ActiveName), nonEmpty(want.ActiveName))}
	case p.ActiveHash != want.ActiveHash:
		return r, &StalePlanError{Index: want.Index, What: fmt.Sprintf("the schema of %s changed meanwhile", p.ActiveName)}
	case p.Hash != want.Hash:
		return r, &StalePlanError{Index: want.Index, What: "the source's schema changed meanwhile"}
	case p.Kind != PlanInPlace:
		return r, &StalePlanError{Index: want.Index, What: fmt.Sprintf("it is now %q", p.Kind)}
	}
	v, err := h.version(ctx, p.Index, p.Active)
	if err != nil {
		return r, err
	}
	to, err := schemadiff.Parse(p.Schema)
	if err != nil {
		return r, fmt.Errorf("schema of %s: %w", p.Index, err)
	}
	for _, c := range p.Changes {
		a.logf(ctx, "%s", describeChange(c))
	}
	settings := schemadiff.SettingsBody(p.Changes, to)
	mapping := schemadiff.MappingBody(p.Changes, to)
	// Limits on the mapping go first, so that new fields fit under them.
	settingsFirst := strings.Contains(string(settings), `"index.mapping.`)
	if settingsFirst {
		if err := h.putInPlace(ctx, a, v, "settings", settings, h.eng.PutSettings); err != nil {
			return r, err
		}
	}
	if err := h.putInPlace(ctx, a, v, "mapping", mapping, h.eng.PutMapping); err != nil {
		return r, err
	}
	if !settingsFirst {
		if err := h.putInPlace(ctx, a, v, "settings", settings, h.eng.PutSettings); err != nil {
			return r, fmt.Errorf("%w (its mapping was updated already; the registry still records the schema before it)", err)
		}
	}
	nv, err := h.reg.SetVersionSchema(ctx, v.ID, v.Hash, p.Schema)
	if err != nil {
		return r, fmt.Errorf("record the new schema of %s: %w", v.Label(), err)
	}
	r.Changed = true
	r.Message = fmt.Sprintf("updated %s in place (index %s): %s; schema %s recorded", v.Label(), v.Name, countChanges(len(p.Changes)), shortHash(nv.Hash))
	a.logf(ctx, "%s", r.Message)
	return r, nil
}

// putInPlace sends one in-place update of v's index, if body is not nil.
func (h *Host) putInPlace(ctx context.Context, a *action, v registry.Version, what string, body []byte,
	put func(ctx context.Context, index string, body []byte) error) error {
	if body == nil {
		return nil
	}
	err := put(ctx, v.Name, body)
	var ee *engine.Error
	if errors.As(err, &ee) && errors.Is(err, engine.ErrRejected) && ee.Reason != "" {
		return &RefusedChangeError{Index: v.Index, What: what, Version: v.Label(), Physical: v.Name, Reason: ee.Reason, Err: err}
	}
	if err != nil {
		return fmt.Errorf("update the %s of %s (index %s): %w", what, v.Label(), v.Name, err)
	}
	a.logf(ctx, "updated the %s of %s (index %s)", what, v.Label(), v.Name)
	return nil
}

// RefusedChangeError is returned by ApplyInPlace when the engine refuses
// the new mapping or settings of a version's index. It unwraps to the
// engine's *engine.Error (engine.ErrRejected).
type RefusedChangeError struct {
	Index    string // base name
	What     string // "mapping" or "settings"
	Version  string // "movies-3"
	Physical string // the index
	Reason   string // the engine's
	Err      error
}

func (e *RefusedChangeError) Error() string {
	return fmt.Sprintf("the engine refused the new %s of %s (index %s): %s", e.What, e.Version, e.Physical, e.Reason)
}

func (e *RefusedChangeError) Unwrap() error { return e.Err }

// describeChange is one line of a change for an action's log.
func describeChange(c Change) string {
	s := c.Path + ": " + c.What
	if c.From != "" || c.To != "" {
		s += fmt.Sprintf(" %s → %s", nonEmpty(c.From), nonEmpty(c.To))
	}
	return s
}

func nonEmpty(s string) string {
	if s == "" {
		return "(none)"
	}
	return s
}

func countChanges(n int) string {
	if n == 1 {
		return "1 change"
	}
	return fmt.Sprintf("%d changes", n)
}

func shortHash(h string) string {
	if len(h) > 12 {
		return h[:12]
	}
	return h
}
