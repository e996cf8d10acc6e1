package sqltable_test

import (
	"fmt"
	"strings"
	"sync"
	"testing"

	sdk "github.com/demhost/demhost/plugin-sdk"
	"github.com/demhost/demhost/plugins/sqltable/sqltable"
)

// idExprs renders row g's id for each id type.
var idExprs = map[string]string{
	"bigint":  "g::bigint",
	"integer": "g::integer",
	"text":    "'k' || g",
	"uuid":    "md5(g::text)::uuid",
}

// readAll streams partitions 0..n-1 of index and returns how often each id
// was sent.
func readAll(t *testing.T, s *sqltable.Source, index string, n int) map[string]int {
	t.Helper()
	seen := map[string]int{}
	for k := range n {
		for _, doc := range stream(t, s, &sdk.StreamRequest{Index: index, Partition: k, Partitions: n}) {
			seen[doc.ID]++
		}
	}
	return seen
}

// wantIDs reads the expected ids straight from the table, as text.
func (d *db) wantIDs(t *testing.T, table string) map[string]int {
	t.Helper()
	d.mu.Lock()
	defer d.mu.Unlock()
	rows, err := d.conn.Query(d.ctx, `SELECT id::text FROM `+table+` WHERE id IS NOT NULL`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	want := map[string]int{}
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			t.Fatal(err)
		}
		want[id]++
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return want
}

func sameSet(t *testing.T, what string, got, want map[string]int) {
	t.Helper()
	for id, n := range got {
		if n != 1 {
			t.Errorf("%s: id %s sent %d times", what, id, n)
		}
		if want[id] == 0 {
			t.Errorf("%s: id %s sent but not in the table", what, id)
		}
	}
	missing := 0
	for id := range want {
		if got[id] == 0 {
			if missing++; missing <= 3 {
				t.Errorf("%s: id %s never sent", what, id)
			}
		}
	}
	if missing > 0 || len(got) != len(want) {
		t.Fatalf("%s: %d distinct ids sent, %d missing, want %d", what, len(got), missing, len(want))
	}
}

// TestPartitionsDisjointAndComplete reads every id exactly once for each id
// type, whatever the rows look like and wherever the split points come
// from: the histogram of an analyzed table, a block sample of a table
// never analyzed, or every row of a view.
func TestPartitionsDisjointAndComplete(t *testing.T) {
	t.Parallel()
	d := newDB(t)
	shapes := []struct {
		name, rows string // rows: a FROM clause yielding g
	}{
		{"empty", "generate_series(1, 0) g"},
		{"one row", "generate_series(7, 7) g"},
		{"fewer rows than partitions", "generate_series(1, 3) g"},
		{"skewed", "(SELECT g FROM generate_series(1, 3000) g UNION ALL SELECT 1000000000 + g FROM generate_series(1, 5) g) s"},
		{"spread", "generate_series(1, 5000) g"},
	}
	for _, idType := range []string{"text", "bigint", "uuid", "integer"} {
		for si, shape := range shapes {
			for _, stats := range []string{"analyzed", "no stats", "view"} {
				t.Run(fmt.Sprintf("%s/%s/%s", idType, shape.name, stats), func(t *testing.T) {
					t.Parallel()
					table := fmt.Sprintf("%s.p_%s_%d_%s", d.schema, idType, si, strings.ReplaceAll(stats, " ", "_"))
					d.exec(t, `CREATE TABLE `+table+` (id `+idType+`, n bigint, label text) WITH (autovacuum_enabled = false)`)
					d.exec(t, `INSERT INTO `+table+` SELECT `+idExprs[idType]+`, g, 'row ' || g FROM `+shape.rows)
					d.exec(t, `INSERT INTO `+table+` VALUES (NULL, -1, 'no id')`)
					d.exec(t, `CREATE INDEX ON `+table+` (id)`)
					read := table
					switch stats {
					case "analyzed":
						d.exec(t, `ANALYZE `+table)
					case "view":
						read = table + "_v"
						d.exec(t, `CREATE VIEW `+read+` AS SELECT * FROM `+table+` WHERE n % 7 <> 3`)
					}
					s := d.mustSource(t, map[string]any{"table": read, "index": "p", "id_column": "id", "page_size": 64})
					want := d.wantIDs(t, read)
					for _, parts := range []int{1, 2, 5, 16, 32} {
						sameSet(t, fmt.Sprintf("%d partitions", parts), readAll(t, s, "p", parts), want)
					}
					if s.SkippedNullIDs() != 5 {
						t.Errorf("skipped %d NULL ids over 5 reads, want 5", s.SkippedNullIDs())
					}
				})
			}
		}
	}
}

