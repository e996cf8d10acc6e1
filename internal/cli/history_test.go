package cli_test

import (
	"encoding/json"
	"regexp"
	"strings"
	"testing"

	"github.com/demhost/demhost/internal/testenv"
)

// TestHistoryParentAndChildren runs update --newer over two versions and
// update --all with no active version, and reads the history.
func TestHistoryParentAndChildren(t *testing.T) {
	t.Parallel()
	_, movies := binaries(t)
	for _, e := range testenv.Engines(t) {
		t.Run(e.Name, func(t *testing.T) {
			t.Parallel()
			demhost, _ := inProcess(t, e.URL, movies)
			demhost(0, "create", "movies")

			// update --all skips movies, which has no active version.
			var rs []struct {
				Changed bool   `json:"changed"`
				Message string `json:"message"`
			}
			r := demhost(0, "update", "--all", "-o", "json")
			if err := json.Unmarshal([]byte(r.stdout), &rs); err != nil {
				t.Fatalf("update --all: %v: %q", err, r.stdout)
			}
			if len(rs) != 1 || rs[0].Changed || !strings.Contains(rs[0].Message, "movies has no active version: activate it or name a version") {
				t.Fatalf("update --all = %+v, want movies skipped with a message", rs)
			}
			r = demhost(1, "update", "movies")
			checkOneLineError(t, r, "movies has no active version")

			demhost(0, "activate", "movies")
			demhost(0, "create", "movies", "--force")
			demhost(0, "create", "movies", "--force")
			demhost(0, "update", "movies", "--newer")

			var hist []struct {
				ID       int64  `json:"id"`
				ParentID int64  `json:"parent_id"`
				Kind     string `json:"kind"`
				Target   string `json:"target"`
				Version  int    `json:"version"`
				Status   string `json:"status"`
				Indexed  int64  `json:"indexed"`
			}
			r = demhost(0, "history", "-o", "json")
			if err := json.Unmarshal([]byte(r.stdout), &hist); err != nil {
				t.Fatalf("history: %v: %q", err, r.stdout)
			}
			if len(hist) < 3 {
				t.Fatalf("history = %+v, want at least the update and its two children", hist)
			}
			c3, c2, p := hist[0], hist[1], hist[2] // newest first
			if p.Kind != "update" || p.ParentID != 0 || p.Version != 0 || p.Status != "complete" || p.Indexed != c2.Indexed+c3.Indexed || p.Indexed == 0 {
				t.Errorf("parent = %+v, want a complete update with the children's %d+%d documents", p, c2.Indexed, c3.Indexed)
			}
			if c2.ParentID != p.ID || c3.ParentID != p.ID || c2.Target != "movies-2" || c3.Target != "movies-3" {
				t.Errorf("children = %+v, %+v; want movies-2 and movies-3 with parent_id %d", c2, c3, p.ID)
			}
			for _, h := range hist[3:] {
				if h.ParentID != 0 {
					t.Errorf("single action %+v has a parent", h)
				}
			}

			// The table puts the children, indented and in the order they
			// ran, right under their parent.
			r = demhost(0, "history")
			lines := strings.Split(strings.TrimRight(r.stdout, "\n"), "\n")
			if !strings.Contains(lines[0], "PARENT") || len(lines) < 4 {
				t.Fatalf("history table:\n%s\nwant a PARENT column and at least 3 rows", r.stdout)
			}
			pid := regexp.QuoteMeta(jsonID(p.ID))
			want := []*regexp.Regexp{
				regexp.MustCompile(`^` + pid + `\s+-\s+update\s+movies\s+complete`),
				regexp.MustCompile(`^` + regexp.QuoteMeta(jsonID(c2.ID)) + `\s+` + pid + `\s+└ update\s+movies-2\s+complete`),
				regexp.MustCompile(`^` + regexp.QuoteMeta(jsonID(c3.ID)) + `\s+` + pid + `\s+└ update\s+movies-3\s+complete`),
			}
			for i, re := range want {
				if !re.MatchString(lines[1+i]) {
					t.Errorf("history row %d = %q, want it to match %s\n%s", i+1, lines[1+i], re, r.stdout)
				}
			}

			// history movies-3 shows the child without its parent, not indented.
			r = demhost(0, "history", "movies-3")
			if lines := strings.Split(strings.TrimSpace(r.stdout), "\n"); len(lines) != 3 || strings.Contains(lines[1], "└") ||
				!regexp.MustCompile(`^`+regexp.QuoteMeta(jsonID(c3.ID))+`\s+`+pid+`\s+update\s+movies-3`).MatchString(lines[1]) {
				t.Errorf("history movies-3:\n%s\nwant the update, unindented and naming its parent %d, then the create", r.stdout, p.ID)
			}
		})
	}
}

func jsonID(id int64) string {
	b, _ := json.Marshal(id)
	return string(b)
}
