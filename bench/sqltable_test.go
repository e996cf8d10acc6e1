package bench_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/demhost/demhost/bench"
	"github.com/demhost/demhost/internal/testenv"
)

func TestParseStatCPUAll(t *testing.T) {
	t.Parallel()
	// utime 250, stime 50, cutime 700, cstime 300 ticks: fields 14 to 17.
	stat := "77 (postgres) S 1 77 77 0 -1 4194560 900 0 0 0 250 50 700 300 20 0 1 0 1234 5000000 3000\n"
	own, reaped, err := bench.ParseStatCPUAll([]byte(stat))
	if err != nil {
		t.Fatal(err)
	}
	if own != 3*time.Second || reaped != 10*time.Second {
		t.Errorf("own %v, reaped %v; want 3s and 10s", own, reaped)
	}
	if _, _, err := bench.ParseStatCPUAll([]byte("77 (postgres) S 1 2 3 4 5 6 7 8 9 10 11 12")); err == nil {
		t.Error("a short stat line gave no error")
	}
}

// TestPostgresCPUCountsEndedBackends: the CPU of a backend whose client
// has disconnected still counts, through the postmaster's reaped time.
func TestPostgresCPUCountsEndedBackends(t *testing.T) {
	t.Parallel()
	dsn := testenv.PostgresDSN(t)
	before, err := bench.PostgresCPU()
	if err != nil {
		t.Skipf("Postgres is not a local process here: %v", err)
	}
	ctx := testenv.Context(t)
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	// About half a second of CPU in the backend.
	if _, err := conn.Exec(ctx, `SELECT count(*) FROM generate_series(1, 3000000) g WHERE md5(g::text) > 'f'`); err != nil {
		t.Fatal(err)
	}
	conn.Close(context.Background())
	var after time.Duration
	for range 50 { // the postmaster reaps the backend shortly after the disconnect
		time.Sleep(20 * time.Millisecond)
		if after, err = bench.PostgresCPU(); err != nil {
			t.Fatal(err)
		}
		if after-before >= 200*time.Millisecond {
			break
		}
	}
	if after-before < 200*time.Millisecond {
		t.Fatalf("Postgres CPU grew by %v over a query that costs its backend about half a second", after-before)
	}
}

func TestSQLReport(t *testing.T) {
	t.Parallel()
	withPG := func(ss []bench.Sample, micros float64) []bench.Sample {
		for i := range ss {
			ss[i].PGCPU = -1
			if micros >= 0 {
				ss[i].PGCPU = time.Duration(micros * float64(ss[i].Docs) * float64(time.Microsecond))
			}
		}
		return ss
	}
	r := bench.EngineResult{
		Engine: "elasticsearch 7.17.29 at http://x, 100,000 rows",
		Order:  []string{bench.SQLDemhost, bench.SQLPgx, bench.SQLPython},
		Samples: map[string][]bench.Sample{
			bench.SQLDemhost: withPG(samples(21000, 4, 50, 3), 15),
			bench.SQLPgx:     withPG(samples(20000, 5, 45, 3), 14),
			bench.SQLPython:  withPG(samples(15000, 18, 76, 3), -1), // Postgres CPU not measured
		},
	}
	double := bench.Summary{Median: 2.3, Min: 2.3, Max: 2.3, N: 1}
	var b strings.Builder
	if err := bench.WriteSQLReport(&b, r, &double); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	for _, want := range []string{
		"A demhost sqltable   21,000 [21,000–21,000]", "15.0 [15.0–15.0]", // Postgres CPU per row
		"A/B docs/s                   1.05x  >= 1.0x    PASS",
		"A time at 2N / time at N     2.30x  <= 2.2x    MISS",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("report lacks %q:\n%s", want, out)
		}
	}
	if !strings.Contains(out, "C psycopg+python     15,000 [15,000–15,000]   18.0 [18.0–18.0]                    -") {
		t.Errorf("C's unmeasured Postgres CPU should show as -:\n%s", out)
	}
}
