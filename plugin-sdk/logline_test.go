package sdk_test

import (
	"bytes"
	"context"
	"errors"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	sdk "github.com/demhost/demhost/plugin-sdk"
)

var timestamp = regexp.MustCompile(`\d{4}[/-]\d\d[/-]\d\d`)

// lines collects what a plugin logged.
type lines struct {
	mu  sync.Mutex
	got []sdk.LogLine
}

func (l *lines) sink(line sdk.LogLine) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.got = append(l.got, line)
}

// wait returns the first line whose message contains s, waiting up to 5s
// for it: the plugin's output arrives apart from its answers.
func (l *lines) wait(t *testing.T, s string) (sdk.LogLine, bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		l.mu.Lock()
		for _, line := range l.got {
			if strings.Contains(line.Message, s) {
				l.mu.Unlock()
				return line, true
			}
		}
		l.mu.Unlock()
		if time.Now().After(deadline) {
			return sdk.LogLine{}, false
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// Every style a plugin author may log in reaches the sink with its level,
// whether written before Serve (to the process's stderr) or while serving
// (to go-plugin's relay of os.Stderr).
func TestPluginLogStyles(t *testing.T) {
	t.Parallel()
	var l lines
	p := start(t, "chatty", sdk.WithLogSink(l.sink))
	configure(t, p, `{}`)
	tests := []struct {
		msg   string
		level sdk.LogLevel
		attrs string // the line's attributes as String shows them
	}{
		{"plain line", sdk.LevelNone, ""},
		{"std log line", sdk.LevelNone, ""},
		{"bracket warning", sdk.LevelWarn, ""},
		{"bracket error", sdk.LevelError, ""},
		{"hclog default warning", sdk.LevelWarn, ""},
		{"hclog text error", sdk.LevelError, ""},
		{"hclog json warning", sdk.LevelWarn, " n=3"},
		{"slog text warning", sdk.LevelWarn, ` lookup="t=No Such Film"`},
		{"slog json error", sdk.LevelError, " n=4"},
		{"slog text info", sdk.LevelInfo, ""},
		{"slog text debug", sdk.LevelDebug, ""},
	}
	for _, when := range []string{"main", "configure"} {
		for _, tt := range tests {
			msg := tt.msg + " " + when
			got, ok := l.wait(t, msg)
			if !ok {
				t.Errorf("%q never reached the sink", msg)
				continue
			}
			if got.Level != tt.level || got.Crash {
				t.Errorf("%q: level %v crash %v, want %v", msg, got.Level, got.Crash, tt.level)
			}
			if !strings.HasSuffix(got.String(), tt.attrs) || timestamp.MatchString(got.Message) || strings.Contains(got.String(), "time=") {
				t.Errorf("%q: shown as %q, want the message and%s, no timestamp", msg, got.String(), tt.attrs)
			}
		}
	}
}

// Without a sink, warnings, errors and plain lines go to the log output,
// named after the plugin; info and debug do not.
func TestPluginLogDefaultSink(t *testing.T) {
	t.Parallel()
	var out syncBuffer
	p := start(t, "chatty", sdk.WithLogOutput(&out))
	configure(t, p, `{}`)
	want := []string{
		"plugin chatty: plain line configure\n",
		"plugin chatty: WARN bracket warning configure\n",
		"plugin chatty: ERROR slog json error configure n=4\n",
		`plugin chatty: WARN slog text warning main lookup="t=No Such Film"` + "\n",
	}
	deadline := time.Now().Add(5 * time.Second)
	for _, w := range want {
		for !strings.Contains(out.String(), w) && time.Now().Before(deadline) {
			time.Sleep(20 * time.Millisecond)
		}
		if !strings.Contains(out.String(), w) {
			t.Errorf("log output lacks %q:\n%s", w, out.String())
		}
	}
	for _, no := range []string{"info", "debug"} {
		if strings.Contains(out.String(), no) {
			t.Errorf("log output has %s lines:\n%s", no, out.String())
		}
	}
}

// A panic is one error naming it; its stack trace goes to the sink as a
// crash report, and not to the default log output.
func TestPluginCrashReport(t *testing.T) {
	t.Parallel()
	var l lines
	var out syncBuffer
	for _, withSink := range []bool{true, false} {
		opts := []sdk.StartOption{sdk.WithLogOutput(&out)}
		if withSink {
			opts = append(opts, sdk.WithLogSink(l.sink))
		}
		p := start(t, "crash", opts...)
		configure(t, p, `{"docs": 5000}`)
		err := p.Stream(context.Background(), &sdk.StreamRequest{Index: "items"}, func(*sdk.Batch) error { return nil })
		if !errors.Is(err, sdk.ErrPluginCrashed) || !errors.Is(err, sdk.ErrPluginExited) {
			t.Fatalf("err = %v, want ErrPluginCrashed, an ErrPluginExited", err)
		}
		want := `plugin "crash": stream index "items": crashed (panic: boom at document 1000; exit status 2)`
		if err.Error() != want {
			t.Errorf("error\n %q, want\n %q", err, want)
		}
	}
	first, ok := l.wait(t, "panic: boom at document 1000")
	if !ok || !first.Crash || first.Level != sdk.LevelError {
		t.Errorf("panic line: %+v (seen %v), want a crash line at error level", first, ok)
	}
	if trace, ok := l.wait(t, "goroutine "); !ok || !trace.Crash {
		t.Errorf("no stack trace in the sink: %+v", l.got)
	}
	if strings.Contains(out.String(), "goroutine ") || strings.Contains(out.String(), "panic:") {
		t.Errorf("the crash report reached the log output:\n%s", out.String())
	}
}

// syncBuffer is a bytes.Buffer safe for the plugin's reader goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
