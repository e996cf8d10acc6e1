package sdk

import (
	"errors"
	"fmt"
	"sync"

	"google.golang.org/grpc/encoding"
	_ "google.golang.org/grpc/encoding/proto" // registers the "proto" codec first
	"google.golang.org/grpc/mem"
	"google.golang.org/protobuf/encoding/protowire"
)

// Stream batches skip generated messages on both sides: the plugin appends
// each document to a buffer already in the wire format of proto Batch, and
// the host parses that buffer in place. The bytes on the wire are exactly
// the proto encoding; only the Go objects are avoided. The host selects
// this codec with the content-subtype batchCodecName; any other client gets
// ordinary proto messages.

const batchCodecName = "demhost-batch"

// Field tags of proto Batch and Doc, as they appear on the wire.
const (
	tagBatchDocs  = 1<<3 | byte(protowire.BytesType)
	tagDocID      = 1<<3 | byte(protowire.BytesType)
	tagDocSource  = 2<<3 | byte(protowire.BytesType)
	tagDocRouting = 3<<3 | byte(protowire.BytesType)
	tagDocOp      = 4<<3 | byte(protowire.VarintType)
)

func init() { encoding.RegisterCodecV2(batchCodec{proto: encoding.GetCodecV2("proto")}) }

// wireBatch is an encoded Batch. On the plugin side buf came from
// bufferPool and gRPC returns it there once written; on the host side buf
// is reused for every message of a stream.
type wireBatch struct {
	buf *[]byte
}

type batchCodec struct{ proto encoding.CodecV2 }

func (c batchCodec) Name() string { return batchCodecName }

func (c batchCodec) Marshal(v any) (mem.BufferSlice, error) {
	if w, ok := v.(*wireBatch); ok {
		return mem.BufferSlice{mem.NewBuffer(w.buf, bufferPool{})}, nil
	}
	return c.proto.Marshal(v)
}

func (c batchCodec) Unmarshal(data mem.BufferSlice, v any) error {
	w, ok := v.(*wireBatch)
	if !ok {
		return c.proto.Unmarshal(data, v)
	}
	n := data.Len()
	if cap(*w.buf) < n {
		*w.buf = make([]byte, n, n+n/4)
	}
	*w.buf = (*w.buf)[:n]
	data.CopyTo(*w.buf)
	return nil
}

// bufferPool recycles batch buffers; it is a mem.BufferPool so gRPC can
// hand a buffer back after writing it to the connection.
type bufferPool struct{}

var buffers = sync.Pool{New: func() any { b := make([]byte, 0, 64<<10); return &b }}

func (bufferPool) Get(length int) *[]byte {
	b := buffers.Get().(*[]byte)
	if cap(*b) < length {
		*b = make([]byte, length)
	}
	*b = (*b)[:length]
	return b
}

func (bufferPool) Put(b *[]byte) {
	if cap(*b) > 64<<20 {
		return // do not keep a huge one-off batch alive
	}
	*b = (*b)[:0]
	buffers.Put(b)
}

// appendDoc appends d as one Batch.docs field.
func appendDoc(b []byte, d *Doc) []byte {
	n := 0
	if d.ID != "" {
		n += 1 + protowire.SizeBytes(len(d.ID))
	}
	if len(d.Source) > 0 {
		n += 1 + protowire.SizeBytes(len(d.Source))
	}
	if d.Routing != "" {
		n += 1 + protowire.SizeBytes(len(d.Routing))
	}
	if d.Op != 0 {
		n += 1 + protowire.SizeVarint(uint64(int64(d.Op)))
	}
	b = protowire.AppendVarint(append(b, tagBatchDocs), uint64(n))
	if d.ID != "" {
		b = protowire.AppendString(append(b, tagDocID), d.ID)
	}
	if len(d.Source) > 0 {
		b = protowire.AppendBytes(append(b, tagDocSource), d.Source)
	}
	if d.Routing != "" {
		b = protowire.AppendString(append(b, tagDocRouting), d.Routing)
	}
	if d.Op != 0 {
		b = protowire.AppendVarint(append(b, tagDocOp), uint64(int64(d.Op)))
	}
	return b
}

