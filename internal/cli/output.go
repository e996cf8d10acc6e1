package cli

import (
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/demhost/demhost/host"
	"github.com/demhost/demhost/registry"
)

// table writes aligned columns to w.
func table(w io.Writer, header []string, rows [][]string) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, strings.Join(header, "\t"))
	for _, r := range rows {
		fmt.Fprintln(tw, strings.Join(r, "\t"))
	}
	return tw.Flush()
}

func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func formatTime(t *time.Time) string {
	if t == nil || t.IsZero() {
		return "-"
	}
	return t.Local().Format("2006-01-02 15:04:05")
}

func formatDuration(d time.Duration) string {
	switch {
	case d <= 0:
		return "-"
	case d < time.Second:
		return d.Round(time.Millisecond).String()
	default:
		return d.Round(100 * time.Millisecond).String()
	}
}

func docsText(c registry.Counts) string {
	parts := []string{strconv.FormatInt(c.Indexed, 10) + " indexed"}
	if c.Failed > 0 {
		parts = append(parts, strconv.FormatInt(c.Failed, 10)+" failed")
	}
	if c.Deleted > 0 {
		parts = append(parts, strconv.FormatInt(c.Deleted, 10)+" deleted")
	}
	if c.Skipped > 0 {
		parts = append(parts, strconv.FormatInt(c.Skipped, 10)+" skipped")
	}
	return strings.Join(parts, ", ")
}

// shownSkips is how many skipped records a result names on stderr.
const shownSkips = 10

// printRows prints List's rows.
func (a *app) printRows(rows []host.VersionRow) error {
	if a.output == "json" {
		if rows == nil {
			rows = []host.VersionRow{}
		}
		return writeJSON(a.stdout, rows)
	}
	out := make([][]string, 0, len(rows))
	for _, r := range rows {
		version, docs := "-", "-"
		if r.Version > 0 {
			version = strconv.Itoa(r.Version)
		}
		if r.Exists {
			docs = strconv.FormatInt(r.Docs, 10)
			if r.Skipped > 0 {
				docs += fmt.Sprintf(" (%d skipped)", r.Skipped)
			}
		}
		status := r.Status
		if r.LoadSettings {
			status += " (refresh off: list --repair)"
		}
		out = append(out, []string{r.Name, r.Index, version, yesNo(r.Active), status,
			yesNo(r.Exists), docs, dash(r.CodebaseID), formatTime(r.Created)})
	}
	return table(a.stdout, []string{"NAME", "INDEX", "VERSION", "ACTIVE", "STATUS", "EXISTS", "DOCS", "CODEBASE", "CREATED"}, out)
}

// printResults prints what actions did (also the results that came back
// with an error), and lists rejected documents on stderr.
func (a *app) printResults(results []host.Result) error {
	for _, r := range results {
		for _, n := range r.Notes {
			a.logf("note: %s", a.cfg.Redact(n))
		}
		for _, f := range r.Failures {
			a.logf("document %s of %s was rejected: %s", f.ID, target(r.Index, r.Version), a.cfg.Redact(f.Reason))
		}
		for i, sk := range r.Skips {
			if i == shownSkips {
				a.logf("… and %d more records skipped by the source (demhost history %d lists up to %d)",
					r.Counts.Skipped-int64(i), r.ActionID, len(r.Skips))
				break
			}
			a.logf("the source skipped %s of %s: %s", sk.ID, target(r.Index, r.Version), a.cfg.Redact(sk.Reason))
		}
	}
	if a.output == "json" {
		out := make([]resultJSON, 0, len(results))
		for _, r := range results {
			out = append(out, a.resultJSON(r))
		}
		return writeJSON(a.stdout, out)
	}
	if len(results) == 0 {
		return nil
	}
	out := make([][]string, 0, len(results))
	for _, r := range results {
		docs := "-"
		if r.Kind == "update" || r.Kind == "clear" || r.Kind == "migrate" || r.Counts != (registry.Counts{}) {
			docs = docsText(r.Counts)
		}
		msg := r.Message
		if r.Next != nil {
			msg += "; " + command(r.Next)
		}
		kind := r.Kind
		if r.Step != "" {
			kind = "  " + r.Step // a deploy's step, listed above its deploy
		}
		out = append(out, []string{kind, target(r.Index, r.Version), yesNo(r.Changed), docs,
			formatDuration(r.Duration), a.cfg.Redact(msg)})
	}
	return table(a.stdout, []string{"ACTION", "TARGET", "CHANGED", "DOCS", "DURATION", "MESSAGE"}, out)
}

// resultJSON is one action's result in -o json: the same names as a line
// of history -o json (flat counts, duration_ms), so a script reads both
// the same way.
type resultJSON struct {
	ActionID   int64                  `json:"action_id"`
	ParentID   int64                  `json:"parent_id,omitempty"`
	Kind       string                 `json:"kind"`
	Step       string                 `json:"step,omitempty"`
	Index      string                 `json:"index"`
	Version    int                    `json:"version,omitempty"`
	Target     string                 `json:"target"`
	Changed    bool                   `json:"changed"`
	Message    string                 `json:"message"`
	Notes      []string               `json:"notes,omitempty"`
	Next       string                 `json:"next,omitempty"`
	DurationMS int64                  `json:"duration_ms"`
	Indexed    int64                  `json:"indexed"`
	Failed     int64                  `json:"failed"`
	Deleted    int64                  `json:"deleted"`
	Skipped    int64                  `json:"skipped"`
	Failures   []host.DocumentFailure `json:"failures,omitempty"`
	Skips      []host.DocumentFailure `json:"skips,omitempty"`
	Retries    *host.Retries          `json:"retries,omitempty"`
}

func (a *app) resultJSON(r host.Result) resultJSON {
	out := resultJSON{
		ActionID: r.ActionID, ParentID: r.ParentID, Kind: r.Kind, Step: r.Step, Index: r.Index, Version: r.Version,
		Target: target(r.Index, r.Version), Changed: r.Changed, Message: a.cfg.Redact(r.Message),
		DurationMS: r.Duration.Milliseconds(), Indexed: r.Counts.Indexed, Failed: r.Counts.Failed, Deleted: r.Counts.Deleted,
		Skipped: r.Counts.Skipped, Next: command(r.Next),
		Retries: r.Retries,
	}
	for _, n := range r.Notes {
		out.Notes = append(out.Notes, a.cfg.Redact(n))
	}
	for _, f := range r.Failures {
		out.Failures = append(out.Failures, host.DocumentFailure{ID: f.ID, Reason: a.cfg.Redact(f.Reason)})
	}
	for _, f := range r.Skips {
		out.Skips = append(out.Skips, host.DocumentFailure{ID: f.ID, Reason: a.cfg.Redact(f.Reason)})
	}
	return out
}

func target(index string, version int) string {
	switch {
	case index == "":
		return "-"
	case version > 0:
		return index + "-" + strconv.Itoa(version)
	default:
		return index
	}
}
