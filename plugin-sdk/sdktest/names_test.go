package sdktest

import "testing"

func TestBadIndexName(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		bad  bool
	}{
		{"movies", false}, {"movies-2024.v1", false}, {"", true}, {"Movies", true}, {"a*b", true},
		{"_hidden", true}, {"-x", true}, {"a b", true}, {"a:b", true}, {"..", true},
	}
	for _, tt := range tests {
		if got := badIndexName(tt.name) != ""; got != tt.bad {
			t.Errorf("badIndexName(%q) = %q, want bad=%v", tt.name, badIndexName(tt.name), tt.bad)
		}
	}
}
