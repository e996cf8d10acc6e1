package host

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/user"
	"runtime"
	"sort"
	"time"

	"github.com/demhost/demhost/host/engine"
	sdk "github.com/demhost/demhost/plugin-sdk"
	"github.com/demhost/demhost/registry"
)

// Source is a configured source: a plugin binary (*sdk.Plugin) or an
// in-process source (*sdk.Local). Configure has already been called.
type Source interface {
	Name() string
	Describe(ctx context.Context, req *sdk.DescribeRequest) (*sdk.DescribeResponse, error)
	Stream(ctx context.Context, req *sdk.StreamRequest, fn func(*sdk.Batch) error) error
}

// Options build a Host. Zero values mean the stated defaults.
type Options struct {
	// Env is the environment prefix, e.g. "qa1_". Default: none.
	Env string
	// CodebaseID is recorded on every version and action.
	CodebaseID string
	// Registry and Engine are required.
	Registry *registry.Registry
	Engine   engine.Engine
	// Sources provide the indexes. Two sources may not provide one name.
	Sources []Source
	// Bulk tunes the indexer.
	Bulk BulkConfig
	// Health is what activate waits for before it moves an alias.
	Health HealthConfig
	// OnProgress, when set, receives a running update's progress every
	// ProgressInterval and once when it ends (Progress.Final); the CLI
	// draws it. It is called from the update's own goroutine and must not
	// block for long. Default: none.
	OnProgress func(Progress)
	// OnWait, when set, is told in one sentence when an action starts a
	// wait that can be long (activate waiting for an index's health), so
	// that the CLI does not look hung. Default: none.
	OnWait func(string)
	// ProgressInterval is how often progress is reported and recorded.
	// Default: 2s.
	ProgressInterval time.Duration
	// ResumeOverlap is subtracted from the host's start time to make the
	// checkpoint of an update whose source keeps no watermark of its own
	// (see sdk.Watermarker), to cover transactions that commit late and
	// clocks that run behind. Default: 1m; a negative value means none.
	ResumeOverlap time.Duration
	// Argv, Hostname and User are recorded on actions. Defaults: os.Args,
	// os.Hostname(), the current OS user.
	Argv     []string
	Hostname string
	User     string
}

// BulkConfig tunes the bulk indexer. The zero value of each field means
// its default.
type BulkConfig struct {
	// Workers is the number of source partitions read at once, and of bulk
	// requests in flight. Default: runtime.NumCPU().
	Workers int
	// BatchSize is the documents per bulk request. Default: 1000.
	BatchSize int
	// FlushBytes flushes a bulk request at this size. Default: 5 MB.
	FlushBytes int
	// FlushInterval flushes a partly filled request after this idle time.
	// Default: 1s.
	FlushInterval time.Duration
	// Retries is the number of retries of a whole request that failed
	// with a 5xx or no answer (a timeout, a lost connection). A 429 is
	// not bounded by it: see BackpressureTimeout. Default: 5.
	Retries int
	// RetryBackoff is the first backoff; it doubles, capped at 30s, with
	// jitter. Default 200ms.
	RetryBackoff time.Duration
	// BackpressureTimeout bounds how long the indexer keeps resending
	// what the engine answers 429 (too many requests), a whole request
	// or single items: it gives up, and fails the run, only when no
	// document has been accepted for this long. A 429 never counts as a
	// failed document. Default: 5m.
	BackpressureTimeout time.Duration
}

// withDefaults fills the zero fields with their defaults.
func (c BulkConfig) withDefaults() BulkConfig {
	if c.Workers <= 0 {
		c.Workers = runtime.NumCPU()
	}
	if c.BatchSize <= 0 {
		c.BatchSize = 1000
	}
	if c.FlushBytes <= 0 {
		c.FlushBytes = 5 << 20
	}
	if c.FlushInterval <= 0 {
		c.FlushInterval = time.Second
	}
	if c.Retries <= 0 {
		c.Retries = 5
	}
	if c.RetryBackoff <= 0 {
		c.RetryBackoff = 200 * time.Millisecond
	}
	if c.BackpressureTimeout <= 0 {
		c.BackpressureTimeout = 5 * time.Minute
	}
	return c
}

// provided is one index a source provides.
type provided struct {
	source Source
	spec   sdk.IndexSpec
}

// DefaultResumeOverlap is Options.ResumeOverlap unless set.
const DefaultResumeOverlap = time.Minute

// Host carries out demhost's actions for one environment.
type Host struct {
	opts    Options
	reg     *registry.Registry
	eng     engine.Engine
	indexes map[string]provided
	names   []string
}

