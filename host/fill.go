package host

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	sdk "github.com/demhost/demhost/plugin-sdk"
	"github.com/demhost/demhost/registry"
)

// Fill states of a version, as List shows them. They come from the
// actions recorded on the version and from its checkpoint, which exists
// only after a complete full fill.
const (
	FillEmpty       = "empty"       // never filled, or cleared since
	FillFilling     = "filling"     // an update or migrate is running
	FillPartial     = "partial"     // only an incremental fill (from a start time) completed
	FillFailed      = "failed"      // the last fill failed, and none completed before it
	FillInterrupted = "interrupted" // the last fill was interrupted or abandoned, and none completed before it
	FillReady       = "ready"       // a full fill completed
)

// fillKinds are the actions that change a version's documents.
var fillKinds = []registry.ActionKind{registry.ActionUpdate, registry.ActionMigrate, registry.ActionClear}

// fill is what List tells of a version's documents.
type fill struct {
	state   string
	skipped int64 // records the source skipped in the latest fill
}

// fillStates tells the fill state of every version of index.
func (h *Host) fillStates(ctx context.Context, index string) (map[int]fill, error) {
	cps, err := h.reg.Checkpoints(ctx, h.opts.Env, index)
	if err != nil {
		return nil, err
	}
	last, err := h.reg.LatestFills(ctx, h.opts.Env, index, fillKinds...)
	if err != nil {
		return nil, err
	}
	out := map[int]fill{}
	for n, a := range last {
		out[n] = fill{state: fillState(a, cps[n]), skipped: a.Skipped}
	}
	for n := range cps {
		if _, ok := out[n]; !ok {
			out[n] = fill{state: FillReady} // filled by an action that has since been pruned
		}
	}
	return out, nil
}

// fillState is the state left by the version's latest filling action a,
// given its checkpoint cp (zero when none).
func fillState(a registry.Action, cp registry.Checkpoint) string {
	full := !cp.Watermark.IsZero()
	switch {
	case a.Status == registry.ActionInProgress || a.Status == registry.ActionQueued:
		return FillFilling
	case full:
		return FillReady // a later failure or interruption left the full fill in place
	case a.Kind == registry.ActionClear:
		return FillEmpty
	case a.Status == registry.ActionComplete:
		return FillPartial
	case a.Status == registry.ActionFailed:
		return FillFailed
	default:
		return FillInterrupted // interrupted, or abandoned by a process that died
	}
}

// loadSettingsOff is what a full load sets on a version that is not active.
var loadSettingsOff = []byte(`{"index":{"refresh_interval":"-1","number_of_replicas":0}}`)

// tuneForLoad turns off refresh and replicas on version v for a full load.
// Their original values are recorded on the version first, so that if
// this process dies, the next action on the version restores them
// (restoreLoad). It returns a function that restores them now, even after
// ctx ends.
func (h *Host) tuneForLoad(ctx context.Context, a *action, v registry.Version) (func() error, error) {
	orig := v.LoadSettings
	if orig == nil { // else an earlier load's originals are still the ones to restore
		cur, err := h.eng.GetSettings(ctx, v.Name)
		if err != nil {
			return nil, fmt.Errorf("read settings of %s: %w", v.Name, err)
		}
		vals := map[string]any{"refresh_interval": nil, "number_of_replicas": nil} // null restores the default
		for _, k := range []string{"refresh_interval", "number_of_replicas"} {
			if val, ok := cur["index."+k]; ok {
				vals[k] = val
			}
		}
		if orig, err = json.Marshal(map[string]any{"index": vals}); err != nil {
			return nil, fmt.Errorf("encode settings of %s: %w", v.Name, err)
		}
		if err := h.reg.SetLoadSettings(ctx, h.opts.Env, v.Index, v.Number, orig); err != nil {
			return nil, err
		}
	}
	if err := h.eng.PutSettings(ctx, v.Name, loadSettingsOff); err != nil {
		return nil, fmt.Errorf("turn off refresh and replicas on %s for the load: %w", v.Name, err)
	}
	a.logf(ctx, "turned off refresh and replicas on %s for the load; recorded %s to restore", v.Name, orig)
	v.LoadSettings = orig
	return func() error { return h.restoreLoad(context.WithoutCancel(ctx), a, v) }, nil
}

