package cli_test

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/demhost/demhost/internal/testenv"
)

var (
	sqltableOnce sync.Once
	sqltableBin  string
	sqltableErr  error
)

// sqltableBinary builds the sqltable plugin once, into a temporary folder.
func sqltableBinary(t testing.TB) string {
	t.Helper()
	sqltableOnce.Do(func() {
		dir, err := os.MkdirTemp("", "demhost-cli-sqltable-")
		if err != nil {
			sqltableErr = err
			return
		}
		sqltableBin = filepath.Join(dir, "demhost-plugin-sqltable")
		cmd := exec.Command("go", "build", "-o", sqltableBin, "./plugins/sqltable")
		cmd.Dir = repoRoot(t)
		if out, err := cmd.CombinedOutput(); err != nil {
			sqltableErr = fmt.Errorf("go build ./plugins/sqltable: %v: %s", err, out)
		}
	})
	if sqltableErr != nil {
		t.Fatal(sqltableErr)
	}
	return sqltableBin
}

// TestDeployGateKeepsOldVersion deploys a table with the sqltable plugin,
// then a mapping change whose probe finds too few hits: deploy exits 1,
// names the gate and its figures, and the old version stays active. With
// the probe fixed, deploy --resume finishes the same version.
func TestDeployGateKeepsOldVersion(t *testing.T) {
	t.Parallel()
	es := testenv.ElasticsearchURL(t)
	dsn, schema := testenv.PostgresSchema(t)
	ctx := testenv.Context(t)
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	for _, sql := range []string{
		"CREATE TABLE " + schema + ".books (id int PRIMARY KEY, title text NOT NULL, updated_at timestamptz NOT NULL DEFAULT now())",
		"INSERT INTO " + schema + ".books SELECT g, 'book ' || g, now() - interval '1 hour' FROM generate_series(1, 300) g",
	} {
		if _, err := conn.Exec(ctx, sql); err != nil {
			t.Fatal(err)
		}
	}
	plugin := sqltableBinary(t)
	prefix := uniquePrefix(t)
	registry := filepath.Join(t.TempDir(), "registry.db")
	config := func(titleType, probes string) string {
		return writeConfig(t, fmt.Sprintf(`plugins:
  - name: books
    path: %s
    config:
      dsn: %q
      table: %s.books
      id_column: id
      updated_at_column: updated_at
      mapping: {properties: {id: {type: integer}, title: {type: %s}, updated_at: {type: date}}}
deploy:
  gate:
    probes:%s
`, plugin, dsn, schema, titleType, probes))
	}
	run := func(code int, cfg string, args ...string) result {
		t.Helper()
		r := runMain(t, nil, append([]string{"--config", cfg, "--registry", registry, "--engine-url", es, "--env-prefix", prefix}, args...)...)
		if r.code != code {
			t.Fatalf("demhost %v: exit %d, want %d; stderr %q", args, r.code, code, r.stderr)
		}
		return r
	}
	t.Cleanup(func() { deletePrefix(t, es, prefix) })

	first := config("text", " []")
	run(0, first, "deploy", "books")
	if got := aliasTargets(t, es, prefix+"books"); len(got) != 1 || got[0] != prefix+"books-1" {
		t.Fatalf("after the first deploy the alias points at %v", got)
	}

	strict := config("keyword", `
      - name: exact title
        query: {term: {title: "book 7"}}
        min_hits: 1
      - name: many
        query: {prefix: {title: "book"}}
        min_hits: 301`)
	r := run(1, strict, "deploy", "books")
	for _, want := range []string{`books-2 failed the gate probe "many": 300 hits, at least 301 wanted; books-1 stays active`, "deploy books --resume"} {
		if !strings.Contains(r.stderr, want) {
			t.Errorf("stderr %q does not say %q", r.stderr, want)
		}
	}
	if strings.Contains(r.stderr, "exact title") {
		t.Errorf("stderr names a probe that passed: %q", r.stderr)
	}
	if got := aliasTargets(t, es, prefix+"books"); len(got) != 1 || got[0] != prefix+"books-1" {
		t.Fatalf("after a failed gate the alias points at %v, want %sbooks-1", got, prefix)
	}

	fixed := config("keyword", `
      - name: many
        query: {prefix: {title: "book"}}
        min_hits: 300`)
	r = run(0, fixed, "deploy", "books", "--resume", "-o", "json")
	if !strings.Contains(r.stdout, `"step": "gate"`) || strings.Contains(r.stdout, `"step": "fill"`) || !strings.Contains(r.stdout, `"version": 2`) {
		t.Errorf("the resume did not continue books-2 from its gate: %s", r.stdout)
	}
	if got := aliasTargets(t, es, prefix+"books"); len(got) != 1 || got[0] != prefix+"books-2" {
		t.Fatalf("after the resume the alias points at %v, want %sbooks-2", got, prefix)
	}
}
