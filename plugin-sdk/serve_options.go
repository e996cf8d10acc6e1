package sdk

import "fmt"

// ServeOpt configures how Serve batches documents.
type ServeOpt func(*serveOptions) error

type serveOptions struct {
	batchDocs  int
	batchBytes int
	// noBatchSocket ignores the host's batch socket (tests: a plugin
	// built before it existed).
	noBatchSocket bool
}

// Default batch limits: a batch is sent when it reaches either.
const (
	DefaultBatchDocs  = 256
	DefaultBatchBytes = 512 << 10
)

func newServeOptions(opts []ServeOpt) (*serveOptions, error) {
	o := &serveOptions{batchDocs: DefaultBatchDocs, batchBytes: DefaultBatchBytes}
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
