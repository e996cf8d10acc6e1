package sdk

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"

	pb "github.com/demhost/demhost/plugin-sdk/internal/proto"
)

func TestStreamRequestRoundTrip(t *testing.T) {
	t.Parallel()
	since := time.Date(2025, 3, 4, 5, 6, 7, 890, time.UTC)
	tests := []struct {
		name string
		in   StreamRequest
		want StreamRequest
	}{
		{"zero", StreamRequest{Index: "movies"}, StreamRequest{Index: "movies", Partitions: 1}},
		{"since", StreamRequest{Index: "m", Since: since, Partitions: 1}, StreamRequest{Index: "m", Since: since, Partitions: 1}},
		{"partition", StreamRequest{Index: "m", Partition: 2, Partitions: 3}, StreamRequest{Index: "m", Partition: 2, Partitions: 3}},
		{"local since", StreamRequest{Index: "m", Since: since.In(time.FixedZone("x", 3600)), Partitions: 1},
			StreamRequest{Index: "m", Since: since, Partitions: 1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			wire, err := proto.Marshal(toProtoStreamRequest(&tt.in))
			if err != nil {
				t.Fatal(err)
			}
			var m pb.StreamRequest
			if err := proto.Unmarshal(wire, &m); err != nil {
				t.Fatal(err)
			}
			got := fromProtoStreamRequest(&m)
			if !reflect.DeepEqual(*got, tt.want) {
				t.Errorf("got %+v, want %+v", *got, tt.want)
			}
		})
	}
}

func TestDescribeResponseRoundTrip(t *testing.T) {
	t.Parallel()
	tests := []DescribeResponse{
		{Indexes: []IndexSpec{}},
		{Indexes: []IndexSpec{{Name: "a", Mappings: json.RawMessage(`{"properties":{}}`)}}},
		{Indexes: []IndexSpec{
			{Name: "a", Mappings: json.RawMessage(`{}`), Settings: json.RawMessage(`{"number_of_shards":1}`),
				Capabilities: Capabilities{Partitions: true, Since: true, Deletes: true}},
			{Name: "b", Mappings: json.RawMessage(`{}`), Capabilities: Capabilities{Since: true}},
		}},
	}
	for i, in := range tests {
		wire, err := proto.Marshal(toProtoDescribeResponse(&in))
		if err != nil {
			t.Fatal(err)
		}
		var m pb.DescribeResponse
		if err := proto.Unmarshal(wire, &m); err != nil {
			t.Fatal(err)
		}
		if got := fromProtoDescribeResponse(&m); !reflect.DeepEqual(*got, in) {
			t.Errorf("case %d: got %+v, want %+v", i, *got, in)
		}
	}
}

func TestConfigureRequestRoundTrip(t *testing.T) {
	t.Parallel()
	for _, cfg := range []string{"", `{}`, `{"dsn":"postgres://x"}`} {
		got := fromProtoConfigureRequest(toProtoConfigureRequest(&ConfigureRequest{Config: json.RawMessage(cfg)}))
		if string(got.Config) != cfg {
			t.Errorf("config %q came back as %q", cfg, got.Config)
		}
	}
}

// The hand-written batch encoding must be exactly proto Batch, both ways.
func TestBatchWireMatchesProto(t *testing.T) {
	t.Parallel()
	batches := []Batch{
		{Docs: []Doc{{ID: "1", Source: []byte(`{"a":1}`)}}},
		{Docs: []Doc{
			{ID: "é-2", Source: []byte(` {"b": [1, 2]} `), Routing: "r1"},
			{ID: "3", Op: OpDelete},
			{ID: "4", Source: []byte(`{}`), Routing: "", Op: OpIndex},
		}},
	}
	for i, in := range batches {
		var wire []byte
		for j := range in.Docs {
			wire = appendDoc(wire, &in.Docs[j])
		}
		var m pb.Batch
		if err := proto.Unmarshal(wire, &m); err != nil {
			t.Fatalf("case %d: proto cannot read our encoding: %v", i, err)
		}
		if !proto.Equal(&m, toProtoBatch(&in)) {
			t.Errorf("case %d: proto read %v", i, &m)
		}
		if got := fromProtoBatch(&m); !reflect.DeepEqual(got.Docs, in.Docs) {
			t.Errorf("case %d: fromProtoBatch = %+v", i, got.Docs)
		}

		fromProto, err := proto.Marshal(toProtoBatch(&in))
		if err != nil {
			t.Fatal(err)
		}
		var dec batchDecoder
		got, err := dec.decode(fromProto, 0)
		if err != nil {
			t.Fatalf("case %d: decode: %v", i, err)
		}
		if !reflect.DeepEqual(got.Docs, in.Docs) {
			t.Errorf("case %d: decoded %+v, want %+v", i, got.Docs, in.Docs)
		}
	}
}

