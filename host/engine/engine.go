// Package engine is demhost's small view of a search cluster. It has one
// interface, Engine, and adapters for two vendors on their official Go
// clients: Elasticsearch (go-elasticsearch/v8) and OpenSearch
// (opensearch-go/v4). Open probes the node to pick the vendor unless
// Config.Kind names one: _nodes/_local and the answer's headers, and GET /
// only when that is refused (an Elasticsearch node without its rest-root
// module answers GET / with 405). What the vendors share (name checks, timeouts,
// bodies, error mapping, decoding, task following) is written once, in
// adapter.go; each vendor's file only sends requests with its client.
//
// Adapters carry out; they hold no policy. Every error they return wraps one
// of the sentinels in errors.go and names the index it concerns. Every
// adapter passes the conformance suite in package enginetest.
package engine

import (
	"context"
	"encoding/json"
	"net/http"
	"time"
)

// Kind names an engine family.
type Kind string

const (
	// Auto probes the node (see Probe) and picks the adapter from the answer.
	Auto Kind = "auto"
	// Elasticsearch is Elasticsearch 7.17, 8.x or 9.x, via go-elasticsearch/v8.
	Elasticsearch Kind = "elasticsearch"
	// OpenSearch is OpenSearch 1.x, 2.x or 3.x, via opensearch-go/v4.
	OpenSearch Kind = "opensearch"
)

// Kinds are the accepted values of Config.Kind: the one list, which the
// configuration checks against.
var Kinds = []Kind{Auto, Elasticsearch, OpenSearch}

// ValidKind reports whether k is one of Kinds.
func ValidKind(k Kind) bool {
	for _, x := range Kinds {
		if k == x {
			return true
		}
	}
	return false
}

// Config says how to reach a cluster. The zero value means a local
// Elasticsearch or OpenSearch at http://127.0.0.1:9200, probed.
type Config struct {
	// URLs of the cluster's HTTP endpoints. Default: http://127.0.0.1:9200.
	URLs []string
	// Kind is Auto (the default), Elasticsearch or OpenSearch.
	Kind Kind
	// Username and Password for basic authentication. Default: none.
	Username string
	Password string
	// APIKey is an Elasticsearch API key (base64 "id:key"). Default: none.
	APIKey string
	// CAFile is a PEM file of trusted CAs for https. Default: system roots.
	CAFile string
	// Transport replaces the HTTP transport (tests). Default: a tuned
	// http.Transport with enough idle connections for parallel bulk.
	Transport http.RoundTripper
	// Timeout bounds one request. Default: 60s.
	Timeout time.Duration
}

// Info is what the node says about itself and its cluster.
type Info struct {
	Kind        Kind
	Version     string // e.g. "7.17.29" or "2.19.1"
	ClusterName string
	URL         string // the first configured URL, without credentials
}

// IndexStat is one physical index as the cluster reports it.
type IndexStat struct {
	Name    string
	Docs    int64
	Aliases []string
	Health  string
}

// BulkItemFailure is one document of a bulk request that did not succeed.
type BulkItemFailure struct {
	// Position is the item's zero-based position in the request body
	// (the n-th action line), so the caller can find and resend it.
	Position int
	ID       string
	Index    string
	Status   int    // HTTP status of the item, e.g. 400 or 429
	Type     string // the engine's error type, e.g. "mapper_parsing_exception"
	Reason   string
}

// BulkResult is the outcome of one bulk request whose HTTP status was 2xx.
// Only failed items are listed; when the engine reports "errors":false the
// response items are not parsed at all.
type BulkResult struct {
	Items    int // number of action lines in the request
	Failures []BulkItemFailure
}

