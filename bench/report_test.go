package bench_test

import (
	"strings"
	"testing"
	"time"

	"github.com/demhost/demhost/bench"
)

// samples gives k samples of n docs at the given docs/s and CPU µs/doc.
func samples(dps, cpuMicros float64, rssMB int64, k int) []bench.Sample {
	var out []bench.Sample
	for range k {
		n := int64(100000)
		out = append(out, bench.Sample{
			Docs:     n,
			Wall:     time.Duration(float64(n) / dps * float64(time.Second)),
			CPU:      time.Duration(cpuMicros * float64(n) * float64(time.Microsecond)),
			MaxRSSKB: rssMB * 1024,
		})
	}
	return out
}

func TestTargets(t *testing.T) {
	t.Parallel()
	r := bench.EngineResult{Samples: map[string][]bench.Sample{
		bench.Demhost: samples(12000, 2, 30, 3),
		bench.Esutil:  samples(10000, 6, 200, 3),
		bench.Python:  samples(3000, 20, 300, 3),
		bench.Ceiling: samples(12500, 1, 250, 3),
	}}
	got := map[string]bench.Target{}
	for _, tg := range bench.Targets(r, bench.Summary{Median: 900000, N: 3}) {
		got[tg.Name] = tg
	}
	tests := []struct {
		name  string
		value float64
		met   bool
	}{
		{"A/B docs/s", 1.2, true},
		{"A/C docs/s", 4, true},
		{"A/D docs/s", 0.96, true},
		{"A/B client CPU per doc", 2.0 / 6, true},
		{"plugin stream alone", 900000, false},
	}
	for _, tt := range tests {
		tg, ok := got[tt.name]
		if !ok {
			t.Errorf("no target %q", tt.name)
			continue
		}
		if d := tg.Value - tt.value; d > 0.01 || d < -0.01 {
			t.Errorf("%s = %v, want %v", tt.name, tg.Value, tt.value)
		}
		if tg.Met() != tt.met {
			t.Errorf("%s met = %v, want %v", tt.name, tg.Met(), tt.met)
		}
	}
}

func TestWriteEngineReport(t *testing.T) {
	t.Parallel()
	r := bench.EngineResult{
		Engine: "elasticsearch 7.17.29 at http://127.0.0.1:9200",
		Order:  []string{bench.Demhost, bench.Esutil, bench.Python, bench.Ceiling},
		Samples: map[string][]bench.Sample{
			bench.Esutil:  samples(10000, 6, 200, 3),
			bench.Python:  samples(3000, 20, 300, 3),
			bench.Ceiling: samples(12500, 1, 250, 3),
		},
		Notes: []string{"B is esutil"},
	}
	var b strings.Builder
	if err := bench.WriteEngineReport(&b, r, bench.Summary{Median: 1.5e6, Min: 1.4e6, Max: 1.6e6, N: 3}); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	for _, want := range []string{
		"== elasticsearch 7.17.29 at http://127.0.0.1:9200",
		"A demhost",
		"not run",
		"10,000 [10,000–10,000]",
		"6.0 [6.0–6.0]",
		"200 [200–200]",
		"A/B docs/s",
		"n/a",
		"1,500,000 docs/s",
		">= 1,000,000 docs/s",
		"PASS",
		"B is esutil",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("report lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "MISS") {
		t.Errorf("a target without a measurement must read n/a, not MISS:\n%s", out)
	}
}
