package movies

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"

	"github.com/jackc/pgx/v5"
)

// pgColumns are the loaded columns, in COPY order. updated_at and deleted
// take their defaults.
var pgColumns = []string{
	"id", "imdb_id", "title", "year", "directors", "cast", "genres",
	"runtime_minutes", "countries", "languages", "rating", "summary",
}

// TableDDL is the CREATE TABLE statement LoadPostgres runs for table
// (already quoted). updated_at and deleted make the table a full example
// for the sqltable plugin's since and soft-delete support.
func TableDDL(table string) string {
	return `CREATE TABLE IF NOT EXISTS ` + table + ` (
  id text PRIMARY KEY,
  imdb_id text,
  title text NOT NULL,
  year integer,
  directors text[],
  "cast" text[],
  genres text[],
  runtime_minutes integer,
  countries text[],
  languages text[],
  rating text,
  summary text,
  updated_at timestamptz NOT NULL DEFAULT now(),
  deleted boolean NOT NULL DEFAULT false
)`
}

// quoteTable quotes "name" or "schema.name" as a Postgres identifier.
func quoteTable(table string) (string, error) {
	parts := strings.Split(table, ".")
	if table == "" || len(parts) > 2 {
		return "", fmt.Errorf("table %q: want name or schema.name", table)
	}
	for _, p := range parts {
		if p == "" {
			return "", fmt.Errorf("table %q: empty name part", table)
		}
	}
	return pgx.Identifier(parts).Sanitize(), nil
}

// LoadPostgres creates table (when missing) and loads the fixture (n == 0)
// or synthetic movies 0..n-1 of seed into it with COPY, in constant memory.
// Loading again is an upsert: rows that changed get a new updated_at and
// deleted = false; unchanged rows are left alone.
func LoadPostgres(ctx context.Context, dsn, table string, n int, seed uint64) error {
	if n < 0 {
		return fmt.Errorf("load movies into %s: n=%d is negative", table, n)
	}
	qt, err := quoteTable(table)
	if err != nil {
		return fmt.Errorf("load movies: %w", err)
	}
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		return fmt.Errorf("load movies into %s: connect: %w", table, err)
	}
	defer conn.Close(context.WithoutCancel(ctx))
	if _, err := conn.Exec(ctx, TableDDL(qt)); err != nil {
		return fmt.Errorf("load movies: create table %s: %w", table, err)
	}
	tx, err := conn.Begin(ctx)
	if err != nil {
		return fmt.Errorf("load movies into %s: begin: %w", table, err)
	}
	defer tx.Rollback(context.WithoutCancel(ctx)) //nolint:errcheck // no-op after commit
	const stage = "demhost_movies_stage"
	if _, err := tx.Exec(ctx, `CREATE TEMP TABLE `+stage+` (LIKE `+qt+` INCLUDING DEFAULTS) ON COMMIT DROP`); err != nil {
		return fmt.Errorf("load movies into %s: create staging table: %w", table, err)
	}
	if _, err := tx.CopyFrom(ctx, pgx.Identifier{stage}, pgColumns, newCopySource(n, seed)); err != nil {
		return fmt.Errorf("load movies into %s: copy: %w", table, err)
	}
	quoted := make([]string, len(pgColumns))
	set := make([]string, 0, len(pgColumns))
	for i, c := range pgColumns {
		quoted[i] = pgx.Identifier{c}.Sanitize()
		if c != "id" {
			set = append(set, quoted[i]+" = EXCLUDED."+quoted[i])
		}
	}
	cols := strings.Join(quoted, ", ")
	upsert := `INSERT INTO ` + qt + ` AS t (` + cols + `) SELECT ` + cols + ` FROM ` + stage +
		` ON CONFLICT (id) DO UPDATE SET ` + strings.Join(set, ", ") + `, updated_at = now(), deleted = false
		  WHERE t.deleted OR (` + prefixed("t.", quoted) + `) IS DISTINCT FROM (` + prefixed("EXCLUDED.", quoted) + `)`
	if _, err := tx.Exec(ctx, upsert); err != nil {
		return fmt.Errorf("load movies into %s: upsert: %w", table, err)
	}
	if err := tx.Commit(ctx); err != nil {
		return fmt.Errorf("load movies into %s: commit: %w", table, err)
	}
	return nil
}

func prefixed(p string, cols []string) string {
	out := make([]string, len(cols))
	for i, c := range cols {
		out[i] = p + c
	}
	return strings.Join(out, ", ")
}

// copySource feeds COPY one movie at a time.
type copySource struct {
	n, i    int
	fixture []Movie
	gen     *Generator
	row     []any
}

func newCopySource(n int, seed uint64) *copySource {
	c := &copySource{n: n, i: -1, row: make([]any, len(pgColumns))}
	if n == 0 {
		c.fixture = Fixture()
		c.n = len(c.fixture)
	} else {
		c.gen = NewGenerator(seed)
	}
	return c
}

func (c *copySource) Next() bool { c.i++; return c.i < c.n }
func (c *copySource) Err() error { return nil }

func (c *copySource) Values() ([]any, error) {
	var m Movie
	if c.fixture != nil {
		m = c.fixture[c.i]
	} else {
		m = c.gen.Movie(c.i)
	}
	c.row[0], c.row[1], c.row[2], c.row[3] = m.ID, nullable(m.IMDbID), m.Title, m.Year
	c.row[4], c.row[5], c.row[6], c.row[7] = m.Directors, m.Cast, m.Genres, m.RuntimeMinutes
	c.row[8], c.row[9], c.row[10], c.row[11] = m.Countries, m.Languages, m.Rating, nullable(m.Summary)
	return c.row, nil
}

func nullable(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// LoadPostgresCommand runs `load-postgres --dsn DSN [--table movies] [--n N]
// [--seed S]` and returns the process exit code.
func LoadPostgresCommand(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("load-postgres", flag.ContinueOnError)
	fs.SetOutput(stderr)
	dsn := fs.String("dsn", "", "Postgres DSN, e.g. postgres://user:pass@host:5432/db (required)")
	table := fs.String("table", "movies", "table to create and fill: name or schema.name")
	n := fs.Int("n", 0, "number of synthetic movies; 0 loads the 100-film fixture")
	seed := fs.Uint64("seed", 0, "seed of the synthetic movies")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if *dsn == "" {
		fmt.Fprintln(stderr, "load-postgres: --dsn is required")
		fs.Usage()
		return 2
	}
	if err := LoadPostgres(ctx, *dsn, *table, *n, *seed); err != nil {
		fmt.Fprintln(stderr, err)
		return 1
	}
	what := "the 100-film fixture"
	if *n > 0 {
		what = fmt.Sprintf("%d synthetic movies (seed %d)", *n, *seed)
	}
	fmt.Fprintf(stdout, "loaded %s into %s\n", what, *table)
	return 0
}
