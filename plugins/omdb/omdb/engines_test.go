package omdb_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"testing"

	"github.com/demhost/demhost/internal/testenv"
	"github.com/demhost/demhost/plugins/omdb/omdb"
)

// TestSchemaIndexesOnBothEngines creates the omdb index on each engine and
// indexes a mapped OMDb record.
func TestSchemaIndexesOnBothEngines(t *testing.T) {
	t.Parallel()
	m, err := omdb.ParseRecord([]byte(inception))
	if err != nil {
		t.Fatal(err)
	}
	doc, _ := json.Marshal(m)
	body, _ := json.Marshal(map[string]json.RawMessage{"mappings": omdb.Mappings, "settings": omdb.Settings})
	for _, e := range testenv.Engines(t) {
		t.Run(e.Name, func(t *testing.T) {
			index := testenv.UniqueIndex("omdb")
			t.Cleanup(func() { testenv.Request(t, http.MethodDelete, e.URL+"/"+index, nil) })
			if code, out := testenv.Request(t, http.MethodPut, e.URL+"/"+index, body); code != 200 {
				t.Fatalf("create: %d %s", code, out)
			}
			if code, out := testenv.Request(t, http.MethodPut, e.URL+"/"+index+"/_doc/"+m.IMDbID+"?refresh=true", doc); code != 201 {
				t.Fatalf("index: %d %s", code, out)
			}
			_, out := testenv.Request(t, http.MethodPost, e.URL+"/"+index+"/_count",
				[]byte(`{"query":{"bool":{"filter":[{"range":{"released":{"gte":"2010-01-01"}}},{"term":{"actors":"Elliot Page"}}]}}}`))
			if !bytes.Contains(out, []byte(`"count":1`)) {
				t.Fatalf("count: %s", out)
			}
		})
	}
}
