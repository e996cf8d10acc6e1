package bench

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// PostgresCPU returns the CPU time that the local Postgres server has used
// so far: user+system time of every process named postgres (the
// postmaster, its backends and background workers), plus the time of the
// children they have reaped. A backend ends when its client disconnects,
// and the postmaster reaps it, so its CPU moves into the postmaster's
// reaped-children time; the difference of two readings therefore counts
// the backends that started and ended in between too. It fails when no
// postgres process is visible.
func PostgresCPU() (time.Duration, error) {
	procs, err := filepath.Glob("/proc/[0-9]*")
	if err != nil {
		return 0, err
	}
	var total time.Duration
	found := false
	for _, dir := range procs {
		comm, err := os.ReadFile(filepath.Join(dir, "comm"))
		if err != nil || strings.TrimSpace(string(comm)) != "postgres" {
			continue
		}
		stat, err := os.ReadFile(filepath.Join(dir, "stat"))
		if err != nil {
			continue // ended meanwhile
		}
		own, reaped, err := ParseStatCPUAll(stat)
		if err != nil {
			return 0, fmt.Errorf("%s: %w", dir, err)
		}
		total += own + reaped
		found = true
	}
	if !found {
		return 0, errors.New("no process named postgres on this machine")
	}
	return total, nil
}

// ParseStatCPUAll reads a process's own CPU (utime+stime) and that of its
// reaped children (cutime+cstime) from the text of /proc/PID/stat.
func ParseStatCPUAll(stat []byte) (own, reaped time.Duration, err error) {
	i := bytes.LastIndexByte(stat, ')')
	if i < 0 {
		return 0, 0, errors.New("stat: no command name")
	}
	f := strings.Fields(string(stat[i+1:]))
	// f[0] is field 3 (state); utime, stime, cutime, cstime are fields 14-17.
	if len(f) < 15 {
		return 0, 0, fmt.Errorf("stat: %d fields after the command name, want at least 15", len(f))
	}
	var ticks [4]int64
	for j := range ticks {
		t, err := strconv.ParseInt(f[11+j], 10, 64)
		if err != nil {
			return 0, 0, fmt.Errorf("stat: cpu time %q: %w", f[11+j], err)
		}
		ticks[j] = t
	}
	tick := time.Second / clockTicks
	return time.Duration(ticks[0]+ticks[1]) * tick, time.Duration(ticks[2]+ticks[3]) * tick, nil
}

// PostgresMeter reads the Postgres server's CPU around a run; its zero
// value with Off set measures nothing.
type PostgresMeter struct{ Off bool }

// Read returns the server's CPU so far, or -1 when it is not measured.
func (m PostgresMeter) Read() time.Duration {
	if m.Off {
		return -1
	}
	d, err := PostgresCPU()
	if err != nil {
		return -1
	}
	return d
}
