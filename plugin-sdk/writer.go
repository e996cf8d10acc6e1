package sdk

import "context"

// batchWriter is the Writer a Source sees, on both the gRPC and the local
// path. Write copies the document into the current batch buffer (so the
// author may reuse d.Source) and hands the buffer to flush once it holds
// maxDocs documents or maxBytes bytes. flush owns the buffer it is given.
type batchWriter struct {
	ctx      context.Context
	maxDocs  int
	maxBytes int
	flush    func(buf *[]byte, docs int) error

	buf  *[]byte
	docs int
	err  error // sticky: once the host is gone every Write fails
}

var _ Writer = (*batchWriter)(nil)

func newBatchWriter(ctx context.Context, o *serveOptions, flush func(*[]byte, int) error) *batchWriter {
	return &batchWriter{ctx: ctx, maxDocs: o.batchDocs, maxBytes: o.batchBytes, flush: flush}
}

func (w *batchWriter) Write(d Doc) error {
	if w.err != nil {
		return w.err
	}
	if w.buf == nil {
		w.buf = bufferPool{}.Get(0)
	}
	*w.buf = appendDoc(*w.buf, &d)
	w.docs++
	if w.docs >= w.maxDocs || len(*w.buf) >= w.maxBytes {
		return w.Flush()
	}
	return nil
}

// Flush sends the documents written so far, if any.
func (w *batchWriter) Flush() error {
	if w.err != nil || w.docs == 0 {
		return w.err
	}
	if err := w.ctx.Err(); err != nil {
		w.err = err
		return err
	}
	buf, docs := w.buf, w.docs
	w.buf, w.docs = nil, 0
	if err := w.flush(buf, docs); err != nil {
		w.err = err
	}
	return w.err
}

// release returns an unsent buffer to the pool.
func (w *batchWriter) release() {
	if w.buf != nil {
		bufferPool{}.Put(w.buf)
		w.buf = nil
	}
}
