package engine

import (
	"slices"
	"testing"
)

// analysisChecks finds the analysis of a body wherever it may sit:
// settings.analysis or settings.index.analysis, analyzers named by fields,
// multi-fields and nested objects, and custom chains with their parts
// inline when the settings define them.
func TestAnalysisChecks(t *testing.T) {
	body := []byte(`{"settings":{"index":{"number_of_shards":1,"analysis":{
	  "filter":{"fold":{"type":"asciifolding","preserve_original":true}},
	  "analyzer":{"a":{"tokenizer":"whitespace","filter":["fold"],"char_filter":["html_strip"]},"b":{"type":"english"}},
	  "normalizer":{"n":{"type":"custom","filter":["lowercase"]}}}}},
	 "mappings":{"properties":{
	  "t":{"type":"text","analyzer":"a","fields":{"f":{"type":"text","analyzer":"french"}}},
	  "o":{"properties":{"deep":{"type":"text","search_analyzer":"german","search_quote_analyzer":"a"}}}}}}`)
	checks, err := analysisChecks(body)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, c := range checks {
		got = append(got, c.label+" "+string(c.body))
	}
	want := []string{
		`analyzer a {"char_filter":["html_strip"],"filter":[{"type":"asciifolding","preserve_original":true}],"text":"demhost","tokenizer":"whitespace"}`,
		`analyzer b {"analyzer":"english","text":"demhost"}`,
		`normalizer n {"char_filter":[],"filter":["lowercase"],"text":"demhost","tokenizer":"standard"}`,
		`analyzer french {"analyzer":"french","text":"demhost"}`,
		`analyzer german {"analyzer":"german","text":"demhost"}`,
	}
	if !slices.Equal(got, want) {
		t.Errorf("checks =\n%q\nwant\n%q", got, want)
	}
	if checks, err := analysisChecks([]byte(`{"mappings":{"properties":{"n":{"type":"long"}}}}`)); err != nil || len(checks) != 0 {
		t.Errorf("checks of a body without analysis = %v, %v; want none", checks, err)
	}
	if _, err := analysisChecks([]byte(`[1]`)); err == nil {
		t.Error("a body that is not an object passed")
	}
}
