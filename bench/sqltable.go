package bench

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	sdk "github.com/demhost/demhost/plugin-sdk"
	"github.com/demhost/demhost/plugins/sqltable/sqltable"
)

// SQLConfig is the sqltable section: N movies loaded into a Postgres
// table, indexed from there by demhost's sqltable plugin (A), a pgx
// program feeding esutil/opensearchutil (B) and psycopg feeding
// helpers.parallel_bulk (C).
type SQLConfig struct {
	N        int
	Double   bool   // also time A at 2N on the first engine, for the 2N <= 2.2x N target
	DSN      string // the Postgres the table lives in
	Schema   string // schema of the loaded tables, e.g. demhost_bench
	Loader   string // bin/demhost-plugin-movies, whose load-postgres fills the table
	Plugin   string // bin/demhost-plugin-sqltable
	PyScript string // bench/python/sqlbulk.py
	Paging   string // A's paging key; empty for the plugin's default (auto)
	// Contenders are the letters to run, e.g. "A,B,C" (all when empty).
	Contenders string
}

// order returns the contenders to run, in turn.
func (sc SQLConfig) order() []string {
	var out []string
	for _, name := range []string{SQLDemhost, SQLPgx, SQLPython} {
		if sc.Contenders == "" || strings.Contains(strings.ToUpper(sc.Contenders), name[:1]) {
			out = append(out, name)
		}
	}
	return out
}

// Contenders of the sqltable section.
const (
	SQLDemhost = "A demhost sqltable"
	SQLPgx     = "B pgx+esutil"
	SQLPython  = "C psycopg+python"
)

// RunSQL runs the sqltable section on every engine and prints its report.
func RunSQL(ctx context.Context, cfg Config) error {
	sc := cfg.SQL
	fmt.Fprintf(cfg.Out, "\n==== sqltable section: %s movies in Postgres, read and indexed three ways\n", FormatNumber(float64(sc.N), 0))
	fmt.Fprintf(cfg.Out, "machine: %s; load average %s at start\n", Machine(), LoadAverage())
	table, err := EnsureTable(ctx, cfg, sc.N)
	if err != nil {
		return err
	}
	body, avg, err := sqlIndexBody(ctx, sc.DSN, table)
	if err != nil {
		return err
	}
	flush := cfg.Batch*(avg+len(`{"index":{"_id":"syn-1000000"}}`)+2) + avg/2
	var letters []string
	for _, name := range sc.order() {
		letters = append(letters, name[:1])
	}
	fmt.Fprintf(cfg.Out, "rows: %.0f bytes of row_to_json on average; workers %d, batch %d rows (B's FlushBytes %d), %d counted rounds after 1 warm-up, contenders in turn %s, the order turning one place each round\n",
		float64(avg), cfg.Workers, cfg.Batch, flush, cfg.Rounds, strings.Join(letters, " "))
	if sc.Paging != "" {
		fmt.Fprintf(cfg.Out, "A runs with paging: %s\n", sc.Paging)
	}
	if (PostgresMeter{}).Read() < 0 {
		fmt.Fprintf(cfg.Out, "Postgres CPU not measured: no local process named postgres is readable\n")
	}
	var atN []Sample
	for i, eng := range cfg.Engines {
		res, err := runSQLEngine(ctx, cfg, eng, table, body, flush, sc.N, sc.order(), cfg.Rounds)
		if err != nil {
			return fmt.Errorf("sqltable, %s: %w", eng.Name, err)
		}
		if i == 0 {
			atN = res.Samples[SQLDemhost]
		}
		var double *Summary
		if i == 0 && sc.Double && len(atN) > 0 {
			table2, err := EnsureTable(ctx, cfg, 2*sc.N)
			if err != nil {
				return err
			}
			res2, err := runSQLEngine(ctx, cfg, eng, table2, body, flush, 2*sc.N, []string{SQLDemhost}, cfg.Rounds)
			if err != nil {
				return fmt.Errorf("sqltable at 2N, %s: %w", eng.Name, err)
			}
			r := Summarize(walls(res2.Samples[SQLDemhost]))
			r.Median /= Summarize(walls(atN)).Median
			r.Min, r.Max = r.Median, r.Median
			double = &r
			res.Notes = append(res.Notes, fmt.Sprintf("A at 2N = %s rows: %s docs/s, %s s median wall, against %s s at N",
				FormatNumber(float64(2*sc.N), 0), FormatSummary(docsPerSec(res2.Samples[SQLDemhost]), 0),
				FormatNumber(Summarize(walls(res2.Samples[SQLDemhost])).Median, 1), FormatNumber(Summarize(walls(atN)).Median, 1)))
		}
		if err := WriteSQLReport(cfg.Out, res, double); err != nil {
			return err
		}
	}
	return nil
}

