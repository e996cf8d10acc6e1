package bench

import (
	"fmt"
	"io"
	"strings"
)

// Contender letters, in the order the rounds run them.
const (
	Demhost = "A demhost"
	Esutil  = "B esutil"
	Python  = "C python"
	Ceiling = "D ceiling"
)

// EngineResult is everything measured on one engine.
type EngineResult struct {
	Engine  string // e.g. "elasticsearch 7.17.29 at http://127.0.0.1:9200"
	Order   []string
	Samples map[string][]Sample // counted rounds only, by contender
	Notes   []string            // per-contender details, e.g. the bulk client used
	Labels  map[string]string   // display name by contender, when it differs
	// EnginePID is the engine's process on this machine, whose CPU the
	// bench reads; 0 when it is not local.
	EnginePID int
}

// Target is one of the goals, evaluated on medians.
type Target struct {
	Name   string
	Value  float64 // NaN when not measured
	Want   float64
	AtMost bool // the value must be <= Want (else >=)
	Unit   string
}

// Met reports whether the value meets the target.
func (t Target) Met() bool {
	if t.Value != t.Value { // NaN
		return false
	}
	if t.AtMost {
		return t.Value <= t.Want
	}
	return t.Value >= t.Want
}

func (t Target) verdict() string {
	switch {
	case t.Value != t.Value:
		return "n/a"
	case t.Met():
		return "PASS"
	default:
		return "MISS"
	}
}

// Figures summarizes one contender's samples: docs/s, CPU µs per doc and
// peak RSS in MiB.
func Figures(ss []Sample) (docsPerSec, cpuPerDoc, rssMB Summary) {
	var a, b, c []float64
	for _, s := range ss {
		a = append(a, s.DocsPerSec())
		b = append(b, s.CPUPerDocMicros())
		c = append(c, s.RSSMB())
	}
	return Summarize(a), Summarize(b), Summarize(c)
}

// EngineFigures summarizes the engine's side of one contender's samples:
// its CPU µs per document and the cores it kept busy. Both are empty
// (N == 0) when the engine's CPU was not measured.
func EngineFigures(ss []Sample) (cpuPerDoc, cores Summary) {
	var a, b []float64
	for _, s := range ss {
		if s.EngineCPU >= 0 {
			a = append(a, s.EngineCPUPerDocMicros())
			b = append(b, s.EngineCores())
		}
	}
	return Summarize(a), Summarize(b)
}

// Bounds explains what limits the throughput targets, from medians. A
// contender's docs/s is the engine's busy cores divided by the engine's
// CPU per document. When every contender costs the engine about the same
// per document, a client can only win by keeping the engine busier, and
// no client can keep it busier than all the machine's cores: so
// cores/busy(B) and cores/busy(C) bound A/B and A/C, unless A makes the
// engine spend less per document than B and C do.
// The ceiling D shows how close a client that does almost nothing gets.
// It returns no lines when B, C or D were not run.
func Bounds(r EngineResult, cores int) []string {
	dps := func(name string) float64 {
		if ss := r.Samples[name]; len(ss) > 0 {
			d, _, _ := Figures(ss)
			return d.Median
		}
		return nan()
	}
	d, b, c := dps(Ceiling), dps(Esutil), dps(Python)
	if d != d || b != b || c != c {
		return nil
	}
	lines := []string{fmt.Sprintf("ceiling D/B %sx, D/C %sx: a client that does almost nothing gets this far past B and C",
		FormatNumber(d/b, 2), FormatNumber(d/c, 2))}
	busy := map[string]Summary{}
	var costs []string
	for _, name := range r.Order {
		pd, bz := EngineFigures(r.Samples[name])
		if pd.N == 0 {
			continue
		}
		busy[name] = bz
		costs = append(costs, fmt.Sprintf("%c %s", name[0], FormatNumber(pd.Median, 1)))
	}
	if _, ok := busy[Ceiling]; ok {
		lines = append(lines, fmt.Sprintf("the engine kept %s of %d cores busy during D (the client %s)",
			FormatNumber(busy[Ceiling].Median, 2), cores, FormatNumber(clientCores(r.Samples[Ceiling]), 2)))
	}
	if len(costs) > 0 {
		lines = append(lines, fmt.Sprintf("engine CPU per doc: %s µs; docs/s = engine cores busy / engine CPU per doc",
			strings.Join(costs, ", ")))
	}
	bb, okB := busy[Esutil]
	bc, okC := busy[Python]
	if okB && okC {
		lines = append(lines, fmt.Sprintf("at equal engine CPU per doc, a client keeping all %d cores busy is at most %sx B and %sx C (B kept %s busy, C %s)",
			cores, FormatNumber(float64(cores)/bb.Median, 2), FormatNumber(float64(cores)/bc.Median, 2),
			FormatNumber(bb.Median, 2), FormatNumber(bc.Median, 2)))
	}
	return lines
}

