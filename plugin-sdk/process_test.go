//go:build linux

package sdk_test

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	sdk "github.com/demhost/demhost/plugin-sdk"
)

// procs lists the processes whose command line satisfies match.
func procs(t testing.TB, match func(argv []string) bool) []int {
	t.Helper()
	ents, err := os.ReadDir("/proc")
	if err != nil {
		t.Fatal(err)
	}
	var pids []int
	for _, e := range ents {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		b, err := os.ReadFile(filepath.Join("/proc", e.Name(), "cmdline"))
		if err != nil || len(b) == 0 {
			continue
		}
		if match(strings.Split(strings.TrimRight(string(b), "\x00"), "\x00")) {
			pids = append(pids, pid)
		}
	}
	return pids
}

// ppid is the parent of pid, 0 when it is gone.
func ppid(pid int) int {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0
	}
	// pid (comm) state ppid …; comm may hold spaces, so cut after ")".
	f := strings.Fields(string(b[bytes.LastIndexByte(b, ')')+1:]))
	if len(f) < 2 {
		return 0
	}
	n, _ := strconv.Atoi(f[1])
	return n
}

// startHost runs testhost with plugin and returns it and the pid it
// printed, the process it started.
func startHost(t *testing.T, plugin string) (*exec.Cmd, int) {
	t.Helper()
	host := exec.Command(bin(t, "testhost"), plugin)
	var stderr bytes.Buffer
	host.Stderr = &stderr
	out, err := host.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := host.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = host.Process.Kill(); _ = host.Wait() })
	line, err := bufio.NewReader(out).ReadString('\n')
	var pid int
	if _, serr := fmt.Sscanf(line, "pid %d", &pid); err != nil || serr != nil || pid == 0 {
		t.Fatalf("testhost printed %q (%v); stderr: %s", line, err, stderr.String())
	}
	return host, pid
}

// A host killed by SIGKILL mid-stream takes its plugin with it: the kernel
// kills the plugin (parent-death signal).
func TestNoOrphanAfterHostSIGKILL(t *testing.T) {
	t.Parallel()
	host, pid := startHost(t, bin(t, "good"))
	if got := ppid(pid); got != host.Process.Pid {
		t.Fatalf("plugin %d has parent %d, want the host %d", pid, got, host.Process.Pid)
	}
	time.Sleep(300 * time.Millisecond) // mid-stream
	if err := host.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	requireGone(t, pid)
}

// A plugin behind a wrapper script is not the host's child, so no
// parent-death signal reaches it: Serve sees its parent gone and exits.
func TestNoOrphanBehindWrapper(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	pidFile := filepath.Join(dir, "plugin.pid")
	wrapper := filepath.Join(dir, "wrapper")
	writeFile(t, wrapper, fmt.Sprintf("#!/bin/sh\n%s &\necho $! > %s\nwait\n", bin(t, "good"), pidFile), 0o755)
	host, wrapperPid := startHost(t, wrapper)
	b, err := os.ReadFile(pidFile)
	pid, _ := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil || pid == 0 {
		t.Fatalf("pid file: %v %q", err, b)
	}
	if got := ppid(pid); got != wrapperPid {
		t.Fatalf("plugin %d has parent %d, want the wrapper %d", pid, got, wrapperPid)
	}
	if err := host.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	requireGone(t, wrapperPid)
	requireGone(t, pid)
}

// A plugin that never answers and leaves a child holding its stdout (the
// shell script below) is given up at the start timeout, and the child is
// killed with it.
func TestStartTimeoutKillsChildren(t *testing.T) {
	t.Parallel()
	script := filepath.Join(t.TempDir(), "slowstart")
	writeFile(t, script, "#!/bin/sh\nsleep 3017\n", 0o755)
	// Watch for the script's sleep while Start runs: found gets its pid
	// and the script's.
	found := make(chan []int, 1)
	stop := make(chan struct{})
	go func() {
		for {
			sleeps := procs(t, func(argv []string) bool {
				return len(argv) == 2 && argv[0] == "sleep" && argv[1] == "3017"
			})
			for _, pid := range sleeps {
				parent := ppid(pid)
				if b, _ := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", parent)); parent != 0 && bytes.Contains(b, []byte(script)) {
					found <- []int{pid, parent}
					return
				}
			}
			select {
			case <-stop:
				found <- nil
				return
			case <-time.After(20 * time.Millisecond):
			}
		}
	}()
	const timeout = time.Second
	began := time.Now()
	p, err := sdk.Start(context.Background(), "slowstart", script, sdk.WithStartTimeout(timeout), sdk.WithLogOutput(io.Discard))
	took := time.Since(began)
	close(stop)
	if err == nil {
		p.Close()
		t.Fatal("Start succeeded")
	}
	t.Logf("after %s: %v", took, err)
	if !errors.Is(err, sdk.ErrTimeout) {
		t.Errorf("err = %v, want ErrTimeout", err)
	}
	for _, w := range []string{`plugin "slowstart"`, "within 1s"} {
		if !strings.Contains(err.Error(), w) {
			t.Errorf("error %q lacks %q", err, w)
		}
	}
	if took > timeout+3*time.Second {
		t.Errorf("Start gave up after %s, want about %s", took, timeout)
	}
	pids := <-found
	if len(pids) != 2 {
		t.Fatalf("never saw the script's sleep 3017 (found %v)", pids)
	}
	for _, pid := range pids {
		requireGone(t, pid)
	}
}

// Cancelling Start's context kills a plugin still starting, at once.
func TestStartCancelledWhileStarting(t *testing.T) {
	t.Parallel()
	script := filepath.Join(t.TempDir(), "slowstart")
	writeFile(t, script, "#!/bin/sh\nsleep 3017\n", 0o755)
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	began := time.Now()
	_, err := sdk.Start(ctx, "slowstart", script, sdk.WithStartTimeout(30*time.Second), sdk.WithLogOutput(io.Discard))
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("err = %v, want the context's error", err)
	}
	if took := time.Since(began); took > 5*time.Second {
		t.Errorf("Start returned after %s, want soon after the context ended", took)
	}
}