func walls(ss []Sample) []float64 {
	var xs []float64
	for _, s := range ss {
		xs = append(xs, s.Wall.Seconds())
	}
	return xs
}

func docsPerSec(ss []Sample) Summary {
	d, _, _ := Figures(ss)
	return d
}

// EnsureTable makes sure <schema>.movies_<n> holds the n movies of the
// seed, loading them with the movies plugin's load-postgres when the table
// is missing or has another row count, and returns the quoted name. A
// loaded table is vacuumed and analyzed, as autovacuum would soon do, so
// every round reads the same settled table.
func EnsureTable(ctx context.Context, cfg Config, n int) (string, error) {
	sc := cfg.SQL
	name := fmt.Sprintf("%s.movies_%d", sc.Schema, n)
	quoted := pgx.Identifier{sc.Schema, fmt.Sprintf("movies_%d", n)}.Sanitize()
	conn, err := pgx.Connect(ctx, sc.DSN)
	if err != nil {
		return "", fmt.Errorf("connect to Postgres: %w", err)
	}
	defer conn.Close(context.WithoutCancel(ctx))
	var rows *int64
	if err := conn.QueryRow(ctx, `SELECT CASE WHEN to_regclass($1) IS NULL THEN NULL ELSE 0 END`, name).Scan(&rows); err != nil {
		return "", fmt.Errorf("look up %s: %w", name, err)
	}
	if rows != nil {
		var count int64
		if err := conn.QueryRow(ctx, `SELECT count(*) FROM `+quoted).Scan(&count); err != nil {
			return "", fmt.Errorf("count %s: %w", name, err)
		}
		if count == int64(n) {
			fmt.Fprintf(cfg.Out, "table %s: reused, it already holds %s rows\n", name, FormatNumber(float64(n), 0))
			return quoted, nil
		}
		fmt.Fprintf(cfg.Out, "table %s holds %d rows, not %d: dropped and loaded again\n", name, count, n)
	}
	for _, sql := range []string{`CREATE SCHEMA IF NOT EXISTS ` + pgx.Identifier{sc.Schema}.Sanitize(), `DROP TABLE IF EXISTS ` + quoted} {
		if _, err := conn.Exec(ctx, sql); err != nil {
			return "", fmt.Errorf("%s: %w", sql, err)
		}
	}
	t0 := time.Now()
	cmd := exec.CommandContext(ctx, sc.Loader, "load-postgres", "--dsn", sc.DSN, "--table", name,
		"--n", strconv.Itoa(n), "--seed", strconv.FormatUint(cfg.Seed, 10))
	cmd.Stderr = os.Stderr
	if out, err := cmd.Output(); err != nil {
		return "", fmt.Errorf("load %s: %w: %s", name, err, out)
	}
	if _, err := conn.Exec(ctx, `VACUUM ANALYZE `+quoted); err != nil {
		return "", fmt.Errorf("vacuum analyze %s: %w", name, err)
	}
	fmt.Fprintf(cfg.Out, "table %s: loaded %s rows with load-postgres and vacuumed in %s\n",
		name, FormatNumber(float64(n), 0), time.Since(t0).Round(time.Second))
	return quoted, nil
}

