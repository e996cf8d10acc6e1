package bench

import (
	"strings"
	"testing"
)

// TestInTurn: the warm-up and the first round keep the order; over n
// counted rounds every contender runs once in every place.
func TestInTurn(t *testing.T) {
	order := []string{"A", "B", "C", "D"}
	if got := strings.Join(inTurn(order, 0), ""); got != "ABCD" {
		t.Errorf("warm-up order %s, want ABCD", got)
	}
	places := map[string]map[int]bool{}
	for round := 1; round <= len(order); round++ {
		got := inTurn(order, round)
		if len(got) != len(order) {
			t.Fatalf("round %d: %v", round, got)
		}
		for i, c := range got {
			if places[c] == nil {
				places[c] = map[int]bool{}
			}
			places[c][i] = true
		}
	}
	for _, c := range order {
		if len(places[c]) != len(order) {
			t.Errorf("%s ran in places %v over %d rounds, want every place once", c, places[c], len(order))
		}
	}
	if got := strings.Join(inTurn(order, 2), ""); got != "BCDA" {
		t.Errorf("round 2 order %s, want BCDA", got)
	}
	if strings.Join(order, "") != "ABCD" {
		t.Errorf("inTurn changed its argument: %v", order)
	}
}
