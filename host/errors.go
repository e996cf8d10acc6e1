package host

import "errors"

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
