package estest_test

import (
	"fmt"
	"regexp"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/demhost/demhost/estest"
	"github.com/demhost/demhost/host/engine"
	"github.com/demhost/demhost/internal/testenv"
)

const parallelTests = 8

// prefixes collects the prefixes of parallel subtests, to check the
// cluster once they are all done.
type prefixes struct {
	mu    sync.Mutex
	names []string
}

func (p *prefixes) add(s string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.names = append(p.names, s)
}

// assertGone checks against the cluster that nothing is left under any of
// the prefixes: no index, and no alias pointing anywhere.
func assertGone(t *testing.T, eng engine.Engine, ps *prefixes, want int) {
	t.Helper()
	ctx := testenv.Context(t)
	if len(ps.names) != want {
		t.Fatalf("got %d prefixes, want %d", len(ps.names), want)
	}
	seen := map[string]bool{}
	for _, p := range ps.names {
		if seen[p] {
			t.Errorf("prefix %s used by two tests", p)
		}
		seen[p] = true
		left, err := eng.ListIndices(ctx, p)
		if err != nil {
			t.Fatalf("list indices under %s: %v", p, err)
		}
		if len(left) != 0 {
			t.Errorf("indices left under %s: %+v", p, left)
		}
		if to, err := eng.GetAlias(ctx, p+"movies"); err != nil || len(to) != 0 {
			t.Errorf("alias %smovies left pointing at %v (err %v)", p, to, err)
		}
	}
}

func TestNew(t *testing.T) {
	t.Parallel()
	for _, e := range testenv.AllEngines(t) {
		t.Run(e.Name, func(t *testing.T) {
			t.Parallel()
			env := estest.New(t, estest.WithEngineURL(e.URL))
			if !regexp.MustCompile(`^t[0-9a-z]{6,7}_new_(elasticsearch8?|opensearch3?)_[0-9a-f]{10}_$`).MatchString(env.Prefix()) {
				t.Errorf("Prefix() = %q, want t<time>_new_<engine>_<random>_", env.Prefix())
			}
			if got, want := env.Index("movies"), env.Prefix()+"movies"; got != want {
				t.Errorf("Index(movies) = %q, want %q", got, want)
			}
			if got, want := env.Alias("movies"), env.Prefix()+"movies"; got != want {
				t.Errorf("Alias(movies) = %q, want %q", got, want)
			}
			if env.EngineURL() != e.URL {
				t.Errorf("EngineURL() = %q, want %q", env.EngineURL(), e.URL)
			}
			if string(env.Kind()) != e.Kind {
				t.Errorf("Kind() = %q, want %q", env.Kind(), e.Kind)
			}
			if env.Version() == "" {
				t.Error("Version() is empty")
			}
		})
	}
}

// TestIsolationEngine: parallel tests create the same base name directly
// through the engine, each with its own document count.
func TestIsolationEngine(t *testing.T) {
	t.Parallel()
	for _, e := range testenv.Engines(t) {
		t.Run(e.Name, func(t *testing.T) {
			t.Parallel()
			isolated(t, e, func(t *testing.T, env *estest.Env, i int) {
				want := i + 1
				ctx := testenv.Context(t)
				index, alias := env.Index("movies-1"), env.Alias("movies")
				body := fmt.Sprintf(`{"aliases":{%q:{}}}`, alias)
				if err := env.Engine().CreateIndex(ctx, index, []byte(body)); err != nil {
					t.Fatal(err)
				}
				var bulk strings.Builder
				for n := range want {
					fmt.Fprintf(&bulk, "{\"index\":{\"_id\":\"%d\"}}\n{\"n\":%d}\n", n, n)
				}
				res, err := env.Engine().Bulk(ctx, index, []byte(bulk.String()))
				if err != nil || len(res.Failures) > 0 {
					t.Fatalf("bulk: %v %+v", err, res.Failures)
				}
				if got := env.Count(ctx, "movies"); got != int64(want) {
					t.Errorf("count via alias %s = %d, want %d", alias, got, want)
				}
			})
		})
	}
}

