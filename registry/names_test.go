package registry_test

import (
	"testing"

	"github.com/demhost/demhost/registry"
)

func TestParseVersionName(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in   string
		base string
		n    int
		ok   bool
	}{
		{"movies-3", "movies", 3, true},
		{"movies-12", "movies", 12, true},
		{"web-2-1", "web-2", 1, true},
		{"qa_movies-1", "qa_movies", 1, true},
		{"movies", "", 0, false},
		{"movies-", "", 0, false},
		{"-3", "", 0, false},
		{"movies-0", "", 0, false},
		{"movies-03", "", 0, false},
		{"movies-+3", "", 0, false},
		{"movies--3", "movies-", 3, true}, // a base may end in -
		{"movies-3a", "", 0, false},
		{"movies-99999999999999999999", "", 0, false},
		{"", "", 0, false},
	}
	for _, tt := range tests {
		base, n, ok := registry.ParseVersionName(tt.in)
		if base != tt.base || n != tt.n || ok != tt.ok {
			t.Errorf("ParseVersionName(%q) = %q, %d, %v; want %q, %d, %v", tt.in, base, n, ok, tt.base, tt.n, tt.ok)
		}
	}
}
