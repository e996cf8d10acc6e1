// Package schemadiff compares two index schemas ({"mappings":…,
// "settings":…}, as demhost stores them) and says, change by change,
// whether the engine can apply it to an existing index (PUT _mapping, PUT
// _settings) or whether it needs a new version: a new index, filled again.
//
// What the engine accepts is written down once, in the tables of rules.go,
// and each row is checked against Elasticsearch and OpenSearch by this
// package's tests. Anything the tables do not name needs a new version:
// when in doubt, the safe answer.
package schemadiff

import (
	"bytes"
	"encoding/json"
	"fmt"
	"sort"
	"strings"
)

// Change is one difference between the schema in place and the target.
type Change struct {
	// Path is what changed: a field ("title", "title.raw" for a
	// sub-field or an object's property), a mapping parameter
	// ("mappings.dynamic") or a setting ("settings.index.refresh_interval").
	Path string `json:"path"`
	// What names the change: "new field", "new sub-field", "removed
	// field", "type", "analyzer", a parameter's name such as
	// "ignore_above", or "setting".
	What string `json:"what"`
	// From and To are the values before and after, as JSON text; "" when
	// absent.
	From string `json:"from,omitempty"`
	To   string `json:"to,omitempty"`
	// Breaking is true when the engine cannot apply the change to an
	// existing index, so it needs a new version.
	Breaking bool `json:"breaking"`
	// Reason says why the change needs a new version, or what applying it
	// in place means.
	Reason string `json:"reason"`
}

// Schema is a decoded schema: the mappings object and the settings
// flattened to "index.…" keys with text values, as the engine reports them.
type Schema struct {
	Mappings map[string]any
	Settings map[string]string
	// values are the settings' values as written, for a request body.
	values map[string]any
}

// Parse decodes a schema body {"mappings":…,"settings":…}. Settings may be
// nested or flat, with or without the "index." prefix.
func Parse(schema []byte) (Schema, error) {
	var top map[string]json.RawMessage
	if err := unmarshal(schema, &top); err != nil {
		return Schema{}, fmt.Errorf("schema: %w", err)
	}
	s := Schema{Mappings: map[string]any{}, Settings: map[string]string{}, values: map[string]any{}}
	if m, ok := top["mappings"]; ok && len(m) > 0 && string(m) != "null" {
		if err := unmarshal(m, &s.Mappings); err != nil {
			return Schema{}, fmt.Errorf("schema mappings: %w", err)
		}
	}
	if st, ok := top["settings"]; ok && len(st) > 0 && string(st) != "null" {
		var nested map[string]any
		if err := unmarshal(st, &nested); err != nil {
			return Schema{}, fmt.Errorf("schema settings: %w", err)
		}
		flatten("", nested, s.values)
		for k, v := range s.values {
			s.Settings[k] = text(v)
		}
	}
	return s, nil
}

func unmarshal(b []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	return dec.Decode(v)
}

// flatten writes nested settings as "index.a.b" → value.
func flatten(prefix string, m map[string]any, out map[string]any) {
	for k, v := range m {
		key := prefix + k
		if prefix == "" && !strings.HasPrefix(k, "index.") && k != "index" {
			key = "index." + k
		}
		if sub, ok := v.(map[string]any); ok {
			flatten(key+".", sub, out)
			continue
		}
		out[key] = v
	}
}

// text is a value as the engine reports a setting: strings bare, the rest
// as JSON.
func text(v any) string {
	if s, ok := v.(string); ok {
		return s
	}
	return jsonText(v)
}

