package sdk_test

import (
	"context"
	"fmt"
	"testing"

	sdk "github.com/demhost/demhost/plugin-sdk"
	"github.com/demhost/demhost/plugin-sdk/internal/testsource"
)

// docBytes is the size of the benchmark documents.
const docBytes = 1024

// BenchmarkStreamGRPC streams b.N documents of about 1 KB from the "good"
// test plugin, a real subprocess, through gRPC; docs/s is the throughput.
func BenchmarkStreamGRPC(b *testing.B) {
	p := start(b, "good")
	benchStream(b, p)
}

// BenchmarkStreamLocal is the same stream through Local, without gRPC.
func BenchmarkStreamLocal(b *testing.B) {
	benchStream(b, sdk.NewLocal("local", &testsource.Source{}))
}

func benchStream(b *testing.B, p interface {
	Configure(context.Context, *sdk.ConfigureRequest) (*sdk.ConfigureResponse, error)
	streamer
}) {
	configure(b, p, fmt.Sprintf(`{"docs": %d, "doc_bytes": %d}`, b.N, docBytes))
	b.SetBytes(docBytes)
	b.ReportAllocs()
	b.ResetTimer()
	n := 0
	err := p.Stream(context.Background(), &sdk.StreamRequest{Index: "items"}, func(batch *sdk.Batch) error {
		n += len(batch.Docs)
		return nil
	})
	b.StopTimer()
	if err != nil {
		b.Fatal(err)
	}
	if n != b.N {
		b.Fatalf("got %d docs, want %d", n, b.N)
	}
	b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "docs/s")
}
