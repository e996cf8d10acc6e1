package host

import (
	"errors"
	"fmt"
)

var (
	// ErrDocumentsFailed is returned by Update when some documents were
	// rejected for good; the results carry the counts and failures.
	ErrDocumentsFailed = errors.New("some documents failed to index")
	// ErrActiveVersion is returned by Drop for the active version without Force.
	ErrActiveVersion = errors.New("version is active")
	// ErrInterrupted is returned when an action stopped on a signal.
	ErrInterrupted = errors.New("interrupted")
	// ErrUnknownIndex is returned for a name no source provides and the
	// registry does not know. The error also matches
	// registry.ErrUnknownName, and its message lists the known names.
	ErrUnknownIndex = errors.New("unknown index")
	// ErrUsage is returned for a request that makes no sense (e.g. --older
	// with a version name); the CLI exits 2.
	ErrUsage = errors.New("usage")
)

// The errors below carry facts, not advice: the CLI words what to do next
// (see internal/cli's hints), and a library caller decides for itself.

// NoVersionError is returned for an index that has no live version yet.
type NoVersionError struct{ Index string }

func (e *NoVersionError) Error() string { return e.Index + " has no version yet" }

// NoActiveVersionError is returned when an action needs the active version
// of an index that has none. Latest is its newest live version, 0 when it
// has none.
type NoActiveVersionError struct {
	Index  string
	Latest int
}

func (e *NoActiveVersionError) Error() string {
	if e.Latest == 0 {
		return e.Index + " has no active version, and no version yet"
	}
	return fmt.Sprintf("%s has no active version; its latest version is %s", e.Index, label(e.Index, e.Latest))
}

// MissingIndexError is returned when a version's physical index is not in
// the cluster.
type MissingIndexError struct {
	Index    string
	Version  int
	Physical string
}

func (e *MissingIndexError) Error() string {
	return fmt.Sprintf("index %s of %s is missing in the cluster", e.Physical, label(e.Index, e.Version))
}

// FailedVersionError is returned for a version whose creation failed.
type FailedVersionError struct {
	Index   string
	Version int
}

func (e *FailedVersionError) Error() string {
	return fmt.Sprintf("version %s failed to build", label(e.Index, e.Version))
}

// DroppedVersionError is returned for a version that was dropped.
type DroppedVersionError struct {
	Index   string
	Version int
}

func (e *DroppedVersionError) Error() string {
	return fmt.Sprintf("version %s was dropped", label(e.Index, e.Version))
}

// SameVersionError is returned by Migrate when the source and the target
// are one version. It matches ErrUsage.
type SameVersionError struct {
	Index   string
	Version int
}

func (e *SameVersionError) Error() string {
	return fmt.Sprintf("%s is both the source and the target of the migration", label(e.Index, e.Version))
}

func (e *SameVersionError) Unwrap() error { return ErrUsage }

// CannotNarrowError is returned by Update for a start time (Start, or
// Resume from a checkpoint) on a source that cannot read only what changed
// since then, unless Full is set. It matches ErrUsage.
type CannotNarrowError struct {
	Source  string
	Index   string
	Version int  // 0 for every version of Index
	Start   bool // the start time was given (Start), not taken from a checkpoint (Resume)
}

func (e *CannotNarrowError) Error() string {
	what := "the checkpoint of " + label(e.Index, e.Version)
	if e.Start {
		what = "the given start time"
	}
	return fmt.Sprintf("source %s cannot read only the changes of %s since a time, so %s cannot narrow the update",
		e.Source, e.Index, what)
}

func (e *CannotNarrowError) Unwrap() error { return ErrUsage }

// usage marks err as a request that makes no sense (ErrUsage), keeping
// its type for errors.As.
func usage(err error) error { return fmt.Errorf("%w: %w", ErrUsage, err) }

// Step is what the user may do next after an action, as facts for the
// caller to word: the CLI writes it as a command (Result.Next).
type Step struct {
	Action string // "activate", "update", "create", "migrate"
	Target string // the index or version name
	Resume bool   // update: from the checkpoint
	From   string // migrate: the source version
	Why    string // e.g. "to serve it"
}
