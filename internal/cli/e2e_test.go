//go:build slow

package cli_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/demhost/demhost/internal/testenv"
)

// bin runs the real demhost binary in one environment.
type bin struct {
	t        *testing.T
	demhost  string
	config   string
	prefix   string
	engine   string
	registry string
}

func newBin(t *testing.T, engineURL, registry, pluginSection string) *bin {
	t.Helper()
	demhost, movies := binaries(t)
	b := &bin{t: t, demhost: demhost, config: moviesConfig(t, movies, pluginSection),
		prefix: uniquePrefix(t), engine: engineURL, registry: registry}
	t.Cleanup(func() {
		if r := b.run("dangerous-reset", "--yes"); r.code != 0 {
			t.Logf("cleanup: dangerous-reset: %s", r.stderr)
		}
		deletePrefix(t, engineURL, b.prefix)
	})
	return b
}

// cmd builds the command; the environment goes through DEMHOST_* variables.
func (b *bin) cmd(args ...string) *exec.Cmd {
	cmd := exec.Command(b.demhost, append([]string{"--config", b.config}, args...)...)
	env := []string{}
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "DEMHOST_") {
			env = append(env, kv)
		}
	}
	cmd.Env = append(env, "DEMHOST_ENV_PREFIX="+b.prefix, "DEMHOST_ENGINE_URL="+b.engine, "DEMHOST_REGISTRY="+b.registry)
	return cmd
}

func (b *bin) run(args ...string) result {
	b.t.Helper()
	cmd := b.cmd(args...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	code := 0
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		code = ee.ExitCode()
	} else if err != nil {
		b.t.Fatalf("demhost %v: %v", args, err)
	}
	return result{code: code, stdout: out.String(), stderr: errb.String()}
}

// json runs a command with -o json, checks its exit code and decodes stdout.
func (b *bin) json(v any, code int, args ...string) result {
	b.t.Helper()
	r := b.run(append(args, "-o", "json")...)
	if r.code != code {
		b.t.Fatalf("demhost %v: exit %d, want %d; stderr: %s", args, r.code, code, r.stderr)
	}
	if err := json.Unmarshal([]byte(r.stdout), v); err != nil {
		b.t.Fatalf("demhost %v: stdout is not JSON (%v): %q", args, err, r.stdout)
	}
	return r
}

type jsonResult struct {
	Kind    string `json:"kind"`
	Index   string `json:"index"`
	Version int    `json:"version"`
	Message string `json:"message"`
	Changed bool   `json:"changed"`
	Counts         // flat in the JSON, as in history
}

// Counts are a result's document counts, flat in -o json.
type Counts struct {
	Indexed int64 `json:"indexed"`
	Failed  int64 `json:"failed"`
	Deleted int64 `json:"deleted"`
}

type jsonRow struct {
	Index    string `json:"index"`
	Version  int    `json:"version"`
	Name     string `json:"name"`
	Physical string `json:"physical"`
	Exists   bool   `json:"exists"`
	Active   bool   `json:"active"`
	Status   string `json:"status"`
	Docs     int64  `json:"docs"`
}

type jsonAction struct {
	ID      int64  `json:"id"`
	Kind    string `json:"kind"`
	Target  string `json:"target"`
	Status  string `json:"status"`
	Indexed int64  `json:"indexed"`
	Failed  int64  `json:"failed"`
}

// one runs an action and returns its single result.
func (b *bin) one(code int, args ...string) jsonResult {
	b.t.Helper()
	var rs []jsonResult
	b.json(&rs, code, args...)
	if len(rs) != 1 {
		b.t.Fatalf("demhost %v: %d results, want 1: %+v", args, len(rs), rs)
	}
	return rs[0]
}

// rows lists the versions, keyed by name.
func (b *bin) rows() map[string]jsonRow {
	b.t.Helper()
	var rs []jsonRow
	b.json(&rs, 0, "list")
	m := map[string]jsonRow{}
	for _, r := range rs {
		if r.Physical != "" && !strings.HasPrefix(r.Physical, b.prefix) {
			b.t.Errorf("list shows %s, outside the prefix %s", r.Physical, b.prefix)
		}
		m[r.Name] = r
	}
	return m
}

func (b *bin) checkAlias(want string) {
	b.t.Helper()
	got := aliasTargets(b.t, b.engine, b.prefix+"movies")
	if len(got) != 1 || got[0] != b.prefix+want {
		b.t.Errorf("alias %smovies points to %v, want only %s%s", b.prefix, got, b.prefix, want)
	}
}

