package bench_test

import (
	"bytes"
	"encoding/json"
	"strconv"
	"testing"

	"github.com/demhost/demhost/bench"
)

func makeDocs(n int) []bench.Doc {
	docs := make([]bench.Doc, n)
	for i := range docs {
		docs[i] = bench.Doc{ID: "m" + strconv.Itoa(i), Source: []byte(`{"i":` + strconv.Itoa(i) + `}`)}
	}
	return docs
}

func TestBuildBulkBodies(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		docs, bat int
		wantSizes []int
	}{
		{"exact batches", 6, 3, []int{3, 3}},
		{"last batch short", 7, 3, []int{3, 3, 1}},
		{"one batch", 2, 1000, []int{2}},
		{"batch below one is one", 2, 0, []int{1, 1}},
		{"no docs", 0, 10, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			docs := makeDocs(tt.docs)
			bodies := bench.BuildBulkBodies(docs, tt.bat)
			if len(bodies) != len(tt.wantSizes) {
				t.Fatalf("%d bodies, want %d", len(bodies), len(tt.wantSizes))
			}
			next := 0
			for b, body := range bodies {
				if !bytes.HasSuffix(body, []byte("\n")) {
					t.Errorf("body %d does not end with a newline", b)
				}
				lines := bytes.Split(bytes.TrimSuffix(body, []byte("\n")), []byte("\n"))
				if len(lines) != 2*tt.wantSizes[b] {
					t.Fatalf("body %d has %d lines, want %d", b, len(lines), 2*tt.wantSizes[b])
				}
				for i := 0; i < len(lines); i += 2 {
					var action struct {
						Index struct {
							ID string `json:"_id"`
						} `json:"index"`
					}
					if err := json.Unmarshal(lines[i], &action); err != nil {
						t.Fatalf("body %d line %d: %v: %s", b, i, err, lines[i])
					}
					if action.Index.ID != docs[next].ID {
						t.Errorf("body %d action %d has id %q, want %q", b, i/2, action.Index.ID, docs[next].ID)
					}
					if !bytes.Equal(lines[i+1], docs[next].Source) {
						t.Errorf("body %d source %d = %s, want the corpus bytes %s", b, i/2, lines[i+1], docs[next].Source)
					}
					next++
				}
			}
			if next != tt.docs {
				t.Errorf("bodies hold %d docs, want %d", next, tt.docs)
			}
		})
	}
}

func TestAppendIndexActionEscapes(t *testing.T) {
	t.Parallel()
	for _, id := range []string{"plain-1", `q"uote`, `back\slash`, "tab\there", "ünï"} {
		line := bench.AppendIndexAction(nil, id)
		var v map[string]map[string]string
		if err := json.Unmarshal(bytes.TrimSuffix(line, []byte("\n")), &v); err != nil {
			t.Fatalf("action for %q is not JSON: %v: %s", id, err, line)
		}
		if v["index"]["_id"] != id {
			t.Errorf("action for %q carries id %q", id, v["index"]["_id"])
		}
	}
}

func TestBulkHeadOK(t *testing.T) {
	t.Parallel()
	tests := []struct {
		head string
		want bool
	}{
		{`{"took":12,"errors":false,"items":[`, true},
		{`{"took":12,"errors":true,"items":[`, false},
		{`{"error":{"type":"index_not_found_exception"`, false},
		{``, false},
	}
	for _, tt := range tests {
		if got := bench.BulkHeadOK([]byte(tt.head)); got != tt.want {
			t.Errorf("BulkHeadOK(%q) = %v, want %v", tt.head, got, tt.want)
		}
	}
}