// clientCores is the median number of cores a contender's client kept busy.
func clientCores(ss []Sample) float64 {
	var xs []float64
	for _, s := range ss {
		xs = append(xs, s.CPU.Seconds()/s.Wall.Seconds())
	}
	return Summarize(xs).Median
}

// Targets returns the targets for one engine from the medians.
// stream is the plugin-stream-alone docs/s summary (zero when not run).
func Targets(r EngineResult, stream Summary) []Target {
	med := func(name string) (dps, cpu float64) {
		ss, ok := r.Samples[name]
		if !ok || len(ss) == 0 {
			return nan(), nan()
		}
		d, c, _ := Figures(ss)
		return d.Median, c.Median
	}
	aD, aC := med(Demhost)
	bD, bC := med(Esutil)
	cD, _ := med(Python)
	dD, _ := med(Ceiling)
	s := nan()
	if stream.N > 0 {
		s = stream.Median
	}
	return []Target{
		{Name: "A/B docs/s", Value: aD / bD, Want: 1.2, Unit: "x"},
		{Name: "A/C docs/s", Value: aD / cD, Want: 3, Unit: "x"},
		{Name: "A/D docs/s", Value: aD / dD, Want: 0.9, Unit: "x"},
		{Name: "A/B client CPU per doc", Value: aC / bC, Want: 0.5, AtMost: true, Unit: "x"},
		{Name: "plugin stream alone", Value: s, Want: 1e6, Unit: "docs/s"},
	}
}

func nan() float64 {
	var zero float64
	return zero / zero
}

// WriteEngineReport prints the figures table and the targets table of one
// engine.
func WriteEngineReport(w io.Writer, r EngineResult, stream Summary, cores int) error {
	var b strings.Builder
	fmt.Fprintf(&b, "\n== %s\n\n", r.Engine)
	measured := false
	for _, ss := range r.Samples {
		if c, _ := EngineFigures(ss); c.N > 0 {
			measured = true
		}
	}
	t := Table{Header: []string{"contender", "docs/s median [min–max]", "client CPU µs/doc", "peak RSS MiB"}}
	if measured {
		t.Header = append(t.Header, "engine CPU µs/doc", "engine cores busy")
	}
	for _, name := range r.Order {
		label := name
		if l, ok := r.Labels[name]; ok {
			label = l
		}
		ss := r.Samples[name]
		if len(ss) == 0 {
			t.Add(label, "not run")
			continue
		}
		d, c, m := Figures(ss)
		row := []string{label, FormatSummary(d, 0), FormatSummary(c, 1), FormatSummary(m, 0)}
		if measured {
			ec, busy := EngineFigures(ss)
			row = append(row, "-", "-")
			if ec.N > 0 {
				row[4], row[5] = FormatSummary(ec, 1), FormatSummary(busy, 2)
			}
		}
		t.Add(row...)
	}
	t.WriteTo(&b)
	b.WriteString("\n")
	tt := Table{Header: []string{"target (medians)", "measured", "target", "result"}}
	for _, tg := range Targets(r, stream) {
		val := "n/a"
		if tg.Value == tg.Value {
			if tg.Unit == "x" {
				val = FormatNumber(tg.Value, 2) + "x"
			} else {
				val = FormatNumber(tg.Value, 0) + " " + tg.Unit
			}
		}
		op := ">= "
		if tg.AtMost {
			op = "<= "
		}
		want := op + FormatNumber(tg.Want, 1) + "x"
		if tg.Unit != "x" {
			want = op + FormatNumber(tg.Want, 0) + " " + tg.Unit
		}
		tt.Add(tg.Name, val, want, tg.verdict())
	}
	tt.WriteTo(&b)
	if bl := Bounds(r, cores); len(bl) > 0 {
		b.WriteString("\n")
		for _, l := range bl {
			b.WriteString("  " + l + "\n")
		}
	}
	if len(r.Notes) > 0 {
		b.WriteString("\n")
		for _, n := range r.Notes {
			b.WriteString("  " + n + "\n")
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}