// TestPartitionsAgreeWhileStatisticsChange: the streams of one update use
// the same split points even when ANALYZE changes the statistics between
// the start of one partition and the next.
func TestPartitionsAgreeWhileStatisticsChange(t *testing.T) {
	t.Parallel()
	d := newDB(t)
	table := d.schema + ".moving"
	d.exec(t, `CREATE TABLE `+table+` (id text PRIMARY KEY, n int) WITH (autovacuum_enabled = false)`)
	d.exec(t, `INSERT INTO `+table+` SELECT 'a' || g, g FROM generate_series(1, 4000) g`)
	s := d.mustSource(t, map[string]any{"table": table, "index": "m", "id_column": "id", "page_size": 100})
	seen := map[string]int{}
	for k := range 4 {
		if k == 2 {
			// The new rows sort before every existing id and shift all the
			// quantiles; fresh split points would differ.
			d.exec(t, `INSERT INTO `+table+` SELECT '0' || g, g FROM generate_series(1, 4000) g`)
			d.exec(t, `ANALYZE `+table)
		}
		for _, doc := range stream(t, s, &sdk.StreamRequest{Index: "m", Partition: k, Partitions: 4}) {
			seen[doc.ID]++
		}
	}
	for id, n := range seen {
		if n != 1 {
			t.Fatalf("id %s sent %d times", id, n)
		}
	}
	for g := 1; g <= 4000; g++ {
		if seen[fmt.Sprintf("a%d", g)] != 1 {
			t.Fatalf("id a%d, present throughout, was not sent", g)
		}
	}
}

// TestPartitionsAreBalanced: split points from the statistics give each
// partition its share of a skewed table.
func TestPartitionsAreBalanced(t *testing.T) {
	t.Parallel()
	d := newDB(t)
	table := d.schema + ".lumpy"
	d.exec(t, `CREATE TABLE `+table+` (id bigint PRIMARY KEY, n int)`)
	// Half the rows in a dense run, half spread over a billion ids.
	d.exec(t, `INSERT INTO `+table+` SELECT g, 0 FROM generate_series(1, 10000) g
	  UNION ALL SELECT 100000 + g * 100000, 1 FROM generate_series(1, 10000) g`)
	d.exec(t, `ANALYZE `+table)
	s := d.mustSource(t, map[string]any{"table": table, "index": "l", "id_column": "id"})
	for k := range 4 {
		n := len(stream(t, s, &sdk.StreamRequest{Index: "l", Partition: k, Partitions: 4}))
		if n < 20000/4*7/10 || n > 20000/4*13/10 {
			t.Errorf("partition %d of 4 holds %d of 20000 rows; want about 5000", k, n)
		}
	}
}

