package bench

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"time"

	sdk "github.com/demhost/demhost/plugin-sdk"
)

// Engine is one engine to run the contenders against.
type Engine struct {
	Name string // "elasticsearch" or "opensearch"
	URL  string
}

// Config is one benchmark run. Zero values are not defaulted here; the
// command's flags state the defaults.
type Config struct {
	N, Rounds, Workers, Batch int
	Seed                      uint64
	Engines                   []Engine
	Self                      string // the bench binary, re-executed for contenders B and D
	Python                    string // the virtualenv's python, for contender C
	PyScript                  string // bench/python/bulk.py
	Demhost                   string // bin/demhost; contender A is skipped when empty
	Plugin                    string // bin/demhost-plugin-movies
	Out, Log                  io.Writer
	// Sections to run: "movies" (the bulk indexing comparison below) and
	// "sqltable" (RunSQL); both when empty.
	Sections []string
	SQL      SQLConfig
	// Suspects names the variants of the suspects section (all when
	// empty); see Suspect.
	Suspects []string
}

// Run runs the configured sections in turn: movies, then sqltable.
func Run(ctx context.Context, cfg Config) error {
	want := func(name string) bool {
		if len(cfg.Sections) == 0 {
			return true
		}
		for _, s := range cfg.Sections {
			if s == name {
				return true
			}
		}
		return false
	}
	if want("movies") {
		if err := RunMovies(ctx, cfg); err != nil {
			return err
		}
	}
	if want("sqltable") {
		if err := RunSQL(ctx, cfg); err != nil {
			return err
		}
	}
	if len(cfg.Sections) > 0 && want("suspects") {
		return RunSuspects(ctx, cfg, cfg.Suspects)
	}
	return nil
}

// RunMovies generates the corpus, measures the plugin stream alone, then
// runs the rounds on every engine and prints each engine's report to Out.
func RunMovies(ctx context.Context, cfg Config) error {
	tmp, err := os.MkdirTemp("", "demhost-bench-")
	if err != nil {
		return fmt.Errorf("temp dir: %w", err)
	}
	defer os.RemoveAll(tmp)

	corpus := filepath.Join(tmp, "corpus.ndjson")
	size, err := WriteCorpusFile(corpus, cfg.N, cfg.Seed)
	if err != nil {
		return err
	}
	fmt.Fprintf(cfg.Out, "machine: %s; load average %s at start\n", Machine(), LoadAverage())
	fmt.Fprintf(cfg.Out, "corpus: %s movies, %.0f bytes per source on average, seed %d\n",
		FormatNumber(float64(cfg.N), 0), float64(size)/float64(max(cfg.N, 1)), cfg.Seed)
	fmt.Fprintf(cfg.Out, "workers %d, batch %d docs, %d counted rounds after 1 warm-up, contenders in turn A B C D, the order turning one place each round (B C D A, …)\n",
		cfg.Workers, cfg.Batch, cfg.Rounds)

	_, genCPU, _ := Timed(func() error {
		return Generate(cfg.N, cfg.Seed, func(string, []byte) error { return nil })
	})
	fmt.Fprintf(cfg.Out, "generator alone: %.2f µs CPU/doc, part of A's client CPU (the plugin makes the movies; B, C and D are handed them pre-serialized)\n",
		float64(genCPU.Microseconds())/float64(max(cfg.N, 1)))
	body := MoviesIndexBody()

	stream := measureStream(ctx, cfg)

	for _, eng := range cfg.Engines {
		res, err := runEngine(ctx, cfg, eng, corpus, body)
		if err != nil {
			return fmt.Errorf("%s: %w", eng.Name, err)
		}
		res.GeneratorCPU = float64(genCPU.Nanoseconds()) / 1e3 / float64(max(cfg.N, 1))
		if err := WriteEngineReport(cfg.Out, res, stream, runtime.NumCPU()); err != nil {
			return err
		}
	}
	return nil
}

// WriteCorpusFile writes n generated movies to path and returns the total
// size of their sources.
func WriteCorpusFile(path string, n int, seed uint64) (int64, error) {
	f, err := os.Create(path)
	if err != nil {
		return 0, fmt.Errorf("create corpus %s: %w", path, err)
	}
	defer f.Close()
	w := NewCorpusWriter(f)
	if err := Generate(n, seed, w.Write); err != nil {
		return 0, fmt.Errorf("generate corpus %s: %w", path, err)
	}
	if err := w.Flush(); err != nil {
		return 0, fmt.Errorf("write corpus %s: %w", path, err)
	}
	if err := f.Close(); err != nil {
		return 0, fmt.Errorf("write corpus %s: %w", path, err)
	}
	return w.SourceBytes(), nil
}

