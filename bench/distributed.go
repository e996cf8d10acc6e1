package bench

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/demhost/demhost/host"
	"github.com/demhost/demhost/internal/redact"
)

// The distributed section (issue 15): `demhost update --distributed` with
// `demhost worker` processes on this host, on a Postgres registry.
//
//   - Slow source: the movies plugin sleeping BatchDelay before every 100
//     documents, standing in for an API. One worker process against
//     three, each running Concurrency jobs: docs/s and the CPU of the
//     demhost processes. Target: three workers at least 2.5x one.
//   - Fast source: plain movies, `update` against `update --distributed`
//     with one worker process of NumCPU jobs. Target: overhead at most 5%.

// DistConfig configures the distributed section.
type DistConfig struct {
	Demhost, Plugin string // binaries
	URL             string // engine
	DSN             string // Postgres; the registry goes into a schema of its own, dropped at the end
	SlowN           int    // documents of the slow source
	BatchDelay      time.Duration
	FastN           int // documents of the fast source
	Partitions      int
	Concurrency     int // jobs per worker process
	Workers         int // plain update's --workers, and the fast case's worker concurrency
	Rounds          int
	Slow, Fast      bool // the cases to run
	Out, Log        io.Writer
}

// distRun is one environment of the section: a config, a prefix, the
// registry.
type distRun struct {
	c      DistConfig
	dir    string
	prefix string
	dsn    string
}

func (r distRun) cmd(ctx context.Context, args ...string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, r.c.Demhost, append([]string{"--config", filepath.Join(r.dir, "demhost.yaml")}, args...)...)
	cmd.Env = append(os.Environ(), "DEMHOST_ENGINE_URL="+r.c.URL, "DEMHOST_ENV_PREFIX="+r.prefix, "DEMHOST_REGISTRY="+r.dsn)
	return cmd
}

func (r distRun) run(ctx context.Context, args ...string) error {
	cmd := r.cmd(ctx, args...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("demhost %v (prefix %s): %w\n%s", args, r.prefix, err, out.String())
	}
	return nil
}

// newDistRun writes a config for n movies with delay per 100 and creates
// and activates the index under a fresh prefix.
func newDistRun(ctx context.Context, c DistConfig, dir, dsn string, n int, delay time.Duration) (distRun, error) {
	b := make([]byte, 3)
	_, _ = rand.Read(b)
	r := distRun{c: c, dir: filepath.Join(dir, hex.EncodeToString(b)), prefix: "distbench" + hex.EncodeToString(b) + "_", dsn: dsn}
	if err := os.MkdirAll(r.dir, 0o755); err != nil {
		return r, err
	}
	conf := fmt.Sprintf("plugins:\n  - name: movies\n    path: %s\n    config:\n      synthetic: %d\n      batch_delay_ms: %d\n",
		strconv.Quote(c.Plugin), n, delay.Milliseconds())
	if err := os.WriteFile(filepath.Join(r.dir, "demhost.yaml"), []byte(conf), 0o644); err != nil {
		return r, err
	}
	for _, step := range []string{"create", "activate"} {
		if err := r.run(ctx, step, "movies"); err != nil {
			return r, err
		}
	}
	return r, nil
}

func (r distRun) reset(ctx context.Context) {
	_ = r.run(context.WithoutCancel(ctx), "dangerous-reset", "--yes")
}

// workers starts k worker processes; stop ends them and returns their
// CPU time.
func (r distRun) workers(ctx context.Context, k, concurrency int) (stop func() time.Duration, err error) {
	var cmds []*exec.Cmd
	stop = func() time.Duration {
		var cpu time.Duration
		for _, c := range cmds {
			_ = c.Process.Signal(syscall.SIGTERM)
		}
		for _, c := range cmds {
			_ = c.Wait()
			if c.ProcessState != nil {
				cpu += c.ProcessState.UserTime() + c.ProcessState.SystemTime()
			}
		}
		return cpu
	}
	for range k {
		c := r.cmd(context.WithoutCancel(ctx), "worker", "--concurrency", strconv.Itoa(concurrency))
		c.Stdout, c.Stderr = io.Discard, io.Discard
		if err := c.Start(); err != nil {
			stop()
			return nil, err
		}
		cmds = append(cmds, c)
	}
	time.Sleep(time.Second) // the workers migrate, connect and listen
	return stop, nil
}