// TestPagingFollowsThePlan: auto paging reads keyset pages where an index
// answers them, and one statement per partition where a page would sort.
func TestPagingFollowsThePlan(t *testing.T) {
	t.Parallel()
	d := newDB(t)
	d.exec(t, `CREATE TABLE `+d.schema+`.indexed (id text PRIMARY KEY, n int)`)
	d.exec(t, `CREATE TABLE `+d.schema+`.bare (id text, n int)`)
	for _, tbl := range []string{"indexed", "bare"} {
		d.exec(t, `INSERT INTO `+d.schema+`.`+tbl+` SELECT 'r' || g, g FROM generate_series(1, 3000) g`)
		d.exec(t, `ANALYZE `+d.schema+`.`+tbl)
	}
	d.exec(t, `CREATE VIEW `+d.schema+`.indexed_v AS SELECT id, n * 2 AS twice FROM `+d.schema+`.indexed`)
	d.exec(t, `CREATE VIEW `+d.schema+`.union_v AS SELECT id, n FROM `+d.schema+`.indexed UNION ALL SELECT 'x' || id, n FROM `+d.schema+`.bare`)
	tests := []struct {
		table, paging string
		rows          int
		paged         bool
	}{
		{"indexed", "auto", 3000, true},
		{"indexed_v", "auto", 3000, true},
		{"bare", "auto", 3000, false},
		{"union_v", "auto", 6000, false},
		{"bare", "keyset", 3000, true},
		{"indexed", "off", 3000, false},
	}
	for _, tt := range tests {
		t.Run(tt.table+"/"+tt.paging, func(t *testing.T) {
			t.Parallel()
			var mu sync.Mutex
			var sqls []string
			hook := sqltable.WithQueryHook(func(sql string, _ []any) {
				mu.Lock()
				defer mu.Unlock()
				sqls = append(sqls, sql)
			})
			s := d.mustSource(t, map[string]any{"table": d.schema + "." + tt.table, "index": "x", "id_column": "id",
				"page_size": 500, "paging": tt.paging}, hook)
			seen := readAll(t, s, "x", 3)
			if len(seen) != tt.rows {
				t.Fatalf("%d ids, want %d", len(seen), tt.rows)
			}
			for _, sql := range sqls {
				if strings.Contains(sql, " LIMIT ") != tt.paged {
					t.Fatalf("paged = %v, but the plugin ran %s", tt.paged, sql)
				}
			}
			if want := 3; !tt.paged && len(sqls) != want {
				t.Fatalf("%d statements for 3 partitions, want one each: %v", len(sqls), sqls)
			}
			if tt.paged && len(sqls) < tt.rows/500 {
				t.Fatalf("%d statements for %d rows in pages of 500", len(sqls), tt.rows)
			}
		})
	}
}

// TestUnpagedStreamScansOnce: read in one statement per partition (each a
// scan of the relation), the host's 16 partitions per stream cost one
// statement per stream, not 16: partition k of 16n holds stream k's whole
// run and the other partitions are empty.
func TestUnpagedStreamScansOnce(t *testing.T) {
	t.Parallel()
	d := newDB(t)
	table := d.schema + ".unpaged"
	d.exec(t, `CREATE TABLE `+table+` (id text, n int)`)
	d.exec(t, `INSERT INTO `+table+` SELECT 'r' || g, g FROM generate_series(1, 5000) g`)
	d.exec(t, `ANALYZE `+table)
	var rec recorder
	s := d.mustSource(t, map[string]any{"table": table, "index": "u", "id_column": "id", "paging": "off"}, rec.option())
	const streams = 2
	n := streams * sdk.HostSubPartitions
	seen := map[string]int{}
	perStream := [streams]int{}
	for k := range n {
		docs := stream(t, s, &sdk.StreamRequest{Index: "u", Partition: k, Partitions: n})
		perStream[k%streams] += len(docs)
		for _, doc := range docs {
			seen[doc.ID]++
		}
	}
	if len(seen) != 5000 {
		t.Fatalf("%d distinct ids, want 5000", len(seen))
	}
	for id, c := range seen {
		if c != 1 {
			t.Fatalf("id %s sent %d times", id, c)
		}
	}
	if ran := rec.take(); len(ran) != streams {
		t.Errorf("%d statements for %d partitions read by %d streams, want one per stream: %v", len(ran), n, streams, ran)
	}
	for k, c := range perStream {
		if c < 2000 {
			t.Errorf("stream %d got %d of 5000 rows; want about half", k, c)
		}
	}
}
