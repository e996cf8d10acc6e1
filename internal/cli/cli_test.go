package cli_test

import (
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/demhost/demhost/internal/cli"
	"github.com/demhost/demhost/internal/testenv"
)

// TestUsageErrors needs no service: each error comes before anything opens.
func TestUsageErrors(t *testing.T) {
	t.Parallel()
	empty := writeConfig(t, "# nothing\n")
	reg := filepath.Join(t.TempDir(), "registry.db")
	malformed := writeConfig(t, "engine:\n  kind: auto\n   urls: x\n")
	badKey := writeConfig(t, "bulk:\n  workers: -3\n")
	base := []string{"--config", empty, "--registry", reg, "--env-prefix", "tusage_"}
	tests := []struct {
		name string
		args []string
		want []string
	}{
		{"unknown command", []string{"bogus"}, []string{"unknown command", "bogus"}},
		{"unknown flag", []string{"list", "--nope"}, []string{"--nope"}},
		{"bad output", append(base, "-o", "xml", "history"), []string{"-o/--output", "xml"}},
		{"clear needs one name", append(base, "clear"), []string{"clear"}},
		{"drop takes one name", append(base, "drop", "a", "b"), []string{"drop"}},
		{"bad start", append(base, "update", "movies", "--start", "yesterday"), []string{"--start", "yesterday"}},
		{"negative workers", append(base, "update", "movies", "--workers", "-1"), []string{"--workers"}},
		{"bad limit", append(base, "history", "--limit", "0"), []string{"--limit"}},
		{"missing config file", []string{"--config", filepath.Join(t.TempDir(), "nope.yaml"), "history"}, []string{"nope.yaml", "does not exist"}},
		{"malformed yaml", []string{"--config", malformed, "list"}, []string{malformed + ":3", "malformed YAML"}},
		{"bad value in file", []string{"--config", badKey, "list"}, []string{badKey + ":2", "bulk.workers", "negative"}},
		{"bad prefix flag", []string{"--config", empty, "--env-prefix", "Bad Prefix", "history"}, []string{"--env-prefix", "env_prefix"}},
		{"reset without prefix", []string{"--config", empty, "--registry", reg, "dangerous-reset", "--yes"}, []string{"dangerous-reset", "prefix"}},
		// update --distributed and worker
		{"partitions alone", append(base, "update", "movies", "--partitions", "4"), []string{"--partitions", "--distributed"}},
		{"detach alone", append(base, "update", "movies", "--detach"), []string{"--detach", "--distributed"}},
		{"cancel alone", append(base, "update", "movies", "--cancel"), []string{"--cancel", "--distributed"}},
		{"cancel and resume", append(base, "update", "movies", "--distributed", "--cancel", "--resume"), []string{"--cancel"}},
		{"distributed two indexes", append(base, "update", "a", "b", "--distributed"), []string{"one version"}},
		{"distributed all", append(base, "update", "--all", "--distributed"), []string{"one version"}},
		{"distributed newer", append(base, "update", "movies", "--newer", "--distributed"), []string{"one version"}},
		{"negative partitions", append(base, "update", "movies", "--distributed", "--partitions", "-2"), []string{"--partitions"}},
		{"no attempts", append(base, "update", "movies", "--distributed", "--max-attempts", "0"), []string{"--max-attempts"}},
		{"deploy partitions alone", append(base, "deploy", "movies", "--partitions", "4"), []string{"--partitions", "--distributed"}},
		{"deploy distributed from active", append(base, "deploy", "movies", "--distributed", "--from-active"), []string{"--from-active"}},
		{"deploy detach", append(base, "deploy", "movies", "--distributed", "--detach"), []string{"--detach"}},
		{"deploy negative partitions", append(base, "deploy", "movies", "--distributed", "--partitions", "-1"), []string{"--partitions"}},
		{"worker arguments", append(base, "worker", "movies"), []string{"worker"}},
		{"short rescue", append(base, "worker", "--rescue-after", "1s"), []string{"--rescue-after", "3s"}},
		{"negative concurrency", append(base, "worker", "--concurrency", "-1"), []string{"--concurrency"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r := runMain(t, nil, tt.args...)
			if r.code != cli.ExitUsage {
				t.Errorf("exit code %d, want %d (stderr %q)", r.code, cli.ExitUsage, r.stderr)
			}
			if r.stdout != "" {
				t.Errorf("stdout should be empty, got %q", r.stdout)
			}
			checkOneLineError(t, r, tt.want...)
		})
	}
	if _, err := os.Stat(reg); err == nil {
		t.Errorf("a usage error created the registry %s", reg)
	}
}