func TestDecodeRejects(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		doc  Doc
		want string
	}{
		{"empty id", Doc{Source: []byte(`{}`)}, `doc 5 (id ""): empty id`},
		{"empty delete id", Doc{Op: OpDelete}, "empty id"},
		{"array", Doc{ID: "a", Source: []byte(`[{}]`)}, `doc 5 (id "a"): source is not a JSON object`},
		{"empty source", Doc{ID: "a"}, "not a JSON object"},
		{"spaces", Doc{ID: "a", Source: []byte(" \n ")}, "not a JSON object"},
		{"lone brace", Doc{ID: "a", Source: []byte(" { ")}, "not a JSON object"},
		{"unknown op", Doc{ID: "a", Source: []byte(`{}`), Op: 7}, "unknown op 7"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var dec batchDecoder
			_, err := dec.decode(appendDoc(nil, &tt.doc), 5)
			if !errors.Is(err, ErrMalformedBatch) || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("err = %v, want ErrMalformedBatch with %q", err, tt.want)
			}
		})
	}
	var dec batchDecoder
	if _, err := dec.decode([]byte{0x0a, 0x05, 0x0a}, 0); !errors.Is(err, ErrMalformedBatch) {
		t.Errorf("truncated bytes: err = %v", err)
	}
}

func TestIsJSONObject(t *testing.T) {
	t.Parallel()
	tests := map[string]bool{
		`{}`: true, ` {"a":1}` + "\n": true, "\t{\r\n}\t": true,
		``: false, `{`: false, `}`: false, `[]`: false, `"{}"`: false, `null`: false, `{} x`: false,
	}
	for in, want := range tests {
		if got := isJSONObject([]byte(in)); got != want {
			t.Errorf("isJSONObject(%q) = %v, want %v", in, got, want)
		}
	}
}

func TestStatusRoundTrip(t *testing.T) {
	t.Parallel()
	tests := []struct {
		err  error
		code codes.Code
		is   error
	}{
		{fmt.Errorf("%w: key dsn: empty", ErrInvalidConfig), codes.InvalidArgument, ErrInvalidConfig},
		{fmt.Errorf("%w: %q", ErrUnknownIndex, "x"), codes.NotFound, ErrUnknownIndex},
		{fmt.Errorf("read rows: %w", context.Canceled), codes.Canceled, context.Canceled},
		{context.DeadlineExceeded, codes.DeadlineExceeded, context.DeadlineExceeded},
		{errors.New("disk on fire"), codes.Unknown, nil},
	}
	for _, tt := range tests {
		st := toStatus(tt.err)
		if status.Code(st) != tt.code {
			t.Errorf("%v: code %v, want %v", tt.err, status.Code(st), tt.code)
		}
		back := fromStatus(st)
		if back.Error() != tt.err.Error() {
			t.Errorf("message %q came back as %q", tt.err, back)
		}
		if tt.is != nil && !errors.Is(back, tt.is) {
			t.Errorf("%v: errors.Is(%v) is false after the round trip", tt.err, tt.is)
		}
		if tt.is == nil && errors.Unwrap(back) != nil {
			t.Errorf("%v: unwraps to %v", tt.err, errors.Unwrap(back))
		}
	}
}
