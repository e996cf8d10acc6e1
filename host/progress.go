package host

import (
	"time"

	"github.com/demhost/demhost/internal/humanize"
	"github.com/demhost/demhost/registry"
)

// Progress is one report of a running update, given to Options.OnProgress
// every ProgressInterval and once more when the update ends. The host
// only reports; the caller draws (the CLI a bar or a line, a service a
// metric).
type Progress struct {
	ActionID int64
	Index    string
	Version  int
	Counts   registry.Counts
	// Expected is how many documents the update should see, from the
	// active version's count; 0 when unknown.
	Expected int64
	Elapsed  time.Duration
	// Final marks the last report of the update.
	Final bool
}

// progress reports a running update to the action record, so that
// `history` in another shell shows the running counts, and to the
// caller's OnProgress.
type progress struct {
	base   Progress // ActionID, Index, Version, Expected
	start  time.Time
	counts func() registry.Counts
	record func(registry.Counts)
	emit   func(Progress)
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
			p.report(c, false)
		}
	}
}

// done sends the final report.
func (p *progress) done() { p.report(p.counts(), true) }

func (p *progress) report(c registry.Counts, final bool) {
	if p.emit == nil {
		return
	}
	ev := p.base
	ev.Counts, ev.Elapsed, ev.Final = c, time.Since(p.start), final
	p.emit(ev)
}

func thousands(n int64) string { return humanize.Count(n) }
