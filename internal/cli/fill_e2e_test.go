//go:build slow

package cli_test

import (
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/demhost/demhost/internal/testenv"
)

// refreshOf reads index.refresh_interval of a physical index ("" when it
// is the default).
func refreshOf(t *testing.T, engineURL, index string) string {
	t.Helper()
	var s map[string]struct {
		Settings struct {
			Index struct {
				Refresh string `json:"refresh_interval"`
			} `json:"index"`
		} `json:"settings"`
	}
	httpJSON(t, engineURL+"/"+index+"/_settings", &s)
	return s[index].Settings.Index.Refresh
}

// killDuringLoad starts a full update of an inactive version, waits until
// its load settings are applied and documents flow, and SIGKILLs it.
func killDuringLoad(t *testing.T, b *bin, version string) {
	t.Helper()
	cmd := b.cmd("update", version, "--workers", "2")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill() })
	physical := b.prefix + version
	deadline := time.Now().Add(2 * time.Minute)
	for refreshOf(t, b.engine, physical) != "-1" {
		if time.Now().After(deadline) {
			t.Fatalf("the update of %s never turned refresh off", version)
		}
		time.Sleep(50 * time.Millisecond)
	}
	time.Sleep(time.Second) // documents are flowing
	if err := cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	cmd.Wait()
	if got := refreshOf(t, b.engine, physical); got != "-1" {
		t.Fatalf("after SIGKILL %s has refresh_interval %q; the fault did not happen", physical, got)
	}
}

type loadRow struct {
	Name   string `json:"name"`
	Status string `json:"status"`
	Load   bool   `json:"load_settings_applied"`
	Docs   int64  `json:"docs"`
}

func (b *bin) loadRows() map[string]loadRow {
	b.t.Helper()
	var rs []loadRow
	b.json(&rs, 0, "list")
	m := map[string]loadRow{}
	for _, r := range rs {
		m[r.Name] = r
	}
	return m
}

// TestKilledLoadSettingsRestored is issue 16, 3: demhost is SIGKILLed
// during a full load of an inactive version, which had turned refresh
// off. list shows it; activate, list --repair and update each restore the
// recorded settings, so the version never stays unsearchable.
func TestKilledLoadSettingsRestored(t *testing.T) {
	t.Parallel()
	es := testenv.ElasticsearchURL(t)
	b := newBin(t, es, filepath.Join(t.TempDir(), "registry.db"), "{synthetic: 400000}")
	b.one(0, "create", "movies")
	b.one(0, "activate", "movies")
	for range 3 {
		b.one(0, "create", "movies", "--force")
	}

	// activate restores them before the alias moves.
	killDuringLoad(t, b, "movies-2")
	if r := b.loadRows()["movies-2"]; !r.Load || r.Status != "interrupted" {
		t.Errorf("list after the kill: %+v, want load settings applied and interrupted", r)
	}
	if out := b.run("list"); !strings.Contains(out.stdout, "refresh off") {
		t.Errorf("list's table does not show the applied load settings:\n%s", out.stdout)
	}
	b.one(0, "activate", "movies-2")
	if got := refreshOf(t, es, b.prefix+"movies-2"); got == "-1" {
		t.Error("activate left refresh off on movies-2")
	}
	if r := b.loadRows()["movies-2"]; r.Load {
		t.Errorf("list after activate still shows load settings: %+v", r)
	}
	b.one(0, "activate", "movies-1")

	// list --repair restores them without any other action.
	killDuringLoad(t, b, "movies-3")
	r := b.run("list", "--repair")
	if r.code != 0 || !strings.Contains(r.stderr, "restored") {
		t.Fatalf("list --repair: exit %d, stderr %q", r.code, r.stderr)
	}
	if got := refreshOf(t, es, b.prefix+"movies-3"); got == "-1" {
		t.Error("list --repair left refresh off on movies-3")
	}

	// A later update (--resume, which must read everything since the
	// killed fill never completed) restores them and fills the version.
	killDuringLoad(t, b, "movies-4")
	res := b.one(0, "update", "movies-4", "--resume")
	if res.Counts.Indexed != 400000 || res.Counts.Failed != 0 {
		t.Errorf("update --resume after the kill: %+v, want all 400,000 documents", res.Counts)
	}
	if got := refreshOf(t, es, b.prefix+"movies-4"); got == "-1" {
		t.Error("update --resume left refresh off on movies-4")
	}
	if row := b.loadRows()["movies-4"]; row.Load || row.Status != "ready" || row.Docs != 400000 {
		t.Errorf("list after the update: %+v, want ready with 400,000 documents", row)
	}
}
