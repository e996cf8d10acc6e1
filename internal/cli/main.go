package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/demhost/demhost/config"
	"github.com/demhost/demhost/host"
	"github.com/demhost/demhost/registry"
)

// Exit codes; see the package documentation.
const (
	ExitOK     = 0
	ExitFailed = 1
	ExitUsage  = 2
)

// exitError carries the exit code an error should produce.
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string { return e.err.Error() }
func (e *exitError) Unwrap() error { return e.err }

// usageError is an error of the user's request or configuration (exit 2).
func usageError(format string, args ...any) error {
	return &exitError{code: ExitUsage, err: fmt.Errorf(format, args...)}
}

// setupError marks err as a configuration error (exit 2).
func setupError(err error) error {
	if err == nil {
		return nil
	}
	return &exitError{code: ExitUsage, err: err}
}

// classify gives an error from a command its exit code.
func classify(err error) error {
	var ee *exitError
	var ce *config.Error
	switch {
	case err == nil:
		return nil
	case errors.As(err, &ee):
		return err
	}
	err = withHint(err)
	switch {
	case errors.As(err, &ce),
		errors.Is(err, registry.ErrUnknownName),
		errors.Is(err, host.ErrUnknownIndex),
		errors.Is(err, host.ErrUsage):
		return &exitError{code: ExitUsage, err: err}
	default:
		return &exitError{code: ExitFailed, err: err}
	}
}

// stopGrace is how long demhost may take to stop after the first SIGINT
// or SIGTERM: to stop the action, record how it ended and release its
// locks. Every registry call on that path has a deadline of its own; this
// is the backstop for whatever does not (a stalled engine or registry), so
// that demhost always ends within 10s of the signal.
const stopGrace = 8 * time.Second

// Main runs demhost with args (without the program name) and returns the
// exit code. It never panics. After SIGINT or SIGTERM it returns within
// stopGrace, whatever the command is still waiting for; the caller then
// exits, which frees the locks with the connections.
func Main(args []string, stdin io.Reader, stdout, stderr io.Writer) (code int) {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	done := make(chan struct{})
	defer close(done)
	go func() {
		select {
		case <-ctx.Done():
			// Main's own stop() at return also ends ctx, just after done
			// closes; only a signal while the command runs is reported.
			select {
			case <-done:
				return
			default:
			}
			stop() // a second signal kills at once
			fmt.Fprintln(stderr, "demhost: interrupted; stopping and recording the action (signal again to force)")
		case <-done:
		}
	}()

	result := make(chan int, 1)
	go func() { result <- mainContext(ctx, args, stdin, stdout, stderr) }()
	select {
	case code := <-result:
		return code
	case <-ctx.Done():
	}
	select {
	case code := <-result:
		return code
	case <-time.After(stopGrace):
		fmt.Fprintf(stderr, "demhost: did not stop within %s of the interrupt (the registry or the engine does not answer); exiting without recording how the action ended: it shows in_progress until the next action on its index, or list or history, marks it abandoned\n", stopGrace)
		return ExitFailed
	}
}

// mainContext is Main without the signal handling.
func mainContext(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) (code int) {
	var a *app
	defer func() {
		if r := recover(); r != nil {
			msg := fmt.Sprint(r)
			if a != nil {
				msg = a.cfg.Redact(msg)
			}
			fmt.Fprintf(stderr, "demhost: internal error: %s\n", oneLine(msg))
			code = ExitFailed
		}
	}()

	a = newApp(stdin, stdout, stderr)
	a.argv = args
	root := a.rootCommand()
	root.SetArgs(args)
	err := root.ExecuteContext(ctx)
	if err == nil {
		return a.exitCode
	}
	code = ExitUsage // cobra's own errors: unknown command, bad flag, bad args
	var ee *exitError
	if errors.As(err, &ee) {
		code = ee.code
	}
	msg := a.cfg.Redact(err.Error())
	if code == ExitUsage && isCobraUsage(msg) {
		msg += "; see 'demhost --help'"
	}
	fmt.Fprintf(stderr, "demhost: %s\n", oneLine(msg))
	return code
}

func isCobraUsage(msg string) bool {
	for _, s := range []string{"unknown command", "unknown flag", "unknown shorthand", "accepts ", "requires at least", "invalid argument"} {
		if strings.Contains(msg, s) {
			return true
		}
	}
	return false
}

// oneLine folds a multi-line message into one line.
func oneLine(s string) string {
	s = strings.TrimSpace(s)
	s = strings.ReplaceAll(s, "\r", "")
	return strings.Join(strings.Fields(strings.ReplaceAll(s, "\n", "; ")), " ")
}
