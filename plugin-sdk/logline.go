package sdk

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"regexp"
	"strconv"
	"strings"
	"sync"
)

// LogLevel is the level of a line a plugin logged. A line written without
// one (a plain fmt.Fprintln(os.Stderr, …), or the standard log package)
// has LevelNone.
type LogLevel int

// The levels, lowest first.
const (
	LevelNone LogLevel = iota
	LevelTrace
	LevelDebug
	LevelInfo
	LevelWarn
	LevelError
)

func (l LogLevel) String() string {
	switch l {
	case LevelTrace:
		return "TRACE"
	case LevelDebug:
		return "DEBUG"
	case LevelInfo:
		return "INFO"
	case LevelWarn:
		return "WARN"
	case LevelError:
		return "ERROR"
	}
	return ""
}

// LogAttr is one key=value pair of a structured log line.
type LogAttr struct {
	Key, Value string
}

// LogLine is one line a plugin wrote to its stderr (or stdout), whatever
// the style: hclog (text or JSON), log/slog (text or JSON), a "[WARN]"
// prefix, or plain text. Timestamps are dropped: the host's own log has
// them.
type LogLine struct {
	Level   LogLevel
	Message string
	// Attrs are the line's key=value pairs, in the order written.
	Attrs []LogAttr
	// Crash marks the lines of a Go panic or fatal error report: its
	// "panic: …" line and the stack trace after it (Level is LevelError).
	Crash bool
}

// String is the line as a host shows it: "WARN message key=value …", or
// the text alone for a line without a level.
func (l LogLine) String() string {
	var b strings.Builder
	if l.Level != LevelNone {
		b.WriteString(l.Level.String())
		b.WriteByte(' ')
	}
	b.WriteString(l.Message)
	for _, a := range l.Attrs {
		b.WriteByte(' ')
		b.WriteString(a.Key)
		b.WriteByte('=')
		if a.Value == "" || strings.ContainsAny(a.Value, " \t\"=") {
			b.WriteString(strconv.Quote(a.Value))
		} else {
			b.WriteString(a.Value)
		}
	}
	return b.String()
}

var (
	// A timestamp the standard log package (2009/11/10 23:00:00.000000)
	// or hclog (2009-11-10T23:00:00.000Z) puts before the message.
	logTimestamp = regexp.MustCompile(`^(?:\d{4}/\d\d/\d\d \d\d:\d\d:\d\d(?:\.\d+)?|\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?(?:Z|[+-]\d\d:?\d\d)?) +`)
	// A level in brackets, as hclog and many hand-written loggers write it.
	bracketLevel = regexp.MustCompile(`^\[([A-Za-z]+)\]:? *`)
	// A bare upper-case level, as log/slog's default logger writes it
	// after the standard log package's timestamp.
	bareLevel = regexp.MustCompile(`^(TRACE|DEBUG|INFO|WARN|WARNING|ERROR)(?:[+-]\d+)?:? +`)
)

// parseLevel reads a level name: hclog's, slog's ("WARN+2" counts as
// WARN) and the usual spellings. ok is false for anything else.
func parseLevel(s string) (LogLevel, bool) {
	if i := strings.IndexAny(s, "+-"); i > 0 {
		s = s[:i]
	}
	switch strings.ToUpper(s) {
	case "TRACE":
		return LevelTrace, true
	case "DEBUG", "DBG":
		return LevelDebug, true
	case "INFO", "INF", "NOTICE":
		return LevelInfo, true
	case "WARN", "WARNING", "WRN":
		return LevelWarn, true
	case "ERROR", "ERR", "FATAL", "CRITICAL", "PANIC":
		return LevelError, true
	}
	return LevelNone, false
}

// parseLogLine reads one line (without its newline) that is not part of a
// crash report.
func parseLogLine(line string) LogLine {
	if strings.HasPrefix(line, "{") {
		if l, ok := parseJSONLine(line); ok {
			return l
		}
	}
	if l, ok := parseLogfmt(line); ok {
		return l
	}
	rest := logTimestamp.ReplaceAllString(line, "")
	for _, re := range []*regexp.Regexp{bracketLevel, bareLevel} {
		if m := re.FindStringSubmatch(rest); m != nil {
			if lvl, ok := parseLevel(m[1]); ok {
				return LogLine{Level: lvl, Message: strings.TrimSpace(rest[len(m[0]):])}
			}
		}
	}
	return LogLine{Message: rest}
}

// jsonKeys say which keys of a JSON line are the level and the message;
// the time keys are dropped.
var (
	jsonLevelKeys   = []string{"@level", "level", "severity", "lvl"}
	jsonMessageKeys = []string{"@message", "msg", "message"}
	jsonDropKeys    = map[string]bool{"@timestamp": true, "time": true, "ts": true, "timestamp": true, "@module": true}
)

