package sdk

import (
	"reflect"
	"strings"
	"testing"
)

func TestParseLogLine(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, in string
		want     LogLine
	}{
		{"plain", "cannot reach the API, retrying", LogLine{Message: "cannot reach the API, retrying"}},
		{"std log", "2026/11/30 04:30:00 cache miss for tt0111161", LogLine{Message: "cache miss for tt0111161"}},
		{"bracket", "[WARN] skipped 3 rows", LogLine{Level: LevelWarn, Message: "skipped 3 rows"}},
		{"bracket after std log", "2026/11/30 04:30:00.123456 [error]: gave up", LogLine{Level: LevelError, Message: "gave up"}},
		{"bracket unknown", "[x] not a level", LogLine{Message: "[x] not a level"}},
		{"hclog text", "2026-11-30T04:30:00.123Z [WARN]  source: slow page: n=3",
			LogLine{Level: LevelWarn, Message: "source: slow page: n=3"}},
		{"hclog text offset", "2026-11-30T04:30:00.123+0100 [DEBUG] hello", LogLine{Level: LevelDebug, Message: "hello"}},
		{"slog default", "2026/11/30 04:30:00 WARN disk almost full free=3%",
			LogLine{Level: LevelWarn, Message: "disk almost full free=3%"}},
		{"hclog json", `{"@level":"warn","@message":"slow page","@module":"source","@timestamp":"2026-11-30T04:30:00.000000Z","n":3,"page":"a b"}`,
			LogLine{Level: LevelWarn, Message: "slow page", Attrs: []LogAttr{{"n", "3"}, {"page", "a b"}}}},
		{"slog json", `{"time":"2026-11-30T04:30:00Z","level":"ERROR+2","msg":"gave up","err":{"code":7}}`,
			LogLine{Level: LevelError, Message: "gave up", Attrs: []LogAttr{{"err", `{"code":7}`}}}},
		{"zap json", `{"level":"info","ts":1732941000.1,"message":"started"}`, LogLine{Level: LevelInfo, Message: "started"}},
		{"json without level or message", `{"a":1}`, LogLine{Message: `{"a":1}`}},
		{"broken json", `{"level":"warn"`, LogLine{Message: `{"level":"warn"`}},
		{"slog text", `time=2026-11-30T04:30:00.000Z level=WARN msg="skipped a movie" lookup="t=No Such Film" n=2`,
			LogLine{Level: LevelWarn, Message: "skipped a movie", Attrs: []LogAttr{{"lookup", "t=No Such Film"}, {"n", "2"}}}},
		{"logfmt without level", `time=now msg=hi`, LogLine{Message: "time=now msg=hi"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := parseLogLine(tt.in); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("parseLogLine(%q) =\n %#v, want\n %#v", tt.in, got, tt.want)
			}
		})
	}
}

func TestLogLineString(t *testing.T) {
	t.Parallel()
	l := LogLine{Level: LevelWarn, Message: "skipped", Attrs: []LogAttr{{"id", "tt1"}, {"why", "not found"}, {"empty", ""}}}
	if got, want := l.String(), `WARN skipped id=tt1 why="not found" empty=""`; got != want {
		t.Errorf("String() = %q, want %q", got, want)
	}
	if got := (LogLine{Message: "plain"}).String(); got != "plain" {
		t.Errorf("String() = %q", got)
	}
}

// A crash report is the panic line and everything after it; lines arrive
// in pieces, as a pipe delivers them.
func TestLineParserCrashAndPieces(t *testing.T) {
	t.Parallel()
	var got []LogLine
	p := &lineParser{emit: func(l LogLine) { got = append(got, l) }}
	in := "[WARN] before\r\n\npanic: boom\n\ngoroutine 1 [running]:\nmain.main()\n\t/src/main.go:9 +0x18\n[INFO] after\n" +
		strings.Repeat("x", maxLogLine+10) + "\n"
	for i := 0; i < len(in); i += 5 {
		if _, err := p.Write([]byte(in[i:min(i+5, len(in))])); err != nil {
			t.Fatal(err)
		}
	}
	want := []LogLine{
		{Level: LevelWarn, Message: "before"},
		{Level: LevelError, Message: "panic: boom", Crash: true},
		{Level: LevelError, Message: "goroutine 1 [running]:", Crash: true},
		{Level: LevelError, Message: "main.main()", Crash: true},
		{Level: LevelError, Message: "\t/src/main.go:9 +0x18", Crash: true},
		{Level: LevelError, Message: "[INFO] after", Crash: true},
		{Level: LevelError, Message: strings.Repeat("x", maxLogLine), Crash: true},
		{Level: LevelError, Message: "xxxxxxxxxx", Crash: true},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %d lines:\n%q\nwant %d:\n%q", len(got), got, len(want), want)
	}
}
