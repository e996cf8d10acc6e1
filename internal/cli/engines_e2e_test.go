//go:build slow

package cli_test

import (
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/demhost/demhost/internal/testenv"
)

// TestCommandsOnEveryEngine runs the commands that the seed flow leaves
// out (migrate, clear, plan, list --es-only, drop --es-only, history ID,
// plugins, dangerous-reset --es-only and in full, deploy) against OpenSearch 3 and
// the in-JVM Elasticsearch 8, which lacks rest-root, _reindex,
// _delete_by_query and analysis-common: every command passes there too.
func TestCommandsOnEveryEngine(t *testing.T) {
	t.Parallel()
	for _, e := range testenv.AllEngines(t)[2:] {
		t.Run(e.Name, func(t *testing.T) {
			t.Parallel()
			b := newBin(t, e.URL, filepath.Join(t.TempDir(), "registry.db"), "")
			b.one(0, "create", "movies")
			b.one(0, "activate", "movies")
			b.one(0, "update", "movies")
			b.one(0, "create", "movies", "--force")
			if r := b.one(0, "migrate", "movies"); r.Version != 2 || r.Indexed != 100 {
				t.Errorf("migrate = %+v, want 100 copied into movies-2", r)
			}
			b.one(0, "activate", "movies")
			b.checkAlias("movies-2")
			if r := b.one(0, "clear", "movies-1"); r.Deleted != 100 {
				t.Errorf("clear movies-1 = %+v, want 100 deleted", r)
			}
			if rows := b.rows(); rows["movies-1"].Docs != 0 || rows["movies-2"].Docs != 100 {
				t.Errorf("list after clear = %+v, want movies-1 empty and movies-2 with 100", rows)
			}
			if r := b.run("plan", "movies", "--exit-code"); r.code != 0 {
				t.Errorf("plan --exit-code: exit %d, stderr %q; want 0, no change", r.code, r.stderr)
			}
			var es []struct {
				Name string `json:"name"`
				Docs int64  `json:"docs"`
			}
			b.json(&es, 0, "list", "--es-only")
			if len(es) != 2 {
				t.Errorf("list --es-only = %+v, want both physical indices", es)
			}
			b.one(0, "drop", "movies-1", "--es-only")
			if r := b.run("plugins"); r.code != 0 || !strings.Contains(r.stdout, "movies") {
				t.Errorf("plugins: exit %d, stdout %q", r.code, r.stdout)
			}
			var hist []jsonAction
			b.json(&hist, 0, "history")
			for _, h := range hist {
				if h.Status != "complete" {
					t.Errorf("history: %+v, want every action complete", h)
				}
			}
			if len(hist) > 0 {
				var one any
				b.json(&one, 0, "history", strconv.FormatInt(hist[0].ID, 10))
			}
			if r := b.run("dangerous-reset", "--es-only", "--yes"); r.code != 0 {
				t.Errorf("dangerous-reset --es-only: exit %d, stderr %q", r.code, r.stderr)
			}
			b.checkAlias("movies-2")
			if r := b.run("dangerous-reset", "--yes"); r.code != 0 {
				t.Errorf("dangerous-reset: exit %d, stderr %q", r.code, r.stderr)
			}
			if got := clusterIndices(t, b.engine, b.prefix); len(got) != 0 {
				t.Errorf("indices after dangerous-reset: %v, want none", got)
			}

			// deploy, on a prefix of its own: create, fill, gate, activate.
			d := newBin(t, e.URL, filepath.Join(t.TempDir(), "registry.db"), "")
			var rs []jsonResult
			d.json(&rs, 0, "deploy", "movies")
			if last := rs[len(rs)-1]; last.Kind != "deploy" || last.Version != 1 {
				t.Errorf("deploy = %+v, want a deploy of movies-1 last", rs)
			}
			d.checkAlias("movies-1")
			if r := d.rows()["movies-1"]; r.Docs != 100 || !r.Active {
				t.Errorf("after deploy, movies-1 = %+v, want active with 100 docs", r)
			}
		})
	}
}
