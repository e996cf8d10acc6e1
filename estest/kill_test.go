package estest_test

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/demhost/demhost/estest"
	"github.com/demhost/demhost/internal/testenv"
)

// TestHelperKilled creates an index and an alias, says so, and waits to be
// killed. Run by TestKilledBinaryIsSwept.
func TestHelperKilled(t *testing.T) {
	if os.Getenv(helperEnv) != "killed" {
		t.Skip("helper: run by TestKilledBinaryIsSwept")
	}
	env := estest.New(t)
	ctx := testenv.Context(t)
	if err := env.Engine().CreateIndex(ctx, env.Index("movies-1"),
		[]byte(fmt.Sprintf(`{"aliases":{%q:{}}}`, env.Alias("movies")))); err != nil {
		t.Fatal(err)
	}
	fmt.Printf("PREFIX=%s\n", env.Prefix())
	time.Sleep(2 * time.Minute) // killed long before
	t.Fatal("helper was not killed")
}

// TestKilledBinaryIsSwept kills a test binary with SIGKILL after it made an
// index, so its cleanup never runs, and checks that the next New, with a
// sweep age of one second, removes what it left.
func TestKilledBinaryIsSwept(t *testing.T) {
	t.Parallel()
	for _, e := range testenv.Engines(t) {
		t.Run(e.Name, func(t *testing.T) {
			t.Parallel()
			b := make([]byte, 3)
			_, _ = rand.Read(b)
			// A base of its own: a one-second sweep under the default base
			// would remove the indexes of tests running right now.
			base := "kill" + hex.EncodeToString(b) + "_"
			ctx := testenv.Context(t)

			cmd := exec.Command(os.Args[0], "-test.run=^TestHelperKilled$", "-test.v", "-test.count=1")
			for _, kv := range os.Environ() {
				if k, _, _ := strings.Cut(kv, "="); k != estest.EnvPrefix && k != estest.EnvEngineURL && k != helperEnv {
					cmd.Env = append(cmd.Env, kv)
				}
			}
			cmd.Env = append(cmd.Env, helperEnv+"=killed", estest.EnvEngineURL+"="+e.URL, estest.EnvPrefix+"="+base)
			stdout, err := cmd.StdoutPipe()
			if err != nil {
				t.Fatal(err)
			}
			var stderr strings.Builder
			cmd.Stderr = &stderr
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			var prefix string
			var out strings.Builder
			lines := bufio.NewScanner(stdout)
			for prefix == "" && lines.Scan() {
				out.WriteString(lines.Text() + "\n")
				if p, ok := strings.CutPrefix(lines.Text(), "PREFIX="); ok {
					prefix = p
				}
			}
			// SIGKILL: no cleanup runs. A helper that ended by itself is
			// reported below, with its output.
			if err := cmd.Process.Kill(); err != nil && !errors.Is(err, os.ErrProcessDone) {
				t.Fatal(err)
			}
			_ = cmd.Wait()
			if !strings.HasPrefix(prefix, base+"t") {
				t.Fatalf("helper's prefix %q is not under %s from %s:\n%s%s", prefix, base, estest.EnvPrefix, out.String(), stderr.String())
			}

			probe := estest.New(t, estest.WithEngineURL(e.URL)) // another base: sweeps nothing of this test
			eng := probe.Engine()
			t.Cleanup(func() { // should this test fail before its sweep
				_ = eng.DeleteIndices(context.Background(), prefix+"movies-1")
			})
			left, err := eng.ListIndices(ctx, prefix)
			if err != nil || len(left) != 1 || left[0].Name != prefix+"movies-1" {
				t.Fatalf("after the kill, under %s: %+v (err %v); want the helper's index, left behind", prefix, left, err)
			}

			time.Sleep(2 * time.Second) // the prefix records whole seconds
			estest.New(t, estest.WithEngineURL(e.URL), estest.WithBasePrefix(base), estest.WithSweepAge(time.Second))
			if left, err := eng.ListIndices(ctx, prefix); err != nil || len(left) != 0 {
				t.Errorf("the sweep left under %s: %+v (err %v)", prefix, left, err)
			}
			if to, err := eng.GetAlias(ctx, prefix+"movies"); err != nil || len(to) != 0 {
				t.Errorf("alias %smovies left pointing at %v (err %v)", prefix, to, err)
			}
		})
	}
}
