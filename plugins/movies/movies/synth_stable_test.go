package movies_test

import (
	"crypto/sha256"
	"encoding/hex"
	"testing"

	"github.com/demhost/demhost/plugins/movies/movies"
)

// TestSyntheticCorpusIsStable pins the bytes of the synthetic corpus: the
// benchmark and any index filled earlier rely on seed S always giving the
// same movies, so a faster generator must render exactly the same bytes.
func TestSyntheticCorpusIsStable(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		seed uint64
		n    int
		want string
	}{
		{seed: 1, n: 20000, want: "b993f350de07d9765dfca953e0ea7448bbdcfc6e880652464c385ea0987650f3"},
		{seed: 7, n: 3000, want: "09e37ac00352d1ed6518efb6f6ff9cc2fbab132f220a5e774ed9273803d3697a"},
	} {
		h := sha256.New()
		for id, src := range movies.Generate(tt.n, tt.seed) {
			h.Write([]byte(id))
			h.Write(src)
		}
		if got := hex.EncodeToString(h.Sum(nil)); got != tt.want {
			t.Errorf("seed %d, %d movies: sha256 %s, want %s", tt.seed, tt.n, got, tt.want)
		}
	}
}

// BenchmarkGenerate is the generator as the plugin runs it: ids and
// sources of one partition, in order.
func BenchmarkGenerate(b *testing.B) {
	b.ReportAllocs()
	n := 0
	for range movies.GeneratePartition(b.N, 1, 0, 1) {
		n++
	}
	if n != b.N {
		b.Fatalf("generated %d, want %d", n, b.N)
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "docs/s")
}
