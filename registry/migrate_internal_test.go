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
