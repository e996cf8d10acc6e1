package sdk

import (
	"errors"
	"fmt"
)

// Sentinel errors. Every error the host half returns is a *PluginError that
// wraps one of these (or the source's own error), so errors.Is works across
// the process boundary.
var (
	// ErrInvalidConfig is what a Source returns (wrapped, naming the key)
	// from Configure or Describe when its config section is unusable. It
	// crosses gRPC as codes.InvalidArgument.
	ErrInvalidConfig = errors.New("invalid plugin config")
	// ErrUnknownIndex is what a Source returns from Stream for an index it
	// does not provide. It crosses gRPC as codes.NotFound.
	ErrUnknownIndex = errors.New("unknown index")
	// ErrNotAPlugin is returned by Start when the binary does not speak the
	// demhost handshake (a plain program, or another go-plugin's binary).
	ErrNotAPlugin = errors.New("not a demhost source plugin")
	// ErrProtocolVersion is returned by Start when the plugin was built
	// with an SDK of another ProtocolVersion.
	ErrProtocolVersion = errors.New("incompatible plugin protocol version")
	// ErrPluginExited is returned when the plugin process exits (crashes)
	// before or during a call.
	ErrPluginExited = errors.New("plugin process exited")
	// ErrPluginCrashed is returned when the plugin process dies of a Go
	// panic or fatal error. It wraps ErrPluginExited; the error quotes the
	// panic's first line, and the stack trace goes to the log sink as
	// LogLines with Crash set (see WithLogSink).
	ErrPluginCrashed = fmt.Errorf("plugin crashed: %w", ErrPluginExited)
	// ErrTimeout is returned when the plugin does not finish its handshake
	// within the start timeout, or a call sees no progress for the idle
	// timeout.
	ErrTimeout = errors.New("plugin timed out")
	// ErrMalformedBatch is returned by Stream when a document breaks the
	// protocol: an empty id, a source that is not a JSON object, an
	// unknown operation, or undecodable bytes.
	ErrMalformedBatch = errors.New("malformed batch")
	// ErrNoCount is returned by Count when the source is not a Counter
	// (or the plugin was built before Count existed): its count is unknown.
	ErrNoCount = errors.New("source cannot count its documents")
	// ErrClosed is returned by calls made after Close.
	ErrClosed = errors.New("plugin closed")
)

// PluginError is the error every host-side call returns. It names the
// plugin, the call and, for Stream, the index.
type PluginError struct {
	// Plugin is the name given to Start or NewLocal.
	Plugin string
	// Op is "start", "configure", "describe", "watermark", "count" or "stream".
	Op string
	// Index is the streamed (or counted) index, empty for other calls.
	Index string
	Err   error
}

func (e *PluginError) Error() string {
	if e.Index != "" {
		return fmt.Sprintf("plugin %q: %s index %q: %v", e.Plugin, e.Op, e.Index, e.Err)
	}
	return fmt.Sprintf("plugin %q: %s: %v", e.Plugin, e.Op, e.Err)
}

func (e *PluginError) Unwrap() error { return e.Err }

// remoteError is an error the source returned on the other side of gRPC:
// its message is kept as is and it unwraps to the sentinel its code maps to.
type remoteError struct {
	msg  string
	kind error
}

func (e *remoteError) Error() string { return e.msg }
func (e *remoteError) Unwrap() error { return e.kind }
