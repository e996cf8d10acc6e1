package sdk_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"syscall"
	"testing"
	"time"

	sdk "github.com/demhost/demhost/plugin-sdk"
)

// binDir holds the test plugins built from internal/testplugins and the
// example, on first use.
var (
	binDir   string
	buildErr error
	build    sync.Once
)

var testPlugins = []string{"good", "crash", "hang", "garbage", "notplugin", "badversion", "chatty"}

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "demhost-sdk-test")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	binDir = dir
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

func buildPlugins() error {
	args := []string{"build", "-o", binDir + string(os.PathSeparator)}
	for _, p := range testPlugins {
		args = append(args, "./internal/testplugins/"+p)
	}
	args = append(args, "./example", "./internal/testhost")
	out, err := exec.Command("go", args...).CombinedOutput()
	if err != nil {
		return fmt.Errorf("build test plugins: %v\n%s", err, out)
	}
	return nil
}

// bin is the path of a built test plugin.
func bin(t testing.TB, name string) string {
	t.Helper()
	build.Do(func() { buildErr = buildPlugins() })
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return filepath.Join(binDir, name)
}

// start runs a test plugin, closes it at cleanup and then checks that its
// process is gone.
func start(t testing.TB, name string, opts ...sdk.StartOption) *sdk.Plugin {
	t.Helper()
	opts = append([]sdk.StartOption{sdk.WithLogOutput(io.Discard)}, opts...)
	p, err := sdk.Start(context.Background(), name, bin(t, name), opts...)
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
