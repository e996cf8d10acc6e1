package estest

import (
	"context"
	"errors"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/demhost/demhost/host"
	"github.com/demhost/demhost/host/engine"
)

// cleanupTimeout bounds the deletion of a test's indexes. The test's own
// context is already cancelled when cleanup runs.
const cleanupTimeout = time.Minute

// Env is one test's slice of a real engine: every index and alias whose
// name starts with Prefix belongs to the test and is deleted when the test
// ends.
type Env struct {
	t      testing.TB
	opts   options
	prefix string
	url    string
	eng    engine.Engine
	info   engine.Info

	mu   sync.Mutex
	last *host.Host // the latest host from Host or HostWith, for Ready
}

// New finds the engine (see the package documentation), removes what
// killed test binaries left behind (once per process, see WithSweepAge),
// picks a prefix no index in the cluster uses yet, and registers the
// cleanup. It skips the test when no engine is available, or fails it
// when CI is set or DEMHOST_TEST_REQUIRE_ENGINE=1.
func New(t testing.TB, opts ...Option) *Env {
	t.Helper()
	e := &Env{t: t}
	for _, opt := range opts {
		if err := opt(&e.opts); err != nil {
			t.Fatalf("estest: %v", err)
		}
	}
	n, err := resolveNaming(e.opts, os.Getenv)
	if err != nil {
		t.Fatalf("estest: %v", err)
	}
	e.url, e.eng, e.info = findEngine(t, e.opts.engineURL)
	sweepOnce(t, e.url, e.eng, n)

	ctx, cancel := context.WithTimeout(context.Background(), cleanupTimeout)
	defer cancel()
	for attempt := 0; ; attempt++ {
		e.prefix = newPrefix(n.base, time.Now(), t.Name())
		taken, err := e.eng.ListIndices(ctx, e.prefix)
		if err != nil {
			t.Fatalf("estest: list indices under %s: %v", e.prefix, err)
		}
		if len(taken) == 0 {
			break
		}
		if attempt == 5 {
			t.Fatalf("estest: no free prefix for %s after %d attempts", t.Name(), attempt+1)
		}
	}
	remember(e.prefix)
	t.Cleanup(e.cleanup)
	return e
}

// Prefix is the test's prefix, e.g. "ttpau55_search_movies_3f9a1cf1b7_":
// the base prefix (WithBasePrefix), "t" and the time it was made, the test
// name, and a random part. It is the host's environment prefix too.
func (e *Env) Prefix() string { return e.prefix }

// Engine is a client of the test's engine, shared by all tests of the
// package that use the same URL.
func (e *Env) Engine() engine.Engine { return e.eng }

// EngineURL is the engine's base URL, e.g. "http://127.0.0.1:9200".
func (e *Env) EngineURL() string { return e.url }

// Kind says whether the engine is Elasticsearch or OpenSearch.
func (e *Env) Kind() engine.Kind { return e.info.Kind }

// Version is the engine's version, e.g. "7.17.29".
func (e *Env) Version() string { return e.info.Version }

// Index returns Prefix()+base: the name to give an index the test creates
// itself through Engine.
func (e *Env) Index(base string) string { return e.prefix + base }

// Alias returns Prefix()+base: the alias a host of this Env points at the
// active version of base, and so the name to search. The host's physical
// indexes are Alias(base)+"-1", "-2", …
func (e *Env) Alias(base string) string { return e.prefix + base }

// cleanup deletes every index under the prefix, by explicit name (their
// aliases go with them), then removes the aliases under the prefix that
// point at indices outside it. It logs what it could not remove rather
// than failing: the test's verdict is about the test.
func (e *Env) cleanup() {
	ctx, cancel := context.WithTimeout(context.Background(), cleanupTimeout)
	defer cancel()
	if err := deletePrefix(ctx, e.eng, e.prefix); err != nil {
		e.t.Logf("estest: cleanup of %s: %v", e.prefix, err)
	}
	if left, err := e.eng.ListIndices(ctx, e.prefix); err == nil && len(left) > 0 {
		names := make([]string, len(left))
		for i, ix := range left {
			names[i] = ix.Name
		}
		e.t.Logf("estest: cleanup left indices behind: %s", strings.Join(names, ", "))
	}
}

// deletePrefix removes every index and alias whose name starts with prefix.
func deletePrefix(ctx context.Context, eng engine.Engine, prefix string) error {
	mine, err := eng.ListIndices(ctx, prefix)
	if err != nil {
		return err
	}
	names := make([]string, 0, len(mine))
	for _, ix := range mine {
		if strings.HasPrefix(ix.Name, prefix) { // never trust a filter with a delete
			names = append(names, ix.Name)
		}
	}
	_, errs := deleteIndices(ctx, eng, names)
	// What is left are aliases under the prefix on indices outside it.
	carriers, err := aliasCarriers(ctx, eng, prefix, nil)
	if err != nil {
		errs = append(errs, err)
	}
	for _, ix := range carriers {
		for _, a := range ix.Aliases {
			if strings.HasPrefix(a, prefix) {
				if err := eng.DeleteAlias(ctx, ix.Name, a); err != nil && !errors.Is(err, engine.ErrNotFound) {
					errs = append(errs, err)
				}
			}
		}
	}
	return errors.Join(errs...)
}
