package cli

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/demhost/demhost/host"
	sdk "github.com/demhost/demhost/plugin-sdk"
	"github.com/demhost/demhost/registry"
)

func (a *app) resetCommand() *cobra.Command {
	var o host.ResetOptions
	var yes bool
	cmd := &cobra.Command{
		Use:   "dangerous-reset",
		Short: "Delete every index and alias under the prefix, and the environment's registry rows",
		Args:  args(cobra.NoArgs),
	}
	cmd.Flags().BoolVar(&yes, "yes", false, "do not ask for the prefix to be typed back")
	cmd.Flags().BoolVar(&o.ESOnly, "es-only", false, "delete in the cluster only, then recreate every registered version")
	cmd.RunE = run(func(cmd *cobra.Command, _ []string) error {
		prefix := a.cfg.EnvPrefix
		if prefix == "" {
			return usageError("dangerous-reset needs an environment prefix (env_prefix, DEMHOST_ENV_PREFIX or --env-prefix); it will not reset a cluster without one")
		}
		if !yes {
			if err := a.confirm(prefix); err != nil {
				return err
			}
		}
		return a.withHost(cmd.Context(), func(h *host.Host) error {
			r, err := h.Reset(cmd.Context(), o)
			var results []host.Result
			if r.Kind != "" || err == nil {
				results = []host.Result{r}
			}
			return a.actionResults(results, err)
		})
	})
	return cmd
}

// confirm asks for the prefix to be typed back. It refuses when stdin is
// a file or pipe rather than a terminal. A reader that is not an *os.File
// (a test's buffer) counts as interactive.
func (a *app) confirm(prefix string) error {
	if f, ok := a.stdin.(*os.File); ok && !isTerminal(f) {
		return usageError("dangerous-reset asks for confirmation but stdin is not a terminal; pass --yes to reset prefix %q", prefix)
	}
	fmt.Fprintf(a.stderr, "This deletes every index and alias under the prefix %q at %s and the prefix's registry rows.\nType the prefix to confirm: ",
		prefix, a.cfg.Redact(strings.Join(a.cfg.Engine.URLs, ",")))
	line, err := bufio.NewReader(a.stdin).ReadString('\n')
	if !isTerminal(a.stdin) {
		fmt.Fprintln(a.stderr) // no echo of the answer ended the prompt line
	}
	if err != nil && line == "" {
		return usageError("dangerous-reset was not confirmed (no answer on stdin); nothing was deleted")
	}
	if strings.TrimSpace(line) != prefix {
		return usageError("dangerous-reset was not confirmed: %q does not match the prefix %q; nothing was deleted", strings.TrimSpace(line), prefix)
	}
	return nil
}

// historyAction is one line of history -o json.
type historyAction struct {
	ID         int64           `json:"id"`
	ParentID   int64           `json:"parent_id,omitempty"`
	Kind       string          `json:"kind"`
	Index      string          `json:"index,omitempty"`
	Version    int             `json:"version,omitempty"`
	Target     string          `json:"target"`
	Status     string          `json:"status"`
	StartedAt  time.Time       `json:"started_at"`
	EndedAt    *time.Time      `json:"ended_at,omitempty"`
	DurationMS int64           `json:"duration_ms"`
	Indexed    int64           `json:"indexed"`
	Failed     int64           `json:"failed"`
	Deleted    int64           `json:"deleted"`
	Skipped    int64           `json:"skipped"`
	Host       string          `json:"host,omitempty"`
	User       string          `json:"user,omitempty"`
	CodebaseID string          `json:"codebase_id,omitempty"`
	Argv       []string        `json:"argv,omitempty"`
	Params     json.RawMessage `json:"params,omitempty"`
	Error      string          `json:"error,omitempty"`
	// Log is what the action recorded as it ran: its decisions (the
	// checkpoint it resumed from, a flag it ignored), retries, rejected
	// documents and its plugin's warnings.
	Log []string `json:"log,omitempty"`
	// Children are the actions of a parent, in `history ID` only.
	Children []historyAction `json:"children,omitempty"`
}

