package sdk

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/hashicorp/go-hclog"
	"github.com/hashicorp/go-plugin"
	"github.com/hashicorp/go-plugin/runner"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/experimental"
	"google.golang.org/grpc/status"

	pb "github.com/demhost/demhost/plugin-sdk/internal/proto"
)

// Plugin is a running plugin binary, seen from the host. Its methods may
// be called from several goroutines; Stream may run several partitions at
// once.
type Plugin struct {
	name   string
	path   string
	opts   *startOptions
	client *plugin.Client        // nil when not a subprocess (Dispense)
	proto  plugin.ClientProtocol // closed by Close when client is nil
	proc   *process              // nil when not a subprocess
	conn   *grpc.ClientConn
	stderr *tailBuffer

	mu     sync.Mutex
	closed bool

	batchesOnce sync.Once
	batches     *batchListener // nil when not offered, or it could not listen
}

// Start runs the plugin binary at path, negotiates the handshake and
// returns a client. name is how errors refer to the plugin. On any error
// the process is already stopped. Close must be called to stop it.
func Start(ctx context.Context, name, path string, opts ...StartOption) (*Plugin, error) {
	fail := func(err error) error { return &PluginError{Plugin: name, Op: "start", Err: err} }
	o, err := newStartOptions(opts)
	if err != nil {
		return nil, fail(err)
	}
	if err := checkBinary(path); err != nil {
		return nil, fail(err)
	}
	if err := ctx.Err(); err != nil {
		return nil, fail(err)
	}
	p := &Plugin{name: name, path: path, opts: o, proc: newProcess(path), stderr: &tailBuffer{max: 8 << 10}}
	sink := o.logSink
	if sink == nil {
		sink = defaultLogSink(name, o.logOutput)
	}
	relay := &logRelay{sink: sink}
	var stderr io.Writer = p.stderr
	if o.stderr != nil {
		stderr = io.MultiWriter(p.stderr, o.stderr)
	}
	p.client = plugin.NewClient(&plugin.ClientConfig{
		HandshakeConfig: Handshake,
		Plugins:         map[string]plugin.Plugin{PluginName: &grpcPlugin{}},
		RunnerFunc: func(_ hclog.Logger, cmd *exec.Cmd, _ string) (runner.Runner, error) {
			p.proc.cmd.Env = cmd.Env
			return p.proc, nil
		},
		AllowedProtocols: []plugin.Protocol{plugin.ProtocolGRPC},
		Managed:          false,
		StartTimeout:     o.startTimeout,
		// The plugin's stderr before it serves (and a crash's report,
		// which the runtime writes there), and, once it serves, what it
		// writes to os.Stderr and os.Stdout, which go-plugin relays.
		Stderr:     io.MultiWriter(stderr, relay.stream()),
		SyncStderr: io.MultiWriter(stderr, relay.stream()),
		SyncStdout: relay.stream(),
		Logger: hostLogger{
			Logger: hclog.New(&hclog.LoggerOptions{
				Name:   "plugin." + name,
				Level:  hclog.Warn,
				Output: o.logOutput,
			}),
			stderrName: filepath.Base(path),
		},
		GRPCDialOptions: []grpc.DialOption{
			grpc.WithReadBufferSize(256 << 10),
			grpc.WithInitialWindowSize(4 << 20),
			grpc.WithInitialConnWindowSize(16 << 20),
			experimental.WithBufferPool(sharedFramePool),
		},
	})

	// go-plugin's Start blocks up to the start timeout, whatever the
	// process does; cancelling ctx kills the process, which ends it.
	started := make(chan struct{})
	go func() {
		select {
		case <-ctx.Done():
			_ = p.proc.Kill(ctx)
		case <-started:
		}
	}()
	rpc, err := p.client.Client()
	close(started)
	if err == nil {
		err = ctx.Err()
	}
	if err != nil {
		p.kill()
		if ctx.Err() != nil {
			err = ctx.Err()
		}
		return nil, fail(p.startError(err))
	}
	if err := p.dispense(rpc); err != nil {
		p.kill()
		return nil, fail(err)
	}
	return p, nil
}

