package schemadiff

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
)

// TestEveryRuleHasACase checks that every row of the tables is checked
// against the engines by at least one case.
func TestEveryRuleHasACase(t *testing.T) {
	t.Parallel()
	rows := map[string]bool{}
	for _, c := range ruleCases {
		rows[c.row] = true
	}
	var missing []string
	for k := range rootRules {
		if !rows["root:"+k] {
			missing = append(missing, "root:"+k)
		}
	}
	for k := range paramRules {
		if !rows["param:"+k] {
			missing = append(missing, "param:"+k)
		}
	}
	for k := range settingRules {
		if !rows["setting:"+k] {
			missing = append(missing, "setting:"+k)
		}
	}
	if len(missing) > 0 {
		t.Errorf("table rows with no case in ruleCases: %v", missing)
	}
}

// TestCasesNameTheirRow checks that each case's change is classified by
// the row it says it checks.
func TestCasesNameTheirRow(t *testing.T) {
	t.Parallel()
	for _, c := range ruleCases {
		if c.row == "" {
			continue
		}
		kind, key, _ := strings.Cut(c.row, ":")
		changes := Compare(mustParse(t, c.from), mustParse(t, c.to), nil)
		found := false
		for _, ch := range changes {
			switch kind {
			case "root":
				found = found || ch.Path == "mappings."+key
			case "param":
				found = found || ch.What == key
			case "setting":
				k, ok := strings.CutPrefix(ch.Path, "settings.")
				found = found || ok && (k == key || strings.HasSuffix(key, ".") && strings.HasPrefix(k, key))
			}
		}
		if !found {
			t.Errorf("case %q: no change of row %s among %s", c.name, c.row, show(changes))
		}
	}
}

func mustParse(t *testing.T, schema string) Schema {
	t.Helper()
	s, err := Parse([]byte(schema))
	if err != nil {
		t.Fatalf("parse %s: %v", schema, err)
	}
	return s
}

func show(changes []Change) string {
	b, _ := json.Marshal(changes)
	return string(b)
}

// TestCompare checks what needs no engine: how schemas are read and
// compared, and how the live mapping weighs on a new field.
func TestCompare(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name, from, to, live string
		want                 []string // "path what breaking"
	}{
		{"flat and nested settings, numbers and their text", `{"settings":{"index.number_of_shards":"1"}}`,
			`{"settings":{"index":{"number_of_shards":1}}}`, "", nil},
		{"a parameter as text", field(`{"type":"keyword","ignore_above":"256"}`), field(`{"type":"keyword","ignore_above":256}`), "", nil},
		{"deep paths", field(`{"properties":{"a":{"type":"text"}}}`),
			field(`{"properties":{"a":{"type":"text","fields":{"raw":{"type":"keyword"}}},"b":{"type":"long"}}}`), "",
			[]string{"f.a.raw new sub-field false", "f.b new field false"}},
		{"an object gets a type", field(`{"properties":{"a":{"type":"text"}}}`), field(`{"type":"object","properties":{"a":{"type":"text"}}}`), "", nil},
		{"a static setting removed", settings(`"codec":"best_compression"`), settings(""), "",
			[]string{"settings.index.codec setting true"}},
		{"a dynamic setting removed", settings(`"refresh_interval":"5s"`), settings(""), "",
			[]string{"settings.index.refresh_interval setting false"}},
		{"an unknown parameter", field(`{"type":"keyword"}`), field(`{"type":"keyword","split_queries_on_whitespace":true}`), "",
			[]string{"f split_queries_on_whitespace true"}},
		{"a dynamic field with a keyword sub-field the schema leaves out", fields(`"a":{"type":"keyword"}`),
			fields(`"a":{"type":"keyword"},"x":{"type":"text"}`),
			`{"properties":{"a":{"type":"keyword"},"x":{"type":"text","fields":{"keyword":{"type":"keyword","ignore_above":256}}}}}`,
			[]string{"x new field false"}},
		{"a dynamic field of another type", fields(`"a":{"type":"keyword"}`), fields(`"a":{"type":"keyword"},"x":{"type":"date"}`),
			`{"properties":{"a":{"type":"keyword"},"x":{"type":"long"}}}`, []string{"x new field true"}},
	}
	for _, c := range cases {
		var live map[string]any
		if c.live != "" {
			if err := unmarshal([]byte(c.live), &live); err != nil {
				t.Fatal(err)
			}
		}
		var got []string
		for _, ch := range Compare(mustParse(t, c.from), mustParse(t, c.to), live) {
			got = append(got, fmt.Sprintf("%s %s %v", ch.Path, ch.What, ch.Breaking))
			if ch.Reason == "" {
				t.Errorf("%s: change %+v has no reason", c.name, ch)
			}
		}
		if strings.Join(got, "; ") != strings.Join(c.want, "; ") {
			t.Errorf("%s: Compare = %q, want %q", c.name, got, c.want)
		}
	}
}