// TestIsolationHost: parallel tests each run a host whose source provides
// "movies" with a different number of documents.
func TestIsolationHost(t *testing.T) {
	t.Parallel()
	for _, e := range testenv.AllEngines(t) {
		t.Run(e.Name, func(t *testing.T) {
			t.Parallel()
			isolated(t, e, func(t *testing.T, env *estest.Env, i int) {
				want := 10 + i
				ctx := testenv.Context(t)
				h := env.Host(&countSource{n: want})
				if got := h.Alias("movies"); got != env.Alias("movies") {
					t.Errorf("host alias %q, env alias %q", got, env.Alias("movies"))
				}
				env.Ready(ctx, "movies")
				if got := env.Count(ctx, "movies"); got != int64(want) {
					t.Errorf("count = %d, want %d", got, want)
				}
				res := env.Search(ctx, "movies", `{"query":{"match_all":{}},"size":100}`)
				if res.Total != int64(want) || len(res.Hits) != want {
					t.Errorf("search: total %d, %d hits; want %d", res.Total, len(res.Hits), want)
				}
				for _, h := range res.Hits {
					if !strings.HasPrefix(h.Index, env.Prefix()) {
						t.Errorf("hit %s from index %s, outside %s", h.ID, h.Index, env.Prefix())
					}
				}
			})
		})
	}
}

// isolated runs parallelTests parallel subtests on engine e, each with its
// own Env, then checks against the cluster that every prefix they used is
// distinct and left empty.
func isolated(t *testing.T, e testenv.Engine, fn func(t *testing.T, env *estest.Env, i int)) {
	t.Helper()
	var ps prefixes
	var eng engine.Engine
	var engOnce sync.Once
	t.Run("group", func(t *testing.T) {
		for i := range parallelTests {
			t.Run(fmt.Sprint("w", i), func(t *testing.T) {
				t.Parallel()
				env := estest.New(t, estest.WithEngineURL(e.URL))
				engOnce.Do(func() { eng = env.Engine() })
				ps.add(env.Prefix())
				fn(t, env, i)
			})
		}
	})
	if eng != nil {
		assertGone(t, eng, &ps, parallelTests)
	}
}

func TestSourceConfig(t *testing.T) {
	for _, e := range testenv.Engines(t) {
		t.Run(e.Name, func(t *testing.T) {
			t.Parallel()
			env := estest.New(t, estest.WithEngineURL(e.URL), estest.WithSourceConfig(`{"n":3}`))
			env.Host(&countSource{n: 100})
			ctx := testenv.Context(t)
			env.Ready(ctx) // every index of the source
			if got := env.Count(ctx, "movies"); got != 3 {
				t.Errorf("count = %d, want 3 (from the config)", got)
			}
		})
	}
}

func TestHostWithTwoSources(t *testing.T) {
	for _, e := range testenv.Engines(t) {
		t.Run(e.Name, func(t *testing.T) {
			t.Parallel()
			env := estest.New(t, estest.WithEngineURL(e.URL))
			h := env.HostWith(estest.HostConfig{Sources: []estest.LocalSource{
				{Source: &countSource{}, Config: []byte(`{"n":2}`)},
			}})
			if got := h.Indexes(); len(got) != 1 || got[0] != "movies" {
				t.Fatalf("Indexes() = %v, want [movies]", got)
			}
			ctx := testenv.Context(t)
			env.Ready(ctx, "movies")
			if got := env.Count(ctx, "movies"); got != 2 {
				t.Errorf("count = %d, want 2", got)
			}
			rows, err := h.List(ctx, "movies")
			if err != nil {
				t.Fatal(err)
			}
			if len(rows) != 1 || !rows[0].Active || rows[0].Physical != env.Alias("movies")+"-1" {
				t.Errorf("List = %+v, want one active version %s-1", rows, env.Alias("movies"))
			}
		})
	}
}

func TestOptionsAreValidated(t *testing.T) {
	tests := []struct {
		name string
		opt  estest.Option
	}{
		{"bad url", estest.WithEngineURL("127.0.0.1:9200")},
		{"bad config", estest.WithSourceConfig(`{"n":`)},
		{"upper-case base prefix", estest.WithBasePrefix("CI_")},
		{"base prefix starting with _", estest.WithBasePrefix("_ci")},
		{"negative sweep age", estest.WithSweepAge(-time.Minute)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ft := &fatalRecorder{TB: t}
			done := make(chan struct{})
			go func() { // New calls Fatal, which ends only this goroutine
				defer close(done)
				estest.New(ft, tt.opt)
			}()
			<-done
			if !ft.failed {
				t.Errorf("New with %s did not fail", tt.name)
			}
		})
	}
}

// fatalRecorder records Fatal instead of failing the real test.
type fatalRecorder struct {
	testing.TB
	failed bool
}

func (f *fatalRecorder) Fatalf(format string, args ...any) {
	f.failed = true
	f.TB.Logf("(expected) "+format, args...)
	runtime.Goexit()
}
