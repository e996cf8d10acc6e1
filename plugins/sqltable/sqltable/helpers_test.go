package sqltable_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"io"
	"log/slog"
	"sync"
	"testing"

	"github.com/demhost/demhost/internal/testenv"
	sdk "github.com/demhost/demhost/plugin-sdk"
	"github.com/demhost/demhost/plugins/sqltable/sqltable"
	"github.com/jackc/pgx/v5"
)

func randHex(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// db is a test's own schema in the real Postgres, dropped at cleanup.
type db struct {
	mu     sync.Mutex // conn serves one statement at a time; subtests run in parallel
	ctx    context.Context
	dsn    string
	conn   *pgx.Conn
	schema string
}

func newDB(t *testing.T) *db {
	t.Helper()
	dsn, ctx := testenv.PostgresDSN(t), testenv.Context(t)
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	d := &db{ctx: ctx, dsn: dsn, conn: conn, schema: "t" + randHex(4) + "_sqltable"}
	d.exec(t, "CREATE SCHEMA "+d.schema)
	t.Cleanup(func() {
		conn.Exec(context.Background(), "DROP SCHEMA "+d.schema+" CASCADE")
		conn.Close(context.Background())
	})
	return d
}

func (d *db) exec(t *testing.T, sql string, args ...any) {
	t.Helper()
	d.mu.Lock()
	defer d.mu.Unlock()
	if _, err := d.conn.Exec(d.ctx, sql, args...); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
}

// source configures a sqltable source with cfg plus the test's dsn.
func (d *db) source(cfg map[string]any, opts ...sqltable.Option) (*sqltable.Source, error) {
	cfg["dsn"] = d.dsn
	raw, _ := json.Marshal(cfg)
	s := sqltable.New(append([]sqltable.Option{sqltable.WithLogger(slog.New(slog.NewTextHandler(io.Discard, nil)))}, opts...)...)
	_, err := s.Configure(d.ctx, &sdk.ConfigureRequest{Config: raw})
	return s, err
}

func (d *db) mustSource(t *testing.T, cfg map[string]any, opts ...sqltable.Option) *sqltable.Source {
	t.Helper()
	s, err := d.source(cfg, opts...)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// collect gathers documents, copying the reused source bytes.
type collect struct{ docs []sdk.Doc }

func (c *collect) Write(d sdk.Doc) error {
	d.Source = bytes.Clone(d.Source)
	c.docs = append(c.docs, d)
	return nil
}

func stream(t *testing.T, s *sqltable.Source, req *sdk.StreamRequest) []sdk.Doc {
	t.Helper()
	if req.Partitions == 0 {
		req.Partitions = 1
	}
	var c collect
	if err := s.Stream(testenv.Context(t), req, &c); err != nil {
		t.Fatal(err)
	}
	return c.docs
}

func configRequest(cfg map[string]any) *sdk.ConfigureRequest {
	raw, _ := json.Marshal(cfg)
	return &sdk.ConfigureRequest{Config: raw}
}

// statement is one data query the plugin ran.
type statement struct {
	sql  string
	args []any
}

// recorder keeps the data statements a source runs (WithQueryHook).
type recorder struct {
	mu  sync.Mutex
	ran []statement
}

func (r *recorder) option() sqltable.Option {
	return sqltable.WithQueryHook(func(sql string, args []any) {
		r.mu.Lock()
		defer r.mu.Unlock()
		r.ran = append(r.ran, statement{sql, args})
	})
}

// take returns the statements recorded since the last take.
func (r *recorder) take() []statement {
	r.mu.Lock()
	defer r.mu.Unlock()
	ran := r.ran
	r.ran = nil
	return ran
}