func TestHistoryOfFreshRegistry(t *testing.T) {
	t.Parallel()
	reg := filepath.Join(t.TempDir(), "sub", "registry.db")
	r := runMain(t, nil, "--config", writeConfig(t, ""), "--registry", reg, "--env-prefix", uniquePrefix(t), "history", "-o", "json")
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	var actions []map[string]any
	if err := json.Unmarshal([]byte(r.stdout), &actions); err != nil || len(actions) != 0 {
		t.Errorf("history of a fresh registry = %q (%v), want []", r.stdout, err)
	}
}

func TestDangerousResetConfirmation(t *testing.T) {
	t.Parallel()
	cfg := writeConfig(t, "")
	reg := filepath.Join(t.TempDir(), "registry.db")
	piped, err := os.CreateTemp(t.TempDir(), "stdin")
	if err != nil {
		t.Fatal(err)
	}
	defer piped.Close()
	if _, err := piped.WriteString("tconfirm_\n"); err != nil {
		t.Fatal(err)
	}
	if _, err := piped.Seek(0, 0); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name  string
		stdin io.Reader
		want  []string
	}{
		{"mismatch", strings.NewReader("tother_\n"), []string{"not confirmed", "tconfirm_", "nothing was deleted"}},
		{"no answer", strings.NewReader(""), []string{"not confirmed"}},
		{"stdin not a terminal", piped, []string{"not a terminal", "--yes"}},
	}
	for _, tt := range tests {
		r := runMain(t, tt.stdin, "--config", cfg, "--registry", reg,
			"--env-prefix", "tconfirm_", "dangerous-reset")
		if r.code != cli.ExitUsage {
			t.Errorf("%s: exit %d, want 2 (stderr %q)", tt.name, r.code, r.stderr)
		}
		lines := strings.Split(strings.TrimRight(r.stderr, "\n"), "\n")
		checkOneLineError(t, result{code: r.code, stderr: lines[len(lines)-1]}, tt.want...)
	}
	if _, err := os.Stat(reg); err == nil {
		t.Errorf("an unconfirmed reset opened the registry %s", reg)
	}
}

