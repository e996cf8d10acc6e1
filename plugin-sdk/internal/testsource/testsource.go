// Package testsource is a configurable Source for the SDK's own tests and
// benchmarks, and the test plugin binaries built from it.
package testsource

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"time"

	sdk "github.com/demhost/demhost/plugin-sdk"
)

// Base is the update time of document 0; document i was updated i seconds
// later.
var Base = time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)

// Config is the JSON config of Source.
type Config struct {
	// Docs is how many documents each index has (default 10).
	Docs int `json:"docs"`
	// DocBytes pads each document to about this size.
	DocBytes int `json:"doc_bytes"`
}

// Source provides the index "items" with every capability. Stream of any
// other index fails with sdk.ErrUnknownIndex. Hooks, when set, replace a
// document's bytes or run before document i is written.
type Source struct {
	cfg Config
	// Mangle, if set, may change document i before it is written.
	Mangle func(i int, d *sdk.Doc)
}

var _ sdk.Source = (*Source)(nil)

// Configure reads Config; an unknown key is an error.
func (s *Source) Configure(_ context.Context, req *sdk.ConfigureRequest) (*sdk.ConfigureResponse, error) {
	var c Config
	if err := strictUnmarshal(req.Config, &c); err != nil {
		return nil, fmt.Errorf("%w: %v", sdk.ErrInvalidConfig, err)
	}
	if c.Docs < 0 {
		return nil, fmt.Errorf("%w: key docs: %d is negative", sdk.ErrInvalidConfig, c.Docs)
	}
	if c.Docs == 0 {
		c.Docs = 10
	}
	s.cfg = c
	return &sdk.ConfigureResponse{}, nil
}

// Describe lists "items".
func (s *Source) Describe(context.Context, *sdk.DescribeRequest) (*sdk.DescribeResponse, error) {
	return &sdk.DescribeResponse{Indexes: []sdk.IndexSpec{{
		Name:         "items",
		Mappings:     json.RawMessage(`{"properties":{"n":{"type":"integer"},"updated":{"type":"date"},"pad":{"type":"keyword","index":false}}}`),
		Settings:     json.RawMessage(`{"number_of_shards":1}`),
		Capabilities: sdk.Capabilities{Partitions: true, Since: true, Deletes: true},
	}}}, nil
}

// Stream writes the documents of partition k of n (i % n == k) updated at
// or after Since; every 7th is a delete. It reuses one buffer.
func (s *Source) Stream(ctx context.Context, req *sdk.StreamRequest, w sdk.Writer) error {
	if req.Index != "items" {
		return fmt.Errorf("%w: %q", sdk.ErrUnknownIndex, req.Index)
	}
	pad := make([]byte, max(0, s.cfg.DocBytes-60))
	for i := range pad {
		pad[i] = 'x'
	}
	var buf, id []byte
	for i := req.Partition; i < s.cfg.Docs; i += req.Partitions {
		updated := Base.Add(time.Duration(i) * time.Second)
		if !req.Since.IsZero() && updated.Before(req.Since) {
			continue
		}
		id = strconv.AppendInt(id[:0], int64(i), 10)
		buf = append(buf[:0], `{"n":`...)
		buf = strconv.AppendInt(buf, int64(i), 10)
		buf = append(buf, `,"updated":"`...)
		buf = updated.AppendFormat(buf, time.RFC3339)
		buf = append(buf, `","pad":"`...)
		buf = append(buf, pad...)
		buf = append(buf, `"}`...)
		d := sdk.Doc{ID: string(id), Source: buf}
		if i%7 == 6 {
			d = sdk.Doc{ID: string(id), Op: sdk.OpDelete}
		}
		if s.Mangle != nil {
			s.Mangle(i, &d)
		}
		if err := w.Write(d); err != nil {
			return err
		}
		if i%1024 == 0 && ctx.Err() != nil {
			return ctx.Err()
		}
	}
	return nil
}

func strictUnmarshal(b []byte, v any) error {
	if len(b) == 0 {
		return nil
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(b, &m); err != nil {
		return err
	}
	for k := range m {
		if k != "docs" && k != "doc_bytes" {
			return fmt.Errorf("unknown key %q", k)
		}
	}
	return json.Unmarshal(b, v)
}
