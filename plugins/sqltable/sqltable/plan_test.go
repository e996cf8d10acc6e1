//go:build slow

package sqltable_test

import (
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	sdk "github.com/demhost/demhost/plugin-sdk"
	"github.com/demhost/demhost/plugins/sqltable/sqltable"
)

// planRows is the table size of the plan test: large enough that a scan
// of the table costs the planner far more than an index range.
const planRows = 200000

// planNodes returns the node types of an EXPLAIN (FORMAT JSON) answer.
func planNodes(t *testing.T, explain []byte) []string {
	t.Helper()
	type node struct {
		Type  string `json:"Node Type"`
		Index string `json:"Index Name"`
		Plans []node `json:"Plans"`
	}
	var doc []struct{ Plan node }
	if err := json.Unmarshal(explain, &doc); err != nil {
		t.Fatalf("read plan %s: %v", explain, err)
	}
	var out []string
	var walk func(n node)
	walk = func(n node) {
		out = append(out, n.Type)
		for _, c := range n.Plans {
			walk(c)
		}
	}
	for _, d := range doc {
		walk(d.Plan)
	}
	return out
}

// checkPlan fails when a page's plan scans the table or sorts, and when
// it does not read an index.
func checkPlan(t *testing.T, what string, st statement, nodes []string) {
	t.Helper()
	index := false
	for _, n := range nodes {
		if strings.Contains(n, "Seq Scan") || strings.Contains(n, "Sort") {
			t.Fatalf("%s: the plan of %s %v has %s: %v", what, st.sql, st.args, n, nodes)
		}
		index = index || strings.HasPrefix(n, "Index")
	}
	if !index {
		t.Fatalf("%s: the plan of %s %v reads no index: %v", what, st.sql, st.args, nodes)
	}
}

// TestPagesUseTheIDIndex reads tables of 200,000 rows, with an id of each
// type, and explains every page query the plugin ran, exactly as it ran
// them: with their arguments (the custom plan) and as a prepared
// statement's generic plan, which is what pgx's statement cache may get
// after a few pages. Neither may scan the table or sort.
func TestPagesUseTheIDIndex(t *testing.T) {
	t.Parallel()
	d := newDB(t)
	for _, idType := range []string{"text", "bigint", "uuid", "integer"} {
		for _, stats := range []string{"analyzed", "no stats"} {
			t.Run(idType+"/"+stats, func(t *testing.T) {
				table := fmt.Sprintf("%s.plan_%s_%s", d.schema, idType, strings.ReplaceAll(stats, " ", "_"))
				d.exec(t, `CREATE TABLE `+table+` (id `+idType+` PRIMARY KEY, n bigint, changed timestamptz NOT NULL, label text)
				  WITH (autovacuum_enabled = false)`)
				d.exec(t, `INSERT INTO `+table+` SELECT `+idExprs[idType]+`, g, now() - g * interval '1 minute', 'row ' || g
				  FROM generate_series(1, $1) g`, planRows)
				if stats == "analyzed" {
					d.exec(t, `ANALYZE `+table)
				}
				var rec recorder
				s := d.mustSource(t, map[string]any{"table": table, "index": "plan", "id_column": "id",
					"updated_at_column": "changed"}, rec.option())
				for _, since := range []time.Time{{}, time.Now().Add(-time.Duration(planRows) * time.Minute / 2)} {
					rec.take()
					seen := map[string]int{}
					var wg sync.WaitGroup
					var smu sync.Mutex
					for k := range 3 {
						wg.Add(1)
						go func() {
							defer wg.Done()
							var c collect
							if err := s.Stream(d.ctx, &sdk.StreamRequest{Index: "plan", Since: since, Partition: k, Partitions: 3}, &c); err != nil {
								t.Error(err)
							}
							smu.Lock()
							defer smu.Unlock()
							for _, doc := range c.docs {
								seen[doc.ID]++
							}
						}()
					}
					wg.Wait()
					want := planRows
					if !since.IsZero() {
						want = planRows / 2
					}
					if len(seen) < want-1 || len(seen) > want+1 {
						t.Fatalf("since %v: %d ids, want %d", since, len(seen), want)
					}
					// Analyzed, every partition reads keyset pages. Without
					// statistics the planner may choose to sort a page, and
					// then auto paging reads that partition in one statement.
					ran := rec.take()
					var pages []statement
					for _, st := range ran {
						if strings.Contains(st.sql, " LIMIT ") {
							pages = append(pages, st)
						}
					}
					whole := len(ran) - len(pages)
					if whole > 3 || (stats == "analyzed" && whole > 0) {
						t.Fatalf("since %v: %d of %d statements read a whole partition", since, whole, len(ran))
					}
					if whole == 0 && len(pages) < want/1000 {
						t.Fatalf("since %v: %d page queries for %d rows in pages of 1000", since, len(pages), want)
					}
					t.Logf("since %v: %d keyset pages, %d partitions read in one statement", since, len(pages), whole)
					explainAll(t, d, pages)
				}
			})
		}
	}
}

