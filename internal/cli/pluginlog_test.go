package cli_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/demhost/demhost/internal/testenv"
	"github.com/demhost/demhost/registry"
)

// buildFresh builds packages (relative to the module root) into a folder
// of the test and returns the binaries by base name. It never uses bin/,
// which may predate the code under test.
func buildFresh(t *testing.T, pkgs ...string) map[string]string {
	t.Helper()
	dir := t.TempDir()
	cmd := exec.Command("go", append([]string{"build", "-o", dir + string(os.PathSeparator)}, pkgs...)...)
	cmd.Dir = repoRoot(t)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build %v: %v\n%s", pkgs, err, out)
	}
	bins := map[string]string{}
	for _, p := range pkgs {
		bins[filepath.Base(p)] = filepath.Join(dir, filepath.Base(p))
	}
	return bins
}

// pluginEnv is one environment whose only plugin, "items", is binary.
type pluginEnv struct {
	t        *testing.T
	base     []string // --config … flags
	registry string
	prefix   string
}

func newPluginEnv(t *testing.T, engineURL, binary, section, extra string) *pluginEnv {
	t.Helper()
	e := &pluginEnv{t: t, registry: filepath.Join(t.TempDir(), "registry.db"), prefix: uniquePrefix(t)}
	cfg := writeConfig(t, fmt.Sprintf("%splugins:\n  - name: items\n    path: %s\n    config: %s\n", extra, binary, section))
	e.base = []string{"--config", cfg, "--registry", e.registry, "--engine-url", engineURL, "--env-prefix", e.prefix}
	t.Cleanup(func() { deletePrefix(t, engineURL, e.prefix) })
	return e
}

func (e *pluginEnv) run(code int, args ...string) result {
	e.t.Helper()
	r := runMain(e.t, nil, append(append([]string{}, e.base...), args...)...)
	if r.code != code {
		e.t.Fatalf("demhost %v: exit %d, want %d; stderr:\n%s", args, r.code, code, r.stderr)
	}
	return r
}

// lastLog is the log of the newest action on items.
func (e *pluginEnv) lastLog() string {
	e.t.Helper()
	reg, err := registry.Open(context.Background(), e.registry)
	if err != nil {
		e.t.Fatal(err)
	}
	defer reg.Close()
	acts, err := reg.History(context.Background(), registry.ActionFilter{Env: e.prefix, Index: "items", Limit: 1})
	if err != nil || len(acts) == 0 {
		e.t.Fatalf("history: %v %v", acts, err)
	}
	return acts[0].Log
}

// What a plugin logs, in each style an author may use, reaches the user's
// stderr named after the plugin (warnings, errors and plain lines; info and
// debug with -v) and the log of the action that streams.
func TestPluginLinesReachUserAndActionLog(t *testing.T) {
	t.Parallel()
	bins := buildFresh(t, "./plugin-sdk/internal/testplugins/chatty")
	e := newPluginEnv(t, testenv.ElasticsearchURL(t), bins["chatty"], "{docs: 10}", "")
	e.run(0, "create", "items")
	r := e.run(0, "update", "items-1")
	shown := []string{
		"plugin items: plain line stream\n",
		"plugin items: WARN hclog default warning stream: key=value\n",
		"plugin items: WARN slog text warning stream lookup=\"t=No Such Film\"\n",
		"plugin items: ERROR slog json error stream n=4\n",
		"plugin items: WARN bracket warning stream\n",
		"plugin items: WARN hclog json warning stream n=3\n",
		"plugin items: WARN bracket warning main\n", // written before Serve
	}
	for _, w := range shown {
		if !strings.Contains(r.stderr, w) {
			t.Errorf("stderr lacks %q:\n%s", w, r.stderr)
		}
	}
	for _, no := range []string{"slog text info", "slog text debug"} {
		if strings.Contains(r.stderr, no) {
			t.Errorf("stderr without -v shows %q:\n%s", no, r.stderr)
		}
	}
	log := e.lastLog()
	for _, w := range append(shown[:6], "plugin items: INFO slog text info stream\n", "plugin items: DEBUG slog text debug stream\n") {
		if !strings.Contains(log, w) {
			t.Errorf("action log lacks %q:\n%s", w, log)
		}
	}

	r = e.run(0, "-v", "update", "items-1")
	for _, w := range []string{"plugin items: INFO slog text info stream\n", "plugin items: DEBUG slog text debug stream\n"} {
		if !strings.Contains(r.stderr, w) {
			t.Errorf("stderr with -v lacks %q:\n%s", w, r.stderr)
		}
	}
}

