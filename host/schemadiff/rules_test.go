package schemadiff

import (
	"encoding/json"
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
