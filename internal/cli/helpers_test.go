package cli_test

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/demhost/demhost/internal/cli"
)

// buildDir holds binaries built by the tests when bin/ has none.
var buildDir string

func TestMain(m *testing.M) {
	code := m.Run()
	if buildDir != "" {
		os.RemoveAll(buildDir)
	}
	os.Exit(code)
}

var (
	buildOnce sync.Once
	builtBins map[string]string
	buildErr  error
)

// repoRoot is the module root, two folders up from internal/cli.
func repoRoot(t testing.TB) string {
	t.Helper()
	root, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	return root
}

// binaries returns the paths of demhost and the movies plugin: the ones in
// bin/ (from `make build`) when both exist, else built once into a
// temporary folder.
func binaries(t testing.TB) (demhost, movies string) {
	t.Helper()
	root := repoRoot(t)
	dh, mv := filepath.Join(root, "bin", "demhost"), filepath.Join(root, "bin", "demhost-plugin-movies")
	if isFile(dh) && isFile(mv) && os.Getenv("DEMHOST_TEST_REBUILD") == "" {
		return dh, mv
	}
	buildOnce.Do(func() {
		buildDir, buildErr = os.MkdirTemp("", "demhost-cli-test-")
		if buildErr != nil {
			return
		}
		builtBins = map[string]string{}
		for name, pkg := range map[string]string{"demhost": "./cmd/demhost", "demhost-plugin-movies": "./plugins/movies"} {
			out := filepath.Join(buildDir, name)
			cmd := exec.Command("go", "build", "-o", out, pkg)
			cmd.Dir = root
			if b, err := cmd.CombinedOutput(); err != nil {
				buildErr = fmt.Errorf("go build %s: %v: %s", pkg, err, b)
				return
			}
			builtBins[name] = out
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return builtBins["demhost"], builtBins["demhost-plugin-movies"]
}

func isFile(p string) bool {
	st, err := os.Stat(p)
	return err == nil && st.Mode().IsRegular()
}

// uniquePrefix returns a fresh environment prefix such as "t3f9a1c_".
func uniquePrefix(t testing.TB) string {
	t.Helper()
	b := make([]byte, 3)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return "t" + hex.EncodeToString(b) + "_"
}

// writeConfig writes a demhost.yaml into a temporary folder.
func writeConfig(t testing.TB, body string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "demhost.yaml")
	if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// moviesConfig is a config with the movies plugin and its config section
// (YAML flow mapping, e.g. "{synthetic: 1000}"; "" for none).
func moviesConfig(t testing.TB, movies, section string) string {
	t.Helper()
	body := fmt.Sprintf("plugins:\n  - name: movies\n    path: %s\n", movies)
	if section != "" {
		body += "    config: " + section + "\n"
	}
	return writeConfig(t, body)
}

// result is what one in-process run of demhost gave.
type result struct {
	code           int
	stdout, stderr string
}

// runMain runs cli.Main in-process with stdin.
func runMain(t testing.TB, stdin io.Reader, args ...string) result {
	t.Helper()
	if stdin == nil {
		stdin = strings.NewReader("")
	}
	var out, errb bytes.Buffer
	code := cli.Main(args, stdin, &out, &errb)
	return result{code: code, stdout: out.String(), stderr: errb.String()}
}

// checkOneLineError checks the stderr of a failed run: one line, with the
// demhost: prefix, no stack trace, containing every want.
func checkOneLineError(t testing.TB, r result, want ...string) {
	t.Helper()
	msg := strings.TrimRight(r.stderr, "\n")
	if strings.Count(msg, "\n") != 0 || !strings.HasPrefix(msg, "demhost: ") {
		t.Errorf("stderr should be one line starting with \"demhost: \", got %q", r.stderr)
	}
	for _, bad := range []string{"goroutine ", "panic", ".go:"} {
		if strings.Contains(msg, bad) {
			t.Errorf("stderr looks like a stack trace (%q): %q", bad, msg)
		}
	}
	for _, w := range want {
		if !strings.Contains(msg, w) {
			t.Errorf("stderr %q does not contain %q", msg, w)
		}
	}
}

// clusterIndices lists the indices whose names start with prefix.
func clusterIndices(t testing.TB, engineURL, prefix string) []string {
	t.Helper()
	var rows []struct {
		Index string `json:"index"`
	}
	httpJSON(t, engineURL+"/_cat/indices/"+prefix+"*?format=json&h=index&expand_wildcards=all", &rows)
	var out []string
	for _, r := range rows {
		out = append(out, r.Index)
	}
	return out
}

// aliasTargets returns the indices an alias points to (none when absent).
func aliasTargets(t testing.TB, engineURL, alias string) []string {
	t.Helper()
	resp, err := http.Get(engineURL + "/_alias/" + alias)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode == http.StatusNotFound {
		return nil
	}
	var m map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&m); err != nil {
		t.Fatalf("GET _alias/%s: %v", alias, err)
	}
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}

func httpJSON(t testing.TB, url string, v any) {
	t.Helper()
	c := http.Client{Timeout: 30 * time.Second}
	resp, err := c.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(resp.Body)
		t.Fatalf("GET %s: %s: %s", url, resp.Status, b)
	}
	if err := json.NewDecoder(resp.Body).Decode(v); err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
}

// deletePrefix deletes, by explicit name, every index under prefix: the
// safety net behind dangerous-reset in test cleanups.
func deletePrefix(t testing.TB, engineURL, prefix string) {
	t.Helper()
	for _, name := range clusterIndices(t, engineURL, prefix) {
		req, _ := http.NewRequest(http.MethodDelete, engineURL+"/"+name, nil)
		if resp, err := http.DefaultClient.Do(req); err == nil {
			resp.Body.Close()
		}
	}
}

// inProcess returns a demhost runner for one engine and its prefix: a
// fresh prefix and SQLite registry, the movies plugin, cleanup of both at
// the end. The runner fails the test when the exit code is not code.
func inProcess(t *testing.T, engineURL, movies string) (run func(code int, args ...string) result, prefix string) {
	t.Helper()
	prefix = uniquePrefix(t)
	base := []string{"--config", moviesConfig(t, movies, ""), "--registry", filepath.Join(t.TempDir(), "registry.db"),
		"--engine-url", engineURL, "--env-prefix", prefix}
	t.Cleanup(func() {
		runMain(t, nil, append(base, "dangerous-reset", "--yes")...)
		deletePrefix(t, engineURL, prefix)
	})
	return func(code int, args ...string) result {
		t.Helper()
		r := runMain(t, nil, append(base, args...)...)
		if r.code != code {
			t.Fatalf("demhost %v: exit %d, want %d; stderr %q", args, r.code, code, r.stderr)
		}
		return r
	}, prefix
}
