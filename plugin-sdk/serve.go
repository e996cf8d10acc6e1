package sdk

import (
	"context"
	"fmt"
	"os"
	"strings"

	"github.com/hashicorp/go-hclog"
	"github.com/hashicorp/go-plugin"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/experimental"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"

	pb "github.com/demhost/demhost/plugin-sdk/internal/proto"
)

// ProtocolVersion is the version of the plugin protocol. It is bumped only
// for breaking changes; a host refuses plugins of another version.
const ProtocolVersion = 1

// PluginName is the single plugin a demhost binary serves in go-plugin's
// plugin map.
const PluginName = "source"

// Handshake is the go-plugin handshake of demhost source plugins. The magic
// cookie never changes.
var Handshake = plugin.HandshakeConfig{
	ProtocolVersion:  ProtocolVersion,
	MagicCookieKey:   "DEMHOST_PLUGIN_MAGIC_COOKIE",
	MagicCookieValue: "4f0c9a3e-demhost-source-7b21d5e8",
}

// maxMessageBytes bounds one gRPC message, so one batch (a batch is flushed
// after the document that crosses the byte limit, so a single document may
// be up to about this size).
const maxMessageBytes = 64 << 20

// Serve runs src as a plugin binary; a plugin's main is one Serve call.
// It returns when the host stops the plugin; the process exits when its
// host is gone, even one killed by SIGKILL. A bad option is reported on
// stderr and exits with status 1. Whatever the plugin writes to stderr
// (or stdout) reaches the host, which parses hclog, log/slog and
// "[LEVEL]"-prefixed lines as well as plain ones (see WithLogSink).
func Serve(src Source, opts ...ServeOpt) {
	ps, err := PluginMap(src, opts...)
	if err != nil {
		fmt.Fprintf(os.Stderr, "demhost plugin: %v\n", err)
		os.Exit(1)
	}
	go watchParent()
	plugin.Serve(&plugin.ServeConfig{
		HandshakeConfig: Handshake,
		Plugins:         ps,
		GRPCServer:      newGRPCServer,
		Logger: hclog.New(&hclog.LoggerOptions{
			Name:       "source",
			Level:      hclog.Warn,
			Output:     os.Stderr,
			JSONFormat: true,
		}),
	})
}

func newGRPCServer(opts []grpc.ServerOption) *grpc.Server {
	return grpc.NewServer(append(opts,
		grpc.MaxRecvMsgSize(maxMessageBytes),
		grpc.MaxSendMsgSize(maxMessageBytes),
		grpc.WriteBufferSize(256<<10),
		grpc.ReadBufferSize(64<<10),
		experimental.BufferPool(sharedFramePool),
	)...)
}

// PluginMap is the go-plugin plugin map serving src, for code that calls
// go-plugin directly (Serve and package sdktest use it).
func PluginMap(src Source, opts ...ServeOpt) (map[string]plugin.Plugin, error) {
	o, err := newServeOptions(opts)
	if err != nil {
		return nil, err
	}
	return map[string]plugin.Plugin{PluginName: &grpcPlugin{src: src, opts: o}}, nil
}

// grpcPlugin is the go-plugin glue. On the host side src is nil and the
// dispensed value is the connection.
type grpcPlugin struct {
	plugin.NetRPCUnsupportedPlugin
	src  Source
	opts *serveOptions
}

var _ plugin.GRPCPlugin = (*grpcPlugin)(nil)

func (g *grpcPlugin) GRPCServer(_ *plugin.GRPCBroker, s *grpc.Server) error {
	pb.RegisterSourceServer(s, &sourceServer{src: g.src, opts: g.opts})
	return nil
}

func (g *grpcPlugin) GRPCClient(_ context.Context, _ *plugin.GRPCBroker, c *grpc.ClientConn) (any, error) {
	return c, nil
}

// sourceServer adapts a Source to the generated service.
type sourceServer struct {
	pb.UnimplementedSourceServer
	src  Source
	opts *serveOptions
}

func (s *sourceServer) Configure(ctx context.Context, req *pb.ConfigureRequest) (*pb.ConfigureResponse, error) {
	r := fromProtoConfigureRequest(req)
	if len(r.Config) == 0 {
		r.Config = []byte("{}")
	}
	if _, err := s.src.Configure(ctx, r); err != nil {
		return nil, toStatus(err)
	}
	return &pb.ConfigureResponse{}, nil
}

