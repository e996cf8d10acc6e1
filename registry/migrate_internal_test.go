package registry

import (
	"slices"
	"testing"
)

// Both dialects must know the same schema versions: KnownSchemaVersion
// and the refusal of newer schemas rely on it.
func TestMigrationsMatchAcrossDialects(t *testing.T) {
	versions := func(d string) []int {
		ms, err := migrations(d)
		if err != nil {
			t.Fatal(err)
		}
		var vs []int
		for _, m := range ms {
			vs = append(vs, m.version)
		}
		return vs
	}
	pg, lite := versions("postgres"), versions("sqlite")
	if len(pg) == 0 || !slices.Equal(pg, lite) {
		t.Errorf("postgres migrations %v, sqlite %v: want the same, non-empty", pg, lite)
	}
	if KnownSchemaVersion() != pg[len(pg)-1] {
		t.Errorf("KnownSchemaVersion = %d, want %d", KnownSchemaVersion(), pg[len(pg)-1])
	}
}

func TestRebind(t *testing.T) {
	p := &postgres{}
	if got := p.rebind("a = ? AND b IN (?, ?)"); got != "a = $1 AND b IN ($2, $3)" {
		t.Errorf("rebind = %q", got)
	}
}

// Migrations written side by side can land out of order: a registry that
// got 0001 and 0003 must still get 0002, and nothing twice.
func TestMissingMigrationsFillGaps(t *testing.T) {
	ms := []migration{{version: 1}, {version: 2}, {version: 3}}
	got := func(applied map[int]bool) []int {
		var vs []int
		for _, m := range missing(ms, applied) {
			vs = append(vs, m.version)
		}
		return vs
	}
	for _, tc := range []struct {
		applied map[int]bool
		want    []int
	}{
		{map[int]bool{}, []int{1, 2, 3}},
		{map[int]bool{1: true, 3: true}, []int{2}},
		{map[int]bool{1: true, 2: true, 3: true}, nil},
		{map[int]bool{1: true}, []int{2, 3}},
	} {
		if g := got(tc.applied); !slices.Equal(g, tc.want) {
			t.Errorf("missing with %v applied = %v, want %v", tc.applied, g, tc.want)
		}
	}
	if maxVersion(map[int]bool{1: true, 3: true}) != 3 {
		t.Error("maxVersion")
	}
}