// restoreLoad puts back the settings a full load of v changed, when they
// are still recorded, and then clears the record. Every action that may
// find them (update, activate, migrate, list --repair) calls it before
// its own work, under the index's lock, so no load of v is running.
func (h *Host) restoreLoad(ctx context.Context, a *action, v registry.Version) error {
	if v.LoadSettings == nil {
		return nil
	}
	if err := h.eng.PutSettings(ctx, v.Name, v.LoadSettings); err != nil {
		return fmt.Errorf("restore refresh_interval and number_of_replicas of %s (%s): %w", v.Name, v.LoadSettings, err)
	}
	if err := h.reg.SetLoadSettings(ctx, h.opts.Env, v.Index, v.Number, nil); err != nil {
		return err
	}
	if a != nil {
		a.logf(ctx, "restored the settings a load had changed on %s: %s", v.Name, v.LoadSettings)
	}
	return nil
}

// watermarker is a source that can say where a later --resume must start
// (*sdk.Plugin and *sdk.Local are).
type watermarker interface {
	Watermark(ctx context.Context, req *sdk.WatermarkRequest) (*sdk.WatermarkResponse, error)
}

// watermark is the checkpoint a complete update that starts reading now
// leaves: the source's own, or else the host's clock minus ResumeOverlap.
func (h *Host) watermark(ctx context.Context, a *action, src Source, index string, canSince bool) (time.Time, error) {
	hostClock := time.Now().Add(-h.opts.ResumeOverlap)
	if !canSince {
		return hostClock, nil // no later read can start from it anyway
	}
	if wm, ok := src.(watermarker); ok {
		resp, err := wm.Watermark(ctx, &sdk.WatermarkRequest{Index: index})
		if err != nil {
			return time.Time{}, fmt.Errorf("read the watermark of %s from source %s: %w", index, src.Name(), err)
		}
		if !resp.Watermark.IsZero() {
			a.logf(ctx, "watermark from source %s: %s (a later resume reads from there)",
				src.Name(), resp.Watermark.UTC().Format(time.RFC3339Nano))
			return resp.Watermark, nil
		}
	}
	a.logf(ctx, "source %s keeps no watermark; a later resume reads from this host's start time minus the overlap %s: %s",
		src.Name(), h.opts.ResumeOverlap, hostClock.UTC().Format(time.RFC3339Nano))
	return hostClock, nil
}

// Repair restores, under each index's lock, the load settings that a dead
// process left applied on any version of the named indexes (all when none
// are named). It is list --repair: one repair action per version that
// needed it, and nothing recorded when none did.
func (h *Host) Repair(ctx context.Context, names ...string) ([]Result, error) {
	rows, err := h.List(ctx, names...)
	if err != nil {
		return nil, err
	}
	var out []Result
	for _, row := range rows {
		if !row.LoadSettings {
			continue
		}
		spec := actionSpec{kind: registry.ActionRepair, index: row.Index, version: row.Version}
		r, err := h.run(ctx, spec, func(ctx context.Context, a *action) (Result, error) {
			r := Result{Index: row.Index, Version: row.Version}
			v, err := h.version(ctx, row.Index, row.Version) // again, under the lock
			if err != nil {
				return r, err
			}
			if v.LoadSettings == nil {
				r.Message = fmt.Sprintf("the load settings of %s were restored meanwhile; nothing to do", v.Label())
				return r, nil
			}
			if err := h.restoreLoad(ctx, a, v); err != nil {
				return r, err
			}
			r.Changed = true
			r.Message = fmt.Sprintf("restored the settings a load had left on %s: %s", v.Label(), v.LoadSettings)
			return r, nil
		})
		out = append(out, r)
		if err != nil {
			return out, err
		}
	}
	return out, nil
}
