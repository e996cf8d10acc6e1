package movies_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"strings"
	"testing"
	"time"

	"github.com/demhost/demhost/internal/testenv"
	"github.com/demhost/demhost/plugins/movies/movies"
	"github.com/jackc/pgx/v5"
)

// tempSchema creates a uniquely named schema, dropped when the test ends.
func tempSchema(t *testing.T, ctx context.Context, dsn string) (*pgx.Conn, string) {
	t.Helper()
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	b := make([]byte, 4)
	rand.Read(b)
	schema := "t" + hex.EncodeToString(b) + "_movies"
	if _, err := conn.Exec(ctx, "CREATE SCHEMA "+schema); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		conn.Exec(context.Background(), "DROP SCHEMA "+schema+" CASCADE")
		conn.Close(context.Background())
	})
	return conn, schema
}

func TestLoadPostgres(t *testing.T) {
	t.Parallel()
	dsn, ctx := testenv.PostgresDSN(t), testenv.Context(t)
	conn, schema := tempSchema(t, ctx, dsn)

	fixture := schema + ".films"
	if err := movies.LoadPostgres(ctx, dsn, fixture, 0, 0); err != nil {
		t.Fatal(err)
	}
	var count int
	var title string
	var cast []string
	var year int
	if err := conn.QueryRow(ctx, `SELECT count(*) FROM `+fixture).Scan(&count); err != nil || count != 100 {
		t.Fatalf("fixture table has %d rows (%v), want 100", count, err)
	}
	err := conn.QueryRow(ctx, `SELECT title, year, "cast" FROM `+fixture+` WHERE id = 'tt0111161' AND NOT deleted`).Scan(&title, &year, &cast)
	if err != nil || title != "The Shawshank Redemption" || year != 1994 || len(cast) == 0 || cast[0] != "Tim Robbins" {
		t.Fatalf("row tt0111161 = %q %d %v (%v)", title, year, cast, err)
	}

	// Reloading changes nothing, so updated_at stays; a soft-deleted or
	// edited row is restored and gets a new updated_at.
	var before time.Time
	conn.QueryRow(ctx, `SELECT max(updated_at) FROM `+fixture).Scan(&before)
	if _, err := conn.Exec(ctx, `UPDATE `+fixture+` SET deleted = true, updated_at = '2000-01-01' WHERE id = 'tt0068646'`); err != nil {
		t.Fatal(err)
	}
	if err := movies.LoadPostgres(ctx, dsn, fixture, 0, 0); err != nil {
		t.Fatal(err)
	}
	var changed int
	conn.QueryRow(ctx, `SELECT count(*) FROM `+fixture+` WHERE updated_at > $1`, before).Scan(&changed)
	var deleted bool
	conn.QueryRow(ctx, `SELECT deleted FROM `+fixture+` WHERE id = 'tt0068646'`).Scan(&deleted)
	if changed != 1 || deleted {
		t.Fatalf("after reload: %d rows changed (want 1), tt0068646 deleted=%v", changed, deleted)
	}

	synthetic := schema + ".synthetic"
	if err := movies.LoadPostgres(ctx, dsn, synthetic, 2500, 9); err != nil {
		t.Fatal(err)
	}
	want := movies.NewGenerator(9).Movie(1234)
	var summary string
	conn.QueryRow(ctx, `SELECT count(*) FROM `+synthetic).Scan(&count)
	err = conn.QueryRow(ctx, `SELECT title, summary FROM `+synthetic+` WHERE id = 'syn-1234'`).Scan(&title, &summary)
	if count != 2500 || err != nil || title != want.Title || summary != want.Summary {
		t.Fatalf("synthetic table: %d rows, syn-1234 = %q (%v), want 2500 rows and %q", count, title, err, want.Title)
	}
}

func TestLoadPostgresErrors(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	for _, tt := range []struct{ name, dsn, table string }{
		{"bad table name", "postgres://x@127.0.0.1:1/x", "a.b.c"},
		{"empty table", "postgres://x@127.0.0.1:1/x", ""},
		{"unreachable", "postgres://x@127.0.0.1:1/x?connect_timeout=2", "movies"},
	} {
		if err := movies.LoadPostgres(ctx, tt.dsn, tt.table, 0, 0); err == nil {
			t.Errorf("%s: no error", tt.name)
		}
	}
}

func TestLoadPostgresCommand(t *testing.T) {
	t.Parallel()
	dsn, ctx := testenv.PostgresDSN(t), testenv.Context(t)
	conn, schema := tempSchema(t, ctx, dsn)
	tests := []struct {
		name string
		args []string
		code int
		out  string
	}{
		{"no dsn", []string{"--n", "3"}, 2, "--dsn is required"},
		{"bad flag", []string{"--rows", "3"}, 2, "rows"},
		{"synthetic", []string{"--dsn", dsn, "--table", schema + ".cli", "--n", "30", "--seed", "2"}, 0, "loaded 30 synthetic movies (seed 2) into " + schema + ".cli"},
		{"bad table", []string{"--dsn", dsn, "--table", "a.b.c"}, 1, "a.b.c"},
	}
	for _, tt := range tests {
		var out, errOut strings.Builder
		code := movies.LoadPostgresCommand(ctx, tt.args, &out, &errOut)
		if code != tt.code || !strings.Contains(out.String()+errOut.String(), tt.out) {
			t.Errorf("%s: exit %d, output %q %q; want %d and %q", tt.name, code, out.String(), errOut.String(), tt.code, tt.out)
		}
	}
	var n int
	if err := conn.QueryRow(ctx, "SELECT count(*) FROM "+schema+".cli").Scan(&n); err != nil || n != 30 {
		t.Fatalf("cli table has %d rows (%v)", n, err)
	}
}
