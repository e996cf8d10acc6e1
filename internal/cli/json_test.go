package cli_test

import (
	"bytes"
	"encoding/json"
	"os"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/demhost/demhost/internal/testenv"
)

// The shapes of -o json as README.md's "JSON output" documents them,
// written here independently of the code that prints them: a key without
// omitempty is required, one with it is optional, and any other key is
// refused.

type docResult struct {
	ActionID   int64            `json:"action_id"`
	ParentID   int64            `json:"parent_id,omitempty"`
	Kind       string           `json:"kind"`
	Step       string           `json:"step,omitempty"`
	Index      string           `json:"index"`
	Version    int              `json:"version,omitempty"`
	Target     string           `json:"target"`
	Changed    bool             `json:"changed"`
	Message    string           `json:"message"`
	Notes      []string         `json:"notes,omitempty"`
	Next       string           `json:"next,omitempty"`
	DurationMS int64            `json:"duration_ms"`
	Indexed    int64            `json:"indexed"`
	Failed     int64            `json:"failed"`
	Deleted    int64            `json:"deleted"`
	Skipped    int64            `json:"skipped"`
	Failures   []docFailure     `json:"failures,omitempty"`
	Skips      []docFailure     `json:"skips,omitempty"`
	Retries    map[string]int64 `json:"retries,omitempty"`
}

type docFailure struct {
	ID     string `json:"id"`
	Reason string `json:"reason"`
}

type docVersion struct {
	Index        string     `json:"index"`
	Version      int        `json:"version"`
	Name         string     `json:"name"`
	Physical     string     `json:"physical,omitempty"`
	Exists       bool       `json:"exists"`
	Active       bool       `json:"active"`
	Status       string     `json:"status"`
	LoadSettings bool       `json:"load_settings_applied,omitempty"`
	Skipped      int64      `json:"skipped"`
	Docs         int64      `json:"docs"`
	CodebaseID   string     `json:"codebase_id,omitempty"`
	Created      *time.Time `json:"created,omitempty"`
}

type docCluster struct {
	Name    string   `json:"name"`
	Docs    int64    `json:"docs"`
	Aliases []string `json:"aliases"`
	Health  string   `json:"health,omitempty"`
}

type docAction struct {
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
	Log        []string        `json:"log,omitempty"`
	Children   []docAction     `json:"children,omitempty"`
}

type docPlugin struct {
	Name     string   `json:"name"`
	Path     string   `json:"path"`
	Starts   bool     `json:"starts"`
	Protocol string   `json:"protocol,omitempty"`
	Indexes  []string `json:"indexes"`
	Error    string   `json:"error,omitempty"`
}

type docPlan struct {
	Index      string      `json:"index"`
	Plan       string      `json:"plan"`
	Active     string      `json:"active,omitempty"`
	ActiveHash string      `json:"active_hash,omitempty"`
	Latest     string      `json:"latest,omitempty"`
	Hash       string      `json:"hash"`
	Source     string      `json:"source"`
	Changes    []docChange `json:"changes"`
}

type docChange struct {
	Path   string `json:"path"`
	What   string `json:"what"`
	From   string `json:"from,omitempty"`
	To     string `json:"to,omitempty"`
	Needs  string `json:"needs"`
	Reason string `json:"reason"`
}

var docShapes = map[string]func() any{
	"result":  func() any { return &[]docResult{} },
	"version": func() any { return &[]docVersion{} },
	"cluster": func() any { return &[]docCluster{} },
	"action":  func() any { return &[]docAction{} },
	"plugin":  func() any { return &[]docPlugin{} },
	"plan":    func() any { return &[]docPlan{} },
}

// decodeStrict decodes out into v refusing unknown keys, and checks that
// every required key of v's element type is in every object.
func decodeStrict(t *testing.T, what, out string, v any) {
	t.Helper()
	dec := json.NewDecoder(strings.NewReader(out))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		t.Errorf("%s: %v\n%s", what, err, out)
		return
	}
	var objs []map[string]json.RawMessage
	trimmed := bytes.TrimSpace([]byte(out))
	if len(trimmed) > 0 && trimmed[0] == '{' {
		var one map[string]json.RawMessage
		json.Unmarshal(trimmed, &one)
		objs = append(objs, one)
	} else {
		json.Unmarshal(trimmed, &objs)
	}
	typ := reflect.TypeOf(v).Elem()
	if typ.Kind() == reflect.Slice {
		typ = typ.Elem()
	}
	for _, o := range objs {
		for i := range typ.NumField() {
			tag := typ.Field(i).Tag.Get("json")
			name, opts, _ := strings.Cut(tag, ",")
			if _, ok := o[name]; !ok && !strings.Contains(opts, "omitempty") {
				t.Errorf("%s: required key %q is missing\n%s", what, name, out)
			}
		}
	}
}

// TestJSONOutputMatchesTheREADME runs every command with -o json and
// decodes each output, and each of README.md's examples, into the
// documented shapes.
func TestJSONOutputMatchesTheREADME(t *testing.T) {
	t.Parallel()
	_, movies := binaries(t)
	demhost, _ := inProcess(t, testenv.ElasticsearchURL(t), movies)
	check := func(shape string, args ...string) string {
		t.Helper()
		out := demhost(0, append(args, "-o", "json")...).stdout
		decodeStrict(t, strings.Join(args, " "), out, docShapes[shape]())
		return out
	}
	check("plan", "plan", "movies")     // no version yet
	check("result", "deploy", "movies") // a new version, step by step
	check("result", "deploy", "movies") // no change
	check("result", "create", "movies")
	check("result", "activate", "movies")
	check("result", "update", "movies")
	check("result", "update", "movies", "--start", "2025-01-01 00:00", "--full") // with notes
	check("result", "create", "movies", "--force")
	check("result", "migrate", "movies")
	check("result", "activate", "movies-2")
	check("result", "clear", "movies-1")
	check("result", "drop", "movies-1")
	check("result", "create", "movies", "--force")
	check("result", "update", "movies", "--newer")
	check("plan", "plan", "--all")
	check("version", "list")
	check("cluster", "list", "--es-only")
	check("plugin", "plugins")
	var hist []docAction
	out := check("action", "history")
	json.Unmarshal([]byte(out), &hist)
	for _, h := range hist {
		if h.Kind == "migrate" || h.Kind == "deploy" || (h.Kind == "update" && h.ParentID == 0) {
			one := demhost(0, "history", strconv.FormatInt(h.ID, 10), "-o", "json").stdout
			decodeStrict(t, "history "+strconv.FormatInt(h.ID, 10), "["+one+"]", &[]docAction{})
		}
	}
	check("result", "dangerous-reset", "--yes")

	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	blocks := strings.Split(string(readme), "<!-- json: ")
	if len(blocks) != len(docShapes)+1 {
		t.Fatalf("README.md has %d JSON examples, want one per shape (%d)", len(blocks)-1, len(docShapes))
	}
	for _, b := range blocks[1:] {
		shape, rest, _ := strings.Cut(b, " -->\n```json\n")
		example, _, _ := strings.Cut(rest, "```")
		mk, ok := docShapes[shape]
		if !ok {
			t.Errorf("README.md: unknown JSON shape %q", shape)
			continue
		}
		decodeStrict(t, "README example "+shape, example, mk())
	}
}
