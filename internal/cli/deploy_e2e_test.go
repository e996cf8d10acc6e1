//go:build slow

package cli_test

import (
	"bytes"
	"encoding/json"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/demhost/demhost/internal/testenv"
)

// TestDeployResumeAfterSIGINT interrupts a real demhost binary's deploy
// in the middle of its fill, on both engines with a Postgres registry:
// it exits 1 and says how to resume; `deploy --resume` continues the same
// version from the fill step (not from create) and ends with it active
// and exactly the source's documents.
func TestDeployResumeAfterSIGINT(t *testing.T) {
	t.Parallel()
	const n = 100000
	for _, e := range testenv.Engines(t) {
		t.Run(e.Name, func(t *testing.T) {
			t.Parallel()
			dsn, _ := testenv.PostgresSchema(t)
			b := newBin(t, e.URL, dsn, "{synthetic: 100000}")
			cmd := b.cmd("deploy", "movies", "--workers", "2")
			var stderr bytes.Buffer
			cmd.Stderr = &stderr
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { cmd.Process.Kill() })
			waitIndexing(t, e.URL, b.prefix+"movies-1", &stderr)
			if err := cmd.Process.Signal(os.Interrupt); err != nil {
				t.Fatal(err)
			}
			code, _ := waitExit(t, cmd, 30*time.Second)
			if code != 1 || !strings.Contains(stderr.String(), "deploy movies --resume") || !strings.Contains(stderr.String(), "fill step") {
				t.Fatalf("interrupted deploy: exit %d, stderr %q; want 1 and how to resume from the fill step", code, stderr.String())
			}
			var hist []jsonActionFull
			b.json(&hist, 0, "history", "movies")
			var deploys []jsonActionFull
			for _, h := range hist {
				if h.Parent == 0 {
					deploys = append(deploys, h)
				}
			}
			if len(deploys) != 1 || deploys[0].Kind != "deploy" || deploys[0].Status != "interrupted" {
				t.Fatalf("history after the interrupt: %+v, want one deploy, interrupted", hist)
			}
			if got := b.rows()["movies-1"]; got.Active {
				t.Fatalf("movies-1 is active after a deploy interrupted in its fill: %+v", got)
			}

			var rs []struct {
				Kind    string `json:"kind"`
				Step    string `json:"step"`
				Version int    `json:"version"`
				Indexed int64  `json:"indexed"`
			}
			b.json(&rs, 0, "deploy", "movies", "--resume")
			var steps []string
			for _, r := range rs {
				if r.Step != "" {
					steps = append(steps, r.Step)
				}
			}
			if strings.Join(steps, ",") != "fill,catch-up,gate,restore,activate,final catch-up,retain" {
				t.Errorf("the resume ran %v; want every step from the fill on", steps)
			}
			if last := rs[len(rs)-1]; last.Kind != "deploy" || last.Version != 1 {
				t.Errorf("the resume ended %+v, want the deploy of movies-1", last)
			}
			if got := b.rows()["movies-1"]; !got.Active || got.Docs != n {
				t.Errorf("after the resume movies-1 is %+v; want active with exactly %d docs", got, n)
			}
			b.checkAlias("movies-1")
		})
	}
}

// waitIndexing waits until the engine has indexed documents into index
// (refresh is off during a fill, so _count says 0 until it ends).
func waitIndexing(t *testing.T, url, index string, stderr *bytes.Buffer) {
	t.Helper()
	deadline := time.Now().Add(2 * time.Minute)
	for {
		code, body := testenv.Request(t, "GET", url+"/"+index+"/_stats/indexing", nil)
		var st struct {
			All struct {
				Primaries struct {
					Indexing struct {
						IndexTotal int64 `json:"index_total"`
					} `json:"indexing"`
				} `json:"primaries"`
			} `json:"_all"`
		}
		if code == 200 && json.Unmarshal(body, &st) == nil && st.All.Primaries.Indexing.IndexTotal > 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("no document reached %s in 2 minutes; stderr: %s", index, stderr.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
}
