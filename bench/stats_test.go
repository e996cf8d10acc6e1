package bench_test

import (
	"testing"

	"github.com/demhost/demhost/bench"
)

func TestSummarize(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		in   []float64
		want bench.Summary
	}{
		{"empty", nil, bench.Summary{}},
		{"one", []float64{7}, bench.Summary{Median: 7, Min: 7, Max: 7, N: 1}},
		{"odd unsorted", []float64{5, 1, 3}, bench.Summary{Median: 3, Min: 1, Max: 5, N: 3}},
		{"even takes the mean of the middle two", []float64{4, 1, 10, 2}, bench.Summary{Median: 3, Min: 1, Max: 10, N: 4}},
		{"duplicates", []float64{2, 2, 9, 2, 9}, bench.Summary{Median: 2, Min: 2, Max: 9, N: 5}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := bench.Summarize(tt.in); got != tt.want {
				t.Errorf("Summarize(%v) = %+v, want %+v", tt.in, got, tt.want)
			}
		})
	}
}

func TestSummarizeKeepsInput(t *testing.T) {
	t.Parallel()
	in := []float64{3, 1, 2}
	bench.Summarize(in)
	if in[0] != 3 || in[1] != 1 || in[2] != 2 {
		t.Errorf("Summarize reordered its input: %v", in)
	}
}
