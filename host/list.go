package host

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/demhost/demhost/host/engine"
	"github.com/demhost/demhost/registry"
)

// VersionRow is one line of List.
type VersionRow struct {
	Index    string `json:"index"`
	Version  int    `json:"version"` // 0: not created
	Name     string `json:"name"`    // "movies-3", or "movies" when not created
	Physical string `json:"physical,omitempty"`
	Exists   bool   `json:"exists"`
	Active   bool   `json:"active"`
	// Status is the version's fill state (empty, filling, partial,
	// failed, interrupted, ready: see FillReady and the others), or
	// building or failed for a version whose creation did not complete,
	// or "not created".
	Status string `json:"status"`
	// LoadSettings says a load's settings (refresh off, no replicas) are
	// still applied: its process died before restoring them. The next
	// update, activate or migrate of the version, or list --repair,
	// restores them.
	LoadSettings bool `json:"load_settings_applied,omitempty"`
	// Skipped are the records the source skipped in the version's latest
	// fill (update or migrate).
	Skipped    int64      `json:"skipped"`
	Docs       int64      `json:"docs"`
	CodebaseID string     `json:"codebase_id,omitempty"`
	Created    *time.Time `json:"created,omitempty"`
}

// StatusNotCreated is VersionRow.Status for an index with no version.
const StatusNotCreated = "not created"

// List returns every version of the named indexes (all when none named),
// including indexes with no version ("not created").
func (h *Host) List(ctx context.Context, names ...string) ([]VersionRow, error) {
	// Actions whose process died are marked abandoned as a side effect,
	// which a read-only registry does not take: list works on it anyway.
	_, _ = h.reg.MarkAbandoned(ctx, h.opts.Env, "")
	idxs, err := h.reg.Indexes(ctx, h.opts.Env)
	if err != nil {
		return nil, fmt.Errorf("list indexes: %w", err)
	}
	active := map[string]int{}
	for _, ix := range idxs {
		active[ix.Name] = ix.Active
	}
	var want []string
	if len(names) > 0 {
		seen := map[string]bool{}
		for _, n := range names {
			t, err := h.resolve(ctx, n)
			if err != nil {
				return nil, err
			}
			if !seen[t.Index] {
				seen[t.Index] = true
				want = append(want, t.Index)
			}
		}
	} else {
		set := map[string]bool{}
		for _, n := range h.names {
			set[n] = true
		}
		for n := range active {
			set[n] = true
		}
		for n := range set {
			want = append(want, n)
		}
	}
	sort.Strings(want)

	stats, err := h.ListCluster(ctx)
	if err != nil {
		return nil, err
	}
	inCluster := make(map[string]engine.IndexStat, len(stats))
	for _, s := range stats {
		inCluster[s.Name] = s
	}

	var rows []VersionRow
	for _, index := range want {
		vs, err := h.reg.Versions(ctx, h.opts.Env, index, false)
		if err != nil {
			return nil, fmt.Errorf("list versions of %s: %w", index, err)
		}
		if len(vs) == 0 {
			rows = append(rows, VersionRow{Index: index, Name: index, Status: StatusNotCreated})
			continue
		}
		fills, err := h.fillStates(ctx, index)
		if err != nil {
			return nil, fmt.Errorf("list versions of %s: %w", index, err)
		}
		for _, v := range vs {
			s, ok := inCluster[v.Name]
			created := v.CreatedAt
			status := string(v.Status)
			f := fills[v.Number]
			if v.Status == registry.VersionReady {
				status = FillEmpty
				if f.state != "" {
					status = f.state
				}
			}
			rows = append(rows, VersionRow{
				Index: index, Version: v.Number, Name: v.Label(), Physical: v.Name,
				Exists: ok, Active: active[index] == v.Number, Status: status,
				LoadSettings: v.LoadSettings != nil, Skipped: f.skipped,
				Docs: s.Docs, CodebaseID: v.CodebaseID, Created: &created,
			})
		}
	}
	return rows, nil
}

// ListCluster lists the cluster's indices under the prefix (list --es-only),
// without dot-indices.
func (h *Host) ListCluster(ctx context.Context) ([]engine.IndexStat, error) {
	stats, err := h.eng.ListIndices(ctx, h.opts.Env)
	if err != nil {
		return nil, fmt.Errorf("list indices under %s: %w", quoteEnv(h.opts.Env), err)
	}
	out := stats[:0]
	for _, s := range stats {
		if strings.HasPrefix(s.Name, h.opts.Env) && !strings.HasPrefix(s.Name, ".") {
			out = append(out, s)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}
