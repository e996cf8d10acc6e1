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
			Docs:      n,
			Wall:      time.Duration(float64(n) / dps * float64(time.Second)),
			CPU:       time.Duration(cpuMicros * float64(n) * float64(time.Microsecond)),
			MaxRSSKB:  rssMB * 1024,
			EngineCPU: -1,
		})
	}
	return out
}

func TestTargets(t *testing.T) {
	t.Parallel()
	r := bench.EngineResult{Samples: map[string][]bench.Sample{
		bench.Demhost: withEngine(samples(12000, 2, 30, 3), 146),
		bench.Esutil:  samples(10000, 6, 200, 3),
		bench.Python:  samples(3000, 20, 300, 3),
		bench.Ceiling: withEngine(samples(12500, 1, 250, 3), 144),
	}, GeneratorCPU: 0.2}
	got := map[string]bench.Target{}
	for _, tg := range bench.Targets(r, bench.Summary{Median: 900000, N: 3}) {
		got[tg.Name] = tg
	}
	tests := []struct {
		name   string
		value  float64
		met    bool
		figure bool
	}{
		{"A/D engine CPU per doc", 146.0 / 144, true, false},
		{"A/D docs/s", 0.96, false, false},
		{"A/B client CPU per doc (A without generator)", (2 - 0.2) / 6, true, false},
		{"plugin stream alone", 900000, false, false},
		{"A/B docs/s", 1.2, true, true},
		{"A/C docs/s", 4, true, true},
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
		if tg.Figure != tt.figure {
			t.Errorf("%s figure = %v, want %v", tt.name, tg.Figure, tt.figure)
		}
		if !tt.figure && tg.Met() != tt.met {
			t.Errorf("%s met = %v, want %v", tt.name, tg.Met(), tt.met)
		}
	}
}

