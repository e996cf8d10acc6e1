package host

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/demhost/demhost/host/engine"
	sdk "github.com/demhost/demhost/plugin-sdk"
)

func benchDocs(n int) []sdk.Doc {
	src := []byte(`{"title":"The Third Man","year":1949,"directors":["Carol Reed"],"cast":["Joseph Cotten","Alida Valli","Orson Welles","Trevor Howard"],"genres":["film-noir","thriller"],"runtime":104,"country":"United Kingdom","language":"English","rating":8.1}`)
	docs := make([]sdk.Doc, n)
	for i := range docs {
		docs[i] = sdk.Doc{ID: fmt.Sprintf("movie-%08d", i), Source: src}
	}
	return docs
}

// BenchmarkBuildBulkBody measures appending documents to a reused bulk
// buffer: the indexer's per-document work.
func BenchmarkBuildBulkBody(b *testing.B) {
	docs := benchDocs(1000)
	var buf bulkBuf
	b.ReportAllocs()
	b.SetBytes(int64(len(appendDoc(nil, &docs[0]))))
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		if i%len(docs) == 0 {
			buf.reset()
		}
		buf.add(&docs[i%len(docs)])
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "docs/s")
}

// BenchmarkAppendJSONStringEscaped is the slow path of id escaping.
func BenchmarkAppendJSONStringEscaped(b *testing.B) {
	var out []byte
	b.ReportAllocs()
	for b.Loop() {
		out = appendJSONString(out[:0], "tt0041959\t\"quoted\" émile\\")
	}
}

// discardEngine is a bulker that accepts every bulk request at once.
type discardEngine struct{}

var _ bulker = discardEngine{}

func (discardEngine) Bulk(context.Context, string, []byte) (engine.BulkResult, error) {
	return engine.BulkResult{}, nil
}

// BenchmarkIndexer runs the whole indexer (streams, buffers, senders)
// against an engine that answers at once, so it measures the host's CPU
// per document.
func BenchmarkIndexer(b *testing.B) {
	for _, workers := range []int{1, 4} {
		b.Run(fmt.Sprintf("workers=%d", workers), func(b *testing.B) {
			b.ReportAllocs()
			per := max(b.N/workers, 1)
			ix := newIndexer(discardEngine{}, "bench-1", BulkConfig{Workers: workers, BatchSize: 1000, FlushInterval: time.Second}.withDefaults(), nil)
			b.ResetTimer()
			if err := ix.run(context.Background(), &genSource{n: per, batch: 256}, sdk.StreamRequest{Index: "bench"}, workers); err != nil {
				b.Fatal(err)
			}
			b.StopTimer()
			if got := ix.counts().Indexed; got != int64(per*workers) {
				b.Fatalf("indexed %d, want %d", got, per*workers)
			}
			b.ReportMetric(float64(per*workers)/b.Elapsed().Seconds(), "docs/s")
		})
	}
}
