package cli

import (
	"io"
	"strings"
	"testing"
	"time"

	"github.com/demhost/demhost/host"
	"github.com/demhost/demhost/host/engine"
	"github.com/demhost/demhost/registry"
)

func TestProgressView(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		terminal bool
		expected int64
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
			v := &progressView{w: &b, terminal: tt.terminal}
			p := host.Progress{Index: "movies", Version: 2, Expected: tt.expected,
				Counts: registry.Counts{Indexed: 1500, Failed: 2}, Elapsed: 3004 * time.Millisecond}
			v.show(p)
			p.Final = true
			v.show(p)
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

func TestHintsWordTheFacts(t *testing.T) {
	t.Parallel()
	tests := []struct {
		err  error
		want string
	}{
		{&host.NoActiveVersionError{Index: "movies", Latest: 3}, "run `activate movies` first, or name a version such as movies-3"},
		{&host.NoActiveVersionError{Index: "movies"}, "run `create movies` first"},
		{&host.MissingIndexError{Index: "movies", Version: 2, Physical: "qa_movies-2"}, "run `create movies --es-only` to recreate it"},
		{&host.CannotNarrowError{Source: "movies", Index: "movies", Start: true}, "pass --full to read everything"},
		{&host.DroppedVersionError{Index: "movies", Version: 1}, "see `list movies`"},
		{&host.UnhealthyError{Index: "movies", Version: 2, Physical: "qa_movies-2", Want: "green", Timeout: time.Minute,
			Health: engine.Health{Status: "yellow", ActiveShards: 3, UnassignedShards: 3, DataNodes: 2}},
			"run `activate movies-2` again, or raise activate.wait_timeout, or set activate.wait_for_status: yellow"},
	}
	for _, tt := range tests {
		if got := withHint(tt.err).Error(); !strings.Contains(got, tt.want) || !strings.HasPrefix(got, tt.err.Error()) {
			t.Errorf("withHint(%v) = %q, want the fact then %q", tt.err, got, tt.want)
		}
	}
	if got := command(&host.Step{Action: "update", Target: "movies-2", Resume: true, Why: "to continue"}); got != "run `update movies-2 --resume` to continue" {
		t.Errorf("command = %q", got)
	}
}

// A plugin's line written while a bar is drawn erases the bar first, so
// the two never share a line.
func TestLineWriterClearsTheBar(t *testing.T) {
	t.Parallel()
	var b strings.Builder
	v := &progressView{w: &b, terminal: true}
	v.show(host.Progress{Index: "movies", Version: 1, Counts: registry.Counts{Indexed: 10}, Elapsed: time.Second})
	io.WriteString(v.lineWriter(), "plugin movies: WARN slow\n")
	out := b.String()
	if !strings.Contains(out, "0:01\x1b[K\r\x1b[Kplugin movies: WARN slow\n") {
		t.Errorf("output %q: want the bar erased before the plugin's line", out)
	}
	b.Reset()
	io.WriteString(v.lineWriter(), "plugin movies: WARN again\n")
	if b.String() != "plugin movies: WARN again\n" {
		t.Errorf("with no bar drawn, output %q: want the line alone", b.String())
	}
}