// A plugin's panic is one sentence naming the plugin; its stack trace is
// in the action's log, and on stderr only with -v.
func TestPluginCrashIsOneSentence(t *testing.T) {
	t.Parallel()
	bins := buildFresh(t, "./plugin-sdk/internal/testplugins/crash")
	e := newPluginEnv(t, testenv.ElasticsearchURL(t), bins["crash"], "{docs: 5000}", "")
	e.run(0, "create", "items")
	r := e.run(1, "update", "items-1")
	lines := strings.Split(strings.TrimRight(r.stderr, "\n"), "\n")
	last := lines[len(lines)-1]
	for _, w := range []string{"demhost: ", `plugin "items"`, "crashed (panic: boom at document 1000", "run with -v for its stack trace, or see `demhost history "} {
		if !strings.Contains(last, w) {
			t.Errorf("error line %q lacks %q", last, w)
		}
	}
	for _, no := range []string{"goroutine ", "[ERROR]", "plugin process exited", "panic: boom at document 1000\n"} {
		if strings.Contains(r.stderr, no) {
			t.Errorf("stderr without -v has %q:\n%s", no, r.stderr)
		}
	}
	if log := e.lastLog(); !strings.Contains(log, "plugin items: ERROR panic: boom at document 1000") || !strings.Contains(log, "plugin items: ERROR goroutine ") {
		t.Errorf("action log lacks the crash report:\n%s", log)
	}
	r = e.run(1, "-v", "update", "items-1")
	if !strings.Contains(r.stderr, "plugin items: ERROR goroutine ") {
		t.Errorf("stderr with -v lacks the stack trace:\n%s", r.stderr)
	}
}

// marked lists the processes whose environment holds the variable
// DEMHOST_TEST_MARK=mark: everything a demhost run with that mark started.
func marked(t *testing.T, mark string) []string {
	t.Helper()
	ents, err := os.ReadDir("/proc")
	if err != nil {
		t.Fatal(err)
	}
	var found []string
	for _, e := range ents {
		if _, err := strconv.Atoi(e.Name()); err != nil {
			continue
		}
		env, err := os.ReadFile(filepath.Join("/proc", e.Name(), "environ"))
		if err != nil || !bytes.Contains(env, []byte("\x00DEMHOST_TEST_MARK="+mark+"\x00")) {
			continue
		}
		cmdline, _ := os.ReadFile(filepath.Join("/proc", e.Name(), "cmdline"))
		stat, _ := os.ReadFile(filepath.Join("/proc", e.Name(), "stat"))
		if f := strings.Fields(string(stat[bytes.LastIndexByte(stat, ')')+1:])); len(f) > 0 && f[0] == "Z" {
			continue // a zombie has exited; only its parent's wait is missing
		}
		found = append(found, e.Name()+" "+strings.ReplaceAll(string(cmdline), "\x00", " "))
	}
	return found
}

