package estest

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/demhost/demhost/host/engine"
)

// A test binary killed by `go test -timeout` or SIGKILL never runs its
// cleanups, so its indexes would stay for good. The first New of a
// process (per engine URL and base prefix) therefore removes what such
// binaries left: every index and alias under a prefix estest made, under
// the same base, longer ago than the sweep age. A younger prefix may
// belong to a test binary running right now, and is never touched.

// deleteBatch bounds the names of one delete request, so its URL stays
// far below the engines' 4 KB limit on a request line.
const deleteBatch = 30

var (
	sweepsMu sync.Mutex
	sweeps   = map[string]*sync.Once{} // by engine URL and base prefix

	madeMu sync.Mutex
	made   = map[string]bool{} // prefixes this process made: never swept
)

// remember records a prefix this process uses.
func remember(prefix string) {
	madeMu.Lock()
	defer madeMu.Unlock()
	made[prefix] = true
}

func ours(prefix string) bool {
	madeMu.Lock()
	defer madeMu.Unlock()
	return made[prefix]
}

// sweepOnce runs sweep once per process for url and n.base, logging to t
// what it removed and what it could not. A failed sweep never fails the
// test: the next process tries again.
func sweepOnce(t testing.TB, url string, eng engine.Engine, n naming) {
	t.Helper()
	if n.sweepAge <= 0 {
		return
	}
	sweepsMu.Lock()
	once, ok := sweeps[url+"\x00"+n.base]
	if !ok {
		once = &sync.Once{}
		sweeps[url+"\x00"+n.base] = once
	}
	sweepsMu.Unlock()
	once.Do(func() {
		ctx, cancel := context.WithTimeout(context.Background(), cleanupTimeout)
		defer cancel()
		removed, err := sweep(ctx, eng, n.base, time.Now().Add(-n.sweepAge), ours)
		if len(removed) > 0 {
			t.Logf("estest: removed %s, under estest prefixes older than %s left by test binaries that did not clean up",
				strings.Join(removed, ", "), n.sweepAge)
		}
		if err != nil {
			t.Logf("estest: removing what killed test binaries left under %q: %v", n.base+"t", err)
		}
	})
}

// sweep removes every index and alias whose name starts with a prefix
// that estest made under base before cutoff, except the prefixes keep
// says to keep. It returns what it removed, e.g. "index ttpau55_search_3f9a1c5094_movies-1".
//
// It costs one listing of the indices under base+"t" and one alias lookup,
// plus a listing per index outside that pattern that carries one of the
// old aliases.
func sweep(ctx context.Context, eng engine.Engine, base string, cutoff time.Time, keep func(prefix string) bool) ([]string, error) {
	old := func(name string) bool {
		p, created, ok := parsePrefix(base, name)
		return ok && created.Before(cutoff) && !keep(p)
	}
	stats, err := eng.ListIndices(ctx, base+"t")
	if err != nil {
		return nil, err
	}
	var doomed []string
	for _, ix := range stats {
		if !strings.HasPrefix(ix.Name, ".") && old(ix.Name) {
			doomed = append(doomed, ix.Name)
		}
	}
	var removed []string
	deleted, errs := deleteIndices(ctx, eng, doomed)
	for _, n := range deleted {
		removed = append(removed, "index "+n)
	}
	// Old aliases on the indices that stay, including those outside the
	// listed pattern.
	carriers, err := aliasCarriers(ctx, eng, base+"t", stats)
	if err != nil {
		errs = append(errs, err)
	}
	for _, ix := range carriers {
		if slices.Contains(doomed, ix.Name) {
			continue // its aliases went with it
		}
		for _, a := range ix.Aliases {
			if !old(a) {
				continue
			}
			if err := eng.DeleteAlias(ctx, ix.Name, a); err != nil && !errors.Is(err, engine.ErrNotFound) {
				errs = append(errs, err)
				continue
			}
			removed = append(removed, fmt.Sprintf("alias %s (of %s)", a, ix.Name))
		}
	}
	return removed, errors.Join(errs...)
}

// aliasCarriers returns listed plus every other index that carries an
// alias whose name starts with prefix: the aliases of the listed indices
// are known already, and each other index is listed on its own. Dot
// indices are left out.
func aliasCarriers(ctx context.Context, eng engine.Engine, prefix string, listed []engine.IndexStat) ([]engine.IndexStat, error) {
	out := slices.Clone(listed)
	// GetAlias with a pattern names the indices carrying a matching alias.
	indices, err := eng.GetAlias(ctx, prefix+"*")
	if err != nil {
		return out, err
	}
	var errs []error
	for _, name := range indices {
		if strings.HasPrefix(name, ".") || slices.ContainsFunc(listed, func(s engine.IndexStat) bool { return s.Name == name }) {
			continue
		}
		stats, err := eng.ListIndices(ctx, name)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		for _, s := range stats {
			if s.Name == name {
				out = append(out, s)
			}
		}
	}
	return out, errors.Join(errs...)
}

// deleteIndices deletes names by explicit name, deleteBatch at a time,
// and returns those it deleted. An index someone else deleted meanwhile
// (another test binary's sweep) is no error.
func deleteIndices(ctx context.Context, eng engine.Engine, names []string) ([]string, []error) {
	var deleted []string
	var errs []error
	for batch := range slices.Chunk(names, deleteBatch) {
		if err := eng.DeleteIndices(ctx, batch...); err == nil {
			deleted = append(deleted, batch...)
			continue
		}
		// One at a time, so that an index already gone does not keep the
		// others alive.
		for _, n := range batch {
			err := eng.DeleteIndices(ctx, n)
			switch {
			case err == nil:
				deleted = append(deleted, n)
			case !errors.Is(err, engine.ErrNotFound):
				errs = append(errs, err)
			}
		}
	}
	return deleted, errs
}
