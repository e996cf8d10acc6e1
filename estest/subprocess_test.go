package estest_test

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"testing"

	"github.com/demhost/demhost/estest"
	"github.com/demhost/demhost/internal/testenv"
)

// helperEnv selects which helper test runs in a subprocess; unset, the
// helpers skip.
const helperEnv = "ESTEST_HELPER"

// runHelper re-executes this test binary to run one helper test with env
// (on top of the current environment minus every variable estest reads).
func runHelper(t *testing.T, test string, env ...string) (string, error) {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^"+test+"$", "-test.v", "-test.count=1")
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		switch k {
		case "CI", estest.EnvEngineURL, estest.EnvRequireEngine, estest.EnvDocker, estest.EnvEngineImage,
			estest.EnvPrefix, estest.EnvSweepAge, helperEnv:
			continue
		}
		cmd.Env = append(cmd.Env, kv)
	}
	cmd.Env = append(cmd.Env, env...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	return out.String(), err
}

// TestHelperFailing creates indexes, an alias over an index outside its
// prefix, then fails half-way. Run by TestCleanupAfterFailure.
func TestHelperFailing(t *testing.T) {
	if os.Getenv(helperEnv) != "failing" {
		t.Skip("helper: run by TestCleanupAfterFailure")
	}
	env := estest.New(t)
	fmt.Printf("PREFIX=%s\n", env.Prefix())
	ctx := testenv.Context(t)
	for _, base := range []string{"movies-1", "movies-2", "books-1"} {
		if err := env.Engine().CreateIndex(ctx, env.Index(base), []byte(`{}`)); err != nil {
			t.Fatalf("create %s: %v", env.Index(base), err)
		}
	}
	if err := env.Engine().SwapAlias(ctx, env.Alias("movies"), env.Index("movies-2"), nil); err != nil {
		t.Fatal(err)
	}
	if outside := os.Getenv("ESTEST_OUTSIDE"); outside != "" {
		if err := env.Engine().SwapAlias(ctx, env.Alias("stray"), outside, nil); err != nil {
			t.Fatal(err)
		}
	}
	t.Fatal("failing half-way, on purpose")
}

func TestCleanupAfterFailure(t *testing.T) {
	for _, e := range testenv.Engines(t) {
		t.Run(e.Name, func(t *testing.T) {
			t.Parallel()
			// An index outside any estest prefix, that the helper points
			// one of its aliases at.
			env := estest.New(t, estest.WithEngineURL(e.URL))
			ctx := testenv.Context(t)
			outside := env.Index("outside")
			if err := env.Engine().CreateIndex(ctx, outside, []byte(`{}`)); err != nil {
				t.Fatal(err)
			}

			out, err := runHelper(t, "TestHelperFailing",
				helperEnv+"=failing", estest.EnvEngineURL+"="+e.URL, "ESTEST_OUTSIDE="+outside)
			var exit *exec.ExitError
			if !errors.As(err, &exit) || !strings.Contains(out, "--- FAIL: TestHelperFailing") ||
				!strings.Contains(out, "failing half-way, on purpose") {
				t.Fatalf("helper did not fail as planned (err %v):\n%s", err, out)
			}
			m := regexp.MustCompile(`PREFIX=(\S+)`).FindStringSubmatch(out)
			if m == nil {
				t.Fatalf("helper printed no prefix:\n%s", out)
			}
			prefix := m[1]
			left, err := env.Engine().ListIndices(ctx, prefix)
			if err != nil {
				t.Fatal(err)
			}
			if len(left) != 0 {
				t.Errorf("indices left under %s after a failed test: %+v", prefix, left)
			}
			for _, alias := range []string{prefix + "movies", prefix + "stray"} {
				if to, err := env.Engine().GetAlias(ctx, alias); err != nil || len(to) != 0 {
					t.Errorf("alias %s left pointing at %v (err %v)", alias, to, err)
				}
			}
			if ok, err := env.Engine().Exists(ctx, outside); err != nil || !ok {
				t.Errorf("index %s outside the prefix was deleted (err %v)", outside, err)
			}
		})
	}
}

// TestHelperNoEngine asks for an engine where there is none. Run by
// TestSkipAndFailRules.
func TestHelperNoEngine(t *testing.T) {
	if os.Getenv(helperEnv) != "noengine" {
		t.Skip("helper: run by TestSkipAndFailRules")
	}
	estest.New(t)
	fmt.Println("REACHED: New returned")
}

func TestSkipAndFailRules(t *testing.T) {
	t.Parallel()
	noDocker := estest.EnvDocker + "=0"
	tests := []struct {
		name     string
		env      []string
		wantFail bool
		want     []string
		notWant  []string
	}{
		{name: "no engine skips", env: []string{noDocker},
			want: []string{"--- SKIP: TestHelperNoEngine", estest.EnvEngineURL, "make services", "Docker"}},
		{name: "CI fails", env: []string{noDocker, "CI=true"}, wantFail: true,
			want: []string{"--- FAIL: TestHelperNoEngine", "CI", estest.EnvEngineURL}},
		{name: "required fails", env: []string{noDocker, estest.EnvRequireEngine + "=1"}, wantFail: true,
			want: []string{"--- FAIL: TestHelperNoEngine", estest.EnvEngineURL}},
		{name: "unreachable url fails", env: []string{noDocker, estest.EnvEngineURL + "=http://127.0.0.1:1"},
			wantFail: true, want: []string{"--- FAIL: TestHelperNoEngine",
				"estest: the engine at http://127.0.0.1:1 (from DEMHOST_TEST_ENGINE_URL) did not answer (",
				"); start that engine, set DEMHOST_TEST_ENGINE_URL to the URL of a running one, " +
					"or unset it so that estest starts one through Docker or skips the test"},
			notWant: []string{"unset it: set"}},
		{name: "bad base prefix fails", env: []string{noDocker, estest.EnvPrefix + "=CI_"}, wantFail: true,
			want: []string{"--- FAIL: TestHelperNoEngine", `estest: DEMHOST_TEST_PREFIX="CI_" cannot start index names`, "e.g. ci_"}},
		{name: "bad sweep age fails", env: []string{noDocker, estest.EnvSweepAge + "=1 hour"}, wantFail: true,
			want: []string{"--- FAIL: TestHelperNoEngine", `estest: DEMHOST_TEST_SWEEP_AGE="1 hour" is not a duration`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			out, err := runHelper(t, "TestHelperNoEngine", append(tt.env, helperEnv+"=noengine")...)
			if failed := err != nil; failed != tt.wantFail {
				t.Errorf("helper failed = %v (%v), want %v", failed, err, tt.wantFail)
			}
			if strings.Contains(out, "REACHED") {
				t.Error("New returned without an engine")
			}
			for _, w := range tt.want {
				if !strings.Contains(out, w) {
					t.Errorf("output lacks %q:\n%s", w, out)
				}
			}
			for _, w := range tt.notWant {
				if strings.Contains(out, w) {
					t.Errorf("output has %q:\n%s", w, out)
				}
			}
		})
	}
}
