package omdb_test

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"io"
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
			b := make([]byte, 3)
			rand.Read(b)
			index := "t" + hex.EncodeToString(b) + "_omdb"
			t.Cleanup(func() { call(t, http.MethodDelete, e.URL+"/"+index, nil) })
			if code, out := call(t, http.MethodPut, e.URL+"/"+index, body); code != 200 {
				t.Fatalf("create: %d %s", code, out)
			}
			if code, out := call(t, http.MethodPut, e.URL+"/"+index+"/_doc/"+m.IMDbID+"?refresh=true", doc); code != 201 {
				t.Fatalf("index: %d %s", code, out)
			}
			_, out := call(t, http.MethodPost, e.URL+"/"+index+"/_count",
				[]byte(`{"query":{"bool":{"filter":[{"range":{"released":{"gte":"2010-01-01"}}},{"term":{"actors":"Elliot Page"}}]}}}`))
			if !bytes.Contains(out, []byte(`"count":1`)) {
				t.Fatalf("count: %s", out)
			}
		})
	}
}

func call(t *testing.T, method, url string, body []byte) (int, []byte) {
	t.Helper()
	req, err := http.NewRequest(method, url, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	out, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, out
}
