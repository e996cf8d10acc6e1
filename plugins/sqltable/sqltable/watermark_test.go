package sqltable_test

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	sdk "github.com/demhost/demhost/plugin-sdk"
	"github.com/jackc/pgx/v5"
)

// TestWatermarkHoldsBackForOpenTransactions is the repro at the
// source: a transaction that updated a row before the watermark was taken
// and commits after a full read is read again from the watermark.
func TestWatermarkHoldsBackForOpenTransactions(t *testing.T) {
	t.Parallel()
	d := newDB(t)
	d.exec(t, "CREATE TABLE "+d.schema+".books (id int PRIMARY KEY, status text, updated_at timestamptz NOT NULL DEFAULT now())")
	d.exec(t, "INSERT INTO "+d.schema+".books (id, status, updated_at) SELECT g, 'old', now() - interval '1 day' FROM generate_series(1, 50) g")
	src := d.mustSource(t, map[string]any{"table": d.schema + ".books", "id_column": "id", "updated_at_column": "updated_at"})

	// A writer's transaction is open while the update reads.
	late, err := pgx.Connect(d.ctx, d.dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer late.Close(context.Background())
	tx, err := late.Begin(d.ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback(context.Background())
	if _, err := tx.Exec(d.ctx, "UPDATE "+d.schema+".books SET status = 'late', updated_at = now() WHERE id = 31"); err != nil {
		t.Fatal(err)
	}
	var txStart time.Time
	if err := tx.QueryRow(d.ctx, "SELECT now()").Scan(&txStart); err != nil {
		t.Fatal(err)
	}
	time.Sleep(50 * time.Millisecond)

	wm, err := src.Watermark(d.ctx, &sdk.WatermarkRequest{Index: "books"})
	if err != nil {
		t.Fatal(err)
	}
	if wm.Watermark.After(txStart) {
		t.Fatalf("watermark %s is after the open transaction's start %s", wm.Watermark, txStart)
	}
	var full collect
	if err := src.Stream(d.ctx, &sdk.StreamRequest{Index: "books", Partitions: 1}, &full); err != nil {
		t.Fatal(err)
	}
	if len(full.docs) != 50 || statusOf(t, full.docs, "31") != "old" {
		t.Fatalf("full read: %d docs, row 31 %q; want 50 and the committed 'old'", len(full.docs), statusOf(t, full.docs, "31"))
	}
	if err := tx.Commit(d.ctx); err != nil {
		t.Fatal(err)
	}

	var next collect
	if err := src.Stream(d.ctx, &sdk.StreamRequest{Index: "books", Since: wm.Watermark, Partitions: 1}, &next); err != nil {
		t.Fatal(err)
	}
	if len(next.docs) != 1 || statusOf(t, next.docs, "31") != "late" {
		t.Errorf("read since the watermark: %d docs, row 31 %q; want exactly row 31 'late'", len(next.docs), statusOf(t, next.docs, "31"))
	}
}

func TestWatermarkOverlapAndDate(t *testing.T) {
	t.Parallel()
	d := newDB(t)
	d.exec(t, "CREATE TABLE "+d.schema+".days (id int PRIMARY KEY, day date NOT NULL)")
	d.exec(t, "CREATE TABLE "+d.schema+".stamps (id int PRIMARY KEY, at timestamptz NOT NULL)")
	var dbNow time.Time
	if err := d.conn.QueryRow(d.ctx, "SELECT now()").Scan(&dbNow); err != nil {
		t.Fatal(err)
	}
	plain := d.mustSource(t, map[string]any{"table": d.schema + ".stamps", "id_column": "id", "updated_at_column": "at"})
	skewed := d.mustSource(t, map[string]any{"table": d.schema + ".stamps", "id_column": "id", "updated_at_column": "at", "overlap": "10m"})
	days := d.mustSource(t, map[string]any{"table": d.schema + ".days", "id_column": "id", "updated_at_column": "day"})
	none := d.mustSource(t, map[string]any{"table": d.schema + ".stamps", "id_column": "id"})
	get := func(s interface {
		Watermark(context.Context, *sdk.WatermarkRequest) (*sdk.WatermarkResponse, error)
	}, index string) time.Time {
		t.Helper()
		r, err := s.Watermark(d.ctx, &sdk.WatermarkRequest{Index: index})
		if err != nil {
			t.Fatal(err)
		}
		return r.Watermark
	}
	a, b := get(plain, "stamps"), get(skewed, "stamps")
	var dbAfter time.Time
	if err := d.conn.QueryRow(d.ctx, "SELECT now()").Scan(&dbAfter); err != nil {
		t.Fatal(err)
	}
	// Other sessions' open transactions may hold a watermark back, never
	// forward; none of this suite's lasts minutes.
	if a.After(dbAfter) || a.Before(dbNow.Add(-5*time.Minute)) {
		t.Errorf("watermark %s is not shortly before the database's now %s", a, dbNow)
	}
	if b.After(dbAfter.Add(-10 * time.Minute)) {
		t.Errorf("with overlap 10m the watermark %s is not 10m before the database's now %s", b, dbAfter)
	}
	// The date watermark is a midnight in the session's zone, which is
	// how a date compares with it.
	w := get(days, "days")
	var midnight bool
	if err := d.conn.QueryRow(d.ctx, "SELECT $1::timestamptz = date_trunc('day', $1::timestamptz)", w).Scan(&midnight); err != nil {
		t.Fatal(err)
	}
	if !midnight || w.After(a) || a.Sub(w) > 25*time.Hour {
		t.Errorf("watermark of a date column %s is not the start of the day of %s", w, a)
	}
	if w := get(none, "stamps"); !w.IsZero() {
		t.Errorf("a table without updated_at_column answered watermark %s, want the zero time", w)
	}
	if _, err := d.source(map[string]any{"table": d.schema + ".stamps", "id_column": "id", "overlap": "soon"}); err == nil {
		t.Error(`overlap "soon" was accepted`)
	}
	if _, err := d.source(map[string]any{"table": d.schema + ".stamps", "id_column": "id", "overlap": "-1m"}); err == nil {
		t.Error(`overlap "-1m" was accepted`)
	}
}

func statusOf(t *testing.T, docs []sdk.Doc, id string) string {
	t.Helper()
	for _, d := range docs {
		if d.ID == id {
			var v struct {
				Status string `json:"status"`
			}
			if err := json.Unmarshal(d.Source, &v); err != nil {
				t.Fatal(err)
			}
			return v.Status
		}
	}
	return ""
}
