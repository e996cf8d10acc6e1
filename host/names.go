package host

import (
	"context"
	"errors"
	"fmt"

	"github.com/demhost/demhost/registry"
)

// validateIndexName checks a base name a source provides.
func validateIndexName(n string) error {
	if n == "" {
		return errors.New("an index has an empty name")
	}
	if len(n) > 200 {
		return fmt.Errorf("index name %q is longer than 200 bytes", n)
	}
	if err := checkNameChars(n); err != nil {
		return fmt.Errorf("index name %q %w", n, err)
	}
	return nil
}

// unknownNameError is the registry's *UnknownNameError that also matches
// ErrUnknownIndex.
type unknownNameError struct{ err error }

func (e unknownNameError) Error() string   { return e.err.Error() }
func (e unknownNameError) Unwrap() []error { return []error{ErrUnknownIndex, e.err} }

// resolve turns a user's word into a base index or a version.
func (h *Host) resolve(ctx context.Context, word string) (registry.Target, error) {
	t, err := h.reg.Resolve(ctx, h.opts.Env, word, h.names)
	if err != nil {
		if errors.Is(err, registry.ErrUnknownName) {
			return t, unknownNameError{err}
		}
		return t, fmt.Errorf("resolve %q: %w", word, err)
	}
	return t, nil
}

// resolveAll resolves every word, failing on the first unknown one before
// anything is done.
func (h *Host) resolveAll(ctx context.Context, words []string) ([]registry.Target, error) {
	if len(words) == 0 {
		return nil, fmt.Errorf("%w: name at least one index or version", ErrUsage)
	}
	out := make([]registry.Target, 0, len(words))
	for _, w := range words {
		t, err := h.resolve(ctx, w)
		if err != nil {
			return nil, err
		}
		out = append(out, t)
	}
	return out, nil
}

// resolveIndexes resolves words that must each name a base index, not a
// version, and, with sourced, an index that a source provides (it has a
// schema). made says what is made of an index ("a new version"), verb what
// needs the schema ("create").
func (h *Host) resolveIndexes(ctx context.Context, words []string, sourced bool, made, verb string) ([]registry.Target, error) {
	targets, err := h.resolveAll(ctx, words)
	if err != nil {
		return nil, err
	}
	for i, t := range targets {
		if t.Version != 0 {
			return nil, fmt.Errorf("%w: %s is made for an index, and %s is a version of %s", ErrUsage, made, words[i], t.Index)
		}
		if _, ok := h.indexes[t.Index]; !ok && sourced {
			return nil, fmt.Errorf("index %s is not provided by any configured source, so it has no schema to %s", t.Index, verb)
		}
	}
	return targets, nil
}

// label is the user's name for a version: "movies-3".
func label(index string, n int) string { return fmt.Sprintf("%s-%d", index, n) }

// liveVersions lists the non-deleted versions of an index, oldest first,
// and the number of its active version (0 when none).
func (h *Host) liveVersions(ctx context.Context, index string) ([]registry.Version, int, error) {
	vs, err := h.reg.Versions(ctx, h.opts.Env, index, false)
	if err != nil {
		return nil, 0, fmt.Errorf("list versions of %s: %w", index, err)
	}
	active, err := h.activeNumber(ctx, index)
	if err != nil {
		return nil, 0, err
	}
	return vs, active, nil
}

// activeNumber returns the active version number of index (0 when none).
func (h *Host) activeNumber(ctx context.Context, index string) (int, error) {
	idxs, err := h.reg.Indexes(ctx, h.opts.Env)
	if err != nil {
		return 0, fmt.Errorf("list indexes: %w", err)
	}
	for _, ix := range idxs {
		if ix.Name == index {
			return ix.Active, nil
		}
	}
	return 0, nil
}

// version returns version n of index, refusing a dropped one.
func (h *Host) version(ctx context.Context, index string, n int) (registry.Version, error) {
	v, err := h.reg.Version(ctx, h.opts.Env, index, n)
	if err != nil {
		return v, fmt.Errorf("read version %s: %w", label(index, n), err)
	}
	if v.DeletedAt != nil {
		return v, &DroppedVersionError{Index: index, Version: n}
	}
	return v, nil
}
