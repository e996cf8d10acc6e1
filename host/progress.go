package host

import (
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/demhost/demhost/registry"
)

// progress reports a running update: to a writer (a bar on a terminal,
// a line every interval otherwise) and to the action record, so that
// `history` in another shell shows the running counts.
type progress struct {
	w        io.Writer
	terminal bool
	name     string // e.g. "movies-2"
	total    int64  // expected documents; 0 when unknown
	start    time.Time
	counts   func() registry.Counts
	record   func(registry.Counts)
	drawn    bool
}

// loop reports every interval until stop is closed.
func (p *progress) loop(interval time.Duration, stop <-chan struct{}) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-stop:
			return
		case <-t.C:
			c := p.counts()
			p.record(c)
			p.write(c, time.Since(p.start))
		}
	}
}

// done ends a bar with a newline so the next output starts clean.
func (p *progress) done() {
	if p.terminal && p.drawn {
		fmt.Fprintln(p.w)
	}
}

func (p *progress) write(c registry.Counts, elapsed time.Duration) {
	done := c.Indexed + c.Failed + c.Deleted
	rate := docsPerSecond(done, elapsed)
	var b strings.Builder
	if p.terminal {
		b.WriteString("\r")
		b.WriteString(p.name)
		if p.total > 0 {
			frac := min(float64(done)/float64(p.total), 1)
			const width = 24
			n := int(frac * width)
			b.WriteString(" [" + strings.Repeat("=", n) + strings.Repeat(" ", width-n) + "] ")
			fmt.Fprintf(&b, "%3.0f%% %s/~%s docs", frac*100, thousands(done), thousands(p.total))
		} else {
			fmt.Fprintf(&b, " %s docs", thousands(done))
		}
		fmt.Fprintf(&b, "  %s docs/s", thousands(int64(rate)))
		if c.Failed > 0 {
			fmt.Fprintf(&b, "  %s failed", thousands(c.Failed))
		}
		if p.total > done && rate > 0 {
			eta := time.Duration(float64(p.total-done) / rate * float64(time.Second))
			b.WriteString("  ETA " + clock(eta))
		} else {
			b.WriteString("  " + clock(elapsed))
		}
		b.WriteString("\x1b[K")
		p.drawn = true
	} else {
		fmt.Fprintf(&b, "update %s: %s indexed, %s failed, %s deleted, %s docs/s, %s elapsed\n",
			p.name, thousands(c.Indexed), thousands(c.Failed), thousands(c.Deleted),
			thousands(int64(rate)), clock(elapsed))
	}
	io.WriteString(p.w, b.String())
}

func docsPerSecond(n int64, d time.Duration) float64 {
	if d <= 0 {
		return 0
	}
	return float64(n) / d.Seconds()
}

// thousands formats n with commas: 1234567 → "1,234,567".
func thousands(n int64) string {
	s := strconv.FormatInt(n, 10)
	neg := strings.HasPrefix(s, "-")
	if neg {
		s = s[1:]
	}
	var b strings.Builder
	for i, r := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(r)
	}
	if neg {
		return "-" + b.String()
	}
	return b.String()
}

// clock formats a duration as m:ss or h:mm:ss.
func clock(d time.Duration) string {
	s := int64(d.Round(time.Second) / time.Second)
	if s >= 3600 {
		return fmt.Sprintf("%d:%02d:%02d", s/3600, s/60%60, s%60)
	}
	return fmt.Sprintf("%d:%02d", s/60, s%60)
}