// sqlIndexBody returns the index body every contender's index gets (the
// mapping the sqltable plugin infers for the table, its settings) and the
// mean size of a row's JSON.
func sqlIndexBody(ctx context.Context, dsn, table string) ([]byte, int, error) {
	raw, _ := json.Marshal(map[string]any{"dsn": dsn, "table": table, "index": "movies", "id_column": "id"})
	src := sqltable.New()
	if _, err := src.Configure(ctx, &sdk.ConfigureRequest{Config: raw}); err != nil {
		return nil, 0, err
	}
	resp, err := src.Describe(ctx, &sdk.DescribeRequest{})
	if err != nil {
		return nil, 0, err
	}
	body, _ := json.Marshal(map[string]json.RawMessage{"mappings": resp.Indexes[0].Mappings, "settings": resp.Indexes[0].Settings})
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		return nil, 0, err
	}
	defer conn.Close(context.WithoutCancel(ctx))
	var avg float64
	if err := conn.QueryRow(ctx, `SELECT coalesce(avg(octet_length(row_to_json(t)::text)), 0) FROM `+table+` t TABLESAMPLE SYSTEM (1)`).Scan(&avg); err != nil {
		return nil, 0, fmt.Errorf("mean row size of %s: %w", table, err)
	}
	return body, max(int(avg), 1), nil
}

func runSQLEngine(ctx context.Context, cfg Config, eng Engine, table string, body []byte, flush, n int, order []string, rounds int) (res EngineResult, err error) {
	cl := NewCluster(eng.URL)
	dist, version, err := cl.Version(ctx)
	if err != nil {
		return EngineResult{}, err
	}
	res = EngineResult{
		Engine:  fmt.Sprintf("%s %s at %s, %s rows", dist, version, eng.URL, FormatNumber(float64(n), 0)),
		Order:   order,
		Samples: map[string][]Sample{},
	}
	pyClient := "elasticsearch-py 7.17"
	if dist == "opensearch" {
		pyClient = "opensearch-py"
		res.Labels = map[string]string{SQLPgx: "B pgx+opensearchutil"}
	}
	if pid, err := EnginePID(eng.URL); err == nil {
		res.EnginePID = pid
	} else {
		res.Notes = append(res.Notes, fmt.Sprintf("engine CPU not measured: %v", err))
	}
	load0 := LoadAverage()
	defer func() {
		res.Notes = append(res.Notes, fmt.Sprintf("C is psycopg 3 (server-side cursor) into helpers.parallel_bulk of %s", pyClient),
			fmt.Sprintf("1-minute load average %s before this engine's rounds, %s after", load0, LoadAverage()))
	}()
	run := randomHex(3)
	for round := 0; round <= rounds; round++ {
		label := "warm-up"
		if round > 0 {
			label = "round " + strconv.Itoa(round)
		}
		for _, name := range inTurn(order, round) {
			i := slices.Index(order, name)
			prefix := fmt.Sprintf("bench%s_s%c%d_", run, 'a'+i, round)
			s, err := runSQLOne(ctx, cfg, eng, res.EnginePID, dist, name, table, body, flush, n, prefix)
			if err != nil {
				return res, fmt.Errorf("%s, %s: %w", label, name, err)
			}
			shown := name
			if l, ok := res.Labels[name]; ok {
				shown = l
			}
			fmt.Fprintf(cfg.Log, "sqltable %s %s %s: %s docs/s, %.1f µs client CPU/row, %.1f µs Postgres CPU/row, %.0f MiB peak RSS, %s\n",
				eng.Name, label, shown, FormatNumber(s.DocsPerSec(), 0), s.CPUPerDocMicros(), s.PGCPUPerDocMicros(), s.RSSMB(), s.Wall.Round(time.Millisecond))
			if round > 0 {
				res.Samples[name] = append(res.Samples[name], s)
			}
		}
	}
	return res, nil
}

