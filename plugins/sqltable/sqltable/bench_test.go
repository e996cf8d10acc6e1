package sqltable_test

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/demhost/demhost/internal/testenv"
	sdk "github.com/demhost/demhost/plugin-sdk"
	"github.com/demhost/demhost/plugins/movies/movies"
	"github.com/demhost/demhost/plugins/sqltable/sqltable"
	"github.com/jackc/pgx/v5"
)

type discard struct{ n, bytes int }

func (d *discard) Write(doc sdk.Doc) error { d.n++; d.bytes += len(doc.Source); return nil }

// BenchmarkStream reads 20,000 synthetic movies (about 1 KB each) from
// Postgres in pages of 1000 and reports docs/s.
func BenchmarkStream(b *testing.B) {
	dsn := testenv.PostgresDSN(b)
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		b.Fatal(err)
	}
	defer conn.Close(ctx)
	schema := "t" + randHex(4) + "_sqlbench"
	if _, err := conn.Exec(ctx, "CREATE SCHEMA "+schema); err != nil {
		b.Fatal(err)
	}
	defer conn.Exec(context.Background(), "DROP SCHEMA "+schema+" CASCADE")
	const rows = 20000
	if err := movies.LoadPostgres(ctx, dsn, schema+".movies", rows, 1); err != nil {
		b.Fatal(err)
	}
	raw, _ := json.Marshal(map[string]any{"dsn": dsn, "table": schema + ".movies", "id_column": "id"})
	s := sqltable.New()
	if _, err := s.Configure(ctx, &sdk.ConfigureRequest{Config: raw}); err != nil {
		b.Fatal(err)
	}
	var total, size int
	for b.Loop() {
		var w discard
		if err := s.Stream(ctx, &sdk.StreamRequest{Index: "movies", Partitions: 1}, &w); err != nil {
			b.Fatal(err)
		}
		if w.n != rows {
			b.Fatalf("%d docs, want %d", w.n, rows)
		}
		total, size = total+w.n, size+w.bytes
	}
	b.ReportMetric(float64(total)/b.Elapsed().Seconds(), "docs/s")
	b.SetBytes(int64(size / b.N))
}
