package sqltable_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	sdk "github.com/demhost/demhost/plugin-sdk"
	"github.com/demhost/demhost/plugins/sqltable/sqltable"
)

// TestBlockPagingReadsEveryRowOnce: with paging: blocks, the partitions of
// a table with holes (deleted rows), moved rows (updated) and NULL ids are
// disjoint and together hold every row with an id, for several partition
// counts; every statement is a chunk of blocks; and partitions read by two
// separate sources (two plugin processes) agree without sharing anything.
func TestBlockPagingReadsEveryRowOnce(t *testing.T) {
	t.Parallel()
	d := newDB(t)
	table := d.schema + ".wide"
	// No index on id: block paging needs none. About 400 bytes a row, so
	// 30,000 rows span several 256-block chunks.
	d.exec(t, `CREATE TABLE `+table+` (id text, n int, filler text, changed timestamptz NOT NULL DEFAULT now())`)
	d.exec(t, `INSERT INTO `+table+` SELECT 'w' || g, g, repeat('x', 400), now() - interval '1 day' FROM generate_series(1, 30000) g`)
	d.exec(t, `DELETE FROM `+table+` WHERE n % 7 = 0`)
	d.exec(t, `UPDATE `+table+` SET filler = repeat('y', 400) WHERE n % 11 = 0`)
	d.exec(t, `INSERT INTO `+table+` SELECT NULL, -g, 'null id', now() FROM generate_series(1, 5) g`)
	want := d.wantIDs(t, table)

	var rec recorder
	cfg := func() map[string]any {
		return map[string]any{"table": table, "index": "wide", "id_column": "id", "paging": "blocks",
			"updated_at_column": "changed"}
	}
	s := d.mustSource(t, cfg(), rec.option())
	for _, n := range []int{1, 2, 3, 5} {
		sameSet(t, "blocks", readAll(t, s, "wide", n), want)
		ran := rec.take()
		if len(ran) < 4 {
			t.Fatalf("%d partitions: %d statements; want one per chunk, at least 4 chunks", n, len(ran))
		}
		for _, st := range ran {
			if !strings.Contains(st.sql, "ctid >= ") || strings.Contains(st.sql, " LIMIT ") {
				t.Fatalf("%d partitions: not a chunk of blocks: %s", n, st.sql)
			}
		}
	}

	other := d.mustSource(t, cfg())
	seen := map[string]int{}
	for k, src := range []*sqltable.Source{s, other} {
		for _, doc := range stream(t, src, &sdk.StreamRequest{Index: "wide", Partition: k, Partitions: 2}) {
			seen[doc.ID]++
		}
	}
	sameSet(t, "two sources", seen, want)

	// Since: only the rows changed after it, from every partition.
	d.exec(t, `UPDATE `+table+` SET changed = now() WHERE n % 1000 = 1`)
	since := time.Now().Add(-time.Hour)
	got := map[string]int{}
	for k := range 3 {
		for _, doc := range stream(t, s, &sdk.StreamRequest{Index: "wide", Since: since, Partition: k, Partitions: 3}) {
			got[doc.ID]++
		}
	}
	// n % 1000 = 1 for 30 rows, of which 1001, 8001, 15001, 22001 and
	// 29001 were deleted (n % 7 = 0).
	if len(got) != 25 {
		t.Fatalf("since: %d rows, want the 25 changed ones: %v", len(got), got)
	}
	for id, c := range got {
		if c != 1 {
			t.Fatalf("since: %s sent %d times", id, c)
		}
	}
}

// TestBlockPagingNeedsATable: a view has no blocks; the config error names
// the key and what to use instead.
func TestBlockPagingNeedsATable(t *testing.T) {
	t.Parallel()
	d := newDB(t)
	d.exec(t, `CREATE TABLE `+d.schema+`.base (id int PRIMARY KEY)`)
	d.exec(t, `CREATE VIEW `+d.schema+`.v AS SELECT id FROM `+d.schema+`.base`)
	_, err := d.source(map[string]any{"table": d.schema + ".v", "id_column": "id", "paging": "blocks"})
	var ce *sqltable.ConfigError
	if !errors.As(err, &ce) || ce.Key != "paging" || !strings.Contains(err.Error(), "not a table") {
		t.Fatalf("paging: blocks on a view: got %v, want a config error on key paging", err)
	}
	if !errors.Is(err, sdk.ErrInvalidConfig) {
		t.Fatalf("%v is not sdk.ErrInvalidConfig", err)
	}
}