// measureStream runs the plugin stream alone once as a warm-up and then
// Rounds times, the batches through the batch socket (what demhost does)
// and through the gRPC call, alternated; a failure is logged and gives an
// empty summary. It prints the docs/s and the CPU per document of each
// side of the hop, per path, and returns the batch socket's docs/s.
func measureStream(ctx context.Context, cfg Config) Summary {
	paths := []struct {
		name string
		opts []sdk.StartOption
	}{
		{"batch socket", nil},
		{"gRPC call", []sdk.StartOption{sdk.WithoutBatchSocket()}},
	}
	type figures struct{ xs, host, plugin []float64 }
	got := make([]figures, len(paths))
	for round := 0; round <= cfg.Rounds; round++ {
		for _, i := range inTurn([]int{0, 1}, round) {
			path := paths[i]
			run, err := StreamAlone(ctx, cfg.Plugin, cfg.N, cfg.Seed, cfg.Workers, path.opts...)
			if err != nil {
				fmt.Fprintf(cfg.Log, "plugin stream alone, %s: %v\n", path.name, err)
				return Summary{}
			}
			if run.Docs != int64(cfg.N) {
				fmt.Fprintf(cfg.Log, "plugin stream alone, %s: got %d docs, want %d\n", path.name, run.Docs, cfg.N)
				return Summary{}
			}
			if round > 0 {
				f := &got[i]
				f.xs = append(f.xs, float64(run.Docs)/run.Wall.Seconds())
				f.host = append(f.host, float64(run.Host.Nanoseconds())/1e3/float64(run.Docs))
				f.plugin = append(f.plugin, float64(run.Plugin.Nanoseconds())/1e3/float64(run.Docs))
			}
		}
	}
	for i, path := range paths {
		fmt.Fprintf(cfg.Out, "plugin stream alone (go-plugin, %s, %d streams, no engine): %s docs/s; CPU µs/doc: receiving side %s, plugin %s (with the generator and its start)\n",
			path.name, cfg.Workers, FormatSummary(Summarize(got[i].xs), 0), FormatSummary(Summarize(got[i].host), 2), FormatSummary(Summarize(got[i].plugin), 2))
	}
	return Summarize(got[0].xs)
}

func runEngine(ctx context.Context, cfg Config, eng Engine, corpus string, body []byte) (res EngineResult, err error) {
	cl := NewCluster(eng.URL)
	dist, version, err := cl.Version(ctx)
	if err != nil {
		return EngineResult{}, err
	}
	res = EngineResult{
		Engine:  fmt.Sprintf("%s %s at %s", dist, version, eng.URL),
		Order:   []string{Demhost, Esutil, Python, Ceiling},
		Samples: map[string][]Sample{},
	}
	bulkLib, pyClient := "esutil.BulkIndexer (go-elasticsearch v8)", "elasticsearch-py 7.17"
	if dist == "opensearch" {
		bulkLib, pyClient = "opensearchutil.BulkIndexer (opensearch-go v4)", "opensearch-py"
		res.Labels = map[string]string{Esutil: "B opensearchutil"}
	}
	res.Notes = append(res.Notes, "B is "+bulkLib+"; C is helpers.parallel_bulk of "+pyClient)
	if pid, err := EnginePID(eng.URL); err == nil {
		res.EnginePID = pid
	} else {
		res.Notes = append(res.Notes, fmt.Sprintf("engine CPU not measured: %v", err))
	}
	load0 := LoadAverage()
	defer func() {
		load1 := LoadAverage()
		if x, err := strconv.ParseFloat(load0, 64); err == nil {
			res.Load = max(res.Load, x)
		}
		res.Notes = append(res.Notes, fmt.Sprintf("1-minute load average %s before this engine's rounds, %s after", load0, load1))
	}()
	run := randomHex(3)
	for round := 0; round <= cfg.Rounds; round++ {
		label := "warm-up"
		if round > 0 {
			label = "round " + strconv.Itoa(round)
		}
		for _, name := range inTurn(res.Order, round) {
			if name == Demhost && cfg.Demhost == "" {
				continue
			}
			s, err := runOne(ctx, cfg, eng, res.EnginePID, dist, name, corpus, body, fmt.Sprintf("bench%s_%c%d_", run, name[0]+32, round))
			if err != nil {
				return res, fmt.Errorf("%s, %s: %w", label, name, err)
			}
			fmt.Fprintf(cfg.Log, "%s %s %s: %s docs/s, %.1f µs CPU/doc, %.0f MiB peak RSS, %s\n",
				eng.Name, label, name, FormatNumber(s.DocsPerSec(), 0), s.CPUPerDocMicros(), s.RSSMB(), s.Wall.Round(time.Millisecond))
			if round > 0 {
				res.Samples[name] = append(res.Samples[name], s)
			}
			if x, err := strconv.ParseFloat(LoadAverage(), 64); err == nil {
				res.Load = max(res.Load, x)
			}
		}
	}
	return res, nil
}

