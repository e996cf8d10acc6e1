package sdk

import (
	"context"
	"errors"
)

// errTODO marks what the plugin SDK issue fills in.
var errTODO = errors.New("sdk: not implemented yet")

// StartOption configures Start.
type StartOption func(*startOptions) error

type startOptions struct{}

// Plugin is a running plugin binary, seen from the host.
type Plugin struct{}

// Start runs the plugin binary at path, negotiates the handshake and
// returns a client. name is how errors refer to the plugin.
func Start(ctx context.Context, name, path string, opts ...StartOption) (*Plugin, error) {
	return nil, errTODO
}

// Name is the plugin's configured name.
func (p *Plugin) Name() string { return "" }

// Configure forwards to the plugin.
func (p *Plugin) Configure(ctx context.Context, req *ConfigureRequest) (*ConfigureResponse, error) {
	return nil, errTODO
}

// Describe forwards to the plugin.
func (p *Plugin) Describe(ctx context.Context, req *DescribeRequest) (*DescribeResponse, error) {
	return nil, errTODO
}

// Stream reads one partition and calls fn for each batch, in order. The
// batch and its documents' bytes are valid only until fn returns.
func (p *Plugin) Stream(ctx context.Context, req *StreamRequest, fn func(*Batch) error) error {
	return errTODO
}

// Close stops the plugin process.
func (p *Plugin) Close() error { return errTODO }

// Local runs a Source in-process with the same methods as Plugin, so the
// host and tests can use a source without a binary.
type Local struct{}

// NewLocal wraps src.
func NewLocal(name string, src Source) *Local { return &Local{} }

// Name is the source's name.
func (l *Local) Name() string { return "" }

// Configure calls the source.
func (l *Local) Configure(ctx context.Context, req *ConfigureRequest) (*ConfigureResponse, error) {
	return nil, errTODO
}

// Describe calls the source.
func (l *Local) Describe(ctx context.Context, req *DescribeRequest) (*DescribeResponse, error) {
	return nil, errTODO
}

// Stream calls the source, batching its documents as Serve would.
func (l *Local) Stream(ctx context.Context, req *StreamRequest, fn func(*Batch) error) error {
	return errTODO
}

// Close does nothing for a local source.
func (l *Local) Close() error { return nil }
