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

func docsText(indexed, failed, deleted int64) string {
	parts := []string{strconv.FormatInt(indexed, 10) + " indexed"}
	if failed > 0 {
		parts = append(parts, strconv.FormatInt(failed, 10)+" failed")
	}
	if deleted > 0 {
		parts = append(parts, strconv.FormatInt(deleted, 10)+" deleted")
	}
	return strings.Join(parts, ", ")
}

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
			docs = docsText(r.Counts.Indexed, r.Counts.Failed, r.Counts.Deleted)
		}
		out = append(out, []string{r.Kind, target(r.Index, r.Version), yesNo(r.Changed), docs,
			formatDuration(r.Duration), a.cfg.Redact(r.Message)})
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
	Index      string                 `json:"index"`
	Version    int                    `json:"version,omitempty"`
	Target     string                 `json:"target"`
	Changed    bool                   `json:"changed"`
	Message    string                 `json:"message"`
	Notes      []string               `json:"notes,omitempty"`
	DurationMS int64                  `json:"duration_ms"`
	Indexed    int64                  `json:"indexed"`
	Failed     int64                  `json:"failed"`
	Deleted    int64                  `json:"deleted"`
	Failures   []host.DocumentFailure `json:"failures,omitempty"`
	Retries    *host.Retries          `json:"retries,omitempty"`
}

func (a *app) resultJSON(r host.Result) resultJSON {
	out := resultJSON{
		ActionID: r.ActionID, ParentID: r.ParentID, Kind: r.Kind, Index: r.Index, Version: r.Version,
		Target: target(r.Index, r.Version), Changed: r.Changed, Message: a.cfg.Redact(r.Message),
		DurationMS: r.Duration.Milliseconds(), Indexed: r.Counts.Indexed, Failed: r.Counts.Failed, Deleted: r.Counts.Deleted,
		Retries: r.Retries,
	}
	for _, n := range r.Notes {
		out.Notes = append(out.Notes, a.cfg.Redact(n))
	}
	for _, f := range r.Failures {
		out.Failures = append(out.Failures, host.DocumentFailure{ID: f.ID, Reason: a.cfg.Redact(f.Reason)})
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
