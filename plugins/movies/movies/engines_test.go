package movies_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"testing"

	"github.com/demhost/demhost/internal/testenv"
	sdk "github.com/demhost/demhost/plugin-sdk"
	"github.com/demhost/demhost/plugins/movies/movies"
)

// TestSchemaIndexesOnBothEngines creates the movies index on each engine
// and bulk-indexes the fixture and some synthetic movies without errors.
func TestSchemaIndexesOnBothEngines(t *testing.T) {
	t.Parallel()
	var bulk bytes.Buffer
	for _, cfg := range []string{`{}`, `{"synthetic":200,"seed":4}`} {
		var c collect
		if err := configured(t, cfg).Stream(context.Background(), &sdk.StreamRequest{Index: "movies", Partitions: 1}, &c); err != nil {
			t.Fatal(err)
		}
		for _, d := range c.docs {
			fmt.Fprintf(&bulk, "{\"index\":{\"_id\":%q}}\n%s\n", d.ID, d.Source)
		}
	}
	body, _ := json.Marshal(map[string]json.RawMessage{"mappings": movies.Mappings, "settings": movies.Settings})
	for _, e := range testenv.Engines(t) {
		t.Run(e.Name, func(t *testing.T) {
			index := testenv.UniqueIndex("movies")
			t.Cleanup(func() { testenv.Request(t, http.MethodDelete, e.URL+"/"+index, nil) })
			if code, out := testenv.Request(t, http.MethodPut, e.URL+"/"+index, body); code != 200 {
				t.Fatalf("create: %d %s", code, out)
			}
			code, out := testenv.Request(t, http.MethodPost, e.URL+"/"+index+"/_bulk?refresh=true", bulk.Bytes())
			if code != 200 || bytes.Contains(out, []byte(`"errors":true`)) {
				t.Fatalf("bulk: %d %.2000s", code, out)
			}
			_, out = testenv.Request(t, http.MethodPost, e.URL+"/"+index+"/_count",
				[]byte(`{"query":{"bool":{"filter":[{"term":{"cast":"Morgan Freeman"}},{"match":{"title":"shawshank"}}]}}}`))
			if !bytes.Contains(out, []byte(`"count":1`)) {
				t.Fatalf("term on cast + match on title: %s", out)
			}
		})
	}
}
