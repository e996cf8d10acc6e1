package sdk_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	sdk "github.com/demhost/demhost/plugin-sdk"
)

// binDir holds the test plugins TestMain builds from internal/testplugins.
var binDir string

var testPlugins = []string{"good", "crash", "hang", "garbage", "notplugin", "badversion"}

func TestMain(m *testing.M) {
	os.Exit(run(m))
}

func run(m *testing.M) int {
	dir, err := os.MkdirTemp("", "demhost-sdk-test")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(dir)
	binDir = dir
	args := []string{"build", "-o", dir + string(os.PathSeparator)}
	for _, p := range testPlugins {
		args = append(args, "./internal/testplugins/"+p)
	}
	args = append(args, "./example")
	cmd := exec.Command("go", args...)
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	if err := cmd.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "build test plugins:", err)
		return 1
	}
	return m.Run()
}

func bin(name string) string { return filepath.Join(binDir, name) }

// start runs a test plugin, closes it at cleanup and then checks that its
// process is gone.
func start(t testing.TB, name string, opts ...sdk.StartOption) *sdk.Plugin {
	t.Helper()
	opts = append([]sdk.StartOption{sdk.WithLogOutput(io.Discard)}, opts...)
	p, err := sdk.Start(context.Background(), name, bin(name), opts...)
	if err != nil {
		t.Fatalf("start %s: %v", name, err)
	}
	pid := p.Pid()
	if pid == 0 {
		t.Fatalf("start %s: no pid", name)
	}
	t.Cleanup(func() {
		if err := p.Close(); err != nil {
			t.Errorf("close %s: %v", name, err)
		}
		requireGone(t, pid)
	})
	return p
}

// requireGone fails unless process pid disappears within 5 seconds.
func requireGone(t testing.TB, pid int) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		err := syscall.Kill(pid, 0)
		if errors.Is(err, syscall.ESRCH) {
			return
		}
		if time.Now().After(deadline) {
			t.Errorf("process %d still exists after close (kill 0: %v)", pid, err)
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func configure(t testing.TB, p interface {
	Configure(context.Context, *sdk.ConfigureRequest) (*sdk.ConfigureResponse, error)
}, cfg string) {
	t.Helper()
	if _, err := p.Configure(context.Background(), &sdk.ConfigureRequest{Config: []byte(cfg)}); err != nil {
		t.Fatalf("configure %s: %v", cfg, err)
	}
}
