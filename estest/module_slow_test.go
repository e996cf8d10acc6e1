//go:build slow

package estest_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/demhost/demhost/internal/testenv"
)

// TestSeparateModule builds a module outside this repository that requires
// demhost through a replace, as the README shows, and runs its estest-based
// test against each engine.
func TestSeparateModule(t *testing.T) {
	root, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	goMod, err := os.ReadFile(filepath.Join(root, "go.mod"))
	if err != nil {
		t.Fatal(err)
	}
	goVersion := "1.26.0"
	for _, line := range strings.Split(string(goMod), "\n") {
		if v, ok := strings.CutPrefix(line, "go "); ok {
			goVersion = strings.TrimSpace(v)
		}
	}
	app, err := os.ReadFile(filepath.Join("testdata", "appmodule", "app_test.go.txt"))
	if err != nil {
		t.Fatal(err)
	}
	// demhost's go.sum covers every module the app needs, so no checksum
	// database is asked.
	sum, err := os.ReadFile(filepath.Join(root, "go.sum"))
	if err != nil {
		t.Fatal(err)
	}

	for _, e := range testenv.Engines(t) {
		t.Run(e.Name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			files := map[string]string{
				"go.mod": "module example.com/app\n\ngo " + goVersion + "\n\n" +
					"require github.com/demhost/demhost v0.0.0\n\n" +
					"replace github.com/demhost/demhost => " + root + "\n\n" +
					// demhost's own replace of the SDK module does not reach
					// a module that requires demhost.
					"replace github.com/demhost/demhost/plugin-sdk => " + filepath.Join(root, "plugin-sdk") + "\n",
				"go.sum":      string(sum),
				"app_test.go": string(app),
			}
			for name, body := range files {
				if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			cmd := exec.CommandContext(t.Context(), "go", "test", "-count=1", "-v", "./...")
			cmd.Dir = dir
			cmd.Env = append(os.Environ(),
				"GOFLAGS=-mod=mod", "GOWORK=off",
				"DEMHOST_TEST_ENGINE_URL="+e.URL,
				"DEMHOST_TEST_REQUIRE_ENGINE=1", // a skip would not prove anything
			)
			out, err := cmd.CombinedOutput()
			if err != nil {
				t.Fatalf("go test in the separate module: %v\n%s", err, out)
			}
			if got := strings.Count(string(out), "APP-OK "+e.Name); got != 2 {
				t.Errorf("want 2 passing %s subtests, got %d:\n%s", e.Name, got, out)
			}
			if !strings.Contains(string(out), "--- PASS: TestFilms") {
				t.Errorf("TestFilms did not pass:\n%s", out)
			}
		})
	}
}
