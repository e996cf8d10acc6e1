// Command demhost-distbench is the distributed section of `make bench`
// (issue 15): update --distributed with one and three demhost worker
// processes on a deliberately slow source, and the overhead of
// --distributed on the fast one. Run it through `scripts/bench.sh
// distributed [flags]`, which builds it; it needs bin/demhost and
// bin/demhost-plugin-movies.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"time"

	"github.com/demhost/demhost/bench"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:]); err != nil {
		fmt.Fprintf(os.Stderr, "demhost-distbench: %v\n", err)
		if errors.Is(err, flag.ErrHelp) {
			os.Exit(2)
		}
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("demhost-distbench", flag.ContinueOnError)
	c := bench.DistConfig{Out: os.Stdout, Log: os.Stderr}
	fs.StringVar(&c.URL, "url", "http://127.0.0.1:9200", "engine URL")
	fs.StringVar(&c.DSN, "dsn", "postgres://demhost:demhost@127.0.0.1:5432/demhost?sslmode=disable", "Postgres of the registry (a schema of its own, dropped at the end)")
	fs.StringVar(&c.Demhost, "demhost", "bin/demhost", "demhost binary")
	fs.StringVar(&c.Plugin, "plugin", "bin/demhost-plugin-movies", "movies plugin binary")
	fs.IntVar(&c.SlowN, "slow-n", 12000, "movies of the slow source")
	fs.DurationVar(&c.BatchDelay, "batch-delay", 150*time.Millisecond, "the slow source's sleep per 100 movies")
	fs.IntVar(&c.FastN, "fast-n", 100000, "movies of the fast source")
	fs.IntVar(&c.Partitions, "partitions", 12, "partition jobs per update")
	fs.IntVar(&c.Concurrency, "concurrency", 1, "slow source: jobs at once per worker process")
	fs.IntVar(&c.Workers, "workers", runtime.NumCPU(), "fast source: plain update's --workers, and the one worker's jobs at once")
	fs.IntVar(&c.Rounds, "rounds", 2, "rounds of each case")
	cases := fs.String("cases", "slow,fast", "cases to run, comma separated: slow, fast")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if c.SlowN < 1 || c.FastN < 1 || c.Partitions < 1 || c.Concurrency < 1 || c.Workers < 1 || c.Rounds < 1 {
		return errors.New("-slow-n, -fast-n, -partitions, -concurrency, -workers and -rounds must be at least 1")
	}
	for _, k := range strings.Split(*cases, ",") {
		switch strings.TrimSpace(k) {
		case "slow":
			c.Slow = true
		case "fast":
			c.Fast = true
		case "":
		default:
			return fmt.Errorf("-cases: unknown case %q: use slow, fast", k)
		}
	}
	for _, p := range []*string{&c.Demhost, &c.Plugin} {
		abs, err := filepath.Abs(*p)
		if err != nil {
			return err
		}
		*p = abs
	}
	return bench.RunDistributed(ctx, c)
}
