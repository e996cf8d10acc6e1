package registry_test

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"path/filepath"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
	_ "github.com/jackc/pgx/v5/stdlib" // the "pgx" database/sql driver, for raw test SQL
	_ "modernc.org/sqlite"

	"github.com/demhost/demhost/internal/testenv"
	"github.com/demhost/demhost/registry"
)

// TestConformance runs the one suite every backend must pass.
func TestConformance(t *testing.T) {
	t.Run("postgres", func(t *testing.T) {
		base := testenv.PostgresDSN(t)
		runConformance(t, func(t *testing.T) string { return freshPostgres(t, base) })
	})
	t.Run("sqlite", func(t *testing.T) {
		runConformance(t, freshSQLite)
	})
}

// randomHex returns n random bytes in hex.
func randomHex(t testing.TB, n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(b)
}

// uniqueEnv returns an environment prefix no other test uses. Advisory
// lock keys are shared by the whole Postgres database, so tests keep
// apart by environment as well as by schema.
func uniqueEnv(t testing.TB) string { return "t" + randomHex(t, 3) + "_" }

// freshSQLite returns the path of a registry file that does not exist yet,
// in a folder that does not exist yet either.
func freshSQLite(t *testing.T) string {
	return filepath.Join(t.TempDir(), "sub", "registry.db")
}

// freshPostgres creates an empty schema, dropped after the test, and
// returns base with search_path pointing at it.
func freshPostgres(t *testing.T, base string) string {
	t.Helper()
	ctx := testenv.Context(t)
	schema := "t_" + randomHex(t, 6)
	conn, err := pgx.Connect(ctx, base)
	if err != nil {
		t.Fatalf("connect to test Postgres: %v", err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, "CREATE SCHEMA "+schema); err != nil {
		t.Fatalf("create schema %s: %v", schema, err)
	}
	t.Cleanup(func() {
		ctx := context.Background()
		conn, err := pgx.Connect(ctx, base)
		if err != nil {
			t.Errorf("drop schema %s: %v", schema, err)
			return
		}
		defer conn.Close(ctx)
		if _, err := conn.Exec(ctx, "DROP SCHEMA "+schema+" CASCADE"); err != nil {
			t.Errorf("drop schema %s: %v", schema, err)
		}
	})
	sep := "?"
	if strings.Contains(base, "?") {
		sep = "&"
	}
	return base + sep + "search_path=" + schema
}

// open opens the registry at dsn and closes it after the test.
func open(t *testing.T, dsn string, opts ...registry.Option) *registry.Registry {
	t.Helper()
	r, err := registry.Open(testenv.Context(t), dsn, opts...)
	if err != nil {
		t.Fatalf("open registry: %v", err)
	}
	t.Cleanup(func() {
		if err := r.Close(); err != nil {
			t.Errorf("close registry: %v", err)
		}
	})
	return r
}

// rawExec runs query on the database behind dsn, bypassing the registry.
func rawExec(t *testing.T, dsn, query string) {
	t.Helper()
	driver := "sqlite"
	if strings.HasPrefix(dsn, "postgres") {
		driver = "pgx"
	}
	db, err := sql.Open(driver, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.ExecContext(testenv.Context(t), query); err != nil {
		t.Fatalf("%s: %v", query, err)
	}
}