func TestTargetBounds(t *testing.T) {
	t.Parallel()
	d := withEngine(samples(12500, 1, 250, 3), 144)
	d[2] = withEngine(samples(12000, 1, 250, 1), 150)[0] // D's rounds span 144–150 µs
	tests := []struct {
		name     string
		aEngine  float64
		load     float64
		want     []string
		unwanted string
	}{
		{"engine within D's rounds, quiet machine", 149, 1.5, []string{
			"A/D engine CPU per doc: bounded by the machine: A's 149.0 µs is within D's own rounds (144.0–150.0 µs)",
			"A/D docs/s: bounded by demhost's client CPU and fixed costs",
		}, "overloaded"},
		{"engine within D's rounds, overloaded machine", 149, 9, []string{
			"A/D docs/s: bounded by the machine (load average up to 9.0 on 2 cores)",
		}, "bounded by demhost's engine CPU"},
		{"engine above D's rounds", 160, 1.5, []string{
			"A/D engine CPU per doc: bounded by demhost",
			"A/D docs/s: bounded by demhost's engine CPU per doc",
		}, "bounded by the machine"},
		{"engine equal, overloaded machine", 144, 9, []string{
			"A/D docs/s: bounded by the machine (load average up to 9.0 on 2 cores)",
			"A/B client CPU per doc (A without generator): bounded by demhost",
			"plugin stream alone: bounded by the machine",
		}, "engine CPU per doc:"},
		{"engine equal, quiet machine", 144, 1, []string{
			"A/D docs/s: bounded by demhost's client CPU and fixed costs",
		}, "bounded by the machine"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r := bench.EngineResult{Load: tt.load, Samples: map[string][]bench.Sample{
				bench.Demhost: withEngine(samples(11000, 3, 30, 3), tt.aEngine),
				bench.Esutil:  samples(10000, 6, 200, 3),
				bench.Ceiling: d,
			}}
			got := strings.Join(bench.TargetBounds(r, bench.Targets(r, bench.Summary{Median: 700000, N: 2}), 2), "\n")
			for _, w := range tt.want {
				if !strings.Contains(got, w) {
					t.Errorf("bounds lack %q:\n%s", w, got)
				}
			}
			if strings.Contains(got, tt.unwanted) {
				t.Errorf("bounds hold %q:\n%s", tt.unwanted, got)
			}
		})
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
	if err := bench.WriteEngineReport(&b, r, bench.Summary{Median: 1.5e6, Min: 1.4e6, Max: 1.6e6, N: 3}, 2); err != nil {
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
	if strings.Contains(out, "engine CPU µs/doc") || strings.Contains(out, "cores busy") {
		t.Errorf("engine columns without an engine measurement:\n%s", out)
	}
	if !strings.Contains(out, "ceiling D/B 1.25x, D/C 4.17x") {
		t.Errorf("report lacks the ceiling ratios:\n%s", out)
	}
}

// withEngine sets the engine CPU of each sample to micros per document.
func withEngine(ss []bench.Sample, micros float64) []bench.Sample {
	for i := range ss {
		ss[i].EngineCPU = time.Duration(micros * float64(ss[i].Docs) * float64(time.Microsecond))
	}
	return ss
}

func TestWriteEngineReportEngineCPU(t *testing.T) {
	t.Parallel()
	r := bench.EngineResult{
		Engine: "opensearch 2.19.1 at http://127.0.0.1:9201",
		Order:  []string{bench.Demhost, bench.Esutil, bench.Python, bench.Ceiling},
		Samples: map[string][]bench.Sample{
			bench.Demhost: withEngine(samples(12000, 2, 30, 3), 150),
			bench.Esutil:  samples(10000, 6, 200, 3), // a round where /proc could not be read
			bench.Python:  withEngine(samples(3000, 20, 300, 3), 160),
			bench.Ceiling: withEngine(samples(12500, 1, 250, 3), 144),
		},
	}
	var b strings.Builder
	if err := bench.WriteEngineReport(&b, r, bench.Summary{}, 2); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	for _, want := range []string{
		"engine CPU µs/doc",
		"engine cores busy",
		"150.0 [150.0–150.0]", // A's engine CPU per doc
		"1.80 [1.80–1.80]",    // A: 150 µs/doc at 12,000 docs/s
		"0.48 [0.48–0.48]",    // C: 160 µs/doc at 3,000 docs/s
		"the engine kept 1.80 of 2 cores busy during D (the client 0.01)",
		"engine CPU per doc: A 150.0, C 160.0, D 144.0 µs",
		"engine CPU per doc next to the ceiling D's: A 1.04x, C 1.11x",
		"A/D engine CPU per doc: bounded by demhost",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("report lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "at most") {
		t.Errorf("an upper bound was printed without B's engine figures:\n%s", out)
	}
	for _, line := range strings.Split(out, "\n") {
		if strings.HasPrefix(line, "B esutil") && !strings.HasSuffix(line, "-") {
			t.Errorf("B's engine cells should read - (not measured): %q", line)
		}
	}
}

func TestBoundsFromEngineCores(t *testing.T) {
	t.Parallel()
	r := bench.EngineResult{
		Order: []string{bench.Demhost, bench.Esutil, bench.Python, bench.Ceiling},
		Samples: map[string][]bench.Sample{
			bench.Demhost: withEngine(samples(12000, 2, 30, 3), 150),  // 1.80 cores
			bench.Esutil:  withEngine(samples(10000, 6, 200, 3), 160), // 1.60 cores
			bench.Python:  withEngine(samples(5000, 20, 300, 3), 160), // 0.80 cores
			bench.Ceiling: withEngine(samples(12500, 1, 250, 3), 144), // 1.80 cores
		},
	}
	got := strings.Join(bench.Bounds(r, 2), "\n")
	for _, want := range []string{
		"ceiling D/B 1.25x, D/C 2.50x",
		"engine CPU per doc: A 150.0, B 160.0, C 160.0, D 144.0 µs",
		"at equal engine CPU per doc, a client keeping all 2 cores busy is at most 1.25x B and 2.50x C (B kept 1.60 busy, C 0.80)",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("bounds lack %q:\n%s", want, got)
		}
	}
	delete(r.Samples, bench.Python)
	if lines := bench.Bounds(r, 2); len(lines) != 0 {
		t.Errorf("bounds without C = %q, want none", lines)
	}
}
