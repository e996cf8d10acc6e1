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
	case errors.As(err, &ce),
		errors.Is(err, registry.ErrUnknownName),
		errors.Is(err, host.ErrUnknownIndex),
		errors.Is(err, host.ErrUsage):
		return &exitError{code: ExitUsage, err: err}
	default:
		return &exitError{code: ExitFailed, err: err}
	}
}

// Main runs demhost with args (without the program name) and returns the
// exit code. It never panics.
func Main(args []string, stdin io.Reader, stdout, stderr io.Writer) (code int) {
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

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	done := make(chan struct{})
	defer close(done)
	go func() {
		select {
		case <-ctx.Done():
			stop() // a second signal kills at once
			fmt.Fprintln(stderr, "demhost: interrupted; stopping and recording the action (signal again to force)")
		case <-done:
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