func jsonText(v any) string {
	if v == nil {
		return ""
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(v)
	return strings.TrimSuffix(buf.String(), "\n")
}

// same says whether two mapping values mean the same: equal JSON, where a
// scalar and its text ("true", "256") count as equal, as the engine
// reads them.
func same(a, b any) bool {
	am, aok := a.(map[string]any)
	bm, bok := b.(map[string]any)
	if aok || bok {
		if !aok || !bok || len(am) != len(bm) {
			return false
		}
		for k, v := range am {
			w, ok := bm[k]
			if !ok || !same(v, w) {
				return false
			}
		}
		return true
	}
	al, aok := a.([]any)
	bl, bok := b.([]any)
	if aok || bok {
		if !aok || !bok || len(al) != len(bl) {
			return false
		}
		for i := range al {
			if !same(al[i], bl[i]) {
				return false
			}
		}
		return true
	}
	if a == nil || b == nil {
		return a == nil && b == nil
	}
	return text(a) == text(b)
}

// Compare lists the changes that turn schema from into schema to, sorted:
// mapping changes by path, then settings. live, when not nil, is the
// mapping the engine reports for the index in place; a field that is new
// to the schema but already in the index (by dynamic mapping) is checked
// against it, since the engine merges into what it has, not into what
// demhost recorded.
func Compare(from, to Schema, live map[string]any) []Change {
	var out []Change
	out = append(out, compareRoot(from.Mappings, to.Mappings, live)...)
	out = append(out, compareSettings(from.Settings, to.Settings)...)
	return out
}

// Breaking says whether any change needs a new version.
func Breaking(changes []Change) bool {
	for _, c := range changes {
		if c.Breaking {
			return true
		}
	}
	return false
}

func compareRoot(from, to, live map[string]any) []Change {
	var out []Change
	for _, k := range keys(from, to) {
		if k == "properties" {
			out = append(out, compareFields("", props(from), props(to), props(live), false)...)
			continue
		}
		a, aok := from[k]
		b, bok := to[k]
		if aok && bok && same(a, b) {
			continue
		}
		c := Change{Path: "mappings." + k, What: k, From: jsonText(a), To: jsonText(b)}
		r, known := rootRules[k]
		switch {
		case !bok:
			c.Breaking, c.Reason = true, "the engine keeps a mapping parameter that is left out of an update, so removing it needs a new index"
		case known && r.inPlace:
			c.Reason = r.reason
		case known:
			c.Breaking, c.Reason = true, r.reason
		default:
			c.Breaking, c.Reason = true, "mapping parameter "+k+" is not known to be updatable on an existing index"
		}
		out = append(out, c)
	}
	return out
}

func props(m map[string]any) map[string]any {
	p, _ := m["properties"].(map[string]any)
	return p
}

// compareFields compares the properties (or, with sub, the multi-fields)
// of the field at path.
func compareFields(path string, from, to, live map[string]any, sub bool) []Change {
	var out []Change
	for _, name := range keys(from, to) {
		p := join(path, name)
		a, aok := from[name].(map[string]any)
		b, bok := to[name].(map[string]any)
		switch {
		case !aok:
			out = append(out, added(p, b, live[name], sub))
		case !bok:
			what := "removed field"
			if sub {
				what = "removed sub-field"
			}
			out = append(out, Change{Path: p, What: what, From: typeOf(a), Breaking: true,
				Reason: "the engine cannot remove a field from an existing index's mapping"})
		default:
			l, _ := live[name].(map[string]any)
			out = append(out, compareField(p, a, b, l)...)
		}
	}
	return out
}

// added is a field new to the schema: in place, unless the index already
// has it (mapped dynamically) in a way the new definition cannot merge into.
func added(path string, def map[string]any, live any, sub bool) Change {
	c := Change{Path: path, What: "new field", To: typeOf(def),
		Reason: "the engine adds a field to an existing mapping; documents indexed before hold no value for it until they are indexed again"}
	if sub {
		c.What = "new sub-field"
		c.Reason = "the engine adds a sub-field to an existing field; documents indexed before are not in it until they are indexed again"
	}
	l, ok := live.(map[string]any)
	if !ok {
		return c
	}
	for _, lc := range compareField(path, l, def, nil) {
		// The engine keeps what the index has and the definition leaves
		// out (a dynamic keyword sub-field): that merges.
		if lc.Breaking && !strings.HasPrefix(lc.What, "removed ") {
			c.Breaking = true
			c.From = typeOf(l)
			c.Reason = fmt.Sprintf("the index already has %s, mapped as %s (by dynamic mapping), and the engine cannot change its %s", path, typeOf(l), lc.What)
			return c
		}
	}
	return c
}

// typeOf is a field's type; "object" for a field with properties and no type.
func typeOf(def map[string]any) string {
	if t, ok := def["type"].(string); ok {
		return t
	}
	if def == nil {
		return ""
	}
	return "object"
}

func compareField(path string, from, to, live map[string]any) []Change {
	if ta, tb := typeOf(from), typeOf(to); ta != tb {
		return []Change{{Path: path, What: "type", From: ta, To: tb, Breaking: true,
			Reason: "the engine cannot change a field's type; its documents must be indexed again into a new index"}}
	}
	var out []Change
	for _, k := range keys(from, to) {
		switch k {
		case "type":
			continue
		case "properties":
			out = append(out, compareFields(path, props(from), props(to), props(live), false)...)
			continue
		case "fields":
			f, _ := from[k].(map[string]any)
			t, _ := to[k].(map[string]any)
			var l map[string]any
			if live != nil {
				l, _ = live[k].(map[string]any)
			}
			out = append(out, compareFields(path, f, t, l, true)...)
			continue
		}
		a, b := from[k], to[k]
		if same(a, b) {
			continue
		}
		out = append(out, paramChange(path, typeOf(to), k, a, b))
	}
	return out
}

// paramChange classifies a change of one parameter of a field by the table.
func paramChange(path, typ, param string, from, to any) Change {
	c := Change{Path: path, What: param, From: jsonText(from), To: jsonText(to)}
	r, ok := paramRules[param]
	switch {
	case !ok:
		c.Breaking, c.Reason = true, "parameter "+param+" is not known to be updatable on an existing field"
	case r.allows != nil && !r.allows(typ, from, to):
		c.Breaking, c.Reason = true, r.refused
	case r.allows != nil || r.inPlace:
		c.Reason = r.reason
	default:
		c.Breaking, c.Reason = true, r.reason
	}
	return c
}

func compareSettings(from, to map[string]string) []Change {
	var out []Change
	all := map[string]bool{}
	for k := range from {
		all[k] = true
	}
	for k := range to {
		all[k] = true
	}
	names := make([]string, 0, len(all))
	for k := range all {
		if a, b := from[k], to[k]; a != b || hasKey(from, k) != hasKey(to, k) {
			names = append(names, k)
		}
	}
	sort.Strings(names)
	for _, k := range names {
		c := Change{Path: "settings." + k, What: "setting", From: from[k], To: to[k]}
		r := ruleForSetting(k)
		c.Breaking = !r.dynamic
		c.Reason = r.reason
		if r.what != "" {
			c.What = r.what
		}
		if c.Breaking && r.reason == "" {
			c.Reason = "setting " + k + " is not known to be dynamic; it is fixed when the index is created"
		}
		if !c.Breaking && !hasKey(to, k) {
			c.Reason = "the engine resets a dynamic setting to its default"
		}
		out = append(out, c)
	}
	return out
}

func hasKey(m map[string]string, k string) bool { _, ok := m[k]; return ok }

// keys are the keys of a and b, sorted.
func keys(a, b map[string]any) []string {
	seen := map[string]bool{}
	var out []string
	for _, m := range []map[string]any{a, b} {
		for k := range m {
			if !seen[k] {
				seen[k] = true
				out = append(out, k)
			}
		}
	}
	sort.Strings(out)
	return out
}

func join(path, name string) string {
	if path == "" {
		return name
	}
	return path + "." + name
}
