// Package sdktest tests demhost source plugins without building a binary.
// Connect runs a Source in-process behind go-plugin's real gRPC test
// connection; Run is the conformance suite every source should pass:
//
//	func TestConformance(t *testing.T) {
//		sdktest.Run(t, mysource.New(), sdktest.Config{Config: []byte(`{"path":"testdata/books.csv"}`)})
//	}
package sdktest

import (
	"context"
	"testing"

	"github.com/hashicorp/go-plugin"

	sdk "github.com/demhost/demhost/plugin-sdk"
)

// Connect serves src over go-plugin's in-process gRPC test connection and
// returns the host's client for it, the same type Start returns. Both ends
// are closed at cleanup. opts tune the serving side's batches.
func Connect(t testing.TB, src sdk.Source, opts ...sdk.ServeOpt) *sdk.Plugin {
	t.Helper()
	ps, err := sdk.PluginMap(src, opts...)
	if err != nil {
		t.Fatalf("sdktest: serve options: %v", err)
	}
	// Closing the client shuts the server down (go-plugin's controller);
	// stopping the server as well would race inside go-plugin.
	client, _ := plugin.TestPluginGRPCConn(t, false, ps)
	p, err := sdk.Dispense("sdktest", client)
	if err != nil {
		client.Close()
		t.Fatalf("sdktest: %v", err)
	}
	t.Cleanup(func() { _ = p.Close() })
	return p
}

// Streamer is what *sdk.Plugin and *sdk.Local have in common for reading.
type Streamer interface {
	Stream(ctx context.Context, req *sdk.StreamRequest, fn func(*sdk.Batch) error) error
}

// ReadAll streams req and returns copies of every document, failing t on
// any error.
func ReadAll(t testing.TB, s Streamer, req *sdk.StreamRequest) []sdk.Doc {
	t.Helper()
	docs, err := readAll(context.Background(), s, req)
	if err != nil {
		t.Fatalf("sdktest: read %s partition %d/%d: %v", req.Index, req.Partition, req.Partitions, err)
	}
	return docs
}

func readAll(ctx context.Context, s Streamer, req *sdk.StreamRequest) ([]sdk.Doc, error) {
	var docs []sdk.Doc
	err := s.Stream(ctx, req, func(b *sdk.Batch) error {
		for _, d := range b.Docs {
			d.Source = append([]byte(nil), d.Source...)
			docs = append(docs, d)
		}
		return nil
	})
	return docs, err
}