// batchDecoder parses encoded batches into one reused Batch. Sources alias
// the input buffer; ids and routings share one string per batch.
type batchDecoder struct {
	batch Batch
	strs  []byte
	offs  []docStrings
}

type docStrings struct{ id0, id1, r0, r1 int }

var errWire = errors.New("undecodable batch bytes")

// decode parses buf and validates every document. pos is the position of
// the batch's first document in the stream, for error messages.
func (d *batchDecoder) decode(buf []byte, pos int) (*Batch, error) {
	docs := d.batch.Docs[:0]
	d.strs, d.offs = d.strs[:0], d.offs[:0]
	for len(buf) > 0 {
		num, typ, n := protowire.ConsumeTag(buf)
		if n < 0 {
			return nil, fmt.Errorf("%w: after doc %d: %w", ErrMalformedBatch, pos+len(docs), errWire)
		}
		buf = buf[n:]
		if num != 1 || typ != protowire.BytesType {
			if n = protowire.ConsumeFieldValue(num, typ, buf); n < 0 {
				return nil, fmt.Errorf("%w: after doc %d: %w", ErrMalformedBatch, pos+len(docs), errWire)
			}
			buf = buf[n:]
			continue
		}
		v, n := protowire.ConsumeBytes(buf)
		if n < 0 {
			return nil, fmt.Errorf("%w: doc %d: %w", ErrMalformedBatch, pos+len(docs), errWire)
		}
		buf = buf[n:]
		doc, s, ok := d.decodeDoc(v)
		if !ok {
			return nil, fmt.Errorf("%w: doc %d: %w", ErrMalformedBatch, pos+len(docs), errWire)
		}
		docs = append(docs, doc)
		d.offs = append(d.offs, s)
	}
	all := string(d.strs)
	for i := range docs {
		o := d.offs[i]
		docs[i].ID, docs[i].Routing = all[o.id0:o.id1], all[o.r0:o.r1]
		if err := checkDoc(&docs[i]); err != nil {
			return nil, fmt.Errorf("%w: doc %d (id %q): %s", ErrMalformedBatch, pos+i, docs[i].ID, err)
		}
	}
	d.batch.Docs = docs
	return &d.batch, nil
}

func (d *batchDecoder) decodeDoc(b []byte) (Doc, docStrings, bool) {
	var doc Doc
	var s docStrings
	for len(b) > 0 {
		num, typ, n := protowire.ConsumeTag(b)
		if n < 0 {
			return doc, s, false
		}
		b = b[n:]
		switch {
		case num >= 1 && num <= 3 && typ == protowire.BytesType:
			v, n := protowire.ConsumeBytes(b)
			if n < 0 {
				return doc, s, false
			}
			b = b[n:]
			switch num {
			case 1:
				s.id0 = len(d.strs)
				d.strs = append(d.strs, v...)
				s.id1 = len(d.strs)
			case 2:
				doc.Source = v
			case 3:
				s.r0 = len(d.strs)
				d.strs = append(d.strs, v...)
				s.r1 = len(d.strs)
			}
		case num == 4 && typ == protowire.VarintType:
			v, n := protowire.ConsumeVarint(b)
			if n < 0 {
				return doc, s, false
			}
			b = b[n:]
			doc.Op = Op(int32(v))
		default:
			if n = protowire.ConsumeFieldValue(num, typ, b); n < 0 {
				return doc, s, false
			}
			b = b[n:]
		}
	}
	return doc, s, true
}

// checkDoc is the host's whole validation of a document: it never decodes
// the JSON, it only looks at the first and last non-space bytes.
func checkDoc(d *Doc) error {
	if d.ID == "" {
		return errors.New("empty id")
	}
	switch d.Op {
	case OpDelete, OpSkip:
		return nil
	case OpIndex:
	default:
		return fmt.Errorf("unknown op %d", d.Op)
	}
	if !isJSONObject(d.Source) {
		return errors.New("source is not a JSON object")
	}
	return nil
}

func isJSONObject(b []byte) bool {
	i, j := 0, len(b)-1
	for i <= j && isSpace(b[i]) {
		i++
	}
	for j > i && isSpace(b[j]) {
		j--
	}
	return i < j && b[i] == '{' && b[j] == '}'
}

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }
