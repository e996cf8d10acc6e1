package sdk

import (
	"bytes"
	"strings"
	"sync"
)

// tailBuffer keeps the last bytes a plugin wrote to stderr, so a crash can
// be reported with its panic message.
type tailBuffer struct {
	mu  sync.Mutex
	buf []byte
	max int
}

func (t *tailBuffer) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.buf = append(t.buf, p...)
	if over := len(t.buf) - t.max; over > 0 {
		t.buf = append(t.buf[:0], t.buf[over:]...)
	}
	return len(p), nil
}

// summary is the most telling stderr line: the first "panic:" or "fatal
// error:" line if any, else the last non-empty line.
func (t *tailBuffer) summary() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	var last string
	for _, l := range bytes.Split(t.buf, []byte("\n")) {
		s := strings.TrimSpace(string(l))
		if strings.HasPrefix(s, "panic: ") || strings.HasPrefix(s, "fatal error: ") {
			return s
		}
		if s != "" {
			last = s
		}
	}
	return last
}
