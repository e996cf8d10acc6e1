package sdk

import (
	"context"
	"fmt"
)

// Local runs a Source in-process with the same methods as Plugin, so the
// host and tests can use a source without a binary. Its Stream batches and
// validates documents exactly as the gRPC path does, and a panic in the
// source becomes an error.
type Local struct {
	name string
	src  Source
	opts *serveOptions
}

// NewLocal wraps src.
func NewLocal(name string, src Source) *Local {
	o, _ := newServeOptions(nil)
	return &Local{name: name, src: src, opts: o}
}

// Name is the source's name.
func (l *Local) Name() string { return l.name }

// Configure calls the source.
func (l *Local) Configure(ctx context.Context, req *ConfigureRequest) (resp *ConfigureResponse, err error) {
	defer l.recover("configure", "", &err)
	r := *req
	if len(r.Config) == 0 {
		r.Config = []byte("{}")
	}
	if _, err := l.src.Configure(ctx, &r); err != nil {
		return nil, &PluginError{Plugin: l.name, Op: "configure", Err: err}
	}
	return &ConfigureResponse{}, nil
}

// Describe calls the source.
func (l *Local) Describe(ctx context.Context, req *DescribeRequest) (resp *DescribeResponse, err error) {
	defer l.recover("describe", "", &err)
	resp, err = l.src.Describe(ctx, req)
	if err != nil {
		return nil, &PluginError{Plugin: l.name, Op: "describe", Err: err}
	}
	return resp, nil
}

// Watermark calls the source when it is a Watermarker, and otherwise
// answers with the zero time, as Plugin does.
func (l *Local) Watermark(ctx context.Context, req *WatermarkRequest) (resp *WatermarkResponse, err error) {
	defer l.recover("watermark", req.Index, &err)
	wm, ok := l.src.(Watermarker)
	if !ok {
		return &WatermarkResponse{}, nil
	}
	resp, err = wm.Watermark(ctx, req)
	if err != nil {
		return nil, &PluginError{Plugin: l.name, Op: "watermark", Index: req.Index, Err: err}
	}
	if resp == nil {
		resp = &WatermarkResponse{}
	}
	return resp, nil
}

// Count calls the source when it is a Counter, and otherwise returns an
// error matching ErrNoCount, as Plugin does.
func (l *Local) Count(ctx context.Context, req *CountRequest) (resp *CountResponse, err error) {
	defer l.recover("count", req.Index, &err)
	c, ok := l.src.(Counter)
	if !ok {
		return nil, &PluginError{Plugin: l.name, Op: "count", Index: req.Index, Err: ErrNoCount}
	}
	resp, err = c.Count(ctx, req)
	if err != nil {
		return nil, &PluginError{Plugin: l.name, Op: "count", Index: req.Index, Err: err}
	}
	if resp == nil {
		resp = &CountResponse{}
	}
	return resp, nil
}

// Split calls the source when it is a Splitter, and otherwise answers with
// no split, as Plugin does.
func (l *Local) Split(ctx context.Context, req *SplitRequest) (resp *SplitResponse, err error) {
	defer l.recover("split", req.Index, &err)
	sp, ok := l.src.(Splitter)
	if !ok {
		return &SplitResponse{}, nil
	}
	r := *req
	r.Partitions = max(r.Partitions, 1)
	resp, err = sp.Split(ctx, &r)
	if err != nil {
		return nil, &PluginError{Plugin: l.name, Op: "split", Index: req.Index, Err: err}
	}
	if resp == nil {
		resp = &SplitResponse{}
	}
	return resp, nil
}

// Stream calls the source, batching its documents as Serve would.
func (l *Local) Stream(ctx context.Context, req *StreamRequest, fn func(*Batch) error) (err error) {
	defer l.recover("stream", req.Index, &err)
	r := *req
	if r.Partitions < 1 {
		r.Partitions = 1
	}
	var dec batchDecoder
	var fnErr, badErr error
	pos := 0
	w := newBatchWriter(ctx, l.opts, func(buf *[]byte, _ int) error {
		defer bufferPool{}.Put(buf)
		b, err := dec.decode(*buf, pos)
		if err != nil {
			badErr = err
			return err
		}
		pos += len(b.Docs)
		if err := fn(b); err != nil {
			fnErr = err
			return err
		}
		return nil
	})
	defer w.release()
	err = l.src.Stream(ctx, &r, w)
	if err == nil {
		err = w.Flush()
	}
	switch {
	case fnErr != nil:
		return fnErr
	case badErr != nil:
		err = badErr
	case err == nil:
		return nil
	}
	return &PluginError{Plugin: l.name, Op: "stream", Index: req.Index, Err: err}
}

func (l *Local) recover(op, index string, err *error) {
	if r := recover(); r != nil {
		*err = &PluginError{Plugin: l.name, Op: op, Index: index, Err: fmt.Errorf("source panicked: %v", r)}
	}
}

// Close does nothing for a local source.
func (l *Local) Close() error { return nil }