// noneLeft fails unless every process marked mark is gone within 5s.
func noneLeft(t *testing.T, mark string) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		left := marked(t, mark)
		if len(left) == 0 {
			return
		}
		if time.Now().After(deadline) {
			for _, l := range left {
				if pid, err := strconv.Atoi(strings.Fields(l)[0]); err == nil {
					_ = syscall.Kill(pid, syscall.SIGKILL)
				}
			}
			t.Fatalf("still running 5s later: %q", left)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// markedCmd is the demhost binary with the env's flags and a fresh mark.
func (e *pluginEnv) markedCmd(demhost string, args ...string) (*exec.Cmd, string) {
	mark := strings.TrimSuffix(uniquePrefix(e.t), "_")
	cmd := exec.Command(demhost, append(append([]string{}, e.base...), args...)...)
	cmd.Env = append(os.Environ(), "DEMHOST_TEST_MARK="+mark)
	return cmd, mark
}

// A plugin that sleeps instead of answering the handshake, leaving a
// child that holds its stdout, is given up at plugin_start_timeout, with
// one sentence naming it and the timeout, and nothing of it is left.
func TestPluginStartTimeout(t *testing.T) {
	t.Parallel()
	bins := buildFresh(t, "./cmd/demhost")
	script := filepath.Join(t.TempDir(), "slowstart")
	if err := os.WriteFile(script, []byte("#!/bin/sh\nsleep 3017\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	e := newPluginEnv(t, testenv.ElasticsearchURL(t), script, "{}", "plugin_start_timeout: 1s\n")
	cmd, mark := e.markedCmd(bins["demhost"], "create", "items")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	began := time.Now()
	err := cmd.Run()
	took := time.Since(began)
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != 2 {
		t.Fatalf("demhost: %v, want exit 2; stderr:\n%s", err, stderr.String())
	}
	msg := strings.TrimSpace(stderr.String())
	t.Logf("after %s: %s", took, msg)
	for _, w := range []string{"plugin items", "did not complete the handshake within 1s", "plugin_start_timeout"} {
		if !strings.Contains(msg, w) {
			t.Errorf("error %q lacks %q", msg, w)
		}
	}
	if strings.Count(msg, "\n") != 0 {
		t.Errorf("more than one line on stderr:\n%s", msg)
	}
	if took > 10*time.Second {
		t.Errorf("demhost gave up after %s; the start timeout is 1s", took)
	}
	noneLeft(t, mark)
}

var progressed = regexp.MustCompile(`update movies-1: [1-9][0-9,]* indexed`)

// lockedBuffer is a buffer a child process writes to while the test
// reads it.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// However demhost ends mid-update (SIGKILL, or a second SIGINT that kills
// it at once), its plugin does not outlive it.
func TestNoOrphanPlugin(t *testing.T) {
	t.Parallel()
	bins := buildFresh(t, "./cmd/demhost", "./plugins/movies")
	url := testenv.ElasticsearchURL(t)
	for _, tc := range []struct {
		name string
		kill func(*os.Process) error
	}{
		{"SIGKILL", func(p *os.Process) error { return p.Signal(syscall.SIGKILL) }},
		{"two SIGINTs", func(p *os.Process) error {
			if err := p.Signal(os.Interrupt); err != nil {
				return err
			}
			time.Sleep(50 * time.Millisecond)
			return p.Signal(os.Interrupt)
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e := newPluginEnv(t, url, bins["movies"], "{synthetic: 3000000}", "")
			e.run(0, "create", "movies")
			cmd, mark := e.markedCmd(bins["demhost"], "update", "movies-1", "--workers", "1")
			var stderr lockedBuffer
			cmd.Stderr = &stderr
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			done := make(chan struct{})
			defer func() { _ = cmd.Process.Kill(); <-done }()
			go func() { _ = cmd.Wait(); close(done) }()
			// Wait for a progress line with documents: the plugin streams.
			// (The engine's _count stays 0: refresh is off for the load.)
			deadline := time.Now().Add(2 * time.Minute)
			for !progressed.MatchString(stderr.String()) {
				select {
				case <-done:
					t.Fatalf("demhost ended before any document was indexed; stderr:\n%s", stderr.String())
				case <-time.After(100 * time.Millisecond):
				}
				if time.Now().After(deadline) {
					t.Fatalf("no document indexed in 2 minutes; stderr:\n%s", stderr.String())
				}
			}
			if plugins := marked(t, mark); len(plugins) < 2 {
				t.Fatalf("want demhost and its plugin running, found %q", plugins)
			}
			if err := tc.kill(cmd.Process); err != nil {
				t.Fatal(err)
			}
			select {
			case <-done:
			case <-time.After(30 * time.Second):
				t.Fatalf("demhost still runs 30s after %s", tc.name)
			}
			noneLeft(t, mark)
		})
	}
}
