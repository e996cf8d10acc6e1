package sdk

import (
	"context"
	"sync"
	"time"
)

// batchWriter is the Writer a Source sees, on both the gRPC and the local
// path. Write copies the document into the current batch buffer (so the
// author may reuse d.Source) and hands the buffer to flush once it holds
// maxDocs documents or maxBytes bytes, or once its first document has
// waited maxDelay: a slow source (an API answering a few records a
// second) still sends what it has, so the host sees progress and its idle
// timeout measures the source, not the batch size. flush owns the buffer
// it is given; the writer calls it from one goroutine at a time.
type batchWriter struct {
	ctx      context.Context
	maxDocs  int
	maxBytes int
	maxDelay time.Duration
	flush    func(buf *[]byte, docs int) error

	mu    sync.Mutex
	buf   *[]byte
	docs  int
	err   error // sticky: once the host is gone every Write fails
	timer *time.Timer
	done  bool // released: the timer must not flush any more
}

var _ Writer = (*batchWriter)(nil)

func newBatchWriter(ctx context.Context, o *serveOptions, flush func(*[]byte, int) error) *batchWriter {
	return &batchWriter{ctx: ctx, maxDocs: o.batchDocs, maxBytes: o.batchBytes, maxDelay: o.batchDelay, flush: flush}
}

func (w *batchWriter) Write(d Doc) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.err != nil {
		return w.err
	}
	if w.buf == nil {
		w.buf = bufferPool{}.Get(0)
	}
	*w.buf = appendDoc(*w.buf, &d)
	w.docs++
	if w.docs >= w.maxDocs || len(*w.buf) >= w.maxBytes {
		return w.flushLocked()
	}
	if w.docs == 1 && w.maxDelay > 0 {
		if w.timer == nil {
			w.timer = time.AfterFunc(w.maxDelay, w.flushStale)
		} else {
			w.timer.Reset(w.maxDelay)
		}
	}
	return nil
}

// flushStale sends a batch whose first document has waited maxDelay.
func (w *batchWriter) flushStale() {
	w.mu.Lock()
	defer w.mu.Unlock()
	if !w.done {
		_ = w.flushLocked() // an error is sticky: the next Write returns it
	}
}

// Flush sends the documents written so far, if any.
func (w *batchWriter) Flush() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.flushLocked()
}

func (w *batchWriter) flushLocked() error {
	if w.err != nil || w.docs == 0 {
		return w.err
	}
	if w.timer != nil {
		w.timer.Stop()
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

// release stops the timer and returns an unsent buffer to the pool.
func (w *batchWriter) release() {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.done = true
	if w.timer != nil {
		w.timer.Stop()
	}
	if w.buf != nil {
		bufferPool{}.Put(w.buf)
		w.buf = nil
	}
}