// explainAll checks the custom plan of every statement and the generic
// plan of each distinct one with checkPlan.
func explainAll(t *testing.T, d *db, ran []statement) {
	t.Helper()
	explainEach(t, d, ran, checkPlan)
}

// explainEach checks the custom plan of every statement and the generic
// plan of each distinct one with check.
func explainEach(t *testing.T, d *db, ran []statement, check func(*testing.T, string, statement, []string)) {
	t.Helper()
	d.mu.Lock()
	defer d.mu.Unlock()
	// The plugin's page connections run with this setting; so does this
	// one while it explains the pages.
	if _, err := d.conn.Exec(d.ctx, sqltable.PageSession); err != nil {
		t.Fatal(err)
	}
	defer d.conn.Exec(d.ctx, "RESET ALL")
	generic := map[string]bool{}
	for i, st := range ran {
		var plan []byte
		if err := d.conn.QueryRow(d.ctx, "EXPLAIN (FORMAT JSON) "+st.sql, st.args...).Scan(&plan); err != nil {
			t.Fatalf("explain %s: %v", st.sql, err)
		}
		check(t, fmt.Sprintf("page %d of %d", i+1, len(ran)), st, planNodes(t, plan))
		if generic[st.sql] {
			continue
		}
		generic[st.sql] = true
		name := fmt.Sprintf("demhost_page_%d", len(generic))
		// EXECUTE's own arguments cannot be bind parameters: literals.
		params := make([]string, len(st.args))
		for j, a := range st.args {
			v := fmt.Sprint(a)
			if tm, ok := a.(time.Time); ok {
				v = tm.Format(time.RFC3339Nano)
			}
			params[j] = "'" + strings.ReplaceAll(v, "'", "''") + "'"
		}
		for _, sql := range []string{"SET plan_cache_mode = force_generic_plan", "PREPARE " + name + " AS " + st.sql} {
			if _, err := d.conn.Exec(d.ctx, sql); err != nil {
				t.Fatalf("%s: %v", sql, err)
			}
		}
		err := d.conn.QueryRow(d.ctx, "EXPLAIN (FORMAT JSON) EXECUTE "+name+"("+strings.Join(params, ", ")+")").Scan(&plan)
		for _, sql := range []string{"DEALLOCATE " + name, "RESET plan_cache_mode"} {
			if _, err := d.conn.Exec(d.ctx, sql); err != nil {
				t.Fatalf("%s: %v", sql, err)
			}
		}
		if err != nil {
			t.Fatalf("explain the generic plan of %s: %v", st.sql, err)
		}
		check(t, "generic plan", st, planNodes(t, plan))
	}
}

// checkChunkPlan fails when a chunk's plan is anything but a TID range
// scan of the table: no Seq Scan, no Sort.
func checkChunkPlan(t *testing.T, what string, st statement, nodes []string) {
	t.Helper()
	if len(nodes) != 1 || nodes[0] != "Tid Range Scan" {
		t.Fatalf("%s: the plan of %s %v is %v, want a Tid Range Scan alone", what, st.sql, st.args, nodes)
	}
}

// TestBlockPagesUseTIDRangeScans reads a 200,000-row table with paging:
// blocks, in full and since a time, and explains every statement the
// plugin ran (custom and generic plans): each must read its chunk of
// blocks alone, never the table.
func TestBlockPagesUseTIDRangeScans(t *testing.T) {
	t.Parallel()
	d := newDB(t)
	table := d.schema + ".plan_blocks"
	d.exec(t, `CREATE TABLE `+table+` (id text, n bigint, changed timestamptz NOT NULL, label text)`)
	d.exec(t, `INSERT INTO `+table+` SELECT 'k' || g, g, now() - g * interval '1 minute', 'row ' || g
	  FROM generate_series(1, $1) g`, planRows)
	d.exec(t, `ANALYZE `+table)
	var rec recorder
	s := d.mustSource(t, map[string]any{"table": table, "index": "plan", "id_column": "id",
		"updated_at_column": "changed", "paging": "blocks"}, rec.option())
	for _, since := range []time.Time{{}, time.Now().Add(-time.Duration(planRows) * time.Minute / 2)} {
		rec.take()
		seen := map[string]int{}
		for k := range 3 {
			for _, doc := range stream(t, s, &sdk.StreamRequest{Index: "plan", Since: since, Partition: k, Partitions: 3}) {
				seen[doc.ID]++
			}
		}
		want := planRows
		if !since.IsZero() {
			want = planRows / 2
		}
		if len(seen) < want-1 || len(seen) > want+1 {
			t.Fatalf("since %v: %d ids, want %d", since, len(seen), want)
		}
		ran := rec.take()
		t.Logf("since %v: %d chunks of blocks", since, len(ran))
		explainEach(t, d, ran, checkChunkPlan)
	}
}
