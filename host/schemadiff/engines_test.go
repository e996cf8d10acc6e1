//go:build slow

package schemadiff

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/demhost/demhost/host/engine"
	"github.com/demhost/demhost/internal/testenv"
)

// TestRulesOnEngines creates an index with each case's first schema on
// each real engine (Elasticsearch 7.17 and 8, OpenSearch 2 and 3),
// classifies the change to its target, and then sends the change (PUT
// _settings, then PUT _mapping) as ApplyInPlace would: an
// in-place case must be accepted and read back as the target; a case that
// needs a new version must be refused, or (a removed field, a removed
// parameter) leave the index unchanged, since the engine keeps what an
// update leaves out.
func TestRulesOnEngines(t *testing.T) {
	t.Parallel()
	for _, e := range testenv.AllEngines(t) {
		t.Run(e.Name, func(t *testing.T) {
			t.Parallel()
			eng, err := engine.Open(testenv.Context(t), engine.Config{URLs: []string{e.URL}})
			if err != nil {
				t.Fatalf("open %s: %v", e.URL, err)
			}
			prefix := uniquePrefix(t)
			for i, c := range ruleCases {
				if why, ok := c.skip[e.Name]; ok {
					t.Logf("case %q is not run on %s: %s", c.name, e.Name, why)
					continue
				}
				t.Run(c.name, func(t *testing.T) {
					t.Parallel()
					checkCase(t, eng, fmt.Sprintf("%s%d", prefix, i), c)
				})
			}
		})
	}
}

func uniquePrefix(t *testing.T) string {
	b := make([]byte, 4)
	_, _ = rand.Read(b)
	return "sd" + hex.EncodeToString(b) + "_"
}

// gate bounds the indexes created at once on one engine: the engines of
// `make services` are small and shared.
var gate = make(chan struct{}, 8)

func checkCase(t *testing.T, eng engine.Engine, name string, c ruleCase) {
	gate <- struct{}{}
	defer func() { <-gate }()
	ctx := testenv.Context(t)
	if err := eng.CreateIndex(ctx, name, []byte(c.from)); err != nil {
		t.Fatalf("create %s with the case's first schema: %v", name, err)
	}
	t.Cleanup(func() {
		if err := eng.DeleteIndices(testenv.Context(t), name); err != nil && !errors.Is(err, engine.ErrNotFound) {
			t.Logf("cleanup: %v", err)
		}
	})
	if c.docs != "" {
		if res, err := eng.Bulk(ctx, name, []byte(c.docs)); err != nil || len(res.Failures) > 0 {
			t.Fatalf("bulk: %v %+v", err, res.Failures)
		}
	}
	live := readMapping(t, eng, name)
	from, to := mustParse(t, c.from), mustParse(t, c.to)
	changes := Compare(from, to, live)
	if len(changes) == 0 {
		t.Fatalf("Compare found no change")
	}
	if Breaking(changes) == c.inPlace {
		t.Fatalf("Compare = %s; want in place %v", show(changes), c.inPlace)
	}
	var refused []error
	for _, put := range []struct {
		body []byte
		fn   func() error
	}{
		{SettingsBody(changes, to), func() error { return eng.PutSettings(ctx, name, SettingsBody(changes, to)) }},
		{MappingBody(changes, to), func() error { return eng.PutMapping(ctx, name, MappingBody(changes, to)) }},
	} {
		if put.body == nil {
			continue
		}
		err := put.fn()
		switch {
		case err == nil:
		case errors.Is(err, engine.ErrRejected):
			refused = append(refused, err)
		default:
			t.Fatalf("put %s: %v", put.body, err)
		}
	}
	live = readMapping(t, eng, name)
	set, err := eng.GetSettings(ctx, name)
	if err != nil {
		t.Fatal(err)
	}
	if c.inPlace {
		if len(refused) > 0 {
			t.Fatalf("classified in place (%s) but the engine refused it: %v", show(changes), refused)
		}
		for _, ch := range changes {
			if !applied(ch, live, set, to) {
				t.Errorf("classified in place and accepted, but %s did not take: mapping %s, settings %v", ch.Path, jsonText(live), set)
			}
		}
		return
	}
	if len(refused) > 0 {
		t.Logf("refused as expected: %v", refused)
		return
	}
	for _, ch := range changes {
		if ch.Breaking && applied(ch, live, set, to) {
			t.Errorf("classified as a new version (%s), but the engine accepted and applied it", show(changes))
		}
	}
}

func readMapping(t *testing.T, eng engine.Engine, name string) map[string]any {
	t.Helper()
	raw, err := eng.GetMapping(testenv.Context(t), name)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := unmarshal(raw, &m); err != nil {
		t.Fatal(err)
	}
	return m
}

// applied says whether the index now has what the change asked for.
func applied(c Change, live map[string]any, set map[string]string, to Schema) bool {
	if key, ok := strings.CutPrefix(c.Path, "settings."); ok {
		want, wok := to.Settings[key]
		got, gok := set[key]
		return wok == gok && want == got
	}
	if param, ok := strings.CutPrefix(c.Path, "mappings."); ok {
		return same(live[param], to.Mappings[param])
	}
	l, t := lookup(live, c.Path), lookup(to.Mappings, c.Path)
	switch c.What {
	case "removed field", "removed sub-field":
		return l == nil
	case "new field", "new sub-field", "type":
		return l != nil && typeOf(l) == typeOf(t)
	}
	return l != nil && same(l[c.What], t[c.What])
}

// lookup finds the field at a dotted path among properties and
// multi-fields.
func lookup(m map[string]any, path string) map[string]any {
	cur := m
	for _, name := range strings.Split(path, ".") {
		var next map[string]any
		for _, under := range []string{"properties", "fields"} {
			if sub, ok := cur[under].(map[string]any); ok {
				if f, ok := sub[name].(map[string]any); ok {
					next = f
					break
				}
			}
		}
		if next == nil {
			return nil
		}
		cur = next
	}
	return cur
}