func (a *app) historyCommand() *cobra.Command {
	var limit int
	cmd := &cobra.Command{
		Use:   "history [INDEX | VERSION | ID]",
		Short: "The recorded actions, newest first; history ID shows one action whole, with its log and children",
		Args:  args(cobra.MaximumNArgs(1)),
	}
	cmd.Flags().IntVar(&limit, "limit", 100, "at most this many actions")
	cmd.RunE = run(func(cmd *cobra.Command, names []string) error {
		if limit <= 0 {
			return usageError("--limit must be positive (got %d)", limit)
		}
		ctx := cmd.Context()
		reg, err := a.openRegistry(ctx)
		if err != nil {
			return err
		}
		defer reg.Close()
		f := registry.ActionFilter{Env: a.cfg.EnvPrefix, Limit: limit}
		version := 0
		if len(names) == 1 {
			// A dropped version's history is still worth reading.
			t, err := reg.Resolve(ctx, a.cfg.EnvPrefix, names[0], nil, registry.WithDropped())
			if id, perr := strconv.ParseInt(names[0], 10, 64); errors.Is(err, registry.ErrUnknownName) && perr == nil && id > 0 {
				return a.printAction(ctx, reg, id)
			}
			if err != nil {
				return err
			}
			f.Index, version = t.Index, t.Version
		}
		actions, err := reg.History(ctx, f)
		if err != nil {
			return fmt.Errorf("read the history: %w", err)
		}
		return a.printHistory(actions, version)
	})
	return cmd
}

// historyOf renders one recorded action, its secrets redacted.
func (a *app) historyOf(x registry.Action) historyAction {
	end := time.Now()
	if x.EndedAt != nil {
		end = *x.EndedAt
	}
	argv := make([]string, len(x.Argv))
	for i, s := range x.Argv {
		argv[i] = a.cfg.Redact(s)
	}
	var log []string
	for _, line := range strings.Split(strings.TrimRight(x.Log, "\n"), "\n") {
		if line != "" {
			log = append(log, a.cfg.Redact(line))
		}
	}
	return historyAction{
		ID: x.ID, ParentID: x.ParentID, Kind: string(x.Kind), Index: x.Index, Version: x.Version,
		Target: target(x.Index, x.Version), Status: string(x.Status), StartedAt: x.StartedAt, EndedAt: x.EndedAt,
		DurationMS: end.Sub(x.StartedAt).Milliseconds(), Indexed: x.Indexed, Failed: x.Failed, Deleted: x.Deleted,
		Skipped: x.Skipped, Host: x.Host, User: x.User, CodebaseID: x.CodebaseID, Argv: argv, Params: x.Params, Error: a.cfg.Redact(x.Error),
		Log: log,
	}
}