// runOne runs one contender into a fresh index under prefix, checks the
// count and deletes the index.
func runOne(ctx context.Context, cfg Config, eng Engine, enginePID int, dist, name, corpus string, body []byte, prefix string) (Sample, error) {
	cl := NewCluster(eng.URL)
	var s Sample
	var target string
	var cleanup []string
	defer func() {
		for _, ix := range cleanup {
			if err := cl.DeleteIndex(context.WithoutCancel(ctx), ix); err != nil {
				fmt.Fprintf(cfg.Log, "cleanup: %v\n", err)
			}
		}
	}()
	if name == Demhost {
		dir, err := os.MkdirTemp("", "demhost-bench-a-")
		if err != nil {
			return s, err
		}
		defer os.RemoveAll(dir)
		d := DemhostRun{Demhost: cfg.Demhost, Plugin: cfg.Plugin, URL: eng.URL, Dir: dir, Prefix: prefix,
			N: cfg.N, Seed: cfg.Seed, Workers: cfg.Workers, Batch: cfg.Batch}
		err = d.Prepare(ctx)
		if ixs, aerr := cl.AliasIndices(ctx, d.Alias()); aerr == nil {
			cleanup = ixs
		}
		if err != nil {
			return s, err
		}
		if len(cleanup) != 1 {
			return s, fmt.Errorf("alias %s points to %v after activate, want one index", d.Alias(), cleanup)
		}
		if shards, replicas, err := cl.Settings(ctx, cleanup[0]); err == nil && (shards != "1" || replicas != "0") {
			fmt.Fprintf(cfg.Log, "WARNING: demhost created %s with %s shards and %s replicas; the others get 1 and 0\n",
				cleanup[0], shards, replicas)
		}
		meter := EngineMeter{PID: enginePID}
		e0 := meter.Read()
		if s, err = d.Update(ctx); err != nil {
			return s, err
		}
		s.EngineCPU = Span(e0, meter.Read())
		if pids := OrphanedProcesses(cfg.Plugin); len(pids) > 0 {
			fmt.Fprintf(cfg.Log, "WARNING: plugin processes %v outlived demhost unreaped: their CPU is not counted\n", pids)
		}
		target = d.Alias()
	} else {
		index := prefix + "movies"
		if err := cl.CreateIndex(ctx, index, body); err != nil {
			return s, err
		}
		cleanup = []string{index}
		target = index
		var cmd *exec.Cmd
		switch name {
		case Esutil:
			kind := "esutil"
			if dist == "opensearch" {
				kind = "opensearchutil"
			}
			cmd = childCommand(ctx, cfg, kind, eng.URL, index, corpus, enginePID)
		case Ceiling:
			cmd = childCommand(ctx, cfg, "ceiling", eng.URL, index, corpus, enginePID)
		case Python:
			client := "elasticsearch"
			if dist == "opensearch" {
				client = "opensearch"
			}
			cmd = exec.CommandContext(ctx, cfg.Python, cfg.PyScript, "--url", eng.URL, "--index", index,
				"--corpus", corpus, "--workers", strconv.Itoa(cfg.Workers), "--batch", strconv.Itoa(cfg.Batch),
				"--client", client, "--engine-pid", strconv.Itoa(enginePID))
		}
		var err error
		if s, err = RunReporting(ctx, cmd); err != nil {
			return s, err
		}
	}
	if err := cl.Refresh(ctx, target); err != nil {
		return s, err
	}
	n, err := cl.Count(ctx, target)
	if err != nil {
		return s, err
	}
	if n != int64(cfg.N) {
		return s, fmt.Errorf("%s holds %d documents after the run, want %d", target, n, cfg.N)
	}
	if s.Docs != int64(cfg.N) {
		return s, fmt.Errorf("the contender reported %d documents, want %d", s.Docs, cfg.N)
	}
	return s, nil
}

// childCommand re-executes the bench binary as a contender subprocess.
func childCommand(ctx context.Context, cfg Config, kind, url, index, corpus string, enginePID int) *exec.Cmd {
	return exec.CommandContext(ctx, cfg.Self, "contender", kind, "-url", url, "-index", index,
		"-corpus", corpus, "-workers", strconv.Itoa(cfg.Workers), "-batch", strconv.Itoa(cfg.Batch),
		"-engine-pid", strconv.Itoa(enginePID))
}

func randomHex(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return hex.EncodeToString(b)
}
