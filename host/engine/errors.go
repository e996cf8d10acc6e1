package engine

import (
	"errors"
	"fmt"
)

var (
	// ErrNotFound is returned when an index or alias does not exist.
	ErrNotFound = errors.New("not found")
	// ErrAlreadyExists is returned by CreateIndex for an existing index.
	ErrAlreadyExists = errors.New("already exists")
	// ErrRejected is returned when the engine refuses a request as invalid
	// (a bad mapping, a bad setting, a malformed body); Error.Reason says why.
	ErrRejected = errors.New("rejected")
	// ErrUnauthorized is returned for HTTP 401 and 403.
	ErrUnauthorized = errors.New("unauthorized")
	// ErrUnavailable is returned when the cluster cannot be reached or
	// answers 5xx. It is worth retrying.
	ErrUnavailable = errors.New("unavailable")
	// ErrTooManyRequests is returned for HTTP 429. It is worth retrying.
	ErrTooManyRequests = errors.New("too many requests")
)

// Error carries the context of a failed engine call. It unwraps to one of
// the sentinels above.
type Error struct {
	Op     string // e.g. "create index"
	Index  string // the index or alias concerned, if any
	Status int    // HTTP status, 0 when no response came back
	Type   string // the engine's error type, if any
	Reason string // the engine's reason, if any
	Err    error  // a sentinel
}

// Error reads "op index: sentinel: reason", e.g. "create index movies_v2:
// rejected: Failed to parse mapping [_doc]: ...".
func (e *Error) Error() string {
	msg := e.Op
	if e.Index != "" {
		msg += " " + e.Index
	}
	msg += ": " + e.Err.Error()
	if e.Reason != "" {
		msg += ": " + e.Reason
	} else if e.Status != 0 {
		msg += fmt.Sprintf(" (HTTP %d)", e.Status)
	}
	return msg
}

// Unwrap returns the sentinel, for errors.Is.
func (e *Error) Unwrap() error { return e.Err }
