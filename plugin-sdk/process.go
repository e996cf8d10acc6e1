package sdk

import (
	"context"
	"errors"
	"io"
	"os"
	"os/exec"
	"strconv"
	"sync"
	"time"

	"github.com/hashicorp/go-plugin/runner"
)

// pipeGrace is how long Kill lets the plugin's stdout and stderr drain
// before it closes them. A child the plugin left behind (a shell script's
// `sleep`, say) may hold them open for ever; go-plugin waits for both to
// end before it reports the plugin gone.
const pipeGrace = time.Second

// process runs a plugin binary for go-plugin (as its runner.Runner), so
// that the host, not go-plugin, owns the process: it runs in a process
// group of its own that Kill ends whole, on Linux it is killed when the
// host dies, and its pipes are closed by Kill however long a stray child
// holds them.
type process struct {
	path string
	cmd  *exec.Cmd
	// stdout and stderr are the host's ends of the plugin's pipes.
	stdout, stderr *os.File
	closePipes     sync.Once

	mu     sync.Mutex
	pid    int  // 0 until started
	killed bool // Kill was called; a later Start fails
	reaped bool // Wait returned: the pid may belong to another process now
}

var _ runner.Runner = (*process)(nil)

// newProcess prepares path to run; go-plugin's RunnerFunc sets its
// environment. stdin is /dev/null: a plugin has no business with the
// host's terminal.
func newProcess(path string) *process {
	cmd := exec.Command(path)
	setProcAttr(cmd)
	return &process{path: path, cmd: cmd}
}

func (p *process) Start(context.Context) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.killed {
		return errors.New("stopped before it started")
	}
	outR, outW, err := os.Pipe()
	if err != nil {
		return err
	}
	errR, errW, err := os.Pipe()
	if err != nil {
		outR.Close()
		outW.Close()
		return err
	}
	p.cmd.Stdout, p.cmd.Stderr = outW, errW
	err = p.cmd.Start()
	// The child has its own copies of the write ends now (or never will).
	outW.Close()
	errW.Close()
	if err != nil {
		outR.Close()
		errR.Close()
		return err
	}
	p.stdout, p.stderr = outR, errR
	p.pid = p.cmd.Process.Pid
	return nil
}

// Wait is called by go-plugin once both pipes have ended.
func (p *process) Wait(context.Context) error {
	err := p.cmd.Wait()
	p.mu.Lock()
	p.reaped = true
	p.mu.Unlock()
	p.close()
	return err
}

// Kill ends the plugin's process group at once (SIGKILL), and closes its
// pipes after pipeGrace. It may be called more than once, and before
// Start; once Wait has reaped the plugin it does nothing, as its pid (and
// so its group's id) may have been given to another process.
func (p *process) Kill(context.Context) error {
	p.mu.Lock()
	p.killed = true
	pid, reaped := p.pid, p.reaped
	p.mu.Unlock()
	if pid == 0 || reaped {
		return nil
	}
	killGroup(p.cmd.Process)
	time.AfterFunc(pipeGrace, p.close)
	return nil
}

func (p *process) close() {
	p.closePipes.Do(func() {
		if p.stdout == nil {
			return
		}
		p.stdout.Close()
		p.stderr.Close()
	})
}

// Pid is the plugin's process id, 0 until it started.
func (p *process) Pid() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.pid
}

// exitState is how the process ended, nil while it runs. Only valid after
// go-plugin reports the plugin exited.
func (p *process) exitState() *os.ProcessState { return p.cmd.ProcessState }

func (p *process) Stdout() io.ReadCloser { return pipeReader{p.stdout} }
func (p *process) Stderr() io.ReadCloser { return pipeReader{p.stderr} }
func (p *process) Name() string          { return p.path }
func (p *process) Diagnose(context.Context) string {
	return ""
}

func (p *process) ID() string {
	if pid := p.Pid(); pid != 0 {
		return strconv.Itoa(pid)
	}
	return ""
}

func (p *process) PluginToHost(network, addr string) (string, string, error) {
	return network, addr, nil
}

func (p *process) HostToPlugin(network, addr string) (string, string, error) {
	return network, addr, nil
}

// pipeReader ends with io.EOF, not an error, when Kill closed the pipe
// under a reader: for go-plugin that is the end of the plugin's output.
type pipeReader struct{ f *os.File }

func (r pipeReader) Read(b []byte) (int, error) {
	n, err := r.f.Read(b)
	if errors.Is(err, os.ErrClosed) {
		err = io.EOF
	}
	return n, err
}

func (r pipeReader) Close() error { return nil }
