package sdk

import (
	"fmt"
	"io"
	"os"
	"time"
)

// StartOption configures Start.
type StartOption func(*startOptions) error

// Defaults of the Start options.
const (
	DefaultStartTimeout = 10 * time.Second
	DefaultIdleTimeout  = 60 * time.Second
)

type startOptions struct {
	startTimeout time.Duration
	idleTimeout  time.Duration
	logOutput    io.Writer
	stderr       io.Writer
	logSink      func(LogLine)
	// noBatchSocket keeps every batch on the gRPC call.
	noBatchSocket bool
}

func newStartOptions(opts []StartOption) (*startOptions, error) {
	o := &startOptions{
		startTimeout: DefaultStartTimeout,
		idleTimeout:  DefaultIdleTimeout,
		logOutput:    os.Stderr,
	}
	for _, opt := range opts {
		if err := opt(o); err != nil {
			return nil, err
		}
	}
	return o, nil
}

// WithoutBatchSocket keeps a stream's batches on its gRPC call rather than
// on the Unix socket beside it that Stream offers a plugin by default (see
// batchsocket.go); the bench uses it to compare the two.
func WithoutBatchSocket() StartOption {
	return func(o *startOptions) error {
		o.noBatchSocket = true
		return nil
	}
}

// WithStartTimeout bounds the handshake (default DefaultStartTimeout).
func WithStartTimeout(d time.Duration) StartOption {
	return func(o *startOptions) error {
		if d <= 0 {
			return fmt.Errorf("start timeout %s: must be positive", d)
		}
		o.startTimeout = d
		return nil
	}
}

// WithIdleTimeout bounds how long Stream waits for the next batch, and how
// long Configure and Describe may take (default DefaultIdleTimeout). The
// time the host spends in Stream's callback does not count.
func WithIdleTimeout(d time.Duration) StartOption {
	return func(o *startOptions) error {
		if d <= 0 {
			return fmt.Errorf("idle timeout %s: must be positive", d)
		}
		o.idleTimeout = d
		return nil
	}
}

// WithLogOutput is where go-plugin logs its own warnings and errors about
// the plugin, and, without WithLogSink, where the plugin's warnings and
// errors are written (default os.Stderr; io.Discard silences them).
func WithLogOutput(w io.Writer) StartOption {
	return func(o *startOptions) error {
		if w == nil {
			return fmt.Errorf("log output: must not be nil")
		}
		o.logOutput = w
		return nil
	}
}

// WithStderr also copies every line the plugin writes to its stderr to w
// (default: none; the last lines are kept for error messages anyway).
func WithStderr(w io.Writer) StartOption {
	return func(o *startOptions) error {
		o.stderr = w
		return nil
	}
}

// WithLogSink hands fn every line the plugin writes to its stderr (and,
// once it serves, to its stdout), parsed whatever its style: hclog or
// log/slog, as text or JSON, a "[WARN]"-style prefix, or plain text; a
// panic's report comes line by line with Crash set. fn is called for one
// line at a time, from the goroutines that read the plugin's output, so
// the plugin's writes wait while it runs.
//
// Default: the lines at LevelWarn and above, and the lines without a
// level, are written to the log output (see WithLogOutput) as
// "plugin NAME: " and the line; a crash report is not (the error of the
// failed call quotes its panic line).
func WithLogSink(fn func(LogLine)) StartOption {
	return func(o *startOptions) error {
		if fn == nil {
			return fmt.Errorf("log sink: must not be nil")
		}
		o.logSink = fn
		return nil
	}
}
