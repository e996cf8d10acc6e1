package engine

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"sort"
	"strings"
)

// This file checks, before an index is created, that the cluster has the
// analysis components its body names. A node without the analysis-common
// module (the in-JVM Elasticsearch nodes from Maven Central) lacks most
// token filters, char filters and tokenizers and the language analyzers;
// the engine's own error at creation names only the first one it meets.
// Each component is tried with _analyze, which accepts inline definitions,
// so a custom analyzer is checked as the index would build it.

// analysisDefs is settings.analysis of an index body.
type analysisDefs struct {
	Analyzer   map[string]json.RawMessage `json:"analyzer"`
	Tokenizer  map[string]json.RawMessage `json:"tokenizer"`
	Filter     map[string]json.RawMessage `json:"filter"`
	CharFilter map[string]json.RawMessage `json:"char_filter"`
	Normalizer map[string]json.RawMessage `json:"normalizer"`
}

// chainDef is a custom analyzer or normalizer, or the type of a built-in
// analyzer with parameters.
type chainDef struct {
	Type       string   `json:"type"`
	Tokenizer  string   `json:"tokenizer"`
	Filter     []string `json:"filter"`
	CharFilter []string `json:"char_filter"`
}

// analysisCheck is one _analyze request and what it checks.
type analysisCheck struct {
	label string
	body  []byte
}

func (a *adapter) MissingAnalysis(ctx context.Context, body []byte) ([]string, error) {
	checks, err := analysisChecks(body)
	if err != nil || len(checks) == 0 {
		return nil, err
	}
	a.probe.mu.Lock()
	defer a.probe.mu.Unlock()
	if a.probe.analysis == nil {
		a.probe.analysis = map[string]string{}
	}
	var missing []string
	for _, c := range checks {
		reason, seen := a.probe.analysis[string(c.body)]
		if !seen {
			if reason, err = a.analysisMissing(ctx, c.body); err != nil {
				return nil, err
			}
			a.probe.analysis[string(c.body)] = reason
		}
		if reason != "" {
			missing = append(missing, c.label+": "+reason)
		}
	}
	return missing, nil
}

// analysisMissing sends one check and returns the engine's reason when it
// lacks a component ("failed to find global filter under [asciifolding]"),
// or "" when it has them all. Any other refusal is left to the creation,
// which reports it whole.
func (a *adapter) analysisMissing(ctx context.Context, body []byte) (string, error) {
	r, err := a.call(ctx, "check analysis", "", func(ctx context.Context) raw {
		return a.c.analyze(ctx, bytes.NewReader(body))
	})
	r.release()
	var ee *Error
	switch {
	case err == nil:
		return "", nil
	case errors.As(err, &ee) && ee.Status == http.StatusBadRequest:
		if strings.Contains(ee.Reason, "failed to find") {
			return ee.Reason, nil
		}
		return "", nil
	}
	return "", err
}

// analysisChecks lists the checks of an index creation body: each custom
// analyzer and normalizer of settings.analysis (its tokenizer, filters and
// char filters, inline when the settings define them), and each analyzer
// that a mapping names and the settings do not define.
func analysisChecks(body []byte) ([]analysisCheck, error) {
	if len(bytes.TrimSpace(body)) == 0 {
		return nil, nil
	}
	var b struct {
		Settings struct {
			Analysis *analysisDefs `json:"analysis"`
			Index    struct {
				Analysis *analysisDefs `json:"analysis"`
			} `json:"index"`
		} `json:"settings"`
		Mappings json.RawMessage `json:"mappings"`
	}
	if err := json.Unmarshal(body, &b); err != nil {
		return nil, &Error{Op: "check analysis", Reason: "index body is not a JSON object: " + err.Error(), Err: ErrRejected}
	}
	defs := b.Settings.Analysis
	if defs == nil {
		defs = b.Settings.Index.Analysis
	}
	if defs == nil {
		defs = &analysisDefs{}
	}
	var checks []analysisCheck
	for _, name := range sortedKeys(defs.Analyzer) {
		var d chainDef
		_ = json.Unmarshal(defs.Analyzer[name], &d)
		if d.Type == "custom" || d.Tokenizer != "" {
			checks = append(checks, analysisCheck{"analyzer " + name, chainBody(d, defs, d.Tokenizer)})
		} else if d.Type != "" {
			checks = append(checks, analysisCheck{"analyzer " + name, namedAnalyzerBody(d.Type)})
		}
	}
	for _, name := range sortedKeys(defs.Normalizer) {
		var d chainDef
		_ = json.Unmarshal(defs.Normalizer[name], &d)
		// A normalizer has no tokenizer; standard is in every engine.
		checks = append(checks, analysisCheck{"normalizer " + name, chainBody(d, defs, "standard")})
	}
	named := map[string]bool{}
	fieldAnalyzers(b.Mappings, named)
	for _, name := range sortedKeys(named) {
		if _, defined := defs.Analyzer[name]; !defined {
			checks = append(checks, analysisCheck{"analyzer " + name, namedAnalyzerBody(name)})
		}
	}
	return checks, nil
}

// chainBody is the _analyze body of a tokenizer, filters and char filters,
// each inline when defs defines it, else by its built-in name.
func chainBody(d chainDef, defs *analysisDefs, tokenizer string) []byte {
	ref := func(name string, m map[string]json.RawMessage) json.RawMessage {
		if def, ok := m[name]; ok {
			return def
		}
		b, _ := json.Marshal(name)
		return b
	}
	refs := func(names []string, m map[string]json.RawMessage) []json.RawMessage {
		out := make([]json.RawMessage, 0, len(names))
		for _, n := range names {
			out = append(out, ref(n, m))
		}
		return out
	}
	req := map[string]any{"text": "demhost", "filter": refs(d.Filter, defs.Filter),
		"char_filter": refs(d.CharFilter, defs.CharFilter)}
	if tokenizer == "" {
		tokenizer = "standard"
	}
	req["tokenizer"] = ref(tokenizer, defs.Tokenizer)
	b, _ := json.Marshal(req)
	return b
}

func namedAnalyzerBody(name string) []byte {
	b, _ := json.Marshal(map[string]string{"analyzer": name, "text": "demhost"})
	return b
}

// fieldAnalyzers adds the analyzers that a mapping's fields name (analyzer,
// search_analyzer, search_quote_analyzer), through properties and
// multi-fields at any depth.
func fieldAnalyzers(mapping json.RawMessage, into map[string]bool) {
	var m struct {
		Properties map[string]json.RawMessage `json:"properties"`
		Fields     map[string]json.RawMessage `json:"fields"`
		Analyzer   string                     `json:"analyzer"`
		Search     string                     `json:"search_analyzer"`
		Quote      string                     `json:"search_quote_analyzer"`
	}
	if len(mapping) == 0 || json.Unmarshal(mapping, &m) != nil {
		return
	}
	for _, n := range []string{m.Analyzer, m.Search, m.Quote} {
		if n != "" {
			into[n] = true
		}
	}
	for _, sub := range m.Properties {
		fieldAnalyzers(sub, into)
	}
	for _, sub := range m.Fields {
		fieldAnalyzers(sub, into)
	}
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