// killWait bounds how long kill waits for go-plugin to clean up after the
// process group was killed: its pipes are closed after pipeGrace anyway.
const killWait = 5 * time.Second

// kill ends the process at once and waits (a bounded time) for go-plugin
// to see it gone.
func (p *Plugin) kill() {
	_ = p.proc.Kill(context.Background())
	p.clientKill()
}

// clientKill runs go-plugin's Kill (a graceful stop, then the process
// group's SIGKILL) but waits for it at most 2s plus killWait.
func (p *Plugin) clientKill() {
	done := make(chan struct{})
	go func() {
		defer close(done)
		p.client.Kill()
	}()
	select {
	case <-done:
	case <-time.After(2*time.Second + killWait):
		_ = p.proc.Kill(context.Background())
	}
}

// hostLogger is go-plugin's logger without the logger go-plugin relays
// the plugin's stderr to (named after the binary): go-plugin would keep
// only hclog JSON lines of it, while Plugin parses every style itself.
type hostLogger struct {
	hclog.Logger
	stderrName string
}

func (l hostLogger) Named(name string) hclog.Logger {
	if name == l.stderrName {
		return hclog.NewNullLogger()
	}
	return l.Logger.Named(name)
}

// Dispense wraps a go-plugin client that is already connected to a demhost
// source, such as the one go-plugin's TestPluginGRPCConn returns (package
// sdktest does this). Close closes c. Of the options only the idle timeout
// applies.
func Dispense(name string, c plugin.ClientProtocol, opts ...StartOption) (*Plugin, error) {
	o, err := newStartOptions(opts)
	if err != nil {
		return nil, &PluginError{Plugin: name, Op: "start", Err: err}
	}
	p := &Plugin{name: name, opts: o, proto: c}
	if err := p.dispense(c); err != nil {
		return nil, &PluginError{Plugin: name, Op: "start", Err: err}
	}
	return p, nil
}

func (p *Plugin) dispense(rpc plugin.ClientProtocol) error {
	raw, err := rpc.Dispense(PluginName)
	if err != nil {
		return fmt.Errorf("%w: dispense %q: %v", ErrNotAPlugin, PluginName, err)
	}
	conn, ok := raw.(*grpc.ClientConn)
	if !ok {
		return fmt.Errorf("%w: dispensed %T, want a gRPC connection", ErrNotAPlugin, raw)
	}
	p.conn = conn
	return nil
}

func checkBinary(path string) error {
	st, err := os.Stat(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return fmt.Errorf("binary %s does not exist: %w", path, fs.ErrNotExist)
	case err != nil:
		return fmt.Errorf("binary %s: %w", path, err)
	case st.IsDir():
		return fmt.Errorf("binary %s is a directory", path)
	case st.Mode().Perm()&0o111 == 0:
		return fmt.Errorf("binary %s is not executable: %w", path, fs.ErrPermission)
	}
	return nil
}

// startError explains why go-plugin could not start the binary. go-plugin
// reports these only as text, so this matches its (pinned) messages.
func (p *Plugin) startError(err error) error {
	msg := err.Error()
	switch lower := strings.ToLower(msg); {
	case strings.Contains(lower, "incompatible api version"):
		return fmt.Errorf("%w: %s speaks another version than this host's %d (%s); rebuild the plugin with a matching plugin-sdk",
			ErrProtocolVersion, p.path, ProtocolVersion, firstLine(msg))
	case strings.Contains(msg, "timeout while waiting for plugin to start"):
		return fmt.Errorf("%w: %s did not complete the handshake within %s (not a demhost source plugin, or slow to start)",
			ErrTimeout, p.path, p.opts.startTimeout)
	case strings.Contains(lower, "plugin exited before we could connect"),
		strings.Contains(lower, "unrecognized remote plugin message"),
		strings.Contains(lower, "unsupported plugin protocol"),
		strings.Contains(lower, "incompatible core api version"):
		return fmt.Errorf("%w: %s did not answer the demhost handshake (%s)", ErrNotAPlugin, p.path, p.diagnosis(msg))
	}
	return fmt.Errorf("%s: %w", p.path, err)
}

