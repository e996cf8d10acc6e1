package sqltable_test

import (
	"errors"
	"testing"

	sdk "github.com/demhost/demhost/plugin-sdk"
)

// TestCount checks that Count is what a full stream sends as documents:
// rows without an id and soft-deleted rows (boolean or timestamp) are not
// counted, whatever the partitions.
func TestCount(t *testing.T) {
	t.Parallel()
	d := newDB(t)
	d.exec(t, "CREATE TABLE "+d.schema+".items (id int, gone boolean, deleted_at timestamptz)")
	d.exec(t, "INSERT INTO "+d.schema+".items (id, gone, deleted_at) SELECT g, g % 10 = 0, CASE WHEN g % 4 = 0 THEN now() END FROM generate_series(1, 200) g")
	d.exec(t, "INSERT INTO "+d.schema+".items (id) VALUES (NULL), (NULL)")
	for _, tc := range []struct {
		name    string
		deleted string
		want    int64
	}{
		{"no deleted column", "", 200},
		{"boolean deleted column", "gone", 180},
		{"timestamp deleted column", "deleted_at", 150},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := map[string]any{"table": d.schema + ".items", "id_column": "id"}
			if tc.deleted != "" {
				cfg["deleted_column"] = tc.deleted
			}
			src := d.mustSource(t, cfg)
			resp, err := src.Count(d.ctx, &sdk.CountRequest{Index: "items"})
			if err != nil || resp.Count != tc.want {
				t.Fatalf("count %v, %v; want %d", resp, err, tc.want)
			}
			var indexed int64
			for k := range 3 {
				for _, doc := range stream(t, src, &sdk.StreamRequest{Index: "items", Partition: k, Partitions: 3}) {
					if doc.Op == sdk.OpIndex {
						indexed++
					}
				}
			}
			if indexed != tc.want {
				t.Errorf("a full stream sent %d documents, Count said %d", indexed, tc.want)
			}
		})
	}
	src := d.mustSource(t, map[string]any{"table": d.schema + ".items", "id_column": "id"})
	if _, err := src.Count(d.ctx, &sdk.CountRequest{Index: "other"}); !errors.Is(err, sdk.ErrUnknownIndex) {
		t.Errorf("count of another index: %v, want ErrUnknownIndex", err)
	}
}
