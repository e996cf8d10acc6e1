package cli

import (
	"fmt"
	"io"
	"strings"
	"sync"
	"time"

	"github.com/demhost/demhost/host"
	"github.com/demhost/demhost/internal/humanize"
)

// progressView draws the host's progress reports on stderr: a bar that
// redraws itself on a terminal, else a line per report.
type progressView struct {
	mu       sync.Mutex
	w        io.Writer
	terminal bool
	drawn    bool // a bar is on the current line
}

// show draws one report; the final one ends a bar with a newline.
func (v *progressView) show(p host.Progress) {
	v.mu.Lock()
	defer v.mu.Unlock()
	if p.Final {
		if v.drawn {
			fmt.Fprintln(v.w)
			v.drawn = false
		}
		return
	}
	io.WriteString(v.w, v.render(p))
	v.drawn = v.terminal
}

// note writes one line about a wait, ending a bar first.
func (v *progressView) note(text string) {
	v.mu.Lock()
	defer v.mu.Unlock()
	if v.drawn {
		fmt.Fprintln(v.w)
		v.drawn = false
	}
	fmt.Fprintf(v.w, "demhost: %s\n", text)
}

func (v *progressView) render(p host.Progress) string {
	c := p.Counts
	name := fmt.Sprintf("%s-%d", p.Index, p.Version)
	done := c.Indexed + c.Failed + c.Deleted
	rate := humanize.Rate(done, p.Elapsed)
	var b strings.Builder
	if !v.terminal {
		fmt.Fprintf(&b, "update %s: %s indexed, %s failed, %s deleted, %s docs/s, %s elapsed\n",
			name, humanize.Count(c.Indexed), humanize.Count(c.Failed), humanize.Count(c.Deleted),
			humanize.Count(int64(rate)), humanize.Clock(p.Elapsed))
		return b.String()
	}
	b.WriteString("\r" + name)
	if p.Expected > 0 {
		frac := min(float64(done)/float64(p.Expected), 1)
		const width = 24
		n := int(frac * width)
		b.WriteString(" [" + strings.Repeat("=", n) + strings.Repeat(" ", width-n) + "] ")
		fmt.Fprintf(&b, "%3.0f%% %s/~%s docs", frac*100, humanize.Count(done), humanize.Count(p.Expected))
	} else {
		fmt.Fprintf(&b, " %s docs", humanize.Count(done))
	}
	fmt.Fprintf(&b, "  %s docs/s", humanize.Count(int64(rate)))
	if c.Failed > 0 {
		fmt.Fprintf(&b, "  %s failed", humanize.Count(c.Failed))
	}
	if p.Expected > done && rate > 0 {
		eta := time.Duration(float64(p.Expected-done) / rate * float64(time.Second))
		b.WriteString("  ETA " + humanize.Clock(eta))
	} else {
		b.WriteString("  " + humanize.Clock(p.Elapsed))
	}
	b.WriteString("\x1b[K")
	return b.String()
}

// lineWriter writes whole lines to the view's writer, first erasing a
// drawn bar so the two never share a line; the next report redraws it.
func (v *progressView) lineWriter() io.Writer { return barSafe{v} }

type barSafe struct{ v *progressView }

func (b barSafe) Write(p []byte) (int, error) {
	b.v.mu.Lock()
	defer b.v.mu.Unlock()
	if b.v.drawn {
		io.WriteString(b.v.w, "\r\x1b[K")
		b.v.drawn = false
	}
	return b.v.w.Write(p)
}