// TestBadInputChangesNothing runs each bad input of issue 5 against a real
// engine and checks the one-line error, the exit code, and that neither
// the cluster nor the registry changed.
func TestBadInputChangesNothing(t *testing.T) {
	t.Parallel()
	es := testenv.ElasticsearchURL(t)
	_, movies := binaries(t)
	good := moviesConfig(t, movies, "")
	notAFolder := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(notAFolder, []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	missingPlugin := filepath.Join(t.TempDir(), "bin", "demhost-plugin-nothere")
	tests := []struct {
		name     string
		config   string
		registry string // "" for a fresh SQLite file
		engine   string // "" for the real engine
		args     []string
		code     int
		want     []string
	}{
		{"unknown name", good, "", "", []string{"activate", "nosuch"}, 2, []string{`"nosuch"`, "movies"}},
		{"unknown version", good, "", "", []string{"update", "movies-7"}, 2, []string{"movies-7", "movies"}},
		{"unreachable engine", good, "", "http://127.0.0.1:1", []string{"list"}, 2, []string{"cannot reach the engine at http://127.0.0.1:1"}},
		{"engine password hidden", good, "", "http://elastic:hunter2pw@127.0.0.1:1", []string{"create", "movies"}, 2, []string{"127.0.0.1:1", "xxxxx"}},
		{"plugin path missing", moviesConfig(t, missingPlugin, ""), "", "", []string{"list"}, 2, []string{missingPlugin, "does not exist"}},
		{"registry cannot be opened", good, filepath.Join(notAFolder, "registry.db"), "", []string{"create", "movies"}, 2, []string{"cannot open the registry", notAFolder}},
		{"registry password hidden", good, "postgres://demhost:topsecretpw@127.0.0.1:1/demhost?sslmode=disable", "", []string{"list"}, 2, []string{"cannot open the registry", "127.0.0.1:1"}},
		{"plugin config rejected", moviesConfig(t, movies, "{nosuchkey: 1}"), "", "", []string{"list"}, 2, []string{"plugin movies", "nosuchkey"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			prefix := uniquePrefix(t)
			reg := tt.registry
			if reg == "" {
				reg = filepath.Join(t.TempDir(), "registry.db")
			}
			engine := tt.engine
			if engine == "" {
				engine = es
			}
			args := append([]string{"--config", tt.config, "--registry", reg, "--engine-url", engine, "--env-prefix", prefix}, tt.args...)
			r := runMain(t, nil, args...)
			if r.code != tt.code {
				t.Errorf("exit %d, want %d (stderr %q)", r.code, tt.code, r.stderr)
			}
			checkOneLineError(t, r, tt.want...)
			for _, secret := range []string{"hunter2pw", "topsecretpw"} {
				if strings.Contains(r.stderr+r.stdout, secret) {
					t.Errorf("output shows a secret: %q", r.stderr)
				}
			}
			if got := clusterIndices(t, es, prefix); len(got) != 0 {
				t.Errorf("the cluster changed: %v", got)
				deletePrefix(t, es, prefix)
			}
			if tt.registry == "" && tt.name != "unknown name" && tt.name != "unknown version" {
				if _, err := os.Stat(reg); err == nil {
					t.Errorf("the registry %s was created", reg)
				}
			}
			if tt.registry == "" && isFile(reg) {
				h := runMain(t, nil, "--config", writeConfig(t, ""), "--registry", reg, "--env-prefix", prefix, "history", "-o", "json")
				if h.code != 0 || strings.TrimSpace(h.stdout) != "[]" {
					t.Errorf("the registry recorded something: %s %s", h.stdout, h.stderr)
				}
			}
		})
	}
}

func TestPluginsCommand(t *testing.T) {
	t.Parallel()
	_, movies := binaries(t)
	missing := filepath.Join(t.TempDir(), "demhost-plugin-gone")
	cfg := writeConfig(t, "plugins:\n  - name: movies\n    path: "+movies+"\n  - name: gone\n    path: "+missing+"\n")
	r := runMain(t, nil, "--config", cfg, "plugins", "-o", "json")
	if r.code != cli.ExitFailed {
		t.Errorf("exit %d, want 1 when a plugin does not start (stderr %q)", r.code, r.stderr)
	}
	var got []struct {
		Name     string   `json:"name"`
		Starts   bool     `json:"starts"`
		Protocol string   `json:"protocol"`
		Indexes  []string `json:"indexes"`
		Error    string   `json:"error"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &got); err != nil {
		t.Fatalf("stdout %q: %v", r.stdout, err)
	}
	if len(got) != 2 {
		t.Fatalf("got %d plugins, want 2: %+v", len(got), got)
	}
	if m := got[0]; m.Name != "movies" || !m.Starts || m.Protocol != "1" || len(m.Indexes) != 1 || m.Indexes[0] != "movies" || m.Error != "" {
		t.Errorf("movies plugin: %+v", m)
	}
	if g := got[1]; g.Name != "gone" || g.Starts || !strings.Contains(g.Error, missing) {
		t.Errorf("missing plugin: %+v", g)
	}
}
