package bench

import (
	"slices"
)

// Summary is the median, minimum and maximum of a set of samples.
type Summary struct {
	Median, Min, Max float64
	N                int
}

// Summarize returns the summary of xs. The median of an even count is the
// mean of the two middle samples. An empty xs gives the zero Summary.
func Summarize(xs []float64) Summary {
	if len(xs) == 0 {
		return Summary{}
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	n := len(s)
	med := s[n/2]
	if n%2 == 0 {
		med = (s[n/2-1] + s[n/2]) / 2
	}
	return Summary{Median: med, Min: s[0], Max: s[n-1], N: n}
}

// inTurn is the order the contenders run in round round (0 is the warm-up):
// order turned round-1 places left, so that over len(order) counted rounds
// each contender runs once in each place. The engine's cost per document
// drifts within a round (merges of the indexes before, the JIT, the page
// cache); a contender always last would always meet the same state.
func inTurn[T any](order []T, round int) []T {
	n := len(order)
	if n == 0 || round <= 1 {
		return order
	}
	k := (round - 1) % n
	return append(slices.Clone(order[k:]), order[:k]...)
}
