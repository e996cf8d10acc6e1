package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"syscall"
	"time"
)

// Report is what a contender subprocess prints, as its last line of
// stdout, about its timed section: from the first document sent to the end
// of the refresh that follows the last bulk request.
type Report struct {
	Docs     int64 `json:"docs"`
	WallNS   int64 `json:"wall_ns"`
	CPUNS    int64 `json:"cpu_ns"` // user+system CPU of the whole process during the timed section
	Requests int64 `json:"requests,omitempty"`
	// EngineCPUNS is the engine process's CPU during the timed section,
	// absent when the engine's process could not be read.
	EngineCPUNS *int64 `json:"engine_cpu_ns,omitempty"`
}

// Sample is one measured run of one contender.
type Sample struct {
	Wall     time.Duration
	CPU      time.Duration
	MaxRSSKB int64 // peak resident set of the process (and its reaped children), KiB
	Docs     int64
	Requests int64
	// EngineCPU is the CPU the engine process used meanwhile, all its
	// threads; -1 when not measured (a remote engine).
	EngineCPU time.Duration
	// PGCPU is the CPU the Postgres server used meanwhile (the sqltable
	// section only; see PostgresCPU); -1 when not measured.
	PGCPU time.Duration
}

// PGCPUPerDocMicros is Postgres's CPU per document in microseconds, NaN
// when not measured.
func (s Sample) PGCPUPerDocMicros() float64 {
	if s.PGCPU < 0 {
		return nan()
	}
	return float64(s.PGCPU.Microseconds()) / float64(max(s.Docs, 1))
}

// DocsPerSec is the throughput of the run.
func (s Sample) DocsPerSec() float64 { return float64(s.Docs) / s.Wall.Seconds() }

// CPUPerDocMicros is the client CPU per document in microseconds.
func (s Sample) CPUPerDocMicros() float64 {
	return float64(s.CPU.Microseconds()) / float64(max(s.Docs, 1))
}

// EngineCPUPerDocMicros is the engine's CPU per document in microseconds,
// NaN when not measured.
func (s Sample) EngineCPUPerDocMicros() float64 {
	if s.EngineCPU < 0 {
		return nan()
	}
	return float64(s.EngineCPU.Microseconds()) / float64(max(s.Docs, 1))
}

// EngineCores is how many cores the engine kept busy on average over the
// run, NaN when not measured.
func (s Sample) EngineCores() float64 {
	if s.EngineCPU < 0 {
		return nan()
	}
	return s.EngineCPU.Seconds() / s.Wall.Seconds()
}

// RSSMB is the peak RSS in MiB.
func (s Sample) RSSMB() float64 { return float64(s.MaxRSSKB) / 1024 }

// CPUTime returns the user+system CPU time of this process so far.
func CPUTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// Timed runs fn and returns its wall time and the CPU time this process
// used meanwhile (all threads).
func Timed(fn func() error) (wall, cpu time.Duration, err error) {
	c0, t0 := CPUTime(), time.Now()
	err = fn()
	return time.Since(t0), CPUTime() - c0, err
}

// TimedWithEngine is Timed that also reads the engine's CPU over the same
// span, into r.
func TimedWithEngine(m EngineMeter, r *Report, fn func() error) (wall, cpu time.Duration, err error) {
	e0 := m.Read()
	wall, cpu, err = Timed(fn)
	if d := Span(e0, m.Read()); d >= 0 {
		ns := int64(d)
		r.EngineCPUNS = &ns
	}
	return wall, cpu, err
}

// WriteReport prints r as one JSON line to stdout.
func WriteReport(r Report) error {
	b, _ := json.Marshal(r) // plain ints always marshal
	_, err := fmt.Fprintf(os.Stdout, "%s\n", b)
	return err
}

// RunReporting runs cmd, a contender subprocess that ends by printing a
// Report, and returns the sample: wall time and CPU from the report (the
// process's own setup is not timed) and the peak RSS of the whole process
// from wait4. Its stderr goes to the bench's stderr.
func RunReporting(ctx context.Context, cmd *exec.Cmd) (Sample, error) {
	var out bytes.Buffer
	cmd.Stdout = &out
	cmd.Stderr = os.Stderr
	if err := cmd.Run(); err != nil {
		return Sample{}, fmt.Errorf("run %s: %w", cmd.Path, err)
	}
	lines := bytes.Split(bytes.TrimSpace(out.Bytes()), []byte{'\n'})
	var r Report
	if err := json.Unmarshal(lines[len(lines)-1], &r); err != nil {
		return Sample{}, fmt.Errorf("run %s: read its report %q: %w", cmd.Path, lines[len(lines)-1], err)
	}
	eng := time.Duration(-1)
	if r.EngineCPUNS != nil {
		eng = time.Duration(*r.EngineCPUNS)
	}
	return Sample{
		Wall:      time.Duration(r.WallNS),
		CPU:       time.Duration(r.CPUNS),
		MaxRSSKB:  maxRSS(cmd.ProcessState),
		Docs:      r.Docs,
		Requests:  r.Requests,
		EngineCPU: eng,
	}, nil
}

// RunWhole runs cmd and measures all of it: wall time from start to exit,
// and CPU and peak RSS from wait4. On Linux wait4 reports the process
// together with every descendant it waited for, so for demhost this covers
// the plugin processes it starts and reaps; the peak RSS is then the
// largest of them, not their sum.
func RunWhole(ctx context.Context, cmd *exec.Cmd) (Sample, error) {
	t0 := time.Now()
	if err := cmd.Run(); err != nil {
		return Sample{}, fmt.Errorf("run %s: %w", cmd.Path, err)
	}
	wall := time.Since(t0)
	ru, _ := cmd.ProcessState.SysUsage().(*syscall.Rusage)
	var cpu time.Duration
	if ru != nil {
		cpu = time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
	}
	return Sample{Wall: wall, CPU: cpu, MaxRSSKB: maxRSS(cmd.ProcessState)}, nil
}

func maxRSS(ps *os.ProcessState) int64 {
	if ps == nil {
		return 0
	}
	if ru, ok := ps.SysUsage().(*syscall.Rusage); ok {
		return ru.Maxrss // KiB on Linux
	}
	return 0
}