// printAction is `history ID`: one action whole, with its log lines and
// its children.
func (a *app) printAction(ctx context.Context, reg *registry.Registry, id int64) error {
	x, err := reg.Action(ctx, id)
	if errors.Is(err, registry.ErrNotFound) || (err == nil && x.Env != a.cfg.EnvPrefix) {
		return usageError("no action %d in environment %s; `history` lists the recorded actions", id, quotePrefix(a.cfg.EnvPrefix))
	}
	if err != nil {
		return fmt.Errorf("read action %d: %w", id, err)
	}
	kids, err := reg.Children(ctx, id)
	if err != nil {
		return err
	}
	h := a.historyOf(x)
	for _, k := range kids {
		h.Children = append(h.Children, a.historyOf(k))
	}
	if a.output == "json" {
		return writeJSON(a.stdout, h)
	}
	w := a.stdout
	started := h.StartedAt
	fmt.Fprintf(w, "action    %d %s %s\n", h.ID, h.Kind, h.Target)
	fmt.Fprintf(w, "status    %s\n", h.Status)
	if h.ParentID != 0 {
		fmt.Fprintf(w, "parent    %d\n", h.ParentID)
	}
	fmt.Fprintf(w, "started   %s, took %s\n", formatTime(&started), formatDuration(time.Duration(h.DurationMS)*time.Millisecond))
	fmt.Fprintf(w, "docs      %s\n", historyDocs(h))
	fmt.Fprintf(w, "by        %s on %s, codebase %s\n", dash(h.User), dash(h.Host), dash(h.CodebaseID))
	if len(h.Argv) > 0 {
		fmt.Fprintf(w, "command   %s\n", strings.Join(h.Argv, " "))
	}
	if len(h.Params) > 0 && string(h.Params) != "{}" {
		fmt.Fprintf(w, "params    %s\n", h.Params)
	}
	if h.Error != "" {
		fmt.Fprintf(w, "error     %s\n", h.Error)
	}
	a.printPartitions(ctx, w, reg, id)
	if len(h.Log) > 0 {
		fmt.Fprintln(w, "log")
		for _, l := range h.Log {
			fmt.Fprintf(w, "  %s\n", l)
		}
	}
	if len(h.Children) > 0 {
		fmt.Fprintln(w, "children")
		rows := make([][]string, 0, len(h.Children))
		for _, c := range h.Children {
			rows = append(rows, []string{strconv.FormatInt(c.ID, 10), c.Kind, c.Target, c.Status,
				formatDuration(time.Duration(c.DurationMS) * time.Millisecond), historyDocs(c), dash(truncate(oneLine(c.Error), 80))})
		}
		return table(w, []string{"ID", "KIND", "TARGET", "STATUS", "DURATION", "DOCS", "ERROR"}, rows)
	}
	return nil
}

func quotePrefix(p string) string {
	if p == "" {
		return "(no prefix)"
	}
	return p
}

func (a *app) printHistory(actions []registry.Action, version int) error {
	out := make([]historyAction, 0, len(actions))
	for _, x := range actions {
		if version > 0 && x.Version != version {
			continue
		}
		out = append(out, a.historyOf(x))
	}
	if a.output == "json" {
		return writeJSON(a.stdout, out)
	}
	rows := make([][]string, 0, len(out))
	for _, t := range historyTree(out) {
		h := t.action
		started := h.StartedAt
		kind := h.Kind
		if step := deployStep(h.Params); step != "" && step != kind {
			kind += " (" + step + ")" // a deploy's fill or catch-up is an update
		}
		if t.depth > 0 {
			kind = strings.Repeat("  ", t.depth) + "└ " + kind
		}
		parent := "-"
		if h.ParentID != 0 {
			parent = strconv.FormatInt(h.ParentID, 10)
		}
		rows = append(rows, []string{strconv.FormatInt(h.ID, 10), parent, kind, h.Target, h.Status, formatTime(&started),
			formatDuration(time.Duration(h.DurationMS) * time.Millisecond), historyDocs(h),
			dash(h.Host), dash(h.CodebaseID), dash(truncate(oneLine(h.Error), 80))})
	}
	return table(a.stdout, []string{"ID", "PARENT", "KIND", "TARGET", "STATUS", "STARTED", "DURATION", "DOCS", "HOST", "CODEBASE", "ERROR"}, rows)
}

// deployStep is the deploy step an action's parameters name, "" for none.
func deployStep(params json.RawMessage) string {
	var p struct {
		Step string `json:"step"`
	}
	if json.Unmarshal(params, &p) != nil {
		return ""
	}
	return p.Step
}

// historyLine is one row of the history table, depth levels below its parent.
type historyLine struct {
	action historyAction
	depth  int
}

