package bench

import (
	"fmt"
	"io"
	"strings"
)

// SQLFigures summarizes Postgres's CPU per row over samples; empty (N ==
// 0) when it was not measured.
func SQLFigures(ss []Sample) Summary {
	var xs []float64
	for _, s := range ss {
		if s.PGCPU >= 0 {
			xs = append(xs, s.PGCPUPerDocMicros())
		}
	}
	return Summarize(xs)
}

// SQLTargets returns the sqltable section's targets from the medians:
// demhost at least as fast as the pgx program, and A's time at 2N at most
// 2.2 times its time at N (double, when measured, is that ratio).
func SQLTargets(r EngineResult, double *Summary) []Target {
	med := func(name string) float64 {
		if ss := r.Samples[name]; len(ss) > 0 {
			d, _, _ := Figures(ss)
			return d.Median
		}
		return nan()
	}
	ts := []Target{{Name: "A/B docs/s", Value: med(SQLDemhost) / med(SQLPgx), Want: 1.0, Unit: "x"}}
	if double != nil {
		ts = append(ts, Target{Name: "A time at 2N / time at N", Value: double.Median, Want: 2.2, AtMost: true, Unit: "x"})
	}
	return ts
}

// WriteSQLReport prints the sqltable section's figures and targets for one
// engine.
func WriteSQLReport(w io.Writer, r EngineResult, double *Summary) error {
	var b strings.Builder
	fmt.Fprintf(&b, "\n== sqltable: %s\n\n", r.Engine)
	t := Table{Header: []string{"contender", "docs/s median [min–max]", "client CPU µs/row", "Postgres CPU µs/row", "engine CPU µs/doc", "peak RSS MiB"}}
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
		row := []string{label, FormatSummary(d, 0), FormatSummary(c, 1), "-", "-", FormatSummary(m, 0)}
		if pg := SQLFigures(ss); pg.N > 0 {
			row[3] = FormatSummary(pg, 1)
		}
		if ec, _ := EngineFigures(ss); ec.N > 0 {
			row[4] = FormatSummary(ec, 1)
		}
		t.Add(row...)
	}
	t.WriteTo(&b)
	b.WriteString("\n")
	tt := Table{Header: []string{"target (medians)", "measured", "target", "result"}}
	for _, tg := range SQLTargets(r, double) {
		val := "n/a"
		if tg.Value == tg.Value {
			val = FormatNumber(tg.Value, 2) + "x"
		}
		op := ">= "
		if tg.AtMost {
			op = "<= "
		}
		tt.Add(tg.Name, val, op+FormatNumber(tg.Want, 1)+"x", tg.verdict())
	}
	tt.WriteTo(&b)
	b.WriteString("\n  client CPU covers the whole process (for A, demhost and the plugin it starts); Postgres CPU is every postgres process, backends included\n")
	for _, n := range r.Notes {
		b.WriteString("  " + n + "\n")
	}
	_, err := io.WriteString(w, b.String())
	return err
}
