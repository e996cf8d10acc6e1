package sdk

import (
	"fmt"
	"time"
)

// ServeOpt configures how Serve batches documents.
type ServeOpt func(*serveOptions) error

type serveOptions struct {
	batchDocs  int
	batchBytes int
	batchDelay time.Duration
	// noBatchSocket ignores the host's batch socket (tests: a plugin
	// built before it existed).
	noBatchSocket bool
}

// Default batch limits: a batch is sent when it reaches either.
const (
	DefaultBatchDocs  = 256
	DefaultBatchBytes = 512 << 10
	// DefaultBatchDelay is how long a batch's first document waits for
	// the batch to fill.
	DefaultBatchDelay = time.Second
)

func newServeOptions(opts []ServeOpt) (*serveOptions, error) {
	o := &serveOptions{batchDocs: DefaultBatchDocs, batchBytes: DefaultBatchBytes, batchDelay: DefaultBatchDelay}
	for _, opt := range opts {
		if err := opt(o); err != nil {
			return nil, err
		}
	}
	return o, nil
}

// WithBatchDocs sends a batch once it holds n documents (default
// DefaultBatchDocs). n must be at least 1.
func WithBatchDocs(n int) ServeOpt {
	return func(o *serveOptions) error {
		if n < 1 {
			return fmt.Errorf("batch docs %d: must be at least 1", n)
		}
		o.batchDocs = n
		return nil
	}
}

// WithBatchDelay sends a batch once its first document has waited d
// (default DefaultBatchDelay), however few it holds: a slow source's
// documents reach the host steadily, and the host's idle timeout (60s by
// default) measures the source, not how long a batch takes to fill. d
// must be positive.
func WithBatchDelay(d time.Duration) ServeOpt {
	return func(o *serveOptions) error {
		if d <= 0 {
			return fmt.Errorf("batch delay %s: must be positive", d)
		}
		o.batchDelay = d
		return nil
	}
}

// WithBatchBytes sends a batch once its documents take n bytes (default
// DefaultBatchBytes). n must be between 1 and 32 MiB.
func WithBatchBytes(n int) ServeOpt {
	return func(o *serveOptions) error {
		if n < 1 || n > maxMessageBytes/2 {
			return fmt.Errorf("batch bytes %d: must be between 1 and %d", n, maxMessageBytes/2)
		}
		o.batchBytes = n
		return nil
	}
}