// diagnosis says what the process did instead of a handshake.
func (p *Plugin) diagnosis(msg string) string {
	var parts []string
	const unrecognized = "Unrecognized remote plugin message: "
	if i := strings.Index(msg, unrecognized); i >= 0 {
		out := firstLine(msg[i+len(unrecognized):])
		if out == "" {
			parts = append(parts, "printed nothing on stdout and exited")
		} else {
			parts = append(parts, fmt.Sprintf("printed %q on stdout", out))
		}
	} else if p.waitExited(2 * time.Second) {
		parts = append(parts, "exited with "+p.proc.exitState().String())
	} else {
		parts = append(parts, firstLine(msg))
	}
	if s := p.stderr.summary(); s != "" {
		parts = append(parts, fmt.Sprintf("stderr: %q", s))
	}
	return strings.Join(parts, "; ")
}

func firstLine(s string) string {
	s, _, _ = strings.Cut(s, "\n")
	return s
}

// waitExited reports whether the process has exited, waiting up to d for
// go-plugin to notice: a broken connection is seen before the exit.
func (p *Plugin) waitExited(d time.Duration) bool {
	if p.client == nil {
		return false
	}
	deadline := time.Now().Add(d)
	for !p.client.Exited() {
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(10 * time.Millisecond)
	}
	return true
}

// callError turns a failed call's error into the error the host sees.
func (p *Plugin) callError(ctx context.Context, err error, timedOut bool) error {
	if timedOut {
		return fmt.Errorf("%w: no answer for %s; the plugin may be hung", ErrTimeout, p.opts.idleTimeout)
	}
	if ctx.Err() != nil {
		return ctx.Err()
	}
	if code := status.Code(err); code == codes.Unavailable || code == codes.Canceled || code == codes.Internal {
		if p.isClosed() {
			return ErrClosed
		}
		if p.waitExited(2 * time.Second) {
			return p.exitError()
		}
	}
	return fromStatus(err)
}

// exitError says how the process ended: "crashed (panic: …; exit status
// 2)" after a Go panic or fatal error, whose stack trace went to the log
// sink, else its exit status and last stderr line.
func (p *Plugin) exitError() error {
	state := p.proc.exitState().String()
	s := p.stderr.summary()
	if strings.HasPrefix(s, "panic: ") || strings.HasPrefix(s, "fatal error: ") {
		return &remoteError{msg: fmt.Sprintf("crashed (%s; %s)", s, state), kind: ErrPluginCrashed}
	}
	msg := fmt.Sprintf("%v: %s", ErrPluginExited, state)
	if s != "" {
		msg += fmt.Sprintf(" (stderr: %q)", s)
	}
	return &remoteError{msg: msg, kind: ErrPluginExited}
}

// Pid is the plugin's process id, or 0 when it is not a subprocess.
func (p *Plugin) Pid() int {
	if p.proc == nil {
		return 0
	}
	return p.proc.Pid()
}

// Name is the plugin's configured name.
func (p *Plugin) Name() string { return p.name }

// Configure forwards to the plugin.
func (p *Plugin) Configure(ctx context.Context, req *ConfigureRequest) (*ConfigureResponse, error) {
	err := p.unary(ctx, "configure", func(ctx context.Context) error {
		return p.conn.Invoke(ctx, methodConfigure, toProtoConfigureRequest(req), new(pbConfigureResponse))
	})
	if err != nil {
		return nil, err
	}
	return &ConfigureResponse{}, nil
}