// seedFlow is the seed flow of issue 5, checked at every step.
func seedFlow(t *testing.T, b *bin) {
	// 1. list shows movies as not created.
	rows := b.rows()
	if r, ok := rows["movies"]; !ok || len(rows) != 1 || r.Status != "not created" || r.Version != 0 || r.Exists {
		t.Fatalf("1. list = %+v, want movies not created", rows)
	}
	// 2. create movies makes movies-1.
	if r := b.one(0, "create", "movies"); r.Version != 1 || !r.Changed {
		t.Fatalf("2. create = %+v, want movies-1", r)
	}
	// 3. create again: schema unchanged, nothing made.
	if r := b.one(0, "create", "movies"); r.Changed || !strings.Contains(r.Message, "unchanged") {
		t.Errorf("3. create again = %+v, want unchanged", r)
	}
	// 4. activate movies.
	if r := b.one(0, "activate", "movies"); r.Version != 1 || !r.Changed {
		t.Errorf("4. activate = %+v", r)
	}
	b.checkAlias("movies-1")
	// 5. update movies: 100 documents.
	if r := b.one(0, "update", "movies"); r.Version != 1 || r.Counts.Indexed != 100 || r.Counts.Failed != 0 {
		t.Errorf("5. update = %+v, want 100 indexed into movies-1", r)
	}
	if r := b.rows()["movies-1"]; !r.Active || r.Docs != 100 || r.Status != "ready" || !r.Exists {
		t.Errorf("5. list movies-1 = %+v, want active with 100 docs", r)
	}
	// 6. create --force makes movies-2.
	if r := b.one(0, "create", "movies", "--force"); r.Version != 2 || !r.Changed {
		t.Fatalf("6. create --force = %+v, want movies-2", r)
	}
	// 7. update --newer fills movies-2; movies-1 stays active and untouched.
	if r := b.one(0, "update", "movies", "--newer"); r.Version != 2 || r.Counts.Indexed != 100 {
		t.Errorf("7. update --newer = %+v, want 100 into movies-2", r)
	}
	rows = b.rows()
	if r1, r2 := rows["movies-1"], rows["movies-2"]; !r1.Active || r1.Docs != 100 || r2.Active || r2.Docs != 100 {
		t.Errorf("7. list = %+v / %+v, want movies-1 active, both 100 docs", r1, r2)
	}
	b.checkAlias("movies-1")
	// 8. activate movies: the alias points to movies-2 alone.
	if r := b.one(0, "activate", "movies"); r.Version != 2 || !r.Changed {
		t.Errorf("8. activate = %+v, want movies-2", r)
	}
	b.checkAlias("movies-2")
	// 10 (while movies-2 is active). drop movies-2 without --force is refused.
	if r := b.run("drop", "movies-2"); r.code != 1 || !strings.Contains(r.stderr, "movies-2") {
		t.Errorf("10. drop active movies-2: exit %d, stderr %q; want 1 naming movies-2", r.code, r.stderr)
	}
	if r := b.rows()["movies-2"]; !r.Exists || !r.Active {
		t.Errorf("10. the refused drop changed movies-2: %+v", r)
	}
	// 9. activate movies-1 rolls back.
	if r := b.one(0, "activate", "movies-1"); r.Version != 1 || !r.Changed {
		t.Errorf("9. activate movies-1 = %+v", r)
	}
	b.checkAlias("movies-1")
	// Activate movies-2 again, so that movies-1 is older than the active one.
	b.one(0, "activate", "movies-2")
	// 11. drop movies --older drops movies-1.
	var dropped []jsonResult
	b.json(&dropped, 0, "drop", "movies", "--older")
	rows = b.rows()
	if r1, ok := rows["movies-1"]; ok && (r1.Exists || r1.Status != "deleted") {
		t.Errorf("11. after drop --older, movies-1 = %+v", r1)
	}
	if r2 := rows["movies-2"]; !r2.Active || r2.Docs != 100 {
		t.Errorf("11. after drop --older, movies-2 = %+v, want active with 100 docs", r2)
	}
	if got := clusterIndices(t, b.engine, b.prefix); len(got) != 1 || got[0] != b.prefix+"movies-2" {
		t.Errorf("11. cluster indices %v, want only %smovies-2", got, b.prefix)
	}
	b.checkAlias("movies-2")
	// 12. history shows every action with its status and counts.
	var hist []jsonAction
	b.json(&hist, 0, "history")
	want := []jsonAction{ // oldest first; Target "" matches any
		{Kind: "create", Target: "movies-1", Status: "complete"},
		{Kind: "activate", Target: "movies-1", Status: "complete"},
		{Kind: "update", Target: "movies-1", Status: "complete", Indexed: 100},
		{Kind: "create", Target: "movies-2", Status: "complete"},
		{Kind: "update", Target: "movies-2", Status: "complete", Indexed: 100},
		{Kind: "activate", Target: "movies-2", Status: "complete"},
		{Kind: "drop", Target: "movies-2", Status: "failed"},
		{Kind: "activate", Target: "movies-1", Status: "complete"},
		{Kind: "activate", Target: "movies-2", Status: "complete"},
		{Kind: "drop", Status: "complete"},
	}
	sort.Slice(hist, func(i, j int) bool { return hist[i].ID < hist[j].ID })
	i := 0
	for _, h := range hist {
		w := want[i]
		if h.Kind == w.Kind && h.Status == w.Status && (w.Target == "" || h.Target == w.Target) && h.Indexed == w.Indexed {
			if i++; i == len(want) {
				break
			}
		}
	}
	if i < len(want) {
		t.Errorf("12. history lacks %+v (in order); history: %+v", want[i], hist)
	}
}

