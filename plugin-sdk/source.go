// Package sdk is what a demhost source plugin imports. An author implements
// Source and calls Serve from main; the SDK hides go-plugin and protobuf.
// The host imports the client half of this package (Start, Plugin) to run
// plugin binaries, and Local to run a Source in-process.
package sdk

import (
	"context"
	"encoding/json"
	"time"
)

// Op is what the host does with a document.
type Op int32

const (
	// OpIndex indexes (creates or replaces) the document.
	OpIndex Op = 0
	// OpDelete deletes the document by id; Source is ignored.
	OpDelete Op = 1
	// OpSkip reports a record the source skipped (not found, malformed):
	// ID names it and Source holds the reason as plain text. The host
	// counts it and shows the first few to the user. Write it with Skip.
	OpSkip Op = 2
)

// Skip reports through w a record the source skipped, with its id and
// the reason, e.g. sdk.Skip(w, "tt0000001", `OMDb says "Movie not found!"`).
// The host counts it as skipped (not failed) and names it to the user.
func Skip(w Writer, id, reason string) error {
	return w.Write(Doc{ID: id, Op: OpSkip, Source: []byte(reason)})
}

// Doc is one document. Source holds the document's JSON object exactly as
// the engine should store it: the host never decodes or re-encodes it.
type Doc struct {
	ID      string
	Source  []byte
	Routing string
	Op      Op
}

// Batch is a group of documents sent in one stream message.
type Batch struct {
	Docs []Doc
}

// Capabilities say what a source can do for one index.
type Capabilities struct {
	// Partitions: Stream honours Partition/Partitions, so the host can
	// read with several workers.
	Partitions bool
	// Since: Stream honours StreamRequest.Since (incremental updates).
	Since bool
	// Deletes: Stream may send OpDelete documents.
	Deletes bool
}

// IndexSpec describes one index a source provides.
type IndexSpec struct {
	// Name is the base name, without any environment prefix, e.g. "movies".
	Name string
	// Mappings is the "mappings" object of the index body.
	Mappings json.RawMessage
	// Settings is the "settings" object of the index body (may be empty).
	Settings     json.RawMessage
	Capabilities Capabilities
}

// ConfigureRequest carries the plugin's own section of the host's
// configuration, as JSON ({} when the section is absent).
type ConfigureRequest struct {
	Config json.RawMessage
}

// ConfigureResponse is empty today; fields may be added.
type ConfigureResponse struct{}

// DescribeRequest is empty today; fields may be added.
type DescribeRequest struct{}

// DescribeResponse lists the indexes the source provides.
type DescribeResponse struct {
	Indexes []IndexSpec
}

// HostSubPartitions is how many partitions per stream the host asks a
// source for when it reads with several streams (see StreamRequest).
const HostSubPartitions = 16

// StreamRequest asks for the documents of one index.
type StreamRequest struct {
	Index string
	// Since, when not zero, asks only for documents changed at or after
	// this time. Sources without the Since capability send everything.
	Since time.Time
	// Partition k of Partitions (0 <= k < n). Partitions is at least 1.
	// Sources without the Partitions capability are asked only for 0 of 1.
	//
	// Make partition k of n the k-th of n contiguous runs of the source's
	// ids, in one order that every process agrees on (not one document in
	// n, which spreads each bulk request's ids over the whole id space: an
	// engine looks every explicit id up in each segment whose id range
	// surrounds it, and scattered ids cost it 7-10% more CPU per document).
	// The host asks a source with n streams for HostSubPartitions
	// partitions per stream and each stream reads its own in turn (k,
	// n+k, 2n+k…), so that the streams move through the ids side by side.
	// A source whose partitions each cost a scan may hold all of stream
	// k's documents in partition k and leave the others empty.
	Partition  int
	Partitions int
	// Split, when not nil, is the source's own answer to Split (see
	// Splitter) for this index, Since and Partitions, recorded by the host
	// when it planned the read: partition k must follow it. The partitions
	// of such a read are streamed on their own, by different processes
	// (a distributed update's workers), not in turn by one stream.
	Split []byte
}

