// Command demhost-bench is the side-by-side bulk indexing benchmark of
// `make bench`: demhost update against esutil/opensearchutil, the Python
// helpers.parallel_bulk and a net/http ceiling, on both engines. Run it
// through scripts/bench.sh, which prepares the Python virtualenv and the
// binaries. `demhost-bench contender KIND ...` is how it re-executes itself
// to run contenders B and D in their own processes.
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

	"github.com/demhost/demhost/bench"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	var err error
	if len(os.Args) > 1 && os.Args[1] == "contender" {
		err = contender(ctx, os.Args[2:])
	} else {
		err = run(ctx, os.Args[1:])
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "demhost-bench: %v\n", err)
		if errors.Is(err, flag.ErrHelp) {
			os.Exit(2)
		}
		os.Exit(1)
	}
}

var knownEngines = map[string]string{
	"elasticsearch": "http://127.0.0.1:9200",
	"opensearch":    "http://127.0.0.1:9201",
}

// parseEngines reads "elasticsearch,opensearch" or "name=url,...".
func parseEngines(s string) ([]bench.Engine, error) {
	var out []bench.Engine
	for _, part := range strings.Split(s, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		name, url, ok := strings.Cut(part, "=")
		if !ok {
			url, ok = knownEngines[name]
			if !ok {
				return nil, fmt.Errorf("-engines: unknown engine %q: use elasticsearch, opensearch or name=url", name)
			}
		}
		out = append(out, bench.Engine{Name: name, URL: url})
	}
	if len(out) == 0 {
		return nil, errors.New("-engines: no engine given")
	}
	return out, nil
}

func run(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("demhost-bench", flag.ContinueOnError)
	n := fs.Int("n", 200000, "number of generated movies")
	rounds := fs.Int("rounds", 3, "counted rounds (after one warm-up round); at least 1")
	workers := fs.Int("workers", runtime.NumCPU(), "concurrent workers / streams / requests of every contender")
	batch := fs.Int("batch", 1000, "documents per bulk request")
	seed := fs.Uint64("seed", 1, "seed of the synthetic movies")
	engines := fs.String("engines", "elasticsearch,opensearch", "engines: names or name=url, comma separated")
	demhost := fs.String("demhost", "bin/demhost", "demhost binary; empty skips contender A")
	plugin := fs.String("plugin", "bin/demhost-plugin-movies", "movies plugin binary")
	python := fs.String("python", ".venv/bench/bin/python", "python of the virtualenv with the engine clients")
	pyScript := fs.String("pyscript", "bench/python/bulk.py", "contender C's script")
	sections := fs.String("sections", "movies,sqltable", "sections to run, comma separated: movies, sqltable, suspects")
	suspects := fs.String("suspects", "", "suspects section: the variants of the ceiling to run, comma separated (all when empty)")
	sqlN := fs.Int("sql-n", 1000000, "sqltable section: rows of the Postgres table")
	sql2N := fs.Bool("sql-2n", false, "sqltable section: also time demhost at 2 x sql-n rows on the first engine")
	dsn := fs.String("dsn", "postgres://demhost:demhost@127.0.0.1:5432/demhost?sslmode=disable", "sqltable section: Postgres DSN")
	schema := fs.String("sql-schema", "demhost_bench", "sqltable section: schema of the loaded tables (movies_N), reused between runs")
	sqlPlugin := fs.String("sql-plugin", "bin/demhost-plugin-sqltable", "sqltable plugin binary")
	sqlPyScript := fs.String("sql-pyscript", "bench/python/sqlbulk.py", "sqltable section: contender C's script")
	sqlPaging := fs.String("sql-paging", "", "sqltable section: A's paging key (auto, keyset, off); empty for the plugin's default")
	sqlOnly := fs.String("sql-contenders", "A,B,C", "sqltable section: the contenders to run, by letter")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *n < 1 || *rounds < 1 || *workers < 1 || *batch < 1 || *sqlN < 1 {
		return errors.New("-n, -sql-n, -rounds, -workers and -batch must be at least 1")
	}
	var secs []string
	for _, s := range strings.Split(*sections, ",") {
		switch s = strings.TrimSpace(s); s {
		case "":
		case "movies", "sqltable", "suspects":
			secs = append(secs, s)
		default:
			return fmt.Errorf("-sections: unknown section %q: use movies, sqltable, suspects", s)
		}
	}
	if len(secs) == 0 {
		return errors.New("-sections: no section given")
	}
	engs, err := parseEngines(*engines)
	if err != nil {
		return err
	}
	for _, p := range []*string{demhost, plugin, python, pyScript, sqlPlugin, sqlPyScript} {
		if *p == "" {
			continue
		}
		abs, err := filepath.Abs(*p)
		if err != nil {
			return fmt.Errorf("resolve %s: %w", *p, err)
		}
		*p = abs
	}
	self, err := os.Executable()
	if err != nil {
		return fmt.Errorf("find own binary: %w", err)
	}
	return bench.Run(ctx, bench.Config{
		N: *n, Rounds: *rounds, Workers: *workers, Batch: *batch, Seed: *seed,
		Engines: engs, Self: self, Python: *python, PyScript: *pyScript,
		Demhost: *demhost, Plugin: *plugin, Out: os.Stdout, Log: os.Stderr,
		Sections: secs, Suspects: splitList(*suspects),
		SQL: bench.SQLConfig{N: *sqlN, Double: *sql2N, DSN: *dsn, Schema: *schema,
			Loader: *plugin, Plugin: *sqlPlugin, PyScript: *sqlPyScript, Paging: *sqlPaging, Contenders: *sqlOnly},
	})
}

