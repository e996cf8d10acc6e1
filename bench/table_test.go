package bench_test

import (
	"strings"
	"testing"

	"github.com/demhost/demhost/bench"
)

func TestFormatNumber(t *testing.T) {
	t.Parallel()
	tests := []struct {
		x    float64
		dec  int
		want string
	}{
		{0, 0, "0"},
		{999, 0, "999"},
		{1000, 0, "1,000"},
		{1234567.8, 0, "1,234,568"},
		{1234.567, 2, "1,234.57"},
		{-9876543, 0, "-9,876,543"},
		{0.5, 1, "0.5"},
	}
	for _, tt := range tests {
		if got := bench.FormatNumber(tt.x, tt.dec); got != tt.want {
			t.Errorf("FormatNumber(%v, %d) = %q, want %q", tt.x, tt.dec, got, tt.want)
		}
	}
}

func TestFormatSummary(t *testing.T) {
	t.Parallel()
	got := bench.FormatSummary(bench.Summary{Median: 12345, Min: 9000.4, Max: 20000, N: 3}, 0)
	if want := "12,345 [9,000–20,000]"; got != want {
		t.Errorf("FormatSummary = %q, want %q", got, want)
	}
}

func TestTableAligns(t *testing.T) {
	t.Parallel()
	tb := bench.Table{Header: []string{"name", "docs/s"}}
	tb.Add("A demhost", "1,000")
	tb.Add("B", "25")
	tb.Add("µ-row", "3")
	var b strings.Builder
	if _, err := tb.WriteTo(&b); err != nil {
		t.Fatal(err)
	}
	want := "" +
		"name       docs/s\n" +
		"-----------------\n" +
		"A demhost   1,000\n" +
		"B              25\n" +
		"µ-row           3\n"
	if b.String() != want {
		t.Errorf("table:\n%s\nwant:\n%s", b.String(), want)
	}
}

func TestTableShortRow(t *testing.T) {
	t.Parallel()
	tb := bench.Table{Header: []string{"a", "b", "c"}}
	tb.Add("x")
	var b strings.Builder
	tb.WriteTo(&b)
	lines := strings.Split(strings.TrimSuffix(b.String(), "\n"), "\n")
	if len(lines) != 3 || len(lines[2]) != len(lines[0]) {
		t.Errorf("a short row should be padded to the header's width:\n%s", b.String())
	}
}