// historyTree orders history rows for the table: the actions stay newest
// first, except that an action whose parent is listed too comes right
// under that parent, indented, with its siblings in the order they ran.
// An action whose parent is not listed (cut by --limit or by the INDEX
// filter) stays in its place, unindented; its PARENT column names it.
func historyTree(actions []historyAction) []historyLine {
	listed := make(map[int64]bool, len(actions))
	for _, x := range actions {
		listed[x.ID] = true
	}
	// A parent is recorded before its children, so its id is smaller;
	// checking that keeps a corrupt registry from making a cycle.
	nested := func(x historyAction) bool { return x.ParentID != 0 && x.ParentID < x.ID && listed[x.ParentID] }
	children := map[int64][]historyAction{}
	for _, x := range slices.Backward(actions) { // oldest first
		if nested(x) {
			children[x.ParentID] = append(children[x.ParentID], x)
		}
	}
	out := make([]historyLine, 0, len(actions))
	var add func(x historyAction, depth int)
	add = func(x historyAction, depth int) {
		out = append(out, historyLine{action: x, depth: depth})
		for _, c := range children[x.ID] {
			add(c, depth+1)
		}
	}
	for _, x := range actions {
		if !nested(x) {
			add(x, 0)
		}
	}
	return out
}

func historyDocs(h historyAction) string {
	if h.Indexed == 0 && h.Failed == 0 && h.Deleted == 0 && h.Skipped == 0 && h.Kind != "update" && h.Kind != "clear" {
		return "-"
	}
	return docsText(registry.Counts{Indexed: h.Indexed, Failed: h.Failed, Deleted: h.Deleted, Skipped: h.Skipped})
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n-3] + "..."
}

// pluginStatus is one line of the plugins command.
type pluginStatus struct {
	Name     string   `json:"name"`
	Path     string   `json:"path"`
	Starts   bool     `json:"starts"`
	Protocol string   `json:"protocol,omitempty"`
	Indexes  []string `json:"indexes"`
	Error    string   `json:"error,omitempty"`
}

func (a *app) pluginsCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "plugins",
		Short: "The configured plugins: whether each starts, its protocol version and its indexes",
		Args:  args(cobra.NoArgs),
	}
	cmd.RunE = run(func(cmd *cobra.Command, _ []string) error {
		out := make([]pluginStatus, 0, len(a.cfg.Plugins))
		failed := 0
		for _, p := range a.cfg.Plugins {
			st := a.probePlugin(cmd.Context(), p.Name, p.Path, func(ctx context.Context) (*sdk.Plugin, error) {
				return a.startPlugin(ctx, p)
			})
			if !st.Starts || st.Error != "" {
				failed++
			}
			out = append(out, st)
		}
		if failed > 0 {
			a.exitCode = ExitFailed
		}
		if a.output == "json" {
			return writeJSON(a.stdout, out)
		}
		if len(out) == 0 {
			a.logf("no plugins are configured (add a plugins: list to %s)", dash(a.cfg.File))
		}
		rows := make([][]string, 0, len(out))
		for _, s := range out {
			rows = append(rows, []string{s.Name, yesNo(s.Starts), dash(s.Protocol), dash(strings.Join(s.Indexes, ",")), s.Path, dash(s.Error)})
		}
		return table(a.stdout, []string{"NAME", "STARTS", "PROTOCOL", "INDEXES", "PATH", "ERROR"}, rows)
	})
	return cmd
}

// probePlugin starts a plugin, asks what it provides and stops it.
func (a *app) probePlugin(ctx context.Context, name, path string, start func(context.Context) (*sdk.Plugin, error)) pluginStatus {
	st := pluginStatus{Name: name, Path: path, Indexes: []string{}}
	pl, err := start(ctx)
	if err != nil {
		st.Error = oneLine(a.cfg.Redact(err.Error()))
		return st
	}
	defer pl.Close()
	st.Starts = true
	st.Protocol = protocolVersion(pl)
	d, err := pl.Describe(ctx, &sdk.DescribeRequest{})
	if err != nil {
		st.Error = oneLine(a.cfg.Redact(fmt.Sprintf("describe: %v", err)))
		return st
	}
	for _, ix := range d.Indexes {
		st.Indexes = append(st.Indexes, ix.Name)
	}
	return st
}

// protocolVersion is the plugin's negotiated protocol version. sdk.Start
// Start refuses any other version, so a started plugin speaks this one.
func protocolVersion(*sdk.Plugin) string {
	return strconv.Itoa(sdk.ProtocolVersion)
}
