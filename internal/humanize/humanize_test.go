package humanize_test

import (
	"testing"
	"time"

	"github.com/demhost/demhost/internal/humanize"
)

func TestCount(t *testing.T) {
	t.Parallel()
	for n, want := range map[int64]string{0: "0", 999: "999", 1000: "1,000", 1234567: "1,234,567", -4200: "-4,200"} {
		if got := humanize.Count(n); got != want {
			t.Errorf("Count(%d) = %q, want %q", n, got, want)
		}
	}
}

func TestClockAndRate(t *testing.T) {
	t.Parallel()
	for d, want := range map[time.Duration]string{0: "0:00", 61 * time.Second: "1:01", 3723 * time.Second: "1:02:03"} {
		if got := humanize.Clock(d); got != want {
			t.Errorf("Clock(%s) = %q, want %q", d, got, want)
		}
	}
	if r := humanize.Rate(300, 2*time.Second); r != 150 {
		t.Errorf("Rate = %v, want 150", r)
	}
	if r := humanize.Rate(300, 0); r != 0 {
		t.Errorf("Rate over 0s = %v, want 0", r)
	}
}
