package sqltable_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/demhost/demhost/internal/testenv"
	sdk "github.com/demhost/demhost/plugin-sdk"
)

// allTypes is a table with a column of every kind the inference handles.
const allTypes = `(
  id bigint PRIMARY KEY,
  title text, code varchar(12), flag char(1), small smallint, n integer,
  big bigint, price numeric(10,2), ratio real, score double precision,
  ok boolean, day date, at timestamp, at_tz timestamptz, meta jsonb, raw json,
  tags text[], counts int[], uid uuid, span interval, clock time,
  addr inet, blob bytea, mood %[1]s.mood, pair %[1]s.pair
)`

func TestInferredMappingIsAcceptedByBothEngines(t *testing.T) {
	t.Parallel()
	engines := testenv.Engines(t)
	d := newDB(t)
	d.exec(t, `CREATE TYPE `+d.schema+`.mood AS ENUM ('happy', 'sad')`)
	d.exec(t, `CREATE TYPE `+d.schema+`.pair AS (a int, b text)`)
	table := d.schema + ".everything"
	d.exec(t, `CREATE TABLE `+table+fmt.Sprintf(allTypes, d.schema))
	d.exec(t, `INSERT INTO `+table+` VALUES
	  (1, 'Alien', 'A-1', 'y', 1, 2, 3, 9.99, 0.5, 1.25, true, '2024-02-29',
	   '2024-01-02 03:04:05.123456', '2024-01-02 03:04:05+02', '{"k": {"x": 1}}', '{"a": [1, 2]}',
	   '{sci-fi,horror}', '{1,2,3}', 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', '1 day 2 hours', '10:11:12',
	   '192.168.0.1', '\xdeadbeef', 'happy', ROW(1, 'x')),
	  (2, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
	   '{}', NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL)`)
	s := d.mustSource(t, map[string]any{"table": table, "id_column": "id"})
	resp, err := s.Describe(d.ctx, &sdk.DescribeRequest{})
	if err != nil {
		t.Fatal(err)
	}
	spec := resp.Indexes[0]
	for _, want := range []string{`"title":{"type":"text"`, `"big":{"type":"long"}`, `"price":{"type":"double"}`,
		`"at_tz":{"type":"date"}`, `"meta":{"type":"object"}`, `"tags":{"type":"text"`, `"counts":{"type":"integer"}`,
		`"uid":{"type":"keyword"`, `"pair":{"type":"object"}`, `"mood":{"type":"keyword"`, `"ok":{"type":"boolean"}`} {
		if !strings.Contains(string(spec.Mappings), want) {
			t.Errorf("mapping lacks %s: %s", want, spec.Mappings)
		}
	}
	docs := stream(t, s, &sdk.StreamRequest{Index: spec.Name})
	var bulk bytes.Buffer
	for _, doc := range docs {
		fmt.Fprintf(&bulk, `{"index":{"_id":%q}}`+"\n%s\n", doc.ID, doc.Source)
	}
	body, _ := json.Marshal(map[string]json.RawMessage{"mappings": spec.Mappings, "settings": spec.Settings})
	for _, e := range engines {
		t.Run(e.Name, func(t *testing.T) {
			index := "t" + randHex(3) + "_sqltable_types"
			t.Cleanup(func() { testenv.Request(t, http.MethodDelete, e.URL+"/"+index, nil) })
			if code, out := testenv.Request(t, http.MethodPut, e.URL+"/"+index, body); code != 200 {
				t.Fatalf("create index with the inferred mapping: %d %s", code, out)
			}
			code, out := testenv.Request(t, http.MethodPost, e.URL+"/"+index+"/_bulk?refresh=true", bulk.Bytes())
			if code != 200 || bytes.Contains(out, []byte(`"errors":true`)) {
				t.Fatalf("bulk-index the streamed rows: %d %s", code, out)
			}
			_, out = testenv.Request(t, http.MethodGet, e.URL+"/"+index+"/_count", nil)
			if !bytes.Contains(out, []byte(`"count":2`)) {
				t.Fatalf("count: %s", out)
			}
		})
	}
}
