package host

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	sdk "github.com/demhost/demhost/plugin-sdk"
)

func TestAppendDoc(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		doc  sdk.Doc
		want string
	}{
		{"plain", sdk.Doc{ID: "a1", Source: []byte(`{"x":1}`)}, `{"index":{"_id":"a1"}}` + "\n" + `{"x":1}` + "\n"},
		{"quote and backslash", sdk.Doc{ID: `a"b\c`, Source: []byte(`{}`)}, `{"index":{"_id":"a\"b\\c"}}` + "\n{}\n"},
		{"control characters", sdk.Doc{ID: "a\nb\tc\x01", Source: []byte(`{}`)}, `{"index":{"_id":"a\nb\tc\u0001"}}` + "\n{}\n"},
		{"unicode kept", sdk.Doc{ID: "émile", Source: []byte(`{}`)}, `{"index":{"_id":"émile"}}` + "\n{}\n"},
		{"invalid utf-8", sdk.Doc{ID: "a\xffb", Source: []byte(`{}`)}, `{"index":{"_id":"a\ufffdb"}}` + "\n{}\n"},
		{"routing", sdk.Doc{ID: "a", Routing: "r\"1", Source: []byte(`{}`)}, `{"index":{"_id":"a","routing":"r\"1"}}` + "\n{}\n"},
		{"no id", sdk.Doc{Source: []byte(`{}`)}, `{"index":{}}` + "\n{}\n"},
		{"no id with routing", sdk.Doc{Routing: "r", Source: []byte(`{}`)}, `{"index":{"routing":"r"}}` + "\n{}\n"},
		{"delete", sdk.Doc{ID: "a", Op: sdk.OpDelete, Source: []byte(`{"ignored":1}`)}, `{"delete":{"_id":"a"}}` + "\n"},
		{"delete with routing", sdk.Doc{ID: "a", Routing: "r", Op: sdk.OpDelete}, `{"delete":{"_id":"a","routing":"r"}}` + "\n"},
		{"newlines in the source", sdk.Doc{ID: "a", Source: []byte("{\n\"x\": 1\n}")}, `{"index":{"_id":"a"}}` + "\n{ \"x\": 1 }\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := string(appendDoc([]byte("prev"), &tt.doc))
			if got != "prev"+tt.want {
				t.Fatalf("appendDoc = %q, want %q", got, "prev"+tt.want)
			}
			for _, line := range strings.Split(strings.TrimSuffix(tt.want, "\n"), "\n") {
				if !json.Valid([]byte(line)) {
					t.Errorf("line %q is not valid JSON", line)
				}
			}
		})
	}
}

func TestAppendJSONStringRoundTrips(t *testing.T) {
	t.Parallel()
	for _, s := range []string{"", "simple", `"`, `\`, "\x00\x1f", "tab\there", "日本語", "emoji 🎬", "</script>", "\u2028"} {
		var back string
		if err := json.Unmarshal(appendJSONString(nil, s), &back); err != nil || back != s {
			t.Errorf("appendJSONString(%q) decodes to %q, %v", s, back, err)
		}
	}
}

func TestBulkBufItems(t *testing.T) {
	t.Parallel()
	var b bulkBuf
	docs := []sdk.Doc{{ID: "1", Source: []byte(`{"a":1}`)}, {ID: "2", Op: sdk.OpDelete}, {ID: "3", Source: []byte(`{"c":3}`)}}
	for i := range docs {
		b.add(&docs[i])
	}
	if b.len() != 3 || b.deletes != 1 {
		t.Fatalf("len %d deletes %d, want 3 and 1", b.len(), b.deletes)
	}
	want := []string{"{\"index\":{\"_id\":\"1\"}}\n{\"a\":1}\n", "{\"delete\":{\"_id\":\"2\"}}\n", "{\"index\":{\"_id\":\"3\"}}\n{\"c\":3}\n"}
	for i, w := range want {
		if got := string(b.item(i)); got != w {
			t.Errorf("item(%d) = %q, want %q", i, got, w)
		}
	}
	if !bytes.Equal(b.body, []byte(strings.Join(want, ""))) {
		t.Errorf("body = %q", b.body)
	}
	b.reset()
	if b.len() != 0 || len(b.body) != 0 || b.deletes != 0 {
		t.Errorf("reset left %d items, %d bytes, %d deletes", b.len(), len(b.body), b.deletes)
	}
}
