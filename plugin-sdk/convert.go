package sdk

import (
	"context"
	"encoding/json"
	"errors"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	pb "github.com/demhost/demhost/plugin-sdk/internal/proto"
)

// The toProto*/fromProto* converters keep generated types out of the API.
// Each pair is a lossless round trip, except that a zero Partitions becomes
// 1 and an empty JSON field becomes nil.

func toProtoConfigureRequest(r *ConfigureRequest) *pb.ConfigureRequest {
	return &pb.ConfigureRequest{Config: r.Config}
}

func fromProtoConfigureRequest(r *pb.ConfigureRequest) *ConfigureRequest {
	return &ConfigureRequest{Config: rawJSON(r.GetConfig())}
}

func toProtoDescribeResponse(r *DescribeResponse) *pb.DescribeResponse {
	out := &pb.DescribeResponse{Indexes: make([]*pb.IndexSpec, 0, len(r.Indexes))}
	for _, s := range r.Indexes {
		out.Indexes = append(out.Indexes, &pb.IndexSpec{
			Name:     s.Name,
			Mappings: s.Mappings,
			Settings: s.Settings,
			Capabilities: &pb.Capabilities{
				Partitions: s.Capabilities.Partitions,
				Since:      s.Capabilities.Since,
				Deletes:    s.Capabilities.Deletes,
			},
		})
	}
	return out
}

func fromProtoDescribeResponse(r *pb.DescribeResponse) *DescribeResponse {
	out := &DescribeResponse{Indexes: make([]IndexSpec, 0, len(r.GetIndexes()))}
	for _, s := range r.GetIndexes() {
		c := s.GetCapabilities()
		out.Indexes = append(out.Indexes, IndexSpec{
			Name:     s.GetName(),
			Mappings: rawJSON(s.GetMappings()),
			Settings: rawJSON(s.GetSettings()),
			Capabilities: Capabilities{
				Partitions: c.GetPartitions(),
				Since:      c.GetSince(),
				Deletes:    c.GetDeletes(),
			},
		})
	}
	return out
}

// unixNano is t on the wire: nanoseconds since the epoch, 0 for the zero
// time; fromUnixNano reads it back, in UTC.
func unixNano(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixNano()
}

func fromUnixNano(n int64) time.Time {
	if n == 0 {
		return time.Time{}
	}
	return time.Unix(0, n).UTC()
}

func toProtoStreamRequest(r *StreamRequest) *pb.StreamRequest {
	return &pb.StreamRequest{
		Index:         r.Index,
		SinceUnixNano: unixNano(r.Since),
		Partition:     int32(r.Partition),
		Partitions:    int32(r.Partitions),
		AcceptsSkips:  true, // this host counts them
		Split:         r.Split,
	}
}

func fromProtoStreamRequest(r *pb.StreamRequest) *StreamRequest {
	out := &StreamRequest{
		Index:      r.GetIndex(),
		Partition:  int(r.GetPartition()),
		Partitions: int(r.GetPartitions()),
		Split:      r.GetSplit(),
		Since:      fromUnixNano(r.GetSinceUnixNano()),
	}
	if out.Partitions < 1 {
		out.Partitions = 1
	}
	return out
}

func toProtoWatermarkResponse(r *WatermarkResponse) *pb.WatermarkResponse {
	out := &pb.WatermarkResponse{}
	if r != nil {
		out.WatermarkUnixNano = unixNano(r.Watermark)
	}
	return out
}

func fromProtoWatermarkResponse(r *pb.WatermarkResponse) *WatermarkResponse {
	return &WatermarkResponse{Watermark: fromUnixNano(r.GetWatermarkUnixNano())}
}

func toProtoDoc(d *Doc) *pb.Doc {
	return &pb.Doc{Id: d.ID, Source: d.Source, Routing: d.Routing, Op: pb.Op(d.Op)}
}

func fromProtoDoc(d *pb.Doc) Doc {
	return Doc{ID: d.GetId(), Source: d.GetSource(), Routing: d.GetRouting(), Op: Op(d.GetOp())}
}

func toProtoBatch(b *Batch) *pb.Batch {
	out := &pb.Batch{Docs: make([]*pb.Doc, len(b.Docs))}
	for i := range b.Docs {
		out.Docs[i] = toProtoDoc(&b.Docs[i])
	}
	return out
}

func fromProtoBatch(b *pb.Batch) *Batch {
	out := &Batch{Docs: make([]Doc, len(b.GetDocs()))}
	for i, d := range b.GetDocs() {
		out.Docs[i] = fromProtoDoc(d)
	}
	return out
}

func rawJSON(b []byte) json.RawMessage {
	if len(b) == 0 {
		return nil
	}
	return json.RawMessage(b)
}

// codeOf is the gRPC code a source's error crosses the wire with.
func codeOf(err error) codes.Code {
	switch {
	case errors.Is(err, ErrInvalidConfig):
		return codes.InvalidArgument
	case errors.Is(err, ErrUnknownIndex):
		return codes.NotFound
	case errors.Is(err, context.Canceled):
		return codes.Canceled
	case errors.Is(err, context.DeadlineExceeded):
		return codes.DeadlineExceeded
	}
	return codes.Unknown
}

// toStatus turns a source's error into a gRPC status error, keeping its
// message.
func toStatus(err error) error {
	if err == nil {
		return nil
	}
	if _, ok := status.FromError(err); ok {
		return err
	}
	return status.Error(codeOf(err), err.Error())
}

// fromStatus turns a status error back into an error with the same message
// that unwraps to the sentinel matching its code.
func fromStatus(err error) error {
	st, ok := status.FromError(err)
	if !ok {
		return err
	}
	var kind error
	switch st.Code() {
	case codes.InvalidArgument:
		kind = ErrInvalidConfig
	case codes.NotFound:
		kind = ErrUnknownIndex
	case codes.Canceled:
		kind = context.Canceled
	case codes.DeadlineExceeded:
		kind = context.DeadlineExceeded
	}
	return &remoteError{msg: st.Message(), kind: kind}
}
