package host

import (
	"strings"
	"testing"
	"time"

	"github.com/demhost/demhost/registry"
)

func TestProgressWrite(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		terminal bool
		total    int64
		want     []string
		not      []string
	}{
		{"lines", false, 0, []string{"update movies-2: 1,500 indexed, 2 failed, 0 deleted, 500 docs/s, 0:03 elapsed\n"}, []string{"\r"}},
		{"bar without total", true, 0, []string{"\rmovies-2 1,502 docs", "500 docs/s", "2 failed", "0:03"}, []string{"ETA", "%"}},
		{"bar with total", true, 3004, []string{"\rmovies-2 [", " 50% 1,502/~3,004 docs", "ETA 0:03"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var b strings.Builder
			p := &progress{w: &b, terminal: tt.terminal, name: "movies-2", total: tt.total}
			p.write(registry.Counts{Indexed: 1500, Failed: 2}, 3004*time.Millisecond)
			p.done()
			for _, w := range tt.want {
				if !strings.Contains(b.String(), w) {
					t.Errorf("output %q lacks %q", b.String(), w)
				}
			}
			for _, w := range tt.not {
				if strings.Contains(b.String(), w) {
					t.Errorf("output %q has %q", b.String(), w)
				}
			}
			if tt.terminal && !strings.HasSuffix(b.String(), "\n") {
				t.Errorf("bar output %q does not end with a newline", b.String())
			}
		})
	}
}

func TestThousandsAndClock(t *testing.T) {
	t.Parallel()
	for n, want := range map[int64]string{0: "0", 999: "999", 1000: "1,000", 1234567: "1,234,567", -4200: "-4,200"} {
		if got := thousands(n); got != want {
			t.Errorf("thousands(%d) = %q, want %q", n, got, want)
		}
	}
	for d, want := range map[time.Duration]string{0: "0:00", 61 * time.Second: "1:01", 3723 * time.Second: "1:02:03"} {
		if got := clock(d); got != want {
			t.Errorf("clock(%s) = %q, want %q", d, got, want)
		}
	}
}
