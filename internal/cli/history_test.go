package cli_test

import (
	"encoding/json"
	"fmt"
	"regexp"
	"strconv"
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

// TestDecisionsReachTheUser: an update whose --start the source cannot
// honour says so on stderr and in -o json; the result and history JSON
// share one schema; `history ID` shows the action's log lines and its
// children.
func TestDecisionsReachTheUser(t *testing.T) {
	t.Parallel()
	_, movies := binaries(t)
	url := testenv.ElasticsearchURL(t)
	demhost, _ := inProcess(t, url, movies)
	demhost(0, "create", "movies")
	demhost(0, "activate", "movies")

	demhost(0, "update", "movies", "--resume") // never filled completely: it reads everything, as asked
	demhost(0, "update", "movies")
	r := demhost(2, "update", "movies", "--start", "2025-01-01 00:00")
	checkOneLineError(t, r, "source movies cannot read only the changes of movies since a time", "--full")
	r = demhost(2, "update", "movies", "--resume")
	checkOneLineError(t, r, "the checkpoint of movies-1 cannot narrow", "--full")
	r = demhost(0, "update", "movies", "--start", "2025-01-01 00:00", "--full")
	if !strings.Contains(r.stderr, "note: source movies cannot read changes since a time, so the given start time was ignored") {
		t.Errorf("update --start on a source without since: stderr %q does not say --start was ignored", r.stderr)
	}
	var res []map[string]any
	r = demhost(0, "update", "movies", "--start", "2025-01-01 00:00", "--full", "-o", "json")
	if err := json.Unmarshal([]byte(r.stdout), &res); err != nil || len(res) != 1 {
		t.Fatalf("update -o json: %v: %q", err, r.stdout)
	}
	var hist []map[string]any
	if err := json.Unmarshal([]byte(demhost(0, "history", "-o", "json").stdout), &hist); err != nil || len(hist) == 0 {
		t.Fatalf("history -o json: %v", err)
	}
	for _, key := range []string{"indexed", "failed", "deleted", "duration_ms", "kind", "target"} {
		if _, ok := res[0][key]; !ok {
			t.Errorf("update -o json has no %q: %v", key, res[0])
		}
		if _, ok := hist[0][key]; !ok {
			t.Errorf("history -o json has no %q: %v", key, hist[0])
		}
	}
	if res[0]["indexed"].(float64) != 100 || res[0]["counts"] != nil || res[0]["duration"] != nil {
		t.Errorf("update -o json = %v; want indexed 100 and no counts/duration keys", res[0])
	}
	if notes, _ := res[0]["notes"].([]any); len(notes) != 1 || !strings.Contains(notes[0].(string), "start time was ignored") {
		t.Errorf("update -o json notes = %v", res[0]["notes"])
	}
	if log, _ := hist[0]["log"].([]any); len(log) == 0 || !strings.Contains(fmt.Sprint(log), "start time was ignored") {
		t.Errorf("history -o json log = %v, want the decision", hist[0]["log"])
	}

	// history ID: one action whole.
	id := int64(hist[0]["id"].(float64))
	r = demhost(0, "history", strconv.FormatInt(id, 10))
	for _, want := range []string{"status    complete", "log", "start time was ignored", "100 indexed"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("history %d does not show %q:\n%s", id, want, r.stdout)
		}
	}
	// A parent shows its children.
	demhost(0, "create", "movies", "--force")
	demhost(0, "create", "movies", "--force")
	demhost(0, "update", "movies", "--newer")
	var parent struct {
		ID       int64 `json:"id"`
		Children []struct {
			Target string `json:"target"`
		} `json:"children"`
	}
	hist = nil
	json.Unmarshal([]byte(demhost(0, "history", "-o", "json").stdout), &hist)
	for _, h := range hist {
		if h["parent_id"] == nil && h["kind"] == "update" {
			r = demhost(0, "history", fmt.Sprint(int64(h["id"].(float64))), "-o", "json")
			break
		}
	}
	if err := json.Unmarshal([]byte(r.stdout), &parent); err != nil || len(parent.Children) != 2 ||
		parent.Children[0].Target != "movies-2" || parent.Children[1].Target != "movies-3" {
		t.Errorf("history of the parent update = %+v (%v), want children movies-2 and movies-3", parent, err)
	}
	checkOneLineError(t, demhost(2, "history", "999999"), "no action 999999")
}