// timed runs demhost args and returns its wall time and its CPU time.
func (r distRun) timed(ctx context.Context, args ...string) (wall, cpu time.Duration, err error) {
	cmd := r.cmd(ctx, args...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	start := time.Now()
	if err := cmd.Run(); err != nil {
		return 0, 0, fmt.Errorf("demhost %v: %w\n%s", args, err, out.String())
	}
	wall = time.Since(start)
	return wall, cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime(), nil
}

// RunDistributed runs the section and prints its two tables.
func RunDistributed(ctx context.Context, c DistConfig) error {
	dir, err := os.MkdirTemp("", "demhost-distbench-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	dsn, drop, err := benchSchema(ctx, c.DSN)
	if err != nil {
		return err
	}
	defer drop()
	fmt.Fprintf(c.Out, "\n== distributed: update --distributed with demhost worker processes (Postgres registry) ==\n")
	fmt.Fprintf(c.Out, "machine: %s; load average %s at the start\n", Machine(), LoadAverage())

	if c.Slow {
		if err := runSlow(ctx, c, dir, dsn); err != nil {
			return err
		}
	}
	if c.Fast {
		if err := runFast(ctx, c, dir, dsn); err != nil {
			return err
		}
	}
	fmt.Fprintf(c.Out, "load average %s at the end\n", LoadAverage())
	return nil
}

// runSlow is the slow source: one worker process against three.
func runSlow(ctx context.Context, c DistConfig, dir, dsn string) error {
	slow := Table{Header: []string{"slow source", "worker processes", "jobs at once", "wall s", "docs/s", "demhost CPU s", "CPU µs/doc"}}
	var rate [2][]float64
	for round := range c.Rounds {
		for i, k := range []int{1, 3} {
			r, err := newDistRun(ctx, c, dir, dsn, c.SlowN, c.BatchDelay)
			if err != nil {
				return err
			}
			stop, err := r.workers(ctx, k, c.Concurrency)
			if err != nil {
				return err
			}
			wall, cpu, err := r.timed(ctx, "update", "movies", "--distributed", "--partitions", strconv.Itoa(c.Partitions))
			cpu += stop()
			r.reset(ctx)
			if err != nil {
				return err
			}
			dps := float64(c.SlowN) / wall.Seconds()
			rate[i] = append(rate[i], dps)
			slow.Add(fmt.Sprintf("round %d", round+1), strconv.Itoa(k), strconv.Itoa(k*c.Concurrency),
				FormatNumber(wall.Seconds(), 1), FormatNumber(dps, 0), FormatNumber(cpu.Seconds(), 1),
				FormatNumber(float64(cpu.Microseconds())/float64(c.SlowN), 0))
			fmt.Fprintf(c.Log, "distributed: slow, %d worker(s), round %d: %.1fs\n", k, round+1, wall.Seconds())
		}
	}
	// Every stream sleeps before its first document too: each slice of a
	// partition sleeps ceil(docs/100) times.
	streams := c.Partitions * host.DefaultSlices
	sleeps := streams * ((c.SlowN/streams + 99) / 100)
	fmt.Fprintf(c.Out, "\nslow source: %d movies, %s per 100 in each stream, %d partitions of %d slices (%.1fs of sleeping in all)\n",
		c.SlowN, c.BatchDelay, c.Partitions, host.DefaultSlices, float64(sleeps)*c.BatchDelay.Seconds())
	if _, err := slow.WriteTo(c.Out); err != nil {
		return err
	}
	one, three := Summarize(rate[0]).Median, Summarize(rate[1]).Median
	fmt.Fprintf(c.Out, "3 workers / 1 worker: %.2fx (median docs/s; target >= 2.5x)\n", three/one)
	return nil
}

// runFast is the fast source: update against update --distributed.
func runFast(ctx context.Context, c DistConfig, dir, dsn string) error {

	fast := Table{Header: []string{"fast source", "command", "requests in flight", "wall s", "docs/s", "demhost CPU s", "engine CPU µs/doc"}}
	pid, _ := EnginePID(c.URL) // 0: the engine's CPU is not measured (not a local process)
	meter := EngineMeter{PID: pid}

	variants := []struct {
		what, inFlight string
		args           []string
		worker         bool
	}{
		{fmt.Sprintf("update --workers %d", c.Workers), strconv.Itoa(c.Workers),
			[]string{"update", "movies", "--workers", strconv.Itoa(c.Workers)}, false},
		{fmt.Sprintf("update --distributed, 1 worker of %d jobs", c.Workers), fmt.Sprintf("%d x %d", c.Workers, c.Workers),
			[]string{"update", "movies", "--distributed", "--partitions", strconv.Itoa(c.Partitions)}, true},
		{fmt.Sprintf("update --distributed --workers 1, 1 worker of %d jobs", c.Workers), strconv.Itoa(c.Workers),
			[]string{"update", "movies", "--distributed", "--partitions", strconv.Itoa(c.Partitions), "--workers", "1"}, true},
	}
	walls := make([][]float64, len(variants))
	engine := make([][]float64, len(variants))
	for round := range c.Rounds {
		for i, v := range variants {
			r, err := newDistRun(ctx, c, dir, dsn, c.FastN, 0)
			if err != nil {
				return err
			}
			stop := func() time.Duration { return 0 }
			if v.worker {
				if stop, err = r.workers(ctx, 1, c.Workers); err != nil {
					return err
				}
			}
			e0 := meter.Read()
			wall, cpu, err := r.timed(ctx, v.args...)
			eng := Span(e0, meter.Read())
			cpu += stop()
			r.reset(ctx)
			if err != nil {
				return err
			}
			walls[i] = append(walls[i], wall.Seconds())
			perDoc := "-"
			if eng >= 0 {
				us := float64(eng.Microseconds()) / float64(c.FastN)
				engine[i] = append(engine[i], us)
				perDoc = FormatNumber(us, 1)
			}
			fast.Add(fmt.Sprintf("round %d", round+1), v.what, v.inFlight, FormatNumber(wall.Seconds(), 2),
				FormatNumber(float64(c.FastN)/wall.Seconds(), 0), FormatNumber(cpu.Seconds(), 1), perDoc)
			fmt.Fprintf(c.Log, "distributed: fast, %s, round %d: %.2fs\n", v.what, round+1, wall.Seconds())
		}
	}
	fmt.Fprintf(c.Out, "\nfast source: %d movies, no sleep, %d partitions\n", c.FastN, c.Partitions)
	if _, err := fast.WriteTo(c.Out); err != nil {
		return err
	}
	plain := Summarize(walls[0]).Median
	fmt.Fprintf(c.Out, "overhead of --distributed: %+.1f%% with the defaults, %+.1f%% at equal requests in flight (median wall time; target <= 5%%)\n",
		(Summarize(walls[1]).Median/plain-1)*100, (Summarize(walls[2]).Median/plain-1)*100)
	if len(engine[0]) > 0 {
		// The engine sets the pace on a small machine, and its CPU per
		// document moves less with the load than the wall time does.
		base := Summarize(engine[0]).Median
		fmt.Fprintf(c.Out, "engine CPU per document next to the plain update's: %.3fx with the defaults, %.3fx at equal requests in flight (medians)\n",
			Summarize(engine[1]).Median/base, Summarize(engine[2]).Median/base)
	}
	return nil
}

// benchSchema creates a schema of its own for the section's registry and
// returns a DSN that uses it, and a func that drops it.
func benchSchema(ctx context.Context, dsn string) (string, func(), error) {
	b := make([]byte, 4)
	_, _ = rand.Read(b)
	schema := "distbench_" + hex.EncodeToString(b)
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		return "", nil, fmt.Errorf("distributed: connect to %s: %w", redact.URL(dsn), err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, "CREATE SCHEMA "+schema); err != nil {
		return "", nil, err
	}
	drop := func() {
		bg := context.Background()
		if c, err := pgx.Connect(bg, dsn); err == nil {
			_, _ = c.Exec(bg, "DROP SCHEMA "+schema+" CASCADE")
			c.Close(bg)
		}
	}
	sep := "?"
	if bytes.ContainsRune([]byte(dsn), '?') {
		sep = "&"
	}
	return dsn + sep + "search_path=" + schema, drop, nil
}
