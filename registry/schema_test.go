package registry_test

import (
	"fmt"
	"testing"

	"github.com/demhost/demhost/registry"
)

func TestCanonicalSchema(t *testing.T) {
	t.Parallel()
	const canonical = `{"mappings":{"properties":{"n":{"type":"long"},"title":{"type":"text"}}},` +
		`"settings":{"index":{"number_of_shards":"1"},"number_of_replicas":1.50}}`
	same := []struct{ name, schema string }{
		{"canonical", canonical},
		{"keys reordered", `{"settings":{"number_of_replicas":1.50,"index":{"number_of_shards":"1"}},
			"mappings":{"properties":{"title":{"type":"text"},"n":{"type":"long"}}}}`},
		{"whitespace", "  {\n\t\"mappings\" : { \"properties\" : {\"n\":{\"type\":\"long\"},\"title\":{\"type\":\"text\"}}},\r\n" +
			` "settings": {"index": {"number_of_shards": "1"}, "number_of_replicas": 1.50 } }  `},
		{"nested identity settings", `{"mappings":{"properties":{"n":{"type":"long"},"title":{"type":"text"}}},
			"settings":{"index":{"number_of_shards":"1","provided_name":"qa_movies-3","uuid":"abc",
			"creation_date":"1700000000000","version":{"created":"7172999"}},"number_of_replicas":1.50}}`},
		{"flat identity settings", `{"mappings":{"properties":{"n":{"type":"long"},"title":{"type":"text"}}},
			"settings":{"index":{"number_of_shards":"1"},"number_of_replicas":1.50,"index.provided_name":"prod_movies-1",
			"index.uuid":"xyz","index.creation_date":"1","index.version.created":"136408127"}}`},
	}
	var want string
	for i, tc := range same {
		got, hash, err := registry.CanonicalSchema([]byte(tc.schema))
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		if string(got) != canonical {
			t.Errorf("%s: canonical\n%s\nwant\n%s", tc.name, got, canonical)
		}
		if i == 0 {
			want = hash
		} else if hash != want {
			t.Errorf("%s: hash %s, want %s", tc.name, hash, want)
		}
	}
	if len(want) != 64 {
		t.Errorf("hash %q is not hex SHA-256", want)
	}

	different := []struct{ name, schema string }{
		{"other type", `{"mappings":{"properties":{"n":{"type":"integer"},"title":{"type":"text"}}},"settings":{"index":{"number_of_shards":"1"},"number_of_replicas":1.50}}`},
		{"number spelled otherwise", `{"mappings":{"properties":{"n":{"type":"long"},"title":{"type":"text"}}},"settings":{"index":{"number_of_shards":"1"},"number_of_replicas":1.5}}`},
		{"string for number", `{"mappings":{"properties":{"n":{"type":"long"},"title":{"type":"text"}}},"settings":{"index":{"number_of_shards":1},"number_of_replicas":1.50}}`},
		{"extra setting", `{"mappings":{"properties":{"n":{"type":"long"},"title":{"type":"text"}}},"settings":{"index":{"number_of_shards":"1","refresh_interval":"1s"},"number_of_replicas":1.50}}`},
	}
	seen := map[string]string{want: "canonical"}
	for _, tc := range different {
		_, hash, err := registry.CanonicalSchema([]byte(tc.schema))
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		if prev, dup := seen[hash]; dup {
			t.Errorf("%s hashes like %s", tc.name, prev)
		}
		seen[hash] = tc.name
	}

	for _, bad := range []string{``, `{`, `{"a":1}}`, `{"a":1} {"b":2}`, `{'a':1}`} {
		if _, _, err := registry.CanonicalSchema([]byte(bad)); err == nil {
			t.Errorf("CanonicalSchema(%q) accepted invalid JSON", bad)
		}
	}
}

func TestCanonicalSchemaKeepsHTML(t *testing.T) {
	t.Parallel()
	got, _, err := registry.CanonicalSchema([]byte(`{"a":"<b>&"}`))
	if err != nil || string(got) != `{"a":"<b>&"}` {
		t.Errorf("got %s, %v", got, err)
	}
}

func ExampleCanonicalSchema() {
	canonical, hash, _ := registry.CanonicalSchema([]byte(`{
		"settings": {"index": {"uuid": "Xy1", "number_of_shards": "1"}},
		"mappings": {"properties": {"title": {"type": "text"}}}
	}`))
	fmt.Println(string(canonical))
	fmt.Println(hash[:12])
	// Output:
	// {"mappings":{"properties":{"title":{"type":"text"}}},"settings":{"index":{"number_of_shards":"1"}}}
	// bc3bb4bb9662
}