// parseJSONLine reads a JSON object with a level or a message: hclog's
// JSON format, slog's JSONHandler, zap, zerolog.
func parseJSONLine(line string) (LogLine, bool) {
	dec := json.NewDecoder(strings.NewReader(line))
	dec.UseNumber()
	if t, err := dec.Token(); err != nil || t != json.Delim('{') {
		return LogLine{}, false
	}
	var keys []string
	vals := map[string]string{}
	for dec.More() {
		t, err := dec.Token()
		if err != nil {
			return LogLine{}, false
		}
		key, _ := t.(string)
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			return LogLine{}, false
		}
		var s string
		if json.Unmarshal(raw, &s) != nil {
			var c bytes.Buffer
			if json.Compact(&c, raw) == nil {
				s = c.String()
			}
		}
		if _, dup := vals[key]; !dup {
			keys = append(keys, key)
		}
		vals[key] = s
	}
	if t, err := dec.Token(); err != nil || t != json.Delim('}') {
		return LogLine{}, false
	}
	l := LogLine{}
	used := map[string]bool{}
	lvlKey := first(vals, jsonLevelKeys)
	msgKey := first(vals, jsonMessageKeys)
	if lvlKey == "" && msgKey == "" {
		return LogLine{}, false
	}
	if lvlKey != "" {
		l.Level, _ = parseLevel(vals[lvlKey])
		used[lvlKey] = true
	}
	if msgKey != "" {
		l.Message = vals[msgKey]
		used[msgKey] = true
	}
	for _, k := range keys {
		if !used[k] && !jsonDropKeys[k] {
			l.Attrs = append(l.Attrs, LogAttr{Key: k, Value: vals[k]})
		}
	}
	return l, true
}

func first(vals map[string]string, keys []string) string {
	for _, k := range keys {
		if _, ok := vals[k]; ok {
			return k
		}
	}
	return ""
}

// parseLogfmt reads key=value pairs with a level key, as slog's
// TextHandler writes them: time=… level=WARN msg="…" key=value.
func parseLogfmt(line string) (LogLine, bool) {
	if !strings.HasPrefix(line, "time=") && !strings.HasPrefix(line, "level=") {
		return LogLine{}, false
	}
	var l LogLine
	hasLevel := false
	for s := line; s != ""; {
		s = strings.TrimLeft(s, " ")
		if s == "" {
			break
		}
		eq := strings.IndexByte(s, '=')
		if eq <= 0 || strings.ContainsAny(s[:eq], " \"") {
			return LogLine{}, false
		}
		key := s[:eq]
		s = s[eq+1:]
		var val string
		if strings.HasPrefix(s, `"`) {
			q, err := strconv.QuotedPrefix(s)
			if err != nil {
				return LogLine{}, false
			}
			val, _ = strconv.Unquote(q)
			s = s[len(q):]
		} else {
			end := strings.IndexByte(s, ' ')
			if end < 0 {
				end = len(s)
			}
			val, s = s[:end], s[end:]
		}
		switch key {
		case "time":
		case "level":
			l.Level, hasLevel = parseLevel(val)
		case "msg":
			l.Message = val
		default:
			l.Attrs = append(l.Attrs, LogAttr{Key: key, Value: val})
		}
	}
	return l, hasLevel
}

// maxLogLine bounds one line; a longer one is cut into pieces.
const maxLogLine = 64 << 10

// lineParser turns one output stream of the plugin into LogLines for
// emit. After a "panic: " or "fatal error: " line every line is part of
// the crash report: the Go runtime prints nothing else before it exits.
type lineParser struct {
	emit    func(LogLine)
	partial []byte
	crash   bool
}

func (p *lineParser) Write(b []byte) (int, error) {
	p.partial = append(p.partial, b...)
	for {
		nl := bytes.IndexByte(p.partial, '\n')
		if nl < 0 {
			if len(p.partial) >= maxLogLine {
				nl = len(p.partial)
			} else {
				break
			}
		}
		p.line(string(bytes.TrimRight(p.partial[:nl], "\r")))
		p.partial = p.partial[min(nl+1, len(p.partial)):]
	}
	if len(p.partial) == 0 {
		p.partial = nil
	}
	return len(b), nil
}

func (p *lineParser) line(s string) {
	if strings.HasPrefix(s, "panic: ") || strings.HasPrefix(s, "fatal error: ") {
		p.crash = true
	}
	if strings.TrimSpace(s) == "" {
		return
	}
	if p.crash {
		p.emit(LogLine{Level: LevelError, Message: s, Crash: true})
		return
	}
	p.emit(parseLogLine(s))
}

// logRelay hands the lines of the plugin's output streams to one sink,
// one line at a time.
type logRelay struct {
	mu   sync.Mutex
	sink func(LogLine)
}

func (r *logRelay) stream() *lineParser {
	return &lineParser{emit: func(l LogLine) {
		r.mu.Lock()
		defer r.mu.Unlock()
		r.sink(l)
	}}
}

// defaultLogSink writes the warnings, errors and lines without a level to
// w, each as "plugin NAME: " and the line.
func defaultLogSink(name string, w io.Writer) func(LogLine) {
	return func(l LogLine) {
		if l.Crash || (l.Level != LevelNone && l.Level < LevelWarn) {
			return
		}
		fmt.Fprintf(w, "plugin %s: %s\n", name, l)
	}
}