// Describe forwards to the plugin.
func (p *Plugin) Describe(ctx context.Context, req *DescribeRequest) (*DescribeResponse, error) {
	resp := new(pbDescribeResponse)
	err := p.unary(ctx, "describe", func(ctx context.Context) error {
		return p.conn.Invoke(ctx, methodDescribe, new(pbDescribeRequest), resp)
	})
	if err != nil {
		return nil, err
	}
	return fromProtoDescribeResponse(resp), nil
}

// Watermark asks the plugin for its watermark of req.Index. A plugin whose
// source is not a Watermarker, or that was built before the call existed,
// answers with the zero time.
func (p *Plugin) Watermark(ctx context.Context, req *WatermarkRequest) (*WatermarkResponse, error) {
	resp := new(pbWatermarkResponse)
	err := p.unary(ctx, "watermark", func(ctx context.Context) error {
		err := p.conn.Invoke(ctx, methodWatermark, &pb.WatermarkRequest{Index: req.Index}, resp)
		if status.Code(err) == codes.Unimplemented {
			resp.Reset()
			return nil
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	return fromProtoWatermarkResponse(resp), nil
}

// Count asks the plugin how many documents a full fill of req.Index would
// get. A plugin whose source is not a Counter, or that was built before the
// call existed, answers with an error matching ErrNoCount.
func (p *Plugin) Count(ctx context.Context, req *CountRequest) (*CountResponse, error) {
	resp := new(pbCountResponse)
	err := p.unary(ctx, "count", func(ctx context.Context) error {
		err := p.conn.Invoke(ctx, methodCount, &pb.CountRequest{Index: req.Index}, resp)
		if status.Code(err) == codes.Unimplemented {
			return ErrNoCount
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	return &CountResponse{Count: resp.GetCount()}, nil
}

// Split asks the plugin how a read of req.Index divides into
// req.Partitions partitions (see Splitter). A plugin whose source is not a
// Splitter, or that was built before the call existed, answers with no
// split.
func (p *Plugin) Split(ctx context.Context, req *SplitRequest) (*SplitResponse, error) {
	resp := new(pbSplitResponse)
	err := p.unary(ctx, "split", func(ctx context.Context) error {
		err := p.conn.Invoke(ctx, methodSplit, &pb.SplitRequest{Index: req.Index, SinceUnixNano: unixNano(req.Since),
			Partitions: int32(req.Partitions)}, resp)
		if status.Code(err) == codes.Unimplemented {
			resp.Reset()
			return nil
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	return &SplitResponse{Split: resp.GetSplit()}, nil
}

// unary runs one call under the idle timeout.
func (p *Plugin) unary(ctx context.Context, op string, call func(context.Context) error) error {
	if p.isClosed() {
		return &PluginError{Plugin: p.name, Op: op, Err: ErrClosed}
	}
	cctx, cancel := context.WithTimeout(ctx, p.opts.idleTimeout)
	defer cancel()
	if err := call(cctx); err != nil {
		timedOut := ctx.Err() == nil && errors.Is(cctx.Err(), context.DeadlineExceeded)
		return &PluginError{Plugin: p.name, Op: op, Err: p.callError(ctx, err, timedOut)}
	}
	return nil
}

// Close stops the plugin process (or closes the connection given to
// Dispense). It is safe to call more than once.
func (p *Plugin) Close() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return nil
	}
	p.closed = true
	if p.batches != nil {
		p.batches.close()
	}
	if p.client != nil {
		p.clientKill()
		return nil
	}
	if p.proto != nil {
		return p.proto.Close()
	}
	return nil
}

func (p *Plugin) isClosed() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.closed
}

// batchListener is the plugin's batch socket, listening from the first
// stream on; nil when the host keeps batches on the call.
func (p *Plugin) batchListener() *batchListener {
	if p.opts.noBatchSocket || !batchSocketSupported() {
		return nil
	}
	p.batchesOnce.Do(func() {
		p.mu.Lock()
		defer p.mu.Unlock()
		if p.closed {
			return
		}
		if l, err := newBatchListener(); err == nil {
			p.batches = l
		}
		// Without it, batches come on the call, as from an older host.
	})
	return p.batches
}