// contender runs one contender subprocess: KIND is esutil, opensearchutil
// or ceiling (the movies section), pgx-esutil or pgx-opensearchutil (the
// sqltable section). It prints its bench.Report on stdout.
func contender(ctx context.Context, args []string) error {
	if len(args) == 0 {
		return errors.New("contender: missing kind (esutil, opensearchutil, ceiling, pgx-esutil, pgx-opensearchutil)")
	}
	kind := args[0]
	fs := flag.NewFlagSet("contender "+kind, flag.ContinueOnError)
	var sc bench.SQLChildConfig
	fs.StringVar(&sc.DSN, "dsn", "", "Postgres DSN (pgx contenders)")
	fs.StringVar(&sc.Table, "table", "", "quoted table to read (pgx contenders)")
	fs.IntVar(&sc.FlushBytes, "flush-bytes", 5<<20, "the bulk indexer's FlushBytes (pgx contenders)")
	cfg := &sc.ChildConfig
	fs.StringVar(&cfg.URL, "url", "", "engine URL")
	fs.StringVar(&cfg.Index, "index", "", "index to fill")
	fs.StringVar(&cfg.Corpus, "corpus", "", "corpus file")
	fs.IntVar(&cfg.Workers, "workers", runtime.NumCPU(), "workers")
	fs.IntVar(&cfg.Batch, "batch", 1000, "documents per bulk request")
	fs.IntVar(&cfg.Engine.PID, "engine-pid", 0, "pid of the engine process, to read its CPU time; 0 for none")
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	runners := map[string]func(context.Context, bench.ChildConfig) (bench.Report, error){
		"esutil":         bench.RunEsutil,
		"opensearchutil": bench.RunOpensearchutil,
		"ceiling":        bench.RunCeiling,
	}
	sqlRunners := map[string]func(context.Context, bench.SQLChildConfig) (bench.Report, error){
		"pgx-esutil":         bench.RunPgxEsutil,
		"pgx-opensearchutil": bench.RunPgxOpensearchutil,
	}
	var r bench.Report
	var err error
	if name, ok := strings.CutPrefix(kind, "suspect:"); ok {
		s, found := bench.SuspectByName(name)
		if !found {
			return fmt.Errorf("contender: unknown suspect %q", name)
		}
		r, err = bench.RunSuspect(ctx, *cfg, s)
	} else if fn, ok := runners[kind]; ok {
		r, err = fn(ctx, *cfg)
	} else if fn, ok := sqlRunners[kind]; ok {
		r, err = fn(ctx, sc)
	} else {
		return fmt.Errorf("contender: unknown kind %q", kind)
	}
	if err != nil {
		return fmt.Errorf("contender %s: %w", kind, err)
	}
	return bench.WriteReport(r)
}

// splitList splits a comma-separated flag value, dropping empty items.
func splitList(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}
