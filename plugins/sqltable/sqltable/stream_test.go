package sqltable_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"testing"
	"time"

	sdk "github.com/demhost/demhost/plugin-sdk"
	"github.com/demhost/demhost/plugins/sqltable/sqltable"
)

func TestPartitionsCoverAllRowsOnce(t *testing.T) {
	t.Parallel()
	d := newDB(t)
	for _, idType := range []string{"bigint", "text", "uuid"} {
		t.Run(idType, func(t *testing.T) {
			table := d.schema + ".rows_" + idType
			d.exec(t, `CREATE TABLE `+table+` (id `+idType+` PRIMARY KEY, n int, label text)`)
			idExpr := map[string]string{"bigint": "g", "text": "'k' || g", "uuid": "md5(g::text)::uuid"}[idType]
			d.exec(t, `INSERT INTO `+table+` SELECT `+idExpr+`, g, 'row ' || g FROM generate_series(1, 2345) g`)
			s := d.mustSource(t, map[string]any{"table": table, "index": "rows", "id_column": "id", "page_size": 100})
			for _, parts := range []int{1, 3, 8} {
				seen := map[string]int{}
				for k := range parts {
					docs := stream(t, s, &sdk.StreamRequest{Index: "rows", Partition: k, Partitions: parts})
					if parts > 1 && len(docs) > 2345*2/parts {
						t.Errorf("%d of %d holds %d rows: partitions are badly skewed", k, parts, len(docs))
					}
					for _, doc := range docs {
						seen[doc.ID]++
						var v struct{ N int }
						if err := json.Unmarshal(doc.Source, &v); err != nil || v.N == 0 {
							t.Fatalf("doc %s source %s: %v", doc.ID, doc.Source, err)
						}
					}
				}
				if len(seen) != 2345 {
					t.Fatalf("%d partitions: %d distinct rows, want 2345", parts, len(seen))
				}
				for id, n := range seen {
					if n != 1 {
						t.Fatalf("%d partitions: row %s sent %d times", parts, id, n)
					}
				}
			}
		})
	}
}

func TestSinceAndSoftDeletes(t *testing.T) {
	t.Parallel()
	d := newDB(t)
	old, cut := time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(2023, 6, 1, 0, 0, 0, 0, time.UTC)
	tests := []struct {
		name, delType, delValue string
	}{
		{"boolean flag", "boolean", "true"},
		{"deleted_at timestamp", "timestamptz", "now()"},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			table := fmt.Sprintf("%s.since_%d", d.schema, i)
			d.exec(t, `CREATE TABLE `+table+` (id int PRIMARY KEY, title text, changed timestamptz NOT NULL, gone `+tt.delType+`)`)
			d.exec(t, `INSERT INTO `+table+` SELECT g, 'film ' || g, $1, NULL FROM generate_series(1, 50) g`, old)
			d.exec(t, `UPDATE `+table+` SET changed = $1::timestamptz + interval '1 day' WHERE id IN (3, 4, 5)`, cut)
			d.exec(t, `UPDATE `+table+` SET gone = `+tt.delValue+`, changed = now() WHERE id IN (5, 40)`)
			s := d.mustSource(t, map[string]any{"table": table, "index": "films", "id_column": "id",
				"updated_at_column": "changed", "deleted_column": "gone", "page_size": 2})

			resp, err := s.Describe(d.ctx, &sdk.DescribeRequest{})
			if err != nil || resp.Indexes[0].Capabilities != (sdk.Capabilities{Partitions: true, Since: true, Deletes: true}) {
				t.Fatalf("Describe = %+v, %v", resp, err)
			}
			var got []string
			for _, doc := range stream(t, s, &sdk.StreamRequest{Index: "films", Since: cut}) {
				op := "index"
				if doc.Op == sdk.OpDelete {
					op = "delete"
					if doc.Source != nil {
						t.Errorf("delete %s carries a source", doc.ID)
					}
				}
				got = append(got, op+" "+doc.ID)
			}
			want := []string{"index 3", "index 4", "delete 5", "delete 40"}
			if !slices.Equal(got, want) {
				t.Fatalf("since %s: got %v, want %v", cut, got, want)
			}
			all := stream(t, s, &sdk.StreamRequest{Index: "films"})
			if len(all) != 50 {
				t.Fatalf("full read: %d docs, want 50", len(all))
			}
		})
	}
}

func TestNullIDRowsAreReportedAndSkipped(t *testing.T) {
	t.Parallel()
	d := newDB(t)
	table := d.schema + ".nullable"
	d.exec(t, `CREATE TABLE `+table+` (id text, v int)`)
	d.exec(t, `INSERT INTO `+table+` VALUES ('a', 1), (NULL, 2), ('b', 3), (NULL, 4)`)
	var log bytes.Buffer
	s := d.mustSource(t, map[string]any{"table": table, "id_column": "id"},
		sqltable.WithLogger(slog.New(slog.NewTextHandler(&log, nil))))
	var ids []string
	for k := range 2 {
		for _, doc := range stream(t, s, &sdk.StreamRequest{Index: "nullable", Partition: k, Partitions: 2}) {
			if doc.ID == "" {
				t.Fatalf("a document with an empty id was sent: %s", doc.Source)
			}
			ids = append(ids, doc.ID)
		}
	}
	slices.Sort(ids)
	if !slices.Equal(ids, []string{"a", "b"}) || s.SkippedNullIDs() != 2 {
		t.Fatalf("ids %v, skipped %d; want [a b] and 2", ids, s.SkippedNullIDs())
	}
	if !strings.Contains(log.String(), "NULL") || !strings.Contains(log.String(), "rows=2") {
		t.Fatalf("log does not report the skipped rows: %q", log.String())
	}
}

func TestColumnsAndExplicitMapping(t *testing.T) {
	t.Parallel()
	d := newDB(t)
	table := d.schema + ".people"
	d.exec(t, `CREATE TABLE `+table+` (id int PRIMARY KEY, name text, secret text, "Odd Name" int)`)
	d.exec(t, `INSERT INTO `+table+` VALUES (1, 'Ann', 'x', 7)`)

	s := d.mustSource(t, map[string]any{"table": table, "index": "people", "id_column": "id", "columns": []string{"name", "Odd Name"}})
	docs := stream(t, s, &sdk.StreamRequest{Index: "people"})
	if len(docs) != 1 || string(docs[0].Source) != `{"name":"Ann","Odd Name":7}` {
		t.Fatalf("docs = %+v", docs)
	}
	if m := string(s.Mappings()); strings.Contains(m, "secret") || !strings.Contains(m, `"Odd Name":{"type":"integer"}`) {
		t.Fatalf("inferred mapping for the column subset: %s", m)
	}

	explicit := `{"properties":{"name":{"type":"keyword"}}}`
	for _, form := range []any{json.RawMessage(explicit), explicit} {
		s := d.mustSource(t, map[string]any{"table": table, "id_column": "id", "mapping": form})
		resp, err := s.Describe(d.ctx, &sdk.DescribeRequest{})
		if err != nil || string(resp.Indexes[0].Mappings) != explicit || resp.Indexes[0].Name != "people" {
			t.Fatalf("explicit mapping %T: %+v %v", form, resp, err)
		}
	}
}
