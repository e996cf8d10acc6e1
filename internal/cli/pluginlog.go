package cli

import (
	"bytes"
	"io"
	"sync"
)

// pluginLog is where go-plugin's own log lines go. Without -v it drops the
// warning go-plugin prints when it has to kill a plugin that did not stop
// by itself: that only happens to a plugin that already failed, whose
// error demhost reports in one sentence of its own.
type pluginLog struct {
	mu      sync.Mutex
	out     io.Writer
	verbose bool
	partial []byte
}

var noisy = [][]byte{[]byte("plugin failed to exit gracefully")}

func (l *pluginLog) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.verbose {
		return l.out.Write(p)
	}
	l.partial = append(l.partial, p...)
	for {
		nl := bytes.IndexByte(l.partial, '\n')
		if nl < 0 {
			break
		}
		line := l.partial[:nl+1]
		if !isNoisy(line) {
			if _, err := l.out.Write(line); err != nil {
				return len(p), err
			}
		}
		l.partial = l.partial[nl+1:]
	}
	l.partial = append([]byte(nil), l.partial...)
	return len(p), nil
}

func isNoisy(line []byte) bool {
	for _, n := range noisy {
		if bytes.Contains(line, n) {
			return true
		}
	}
	return false
}