func TestSeedFlow(t *testing.T) {
	t.Parallel()
	pg := testenv.PostgresDSN(t)
	for _, e := range testenv.AllEngines(t) {
		t.Run(e.Name, func(t *testing.T) {
			t.Parallel()
			for _, reg := range []string{"sqlite", "postgres"} {
				t.Run(reg, func(t *testing.T) {
					t.Parallel()
					dsn := pg
					if reg == "sqlite" {
						dsn = filepath.Join(t.TempDir(), "registry.db")
					}
					seedFlow(t, newBin(t, e.URL, dsn, ""))
				})
			}
		})
	}
}

// TestTwoPrefixes runs the seed flow in two prefixes at once against one
// engine and one Postgres registry: neither sees the other.
func TestTwoPrefixes(t *testing.T) {
	t.Parallel()
	es := testenv.ElasticsearchURL(t)
	pg := testenv.PostgresDSN(t)
	a, b := newBin(t, es, pg, ""), newBin(t, es, pg, "")
	t.Run("flows", func(t *testing.T) {
		for _, x := range []*bin{a, b} {
			t.Run(x.prefix, func(t *testing.T) {
				t.Parallel()
				x.t = t
				seedFlow(t, x)
			})
		}
	})
	for _, x := range []*bin{a, b} {
		x.t = t
		var stats []struct {
			Name string `json:"name"`
		}
		x.json(&stats, 0, "list", "--es-only")
		if len(stats) != 1 || stats[0].Name != x.prefix+"movies-2" {
			t.Errorf("list --es-only in %s = %+v, want only %smovies-2", x.prefix, stats, x.prefix)
		}
		var hist []jsonAction
		x.json(&hist, 0, "history")
		if len(hist) < 10 || len(hist) > 20 {
			t.Errorf("history of %s has %d actions; another prefix's leaked in?", x.prefix, len(hist))
		}
	}
}

// TestInterruptAndResume sends SIGINT mid-update, then resumes.
func TestInterruptAndResume(t *testing.T) {
	t.Parallel()
	const n = 200000
	for _, e := range testenv.Engines(t) {
		t.Run(e.Name, func(t *testing.T) {
			t.Parallel()
			b := newBin(t, e.URL, filepath.Join(t.TempDir(), "registry.db"), "{synthetic: 200000}")
			b.one(0, "create", "movies")
			b.one(0, "activate", "movies")

			cmd := b.cmd("update", "movies", "--workers", "2")
			var stderr bytes.Buffer
			cmd.Stderr = &stderr
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			// Interrupt once documents have reached the engine.
			deadline := time.Now().Add(2 * time.Minute)
			for {
				var c struct {
					Count int64 `json:"count"`
				}
				httpJSON(t, e.URL+"/"+b.prefix+"movies-1/_count", &c)
				if c.Count > 0 {
					break
				}
				if time.Now().After(deadline) {
					cmd.Process.Kill()
					t.Fatalf("no document reached the engine in 2 minutes; stderr: %s", stderr.String())
				}
				time.Sleep(200 * time.Millisecond)
			}
			if err := cmd.Process.Signal(os.Interrupt); err != nil {
				t.Fatal(err)
			}
			err := cmd.Wait()
			var ee *exec.ExitError
			if !errors.As(err, &ee) || ee.ExitCode() != 1 {
				t.Fatalf("interrupted update: %v, want exit code 1; stderr: %s", err, stderr.String())
			}
			var hist []jsonAction
			b.json(&hist, 0, "history", "movies")
			if len(hist) == 0 || hist[0].Kind != "update" || hist[0].Status != "interrupted" ||
				hist[0].Indexed <= 0 || hist[0].Indexed >= n {
				t.Fatalf("history after SIGINT = %+v, want an interrupted update with 0 < indexed < %d", hist, n)
			}

			r := b.one(0, "update", "movies", "--resume")
			if r.Counts.Failed != 0 {
				t.Errorf("resume = %+v", r)
			}
			if got := b.rows()["movies-1"]; got.Docs != n {
				t.Errorf("after resume movies-1 has %d docs, want exactly %d", got.Docs, n)
			}
		})
	}
}