// New builds a Host and asks every source to describe its indexes.
func New(ctx context.Context, opts Options) (*Host, error) {
	if opts.Registry == nil {
		return nil, errors.New("new host: a registry is required")
	}
	if opts.Engine == nil {
		return nil, errors.New("new host: an engine is required")
	}
	if err := ValidatePrefix(opts.Env); err != nil {
		return nil, fmt.Errorf("new host: %w", err)
	}
	opts.Bulk = opts.Bulk.withDefaults() // the one place its defaults are filled
	var err error
	if opts.Health, err = opts.Health.withDefaults(); err != nil {
		return nil, fmt.Errorf("new host: %w", err)
	}
	if opts.ProgressInterval <= 0 {
		opts.ProgressInterval = 2 * time.Second
	}
	switch {
	case opts.ResumeOverlap == 0:
		opts.ResumeOverlap = DefaultResumeOverlap
	case opts.ResumeOverlap < 0:
		opts.ResumeOverlap = 0
	}
	if opts.Argv == nil {
		opts.Argv = os.Args
	}
	if opts.Hostname == "" {
		opts.Hostname, _ = os.Hostname()
	}
	if opts.User == "" {
		if u, err := user.Current(); err == nil {
			opts.User = u.Username
		}
	}
	h := &Host{opts: opts, reg: opts.Registry, eng: opts.Engine, indexes: map[string]provided{}}
	for _, src := range opts.Sources {
		if src == nil {
			return nil, errors.New("new host: a source is nil")
		}
		resp, err := src.Describe(ctx, &sdk.DescribeRequest{})
		if err != nil {
			return nil, fmt.Errorf("describe source %s: %w", src.Name(), err)
		}
		for _, spec := range resp.Indexes {
			if err := validateIndexName(spec.Name); err != nil {
				return nil, fmt.Errorf("source %s: %w", src.Name(), err)
			}
			if prev, dup := h.indexes[spec.Name]; dup {
				return nil, fmt.Errorf("index %s is provided by two sources, %s and %s; configure only one of them",
					spec.Name, prev.source.Name(), src.Name())
			}
			h.indexes[spec.Name] = provided{source: src, spec: spec}
			h.names = append(h.names, spec.Name)
		}
	}
	sort.Strings(h.names)
	return h, nil
}

// Env returns the environment prefix.
func (h *Host) Env() string { return h.opts.Env }

// Indexes returns the base names the sources provide, sorted.
func (h *Host) Indexes() []string { return append([]string(nil), h.names...) }

// Alias returns the alias (prefixed name) of a base index.
func (h *Host) Alias(index string) string { return h.opts.Env + index }

// Result is what one action did, for the CLI to print.
type Result struct {
	ActionID int64  `json:"action_id"`
	ParentID int64  `json:"parent_id,omitempty"` // the action this one is part of; 0 when none
	Kind     string `json:"kind"`
	// Step is the deploy step this action carried out ("fill", "gate"…);
	// "" outside a deploy.
	Step    string `json:"step,omitempty"`
	Index   string `json:"index"`
	Version int    `json:"version,omitempty"`
	Message string `json:"message"` // one sentence for the user
	// Next is what the user may do next (resume an interrupted update,
	// activate a migrated version); nil when nothing.
	Next *Step `json:"next,omitempty"`
	// Notes are decisions the user should know of: an option that was
	// ignored, a read that was narrowed or widened, and why.
	Notes    []string          `json:"notes,omitempty"`
	Changed  bool              `json:"changed"` // false for a no-op
	Counts   registry.Counts   `json:"counts"`
	Duration time.Duration     `json:"duration"`
	Failures []DocumentFailure `json:"failures,omitempty"`
	// Skips are the first records the source reported skipping, with
	// its reasons; Counts.Skipped counts them all.
	Skips   []DocumentFailure `json:"skips,omitempty"`
	Retries *Retries          `json:"retries,omitempty"` // what an update resent; nil when nothing
}

// DocumentFailure is one document the engine rejected for good.
type DocumentFailure struct {
	ID     string `json:"id"`
	Reason string `json:"reason"`
}

// History returns the recorded actions, newest first. index may be empty
// (every action of the environment), a base name or a version name.
func (h *Host) History(ctx context.Context, index string, limit int) ([]registry.Action, error) {
	f := registry.ActionFilter{Env: h.opts.Env, Limit: limit}
	if index != "" {
		t, err := h.resolve(ctx, index)
		if err != nil {
			return nil, err
		}
		f.Index = t.Index
	}
	acts, err := h.reg.History(ctx, f)
	if err != nil {
		return nil, fmt.Errorf("read history: %w", err)
	}
	return acts, nil
}
