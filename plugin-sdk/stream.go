package sdk

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"sync/atomic"
	"time"

	"google.golang.org/grpc"

	pb "github.com/demhost/demhost/plugin-sdk/internal/proto"
)

type (
	pbConfigureResponse = pb.ConfigureResponse
	pbDescribeRequest   = pb.DescribeRequest
	pbDescribeResponse  = pb.DescribeResponse
	pbWatermarkResponse = pb.WatermarkResponse
	pbCountResponse     = pb.CountResponse
	pbSplitResponse     = pb.SplitResponse
)

const (
	methodConfigure = pb.Source_Configure_FullMethodName
	methodDescribe  = pb.Source_Describe_FullMethodName
	methodWatermark = pb.Source_Watermark_FullMethodName
	methodCount     = pb.Source_Count_FullMethodName
	methodSplit     = pb.Source_Split_FullMethodName
)

// Stream reads one partition and calls fn for each batch, in order. The
// batch and its documents' bytes are valid only until fn returns: fn must
// not retain them. An error from fn stops the stream and is returned as is.
func (p *Plugin) Stream(ctx context.Context, req *StreamRequest, fn func(*Batch) error) error {
	fail := func(err error) error { return &PluginError{Plugin: p.name, Op: "stream", Index: req.Index, Err: err} }
	if p.isClosed() {
		return fail(ErrClosed)
	}
	sctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var timedOut atomic.Bool
	idle := time.AfterFunc(p.opts.idleTimeout, func() { timedOut.Store(true); cancel() })
	defer idle.Stop()

	preq := toProtoStreamRequest(req)
	var side chan *net.UnixConn
	if l := p.batchListener(); l != nil {
		if tok, ch, forget, err := l.expect(); err == nil {
			defer forget()
			preq.BatchSocket, preq.BatchToken, side = l.path, tok[:], ch
		}
	}
	stream, err := p.conn.NewStream(sctx, &pb.Source_ServiceDesc.Streams[0], pb.Source_Stream_FullMethodName,
		grpc.CallContentSubtype(batchCodecName), grpc.MaxCallRecvMsgSize(maxMessageBytes))
	if err == nil {
		err = stream.SendMsg(preq)
	}
	if err == nil {
		err = stream.CloseSend()
	}
	if err != nil {
		return fail(p.callError(ctx, err, timedOut.Load()))
	}

	buf := make([]byte, 0, 256<<10)
	wb := wireBatch{buf: &buf}
	var dec batchDecoder
	pos := 0
	deliver := func() error {
		b, err := dec.decode(*wb.buf, pos)
		if err != nil {
			return fail(err)
		}
		pos += len(b.Docs)
		return fn(b)
	}
	if side != nil {
		// The plugin either connects to the socket or sends its first
		// batch (or its end) on the call, as a plugin built before the
		// socket existed does.
		first := make(chan error, 1)
		var firstBuf []byte // grown by the codec if a batch comes on the call
		go func() { first <- stream.RecvMsg(&wireBatch{buf: &firstBuf}) }()
		select {
		case c := <-side:
			return p.readBatchSocket(sctx, c, first, idle, &timedOut, wb, deliver, fail)
		case err := <-first:
			idle.Stop()
			if err != nil && usedBatchSocket(stream.Trailer()) {
				// It connected, wrote its batches and ended (or failed)
				// before the connection reached this stream: read them
				// first, then the call's end.
				select {
				case c := <-side:
					ended := make(chan error, 1)
					ended <- err
					return p.readBatchSocket(sctx, c, ended, idle, &timedOut, wb, deliver, fail)
				case <-time.After(batchAcceptWait):
					return fail(fmt.Errorf("%w: the plugin says it sent batches on it, but its connection never came", errBatchSocket))
				}
			}
			switch {
			case errors.Is(err, io.EOF):
				return nil
			case err != nil:
				return fail(p.callError(ctx, err, timedOut.Load()))
			}
			wb.buf = &firstBuf
			if err := deliver(); err != nil {
				return err
			}
			wb.buf = &buf
		}
	}
	for {
		idle.Reset(p.opts.idleTimeout)
		err := stream.RecvMsg(&wb)
		idle.Stop()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return fail(p.callError(ctx, err, timedOut.Load()))
		}
		if err := deliver(); err != nil {
			return err
		}
	}
}

// readBatchSocket reads the stream's batches from the plugin's connection
// c until it ends, then the call's end from called (the first RecvMsg of
// the call, which carries no batch). An error of the call (the plugin's
// own, a crash, the idle timeout) wins over what it did to the socket.
func (p *Plugin) readBatchSocket(ctx context.Context, c *net.UnixConn, called <-chan error,
	idle *time.Timer, timedOut *atomic.Bool, wb wireBatch, deliver func() error, fail func(error) error) error {
	defer c.Close()
	batchSocketStreams.Add(1)
	stop := context.AfterFunc(ctx, func() { _ = c.SetReadDeadline(time.Unix(1, 0)) })
	defer stop()
	var hdr [batchFrameHeader]byte
	var sockErr error
	for {
		idle.Reset(p.opts.idleTimeout)
		err := readBatchFrame(c, &hdr, wb.buf)
		idle.Stop()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			sockErr = err
			c.Close() // a plugin still writing fails, and ends its call
			break
		}
		if err := deliver(); err != nil {
			return err
		}
	}
	idle.Reset(p.opts.idleTimeout)
	var err error
	select {
	case err = <-called:
	case <-time.After(batchAcceptWait):
		// A plugin that closed its end but does not end the call.
		idle.Stop()
		return fail(fmt.Errorf("%w: no end of the call %s after the plugin closed its batch socket", ErrTimeout, batchAcceptWait))
	}
	idle.Stop()
	switch {
	case errors.Is(err, io.EOF) && sockErr == nil:
		return nil
	case errors.Is(err, io.EOF):
		return fail(sockErr)
	case err != nil:
		return fail(p.callError(ctx, err, timedOut.Load()))
	}
	return fail(fmt.Errorf("%w: the plugin sent a batch on the call after using its batch socket", ErrMalformedBatch))
}
