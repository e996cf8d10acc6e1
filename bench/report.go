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
	// GeneratorCPU is the movies generator's CPU per document alone, in
	// µs: part of A's client CPU (the plugin makes the movies), which the
	// client CPU target leaves out. 0 when not measured.
	GeneratorCPU float64
	// Load is the highest 1-minute load average seen before this
	// engine's rounds and after each contender's run; 0 when unknown.
	Load float64
}

// Target is one of the goals, evaluated on medians. A Figure is
// printed in the same table with no goal.
type Target struct {
	Name   string
	Value  float64 // NaN when not measured
	Want   float64
	AtMost bool // the value must be <= Want (else >=)
	Unit   string
	Figure bool
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
	case t.Figure:
		return "-"
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

// Targets returns the targets for one engine from the medians, then
// A/B and A/C docs/s as figures: those cannot pass 1.2 and 3 while the
// engine shares the client's cores (see Bounds). stream is the
// plugin-stream-alone docs/s summary (zero when not run).
func Targets(r EngineResult, stream Summary) []Target {
	med := func(name string) (dps, cpu, eng float64) {
		ss, ok := r.Samples[name]
		if !ok || len(ss) == 0 {
			return nan(), nan(), nan()
		}
		d, c, _ := Figures(ss)
		e, _ := EngineFigures(ss)
		if e.N == 0 {
			return d.Median, c.Median, nan()
		}
		return d.Median, c.Median, e.Median
	}
	aD, aC, aE := med(Demhost)
	bD, bC, _ := med(Esutil)
	cD, _, _ := med(Python)
	dD, _, dE := med(Ceiling)
	s := nan()
	if stream.N > 0 {
		s = stream.Median
	}
	return []Target{
		{Name: "A/D engine CPU per doc", Value: aE / dE, Want: 1.02, AtMost: true, Unit: "x"},
		{Name: "A/D docs/s", Value: aD / dD, Want: 0.97, Unit: "x"},
		{Name: "A/B client CPU per doc (A without generator)", Value: (aC - r.GeneratorCPU) / bC, Want: 0.35, AtMost: true, Unit: "x"},
		{Name: "plugin stream alone", Value: s, Want: 1e6, Unit: "docs/s"},
		{Name: "A/B docs/s", Value: aD / bD, Unit: "x", Figure: true},
		{Name: "A/C docs/s", Value: aD / cD, Unit: "x", Figure: true},
	}
}

// EngineRatios says, from medians, how much each contender cost the
// engine per document next to the ceiling D, e.g. "A 1.03x, B 1.01x".
// It is empty when the engine's CPU or D was not measured.
func EngineRatios(r EngineResult) string {
	d, _ := EngineFigures(r.Samples[Ceiling])
	if d.N == 0 {
		return ""
	}
	var parts []string
	for _, name := range r.Order {
		if name == Ceiling {
			continue
		}
		if e, _ := EngineFigures(r.Samples[name]); e.N > 0 {
			parts = append(parts, fmt.Sprintf("%c %sx", name[0], FormatNumber(e.Median/d.Median, 2)))
		}
	}
	return strings.Join(parts, ", ")
}

// TargetBounds words, for each missed target, whether the machine or
// demhost bounds it. The engine's CPU per document is bounded by the
// machine when A's median lies within the range of D's own rounds: the
// difference is then smaller than what the same requests cost from one
// round to the next. docs/s is the engine's busy cores divided by its CPU
// per document, so when A costs the engine what D does, A's shortfall is
// in busy cores: on an overloaded machine (load above its cores) the
// engine gets what the other work leaves; otherwise it is demhost's own
// CPU and fixed costs (its start, the registry, the final refresh).
func TargetBounds(r EngineResult, targets []Target, cores int) []string {
	var out []string
	a, d := r.Samples[Demhost], r.Samples[Ceiling]
	aE, aBusy := EngineFigures(a)
	dE, dBusy := EngineFigures(d)
	overloaded := r.Load > float64(cores)
	load := fmt.Sprintf("load average up to %s on %d cores", FormatNumber(r.Load, 1), cores)
	engineOK := true
	for _, tg := range targets {
		if tg.Figure || tg.Value != tg.Value || tg.Met() {
			continue
		}
		switch tg.Name {
		case "A/D engine CPU per doc":
			if aE.N > 0 && dE.N > 0 && aE.Median <= dE.Max {
				out = append(out, fmt.Sprintf("%s: bounded by the machine: A's %s µs is within D's own rounds (%s–%s µs); more rounds or a quieter machine decide it",
					tg.Name, FormatNumber(aE.Median, 1), FormatNumber(dE.Min, 1), FormatNumber(dE.Max, 1)))
			} else {
				engineOK = false
				out = append(out, fmt.Sprintf("%s: bounded by demhost: the engine spends more on A's requests than on D's", tg.Name))
			}
		case "A/D docs/s":
			if aBusy.N == 0 || dBusy.N == 0 {
				continue
			}
			why := fmt.Sprintf("A kept the engine %s cores busy, D %s; A's processes used %s cores, D's %s",
				FormatNumber(aBusy.Median, 2), FormatNumber(dBusy.Median, 2),
				FormatNumber(clientCores(a), 2), FormatNumber(clientCores(d), 2))
			switch {
			case !engineOK:
				out = append(out, fmt.Sprintf("%s: bounded by demhost's engine CPU per doc (above); %s", tg.Name, why))
			case overloaded:
				out = append(out, fmt.Sprintf("%s: bounded by the machine (%s): the engine gets the cores the other work leaves; %s", tg.Name, load, why))
			default:
				out = append(out, fmt.Sprintf("%s: bounded by demhost's client CPU and fixed costs (its start, registry, final refresh); %s", tg.Name, why))
			}
		case "A/B client CPU per doc (A without generator)":
			out = append(out, fmt.Sprintf("%s: bounded by demhost: the host and plugin processes' own CPU", tg.Name))
		case "plugin stream alone":
			if overloaded {
				out = append(out, fmt.Sprintf("%s: bounded by the machine (%s): the stream's two processes share the cores with the other work", tg.Name, load))
			} else {
				out = append(out, fmt.Sprintf("%s: bounded by demhost: the gRPC hop's CPU per document", tg.Name))
			}
		}
	}
	return out
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
	targets := Targets(r, stream)
	for _, tg := range targets {
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
		want := op + FormatNumber(tg.Want, 2) + "x"
		switch {
		case tg.Figure:
			want = "(figure)"
		case tg.Unit != "x":
			want = op + FormatNumber(tg.Want, 0) + " " + tg.Unit
		}
		tt.Add(tg.Name, val, want, tg.verdict())
	}
	tt.WriteTo(&b)
	var lines []string
	if ss := r.Samples[Demhost]; len(ss) > 0 && r.GeneratorCPU > 0 {
		_, c, _ := Figures(ss)
		lines = append(lines, fmt.Sprintf("A's client CPU %s µs/doc = the generator %s (measured alone) + host and plugin %s",
			FormatNumber(c.Median, 2), FormatNumber(r.GeneratorCPU, 2), FormatNumber(c.Median-r.GeneratorCPU, 2)))
	}
	if er := EngineRatios(r); er != "" {
		lines = append(lines, "engine CPU per doc next to the ceiling D's: "+er)
	}
	lines = append(lines, TargetBounds(r, targets, cores)...)
	if len(lines) > 0 {
		b.WriteString("\n")
		for _, l := range lines {
			b.WriteString("  " + l + "\n")
		}
	}
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
