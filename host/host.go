package host

import (
	"context"
	"errors"
	"io"
	"time"

	"github.com/demhost/demhost/host/engine"
	sdk "github.com/demhost/demhost/plugin-sdk"
	"github.com/demhost/demhost/registry"
)

// errTODO marks what the host issue fills in.
var errTODO = errors.New("host: not implemented yet")

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
	// Progress receives progress lines/bars (the CLI passes stderr).
	// Default: discarded.
	Progress io.Writer
	// Terminal says Progress is a terminal (draw a bar, not lines).
	Terminal bool
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
	// Retries is the number of retries of a whole request on 429/5xx and of
	// an item on 429. Default: 5.
	Retries int
	// RetryBackoff is the first backoff; it doubles, with jitter. Default 200ms.
	RetryBackoff time.Duration
}

// Host carries out demhost's actions for one environment.
type Host struct{}

// New builds a Host and asks every source to describe its indexes.
func New(ctx context.Context, opts Options) (*Host, error) { return nil, errTODO }

// Env returns the environment prefix.
func (h *Host) Env() string { return "" }

// Indexes returns the base names the sources provide, sorted.
func (h *Host) Indexes() []string { return nil }

// Alias returns the alias (prefixed name) of a base index.
func (h *Host) Alias(index string) string { return "" }

// VersionRow is one line of List.
type VersionRow struct {
	Index      string     `json:"index"`
	Version    int        `json:"version"` // 0: not created
	Name       string     `json:"name"`    // "movies-3", or "movies" when not created
	Physical   string     `json:"physical,omitempty"`
	Exists     bool       `json:"exists"`
	Active     bool       `json:"active"`
	Status     string     `json:"status"` // building|ready|failed|deleted|not created
	Docs       int64      `json:"docs"`
	CodebaseID string     `json:"codebase_id,omitempty"`
	Created    *time.Time `json:"created,omitempty"`
}

// List returns every version of the named indexes (all when none named),
// including indexes with no version ("not created").
func (h *Host) List(ctx context.Context, names ...string) ([]VersionRow, error) {
	return nil, errTODO
}

// ListCluster lists the cluster's indices under the prefix (list --es-only).
func (h *Host) ListCluster(ctx context.Context) ([]engine.IndexStat, error) {
	return nil, errTODO
}

// Result is what one action did, for the CLI to print.
type Result struct {
	ActionID int64             `json:"action_id"`
	Kind     string            `json:"kind"`
	Index    string            `json:"index"`
	Version  int               `json:"version,omitempty"`
	Message  string            `json:"message"` // one sentence for the user
	Changed  bool              `json:"changed"` // false for a no-op
	Counts   registry.Counts   `json:"counts"`
	Duration time.Duration     `json:"duration"`
	Failures []DocumentFailure `json:"failures,omitempty"`
}

// DocumentFailure is one document the engine rejected for good.
type DocumentFailure struct {
	ID     string `json:"id"`
	Reason string `json:"reason"`
}

// CreateOptions tune Create.
type CreateOptions struct {
	Force  bool // a new version even when the schema is unchanged
	ESOnly bool // recreate missing physical indexes from stored schemas
}

// Create creates a version of each named index (names may be base names
// only). With no names it fails; the CLI passes Indexes() for --all.
func (h *Host) Create(ctx context.Context, names []string, o CreateOptions) ([]Result, error) {
	return nil, errTODO
}

// Activate points each alias at the latest version, or at the named version.
func (h *Host) Activate(ctx context.Context, names []string) ([]Result, error) {
	return nil, errTODO
}

// UpdateOptions tune Update.
type UpdateOptions struct {
	Newer  bool      // fill every version newer than the active one
	Resume bool      // only what changed since the last complete update
	Start  time.Time // explicit since; wins over Resume
	// Workers and BatchSize override Options.Bulk when non-zero.
	Workers   int
	BatchSize int
}

// Update streams documents into the active version (or the named one).
// A result with Counts.Failed > 0 is returned with ErrDocumentsFailed.
func (h *Host) Update(ctx context.Context, names []string, o UpdateOptions) ([]Result, error) {
	return nil, errTODO
}

// ClearOptions tune Clear.
type ClearOptions struct {
	Older bool // clear every version older than the active one
}

// Clear removes all documents of a version and keeps the index.
func (h *Host) Clear(ctx context.Context, name string, o ClearOptions) ([]Result, error) {
	return nil, errTODO
}

// DropOptions tune Drop.
type DropOptions struct {
	Older  bool // drop every version older than the active one (name is a base name)
	Force  bool // allow dropping the active version
	ESOnly bool // delete in the cluster only
}

// Drop deletes a version's physical index and soft-deletes the version.
func (h *Host) Drop(ctx context.Context, name string, o DropOptions) ([]Result, error) {
	return nil, errTODO
}

// ResetOptions tune Reset.
type ResetOptions struct {
	ESOnly bool // delete in the cluster only, then recreate registered versions
}

// Reset deletes every index and alias under the prefix and the
// environment's registry rows. It never touches names outside the prefix,
// nor dot-indices. It refuses an empty prefix unless AllowEmptyPrefix.
func (h *Host) Reset(ctx context.Context, o ResetOptions) (Result, error) {
	return Result{}, errTODO
}

// History returns the recorded actions, newest first.
func (h *Host) History(ctx context.Context, index string, limit int) ([]registry.Action, error) {
	return nil, errTODO
}
