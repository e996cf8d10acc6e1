package sdk

import (
	"context"
	"errors"
	"io"
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

	stream, err := p.conn.NewStream(sctx, &pb.Source_ServiceDesc.Streams[0], pb.Source_Stream_FullMethodName,
		grpc.CallContentSubtype(batchCodecName), grpc.MaxCallRecvMsgSize(maxMessageBytes))
	if err == nil {
		err = stream.SendMsg(toProtoStreamRequest(req))
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
		b, err := dec.decode(*wb.buf, pos)
		if err != nil {
			return fail(err)
		}
		pos += len(b.Docs)
		if err := fn(b); err != nil {
			return err
		}
	}
}
