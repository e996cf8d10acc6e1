package sqltable_test

import (
	"encoding/json"
	"testing"

	sdk "github.com/demhost/demhost/plugin-sdk"
	"github.com/demhost/demhost/plugins/movies/movies"
)

// TestReadsTheMoviesTable reads the table the movies plugin loads, as the
// README suggests, and gets the fixture back.
func TestReadsTheMoviesTable(t *testing.T) {
	t.Parallel()
	d := newDB(t)
	table := d.schema + ".movies"
	if err := movies.LoadPostgres(d.ctx, d.dsn, table, 0, 0); err != nil {
		t.Fatal(err)
	}
	s := d.mustSource(t, map[string]any{"table": table, "id_column": "id",
		"updated_at_column": "updated_at", "deleted_column": "deleted", "page_size": 7})
	docs := stream(t, s, &sdk.StreamRequest{Index: "movies"})
	if len(docs) != 100 {
		t.Fatalf("%d docs, want 100", len(docs))
	}
	want := map[string]movies.Movie{}
	for _, m := range movies.Fixture() {
		want[m.ID] = m
	}
	for _, doc := range docs {
		var got movies.Movie
		if err := json.Unmarshal(doc.Source, &got); err != nil {
			t.Fatal(err)
		}
		w := want[doc.ID]
		if got.Title != w.Title || got.Year != w.Year || len(got.Cast) != len(w.Cast) || got.Cast[0] != w.Cast[0] {
			t.Fatalf("%s: got %+v, want %+v", doc.ID, got, w)
		}
	}
}