// Engine is the set of cluster operations demhost needs. Names are always
// explicit physical index or alias names: an adapter never sends a wildcard
// to a delete: DeleteIndices, SwapAlias, DeleteAlias, DeleteByQuery and
// Reindex refuse a name that is empty or "_all", or holds '*', '?' or ',',
// with ErrRejected before any request. When ctx ends before an answer, the
// error wraps ctx.Err().
// Package enginetest checks every method against a real cluster.
type Engine interface {
	// Info returns the cluster's identity, from _nodes/_local (GET / only
	// when that is refused).
	Info(ctx context.Context) (Info, error)
	// Capabilities says which optional server APIs the cluster has. It
	// probes once per Engine, with requests that change nothing.
	Capabilities(ctx context.Context) (Capabilities, error)
	// MissingAnalysis lists the analysis components that body (an index
	// creation body: settings.analysis and the mappings' analyzer and
	// normalizer parameters) names and the cluster lacks, each as
	// "analyzer folded: failed to find global filter under [asciifolding]".
	// None means the engine has them all. Each distinct check is asked
	// once per Engine.
	MissingAnalysis(ctx context.Context, body []byte) ([]string, error)
	// CreateIndex creates index with body (mappings, settings, aliases).
	// It returns ErrAlreadyExists when the index exists.
	CreateIndex(ctx context.Context, index string, body []byte) error
	// DeleteIndices deletes the named indices. A name containing '*', '?'
	// or ',', or that is "_all", is refused with ErrRejected before any request.
	// A missing index is ErrNotFound.
	DeleteIndices(ctx context.Context, indices ...string) error
	// Exists says whether an index (or alias) of that name exists.
	Exists(ctx context.Context, index string) (bool, error)
	// ListIndices lists the indices whose names start with prefix (all
	// non-hidden indices when prefix is empty), with doc counts and aliases,
	// sorted by name. A prefix with '*', '?' or ',', or that is "_all", is
	// refused with ErrRejected; one that merely holds "_all" is fine.
	ListIndices(ctx context.Context, prefix string) ([]IndexStat, error)
	// GetAlias returns the indices that alias points to, sorted; none (and
	// no error) when the alias does not exist.
	GetAlias(ctx context.Context, alias string) ([]string, error)
	// SwapAlias points alias at index and removes it from every index in
	// remove, in one atomic _aliases request.
	SwapAlias(ctx context.Context, alias, index string, remove []string) error
	// DeleteAlias removes alias from index.
	DeleteAlias(ctx context.Context, index, alias string) error
	// Bulk posts a raw NDJSON body. index is the default index for action
	// lines that name none. A 429 or 5xx on the whole request returns an
	// error wrapping ErrTooManyRequests or ErrUnavailable, which callers
	// may retry; per-item failures come back in BulkResult.
	Bulk(ctx context.Context, index string, body []byte) (BulkResult, error)
	// Refresh makes recent writes to the indices visible to search.
	Refresh(ctx context.Context, indices ...string) error
	// Count returns the number of documents in index.
	Count(ctx context.Context, index string) (int64, error)
	// CountQuery returns the number of documents in index that match
	// query, a JSON query clause such as {"match":{"title":"alien"}}
	// (empty matches every document).
	CountQuery(ctx context.Context, index string, query []byte) (int64, error)
	// DeleteByQuery deletes the documents matching query (a JSON query
	// clause, e.g. {"term":{"even":true}}; empty matches every document)
	// and returns how many were deleted, visible to search at once.
	// Like Reindex it runs as a server-side task that is followed until it
	// ends, however long that takes; cancelling ctx cancels the task. A
	// cluster without _delete_by_query (Capabilities) gets the same result
	// from a scroll of the ids and bulk deletes.
	// With an error, the count is what the task had done by then.
	DeleteByQuery(ctx context.Context, index string, query []byte) (int64, error)
	// GetSettings returns the index's settings flattened, e.g.
	// "index.refresh_interval" → "1s". Unset defaults are absent.
	GetSettings(ctx context.Context, index string) (map[string]string, error)
	// PutSettings updates dynamic index settings from a JSON body such as
	// {"index":{"refresh_interval":"-1"}}.
	PutSettings(ctx context.Context, index string, body []byte) error
	// GetMapping returns the mapping of one index (or of the one index an
	// alias points to): the object under "mappings", e.g.
	// {"properties":{"title":{"type":"text"}}}, as the engine reports it.
	GetMapping(ctx context.Context, index string) (json.RawMessage, error)
	// PutMapping merges a mapping body such as {"properties":{…}} into an
	// existing index: new fields and the parameters the engine can update
	// in place. A change it cannot apply is ErrRejected, with its reason.
	PutMapping(ctx context.Context, index string, body []byte) error
	// Health waits until index (an index or an alias) is at least want,
	// Green or Yellow, or until timeout ends, and returns the health then;
	// Health.TimedOut says which. It waits on the server, in requests of
	// at most 30s; a timeout of 0 asks once without waiting. A missing
	// index is ErrNotFound at once (the cluster would wait, calling it red).
	Health(ctx context.Context, index string, want HealthStatus, timeout time.Duration) (Health, error)
	// Reindex copies every document of src into dst on the server and
	// waits for completion, returning the number of documents copied. A
	// cluster without _reindex (Capabilities) gets the copy from a scroll
	// of src and bulk index requests into dst, keeping ids and routing. The
	// per-request timeout bounds each poll of the task, not the task.
	// With an error, the count is what the task had copied by then (for
	// a failure, as the cluster reports it; for an interruption, the last
	// progress seen).
	Reindex(ctx context.Context, src, dst string) (int64, error)
}
