package bench_test

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/demhost/demhost/bench"
)

func TestCorpusRoundTrip(t *testing.T) {
	t.Parallel()
	docs := []bench.Doc{
		{ID: "m1", Source: []byte(`{"title":"Plain"}`)},
		{ID: `quote"and\backslash`, Source: []byte(`{"title":"with \"escapes\" and \\n"}`)},
		{ID: "ünïcødé 映画", Source: []byte(`{"title":"映画","n":[1,2,{"a":null}]}`)},
		{ID: "", Source: []byte(`{}`)},
	}
	path := filepath.Join(t.TempDir(), "corpus.ndjson")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	w := bench.NewCorpusWriter(f)
	for _, d := range docs {
		if err := w.Write(d.ID, d.Source); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	f.Close()
	if w.Count() != len(docs) {
		t.Errorf("Count = %d, want %d", w.Count(), len(docs))
	}

	got, err := bench.ReadCorpus(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != len(docs) {
		t.Fatalf("read %d docs, want %d", len(got), len(docs))
	}
	for i := range docs {
		if got[i].ID != docs[i].ID || !bytes.Equal(got[i].Source, docs[i].Source) {
			t.Errorf("doc %d = %q %s, want %q %s", i, got[i].ID, got[i].Source, docs[i].ID, docs[i].Source)
		}
	}

	// Every line is also plain NDJSON that any reader can decode.
	data, _ := os.ReadFile(path)
	for i, line := range strings.Split(strings.TrimSuffix(string(data), "\n"), "\n") {
		var v struct {
			ID     string          `json:"id"`
			Source json.RawMessage `json:"source"`
		}
		if err := json.Unmarshal([]byte(line), &v); err != nil || v.ID != docs[i].ID {
			t.Errorf("line %d is not NDJSON with id %q: %v", i, docs[i].ID, err)
		}
	}
}

func TestCorpusWriterRejectsNewline(t *testing.T) {
	t.Parallel()
	w := bench.NewCorpusWriter(&bytes.Buffer{})
	if err := w.Write("x", []byte("{\n}")); err == nil {
		t.Error("Write accepted a source with a newline")
	}
}

func TestParseCorpusLineErrors(t *testing.T) {
	t.Parallel()
	for _, line := range []string{
		``,
		`{}`,
		`{"id":"x"}`,
		`{"id":"x","src":{}}`,
		`{"id":"unterminated,"source":{}`,
		`{"id":1,"source":{}}`,
	} {
		if d, err := bench.ParseCorpusLine([]byte(line)); err == nil {
			t.Errorf("ParseCorpusLine(%q) = %+v, want an error", line, d)
		}
	}
}

func TestReadCorpusNamesLine(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "bad.ndjson")
	os.WriteFile(path, []byte("{\"id\":\"a\",\"source\":{}}\nnot json\n"), 0o644)
	_, err := bench.ReadCorpus(path)
	if err == nil || !strings.Contains(err.Error(), "line 2") {
		t.Errorf("ReadCorpus error = %v, want one naming line 2", err)
	}
}

func TestGenerateIsDeterministic(t *testing.T) {
	t.Parallel()
	collect := func(seed uint64) []string {
		var out []string
		bench.Generate(50, seed, func(id string, src []byte) error {
			if !json.Valid(src) {
				t.Errorf("doc %s is not valid JSON: %s", id, src)
			}
			out = append(out, id+" "+string(src))
			return nil
		})
		return out
	}
	a, b, c := collect(7), collect(7), collect(8)
	if len(a) != 50 {
		t.Fatalf("generated %d docs, want 50", len(a))
	}
	if strings.Join(a, "\n") != strings.Join(b, "\n") {
		t.Error("the same seed gave different documents")
	}
	if strings.Join(a, "\n") == strings.Join(c, "\n") {
		t.Error("different seeds gave the same documents")
	}
}