// runSQLOne runs one contender of the sqltable section into a fresh index
// under prefix, checks the count and deletes the index.
func runSQLOne(ctx context.Context, cfg Config, eng Engine, enginePID int, dist, name, table string, body []byte, flush, n int, prefix string) (Sample, error) {
	cl := NewCluster(eng.URL)
	var cleanup []string
	defer func() {
		for _, ix := range cleanup {
			if err := cl.DeleteIndex(context.WithoutCancel(ctx), ix); err != nil {
				fmt.Fprintf(cfg.Log, "cleanup: %v\n", err)
			}
		}
	}()
	pg := PostgresMeter{}
	meter := EngineMeter{PID: enginePID}
	var s Sample
	target := prefix + "movies"
	if name == SQLDemhost {
		dir, err := os.MkdirTemp("", "demhost-bench-sql-")
		if err != nil {
			return s, err
		}
		defer os.RemoveAll(dir)
		d := DemhostRun{Demhost: cfg.Demhost, Plugin: cfg.SQL.Plugin, URL: eng.URL, Dir: dir, Prefix: prefix,
			N: n, Workers: cfg.Workers, Batch: cfg.Batch, DSN: cfg.SQL.DSN, Table: table, Paging: cfg.SQL.Paging}
		err = d.Prepare(ctx)
		if ixs, aerr := cl.AliasIndices(ctx, d.Alias()); aerr == nil {
			cleanup = ixs
		}
		if err != nil {
			return s, err
		}
		p0, e0 := pg.Read(), meter.Read()
		if s, err = d.Update(ctx); err != nil {
			return s, err
		}
		s.EngineCPU, s.PGCPU = Span(e0, meter.Read()), Span(p0, pg.Read())
		if pids := OrphanedProcesses(cfg.SQL.Plugin); len(pids) > 0 {
			fmt.Fprintf(cfg.Log, "WARNING: plugin processes %v outlived demhost unreaped: their CPU is not counted\n", pids)
		}
		target = d.Alias()
	} else {
		if err := cl.CreateIndex(ctx, target, body); err != nil {
			return s, err
		}
		cleanup = []string{target}
		var cmd *exec.Cmd
		if name == SQLPgx {
			kind := "pgx-esutil"
			if dist == "opensearch" {
				kind = "pgx-opensearchutil"
			}
			cmd = exec.CommandContext(ctx, cfg.Self, "contender", kind, "-url", eng.URL, "-index", target,
				"-dsn", cfg.SQL.DSN, "-table", table, "-flush-bytes", strconv.Itoa(flush),
				"-workers", strconv.Itoa(cfg.Workers), "-batch", strconv.Itoa(cfg.Batch), "-engine-pid", strconv.Itoa(enginePID))
		} else {
			client := "elasticsearch"
			if dist == "opensearch" {
				client = "opensearch"
			}
			cmd = exec.CommandContext(ctx, cfg.Python, cfg.SQL.PyScript, "--url", eng.URL, "--index", target,
				"--dsn", cfg.SQL.DSN, "--table", table, "--workers", strconv.Itoa(cfg.Workers), "--batch", strconv.Itoa(cfg.Batch),
				"--client", client, "--engine-pid", strconv.Itoa(enginePID))
		}
		p0 := pg.Read()
		var err error
		if s, err = RunReporting(ctx, cmd); err != nil {
			return s, err
		}
		s.PGCPU = Span(p0, pg.Read())
	}
	if err := cl.Refresh(ctx, target); err != nil {
		return s, err
	}
	got, err := cl.Count(ctx, target)
	if err != nil {
		return s, err
	}
	if got != int64(n) {
		return s, fmt.Errorf("%s holds %d documents after the run, want %d", target, got, n)
	}
	if s.Docs != int64(n) {
		return s, fmt.Errorf("the contender reported %d documents, want %d", s.Docs, n)
	}
	return s, nil
}
