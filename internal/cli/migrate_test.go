package cli_test

import (
	"encoding/json"
	"regexp"
	"testing"

	"github.com/demhost/demhost/internal/testenv"
)

// TestMigrate fills a forced new version from the active one, records it,
// and refuses to migrate a version into itself with exit code 2.
func TestMigrate(t *testing.T) {
	t.Parallel()
	_, movies := binaries(t)
	for _, e := range testenv.Engines(t) {
		t.Run(e.Name, func(t *testing.T) {
			t.Parallel()
			demhost, prefix := inProcess(t, e.URL, movies)
			type counts struct {
				Indexed int64 `json:"indexed"`
			}
			var rs []struct {
				Kind    string `json:"kind"`
				Version int    `json:"version"`
				Changed bool   `json:"changed"`
				Message string `json:"message"`
				counts
			}
			demhost(0, "create", "movies")
			demhost(0, "activate", "movies")
			if err := json.Unmarshal([]byte(demhost(0, "update", "movies", "-o", "json").stdout), &rs); err != nil || len(rs) != 1 {
				t.Fatalf("update: %v: %+v", err, rs)
			}
			loaded := rs[0].Indexed
			if loaded == 0 {
				t.Fatal("update loaded no documents")
			}

			r := demhost(2, "migrate", "movies")
			checkOneLineError(t, r, "movies-1 is both the source and the target", "create movies --force")

			demhost(0, "create", "movies", "--force")
			r = demhost(0, "migrate", "movies", "-o", "json")
			if err := json.Unmarshal([]byte(r.stdout), &rs); err != nil {
				t.Fatalf("migrate: %v: %q", err, r.stdout)
			}
			if len(rs) != 1 || rs[0].Kind != "migrate" || rs[0].Version != 2 || rs[0].Indexed != loaded || !rs[0].Changed {
				t.Fatalf("migrate = %+v, want %d documents copied into movies-2", rs, loaded)
			}

			var hist []struct {
				Kind    string `json:"kind"`
				Target  string `json:"target"`
				Status  string `json:"status"`
				Indexed int64  `json:"indexed"`
			}
			if err := json.Unmarshal([]byte(demhost(0, "history", "movies", "-o", "json").stdout), &hist); err != nil || len(hist) == 0 {
				t.Fatalf("history: %v: %+v", err, hist)
			}
			if h := hist[0]; h.Kind != "migrate" || h.Target != "movies-2" || h.Status != "complete" || h.Indexed != loaded {
				t.Errorf("last action = %+v, want a complete migrate of movies-2 with %d documents", h, loaded)
			}
			if got := aliasTargets(t, e.URL, prefix+"movies"); len(got) != 1 || got[0] != prefix+"movies-1" {
				t.Errorf("alias = %v, want it still on movies-1", got)
			}
		})
	}
}

func TestVersionFlag(t *testing.T) {
	t.Parallel()
	r := runMain(t, nil, "--version")
	if r.code != 0 || r.stderr != "" || !regexp.MustCompile(`^demhost \S+( [0-9a-f]{7}(-dirty)?)?\n$`).MatchString(r.stdout) {
		t.Errorf("--version: exit %d, stdout %q, stderr %q; want one line \"demhost VERSION [REVISION]\"", r.code, r.stdout, r.stderr)
	}
}