// Writer receives the documents of a stream. Write may keep d.Source only
// until it returns, so a source can reuse its buffers. Write returns an
// error when the host has gone away or the stream was cancelled; the
// source should then stop and return that error.
type Writer interface {
	Write(d Doc) error
}

// Source is what a plugin author implements.
//
//  1. Configure is called once, first, with the plugin's config section.
//     Return an error that names the bad key when the config is unusable.
//  2. Describe is called after Configure and may be called again; return
//     every index the source provides, with its schema.
//  3. Stream is called once per partition per update, possibly several at
//     once. Write each document to w and return nil at the end. Return
//     ctx.Err() promptly when ctx is cancelled.
type Source interface {
	Configure(ctx context.Context, req *ConfigureRequest) (*ConfigureResponse, error)
	Describe(ctx context.Context, req *DescribeRequest) (*DescribeResponse, error)
	Stream(ctx context.Context, req *StreamRequest, w Writer) error
}

// WatermarkRequest asks for the watermark of one index.
type WatermarkRequest struct {
	Index string
}

// WatermarkResponse carries a source's watermark.
type WatermarkResponse struct {
	// Watermark is the earliest moment, in the source's own clock, at
	// which a change that a stream started now might miss can be stamped.
	// A later StreamRequest.Since equal to it reads every such change.
	// The zero time means the source cannot say.
	Watermark time.Time
}

// Watermarker is implemented by a source with the Since capability that
// can tell, from its own clock, where a later incremental read must start.
// The host calls Watermark once per update, just before it opens the
// streams, and stores the answer as the checkpoint that `update --resume`
// reads from. A source without it gets the host's start time minus a
// configured overlap, which misses changes whose transaction commits late
// or whose clock runs behind the host's.
//
// A database source should answer the older of its current time and the
// start of the oldest transaction still open, so that a row written by a
// transaction that commits after the streams have read past it is read
// again next time.
type Watermarker interface {
	Watermark(ctx context.Context, req *WatermarkRequest) (*WatermarkResponse, error)
}

// CountRequest asks how many documents a full fill of one index would get.
type CountRequest struct {
	Index string
}

// CountResponse carries a source's count.
type CountResponse struct {
	// Count is the number of documents (OpIndex) that a full Stream of
	// the index, every partition and no Since, would send now.
	Count int64
}

// Counter is implemented by a source that can say, cheaply, how many
// documents a full fill of an index would get: a database source counts
// its rows (respecting its filters and soft deletes), a generator returns
// its size. The host calls Count when `demhost deploy` gates a new version:
// the version's document count must be within a configured tolerance of
// it. A source without it is not gated on its count, and the host says so.
// Return ErrUnknownIndex for an index the source does not provide.
type Counter interface {
	Count(ctx context.Context, req *CountRequest) (*CountResponse, error)
}

// SplitRequest asks how a read of one index divides into partitions.
type SplitRequest struct {
	Index      string
	Since      time.Time
	Partitions int
}

// SplitResponse carries a source's split.
type SplitResponse struct {
	// Split is opaque to the host, which records it and hands it back in
	// StreamRequest.Split. Nil means the partitions need none.
	Split []byte
}

// Splitter is implemented by a source whose partitions depend on more than
// (Partition, Partitions): split points taken from the data or from its
// statistics, which change as the source is written. The host calls Split
// once when it plans a read whose partitions different processes will
// stream (a distributed update, whose jobs run on workers on any number of
// hosts, possibly hours apart), records the answer with the update, and
// passes it back in StreamRequest.Split of every stream of that read, so
// that the partitions stay disjoint and together complete whatever changed
// in between. A source whose partitions are a pure function of
// (Partition, Partitions) needs no Splitter.
// Return ErrUnknownIndex for an index the source does not provide.
type Splitter interface {
	Split(ctx context.Context, req *SplitRequest) (*SplitResponse, error)
}