func (s *sourceServer) Describe(ctx context.Context, req *pb.DescribeRequest) (*pb.DescribeResponse, error) {
	resp, err := s.src.Describe(ctx, &DescribeRequest{})
	if err != nil {
		return nil, toStatus(err)
	}
	return toProtoDescribeResponse(resp), nil
}

func (s *sourceServer) Watermark(ctx context.Context, req *pb.WatermarkRequest) (*pb.WatermarkResponse, error) {
	wm, ok := s.src.(Watermarker)
	if !ok {
		return nil, status.Error(codes.Unimplemented, "this source keeps no watermark")
	}
	resp, err := wm.Watermark(ctx, &WatermarkRequest{Index: req.GetIndex()})
	if err != nil {
		return nil, toStatus(err)
	}
	return toProtoWatermarkResponse(resp), nil
}

func (s *sourceServer) Count(ctx context.Context, req *pb.CountRequest) (*pb.CountResponse, error) {
	c, ok := s.src.(Counter)
	if !ok {
		return nil, status.Error(codes.Unimplemented, "this source cannot count its documents")
	}
	resp, err := c.Count(ctx, &CountRequest{Index: req.GetIndex()})
	if err != nil {
		return nil, toStatus(err)
	}
	if resp == nil {
		return &pb.CountResponse{}, nil
	}
	return &pb.CountResponse{Count: resp.Count}, nil
}

func (s *sourceServer) Split(ctx context.Context, req *pb.SplitRequest) (*pb.SplitResponse, error) {
	sp, ok := s.src.(Splitter)
	if !ok {
		return nil, status.Error(codes.Unimplemented, "this source's partitions need no split")
	}
	resp, err := sp.Split(ctx, &SplitRequest{Index: req.GetIndex(), Since: fromUnixNano(req.GetSinceUnixNano()),
		Partitions: max(int(req.GetPartitions()), 1)})
	if err != nil {
		return nil, toStatus(err)
	}
	if resp == nil {
		return &pb.SplitResponse{}, nil
	}
	return &pb.SplitResponse{Split: resp.Split}, nil
}

func (s *sourceServer) Stream(req *pb.StreamRequest, stream grpc.ServerStreamingServer[pb.Batch]) error {
	ctx := stream.Context()
	raw := wantsRawBatches(ctx)
	var sock *batchSender
	if path := req.GetBatchSocket(); path != "" && raw && !s.opts.noBatchSocket {
		// Offered by the host: the batches go on the socket. If it cannot
		// be reached they go on the call, which the host reads as well.
		if snd, err := dialBatchSocket(ctx, path, req.GetBatchToken()); err == nil {
			sock = snd
			defer sock.close() // before the call ends: the host reads to the socket's end first
			markBatchSocketUsed(stream)
		}
	}
	w := newBatchWriter(ctx, s.opts, func(buf *[]byte, _ int) error {
		if sock != nil {
			defer bufferPool{}.Put(buf)
			return sock.send(*buf)
		}
		if raw {
			// gRPC puts buf back in the pool once it is on the wire.
			return stream.SendMsg(&wireBatch{buf: buf})
		}
		defer bufferPool{}.Put(buf)
		var b pb.Batch
		if err := proto.Unmarshal(*buf, &b); err != nil {
			return err
		}
		return stream.Send(&b)
	})
	defer w.release()
	var out Writer = w
	if !req.GetAcceptsSkips() {
		out = skipLogger{w}
	}
	if err := s.src.Stream(ctx, fromProtoStreamRequest(req), out); err != nil {
		return toStatus(err)
	}
	return toStatus(w.Flush())
}

// skipLogger stands between a source and a host built before OpSkip
// existed: it logs each skipped record as a warning on stderr, which such
// a host shows, instead of sending what it would refuse.
type skipLogger struct{ w Writer }

func (l skipLogger) Write(d Doc) error {
	if d.Op != OpSkip {
		return l.w.Write(d)
	}
	fmt.Fprintf(os.Stderr, "[WARN] skipped %s: %s\n", d.ID, d.Source)
	return nil
}

// wantsRawBatches reports whether the client asked for the batch codec.
func wantsRawBatches(ctx context.Context) bool {
	md, _ := metadata.FromIncomingContext(ctx)
	for _, ct := range md.Get("content-type") {
		if strings.HasSuffix(ct, "+"+batchCodecName) {
			return true
		}
	}
	return false
}
