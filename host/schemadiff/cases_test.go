package schemadiff

import (
	"fmt"
	"strings"
)

// ruleCase is one change of schema, from what an index was created with to
// a target, and what the classifier must say of it. TestRulesOnEngines
// checks each against both engines; TestEveryRuleHasACase checks that every
// row of the tables in rules.go has one.
type ruleCase struct {
	name string
	// row is the table row the case checks: "root:<param>",
	// "param:<param>" or "setting:<key>" (a key of settingRules); "" for
	// rules that are not table rows (types, new and removed fields).
	row      string
	from, to string
	// docs, when set, are bulk-indexed (NDJSON) before the comparison, so
	// that the engine maps fields dynamically.
	docs    string
	inPlace bool
	// skip names the engines (testenv names) the case is not run on,
	// and why; the test logs it.
	skip map[string]string
}

// field is a schema whose one field f has def, on one shard.
func field(def string) string {
	return `{"mappings":{"properties":{"f":` + def + `}},"settings":{"index":{"number_of_shards":1,"number_of_replicas":0}}}`
}

// fields is a schema with these properties, on one shard.
func fields(p string) string {
	return `{"mappings":{"properties":{` + p + `}},"settings":{"index":{"number_of_shards":1,"number_of_replicas":0}}}`
}

// root is a schema whose mapping has these root parameters besides field f.
func root(params string) string {
	if params != "" {
		params += ","
	}
	return `{"mappings":{` + params + `"properties":{"f":{"type":"keyword"}}},"settings":{"index":{"number_of_shards":1,"number_of_replicas":0}}}`
}

// settings is a schema with index settings kv (flat, below "index."),
// besides one shard and no replica unless kv names them.
func settings(kv string) string {
	base := []string{}
	if !strings.Contains(kv, `"number_of_shards"`) {
		base = append(base, `"number_of_shards":1`)
	}
	if !strings.Contains(kv, `"number_of_replicas"`) {
		base = append(base, `"number_of_replicas":0`)
	}
	if kv != "" {
		base = append(base, kv)
	}
	return `{"mappings":{"properties":{"f":{"type":"keyword"},"n":{"type":"long"}}},"settings":{"index":{` + strings.Join(base, ",") + `}}}`
}

// dynamicSetting is an in-place case of a dynamic setting from a to b.
func dynamicSetting(key, a, b string) ruleCase {
	c := ruleCase{name: key, row: "setting:index." + key, inPlace: true,
		from: settings(fmt.Sprintf(`"%s":%s`, key, a)), to: settings(fmt.Sprintf(`"%s":%s`, key, b))}
	if a == "" {
		c.name, c.from = key+" set", settings("")
	}
	return c
}

const analysis = `"analysis":{"analyzer":{"my":{"type":"custom","tokenizer":"standard","filter":[%s]}}}`

var ruleCases = []ruleCase{
	// Fields.
	{name: "new field", from: fields(`"a":{"type":"keyword"}`), to: fields(`"a":{"type":"keyword"},"b":{"type":"long"}`), inPlace: true},
	{name: "new sub-field", from: field(`{"type":"text"}`), to: field(`{"type":"text","fields":{"raw":{"type":"keyword"}}}`), inPlace: true},
	{name: "new property of an object", from: field(`{"properties":{"a":{"type":"keyword"}}}`),
		to: field(`{"properties":{"a":{"type":"keyword"},"b":{"type":"date"}}}`), inPlace: true},
	{name: "new object", from: fields(`"a":{"type":"keyword"}`), to: fields(`"a":{"type":"keyword"},"o":{"properties":{"x":{"type":"long"}}}`), inPlace: true},
	{name: "new property of a nested field", from: field(`{"type":"nested","properties":{"a":{"type":"keyword"}}}`),
		to: field(`{"type":"nested","properties":{"a":{"type":"keyword"},"b":{"type":"long"}}}`), inPlace: true},
	{name: "type change", from: field(`{"type":"text"}`), to: field(`{"type":"keyword"}`)},
	{name: "numeric type change", from: field(`{"type":"integer"}`), to: field(`{"type":"long"}`)},
	{name: "object to nested", from: field(`{"properties":{"a":{"type":"keyword"}}}`), to: field(`{"type":"nested","properties":{"a":{"type":"keyword"}}}`)},
	{name: "sub-field type change", from: field(`{"type":"text","fields":{"raw":{"type":"keyword"}}}`),
		to: field(`{"type":"text","fields":{"raw":{"type":"long"}}}`)},
	{name: "removed field", from: fields(`"a":{"type":"keyword"},"b":{"type":"long"}`), to: fields(`"a":{"type":"keyword"}`)},
	{name: "removed sub-field", from: field(`{"type":"text","fields":{"raw":{"type":"keyword"}}}`), to: field(`{"type":"text"}`)},
	{name: "new field already mapped dynamically, same type", from: fields(`"a":{"type":"keyword"}`),
		docs: `{"index":{}}` + "\n" + `{"a":"x","extra":"hello"}` + "\n",
		to:   fields(`"a":{"type":"keyword"},"extra":{"type":"text","fields":{"keyword":{"type":"keyword","ignore_above":256}}}`), inPlace: true},
	{name: "new field already mapped dynamically, other type", from: fields(`"a":{"type":"keyword"}`),
		docs: `{"index":{}}` + "\n" + `{"a":"x","extra":"hello"}` + "\n",
		to:   fields(`"a":{"type":"keyword"},"extra":{"type":"long"}`)},

	// Parameters of a field.
	{name: "ignore_above raised", row: "param:ignore_above", from: field(`{"type":"keyword","ignore_above":256}`), to: field(`{"type":"keyword","ignore_above":1024}`), inPlace: true},
	{name: "ignore_above set", row: "param:ignore_above", from: field(`{"type":"keyword"}`), to: field(`{"type":"keyword","ignore_above":64}`), inPlace: true},
	{name: "ignore_above removed", row: "param:ignore_above", from: field(`{"type":"keyword","ignore_above":64}`), to: field(`{"type":"keyword"}`), inPlace: true},
	{name: "ignore_above of a sub-field", row: "param:ignore_above", from: field(`{"type":"text","fields":{"raw":{"type":"keyword","ignore_above":256}}}`),
		to: field(`{"type":"text","fields":{"raw":{"type":"keyword","ignore_above":100}}}`), inPlace: true},
	{name: "search_analyzer", row: "param:search_analyzer", from: field(`{"type":"text","analyzer":"standard","search_analyzer":"standard"}`),
		to: field(`{"type":"text","analyzer":"standard","search_analyzer":"simple"}`), inPlace: true},
	{name: "search_quote_analyzer", row: "param:search_quote_analyzer",
		from: field(`{"type":"text","analyzer":"standard","search_analyzer":"standard","search_quote_analyzer":"standard"}`),
		to:   field(`{"type":"text","analyzer":"standard","search_analyzer":"standard","search_quote_analyzer":"simple"}`), inPlace: true},
	{name: "meta", row: "param:meta", from: field(`{"type":"long","meta":{"unit":"ms"}}`), to: field(`{"type":"long","meta":{"unit":"s"}}`), inPlace: true},
	{name: "ignore_malformed", row: "param:ignore_malformed", from: field(`{"type":"long"}`), to: field(`{"type":"long","ignore_malformed":true}`), inPlace: true},
	{name: "eager_global_ordinals", row: "param:eager_global_ordinals", from: field(`{"type":"keyword"}`), to: field(`{"type":"keyword","eager_global_ordinals":true}`), inPlace: true},
	{name: "dynamic of an object", row: "param:dynamic", from: field(`{"properties":{"a":{"type":"keyword"}}}`),
		to: field(`{"dynamic":"strict","properties":{"a":{"type":"keyword"}}}`), inPlace: true},
	{name: "norms disabled", row: "param:norms", from: field(`{"type":"text"}`), to: field(`{"type":"text","norms":false}`), inPlace: true},
	{name: "norms enabled", row: "param:norms", from: field(`{"type":"text","norms":false}`), to: field(`{"type":"text","norms":true}`)},
	{name: "fielddata enabled", row: "param:fielddata", from: field(`{"type":"text"}`), to: field(`{"type":"text","fielddata":true}`), inPlace: true},
	{name: "fielddata disabled", row: "param:fielddata", from: field(`{"type":"text","fielddata":true}`), to: field(`{"type":"text"}`), inPlace: true},
	{name: "meta removed", row: "param:meta", from: field(`{"type":"long","meta":{"unit":"ms"}}`), to: field(`{"type":"long"}`), inPlace: true},
	{name: "search_analyzer removed", row: "param:search_analyzer", from: field(`{"type":"text","analyzer":"standard","search_analyzer":"simple"}`),
		to: field(`{"type":"text","analyzer":"standard"}`), inPlace: true},
	{name: "ignore_malformed removed", row: "param:ignore_malformed", from: field(`{"type":"long","ignore_malformed":true}`), to: field(`{"type":"long"}`), inPlace: true},
	{name: "norms left out after disabling", row: "param:norms", from: field(`{"type":"text","norms":false}`), to: field(`{"type":"text"}`)},
	{name: "analyzer", row: "param:analyzer", from: field(`{"type":"text","analyzer":"standard"}`), to: field(`{"type":"text","analyzer":"english"}`)},
	{name: "analyzer set", row: "param:analyzer", from: field(`{"type":"text"}`), to: field(`{"type":"text","analyzer":"whitespace"}`)},
	{name: "normalizer", row: "param:normalizer",
		from: `{"mappings":{"properties":{"f":{"type":"keyword"}}},"settings":{"index":{"number_of_shards":1,"number_of_replicas":0,"analysis":{"normalizer":{"low":{"type":"custom","filter":["lowercase"]}}}}}}`,
		to:   `{"mappings":{"properties":{"f":{"type":"keyword","normalizer":"low"}}},"settings":{"index":{"number_of_shards":1,"number_of_replicas":0,"analysis":{"normalizer":{"low":{"type":"custom","filter":["lowercase"]}}}}}}`},
	{name: "index", row: "param:index", from: field(`{"type":"keyword"}`), to: field(`{"type":"keyword","index":false}`)},
	{name: "doc_values", row: "param:doc_values", from: field(`{"type":"keyword"}`), to: field(`{"type":"keyword","doc_values":false}`)},
	{name: "store", row: "param:store", from: field(`{"type":"keyword"}`), to: field(`{"type":"keyword","store":true}`)},
	{name: "format", row: "param:format", from: field(`{"type":"date"}`), to: field(`{"type":"date","format":"yyyy-MM-dd"}`)},
	{name: "null_value", row: "param:null_value", from: field(`{"type":"keyword"}`), to: field(`{"type":"keyword","null_value":"NULL"}`)},
	{name: "copy_to", row: "param:copy_to", from: fields(`"f":{"type":"text"},"all":{"type":"text"}`), to: fields(`"f":{"type":"text","copy_to":"all"},"all":{"type":"text"}`)},
	{name: "similarity", row: "param:similarity", from: field(`{"type":"text"}`), to: field(`{"type":"text","similarity":"boolean"}`)},
	{name: "term_vector", row: "param:term_vector", from: field(`{"type":"text"}`), to: field(`{"type":"text","term_vector":"yes"}`)},
	{name: "index_options", row: "param:index_options", from: field(`{"type":"text"}`), to: field(`{"type":"text","index_options":"freqs"}`)},
	{name: "enabled", row: "param:enabled", from: field(`{"type":"object"}`), to: field(`{"type":"object","enabled":false}`)},
	{name: "scaling_factor", row: "param:scaling_factor", from: field(`{"type":"scaled_float","scaling_factor":10}`), to: field(`{"type":"scaled_float","scaling_factor":100}`),
		skip: map[string]string{"elasticsearch8": "the in-JVM test node has no mapper-extras module, so no scaled_float"}},
	{name: "coerce", row: "param:coerce", from: field(`{"type":"long"}`), to: field(`{"type":"long","coerce":false}`), inPlace: true},
	{name: "boost", row: "param:boost", from: field(`{"type":"keyword"}`), to: field(`{"type":"keyword","boost":2}`)},
	{name: "index_prefixes", row: "param:index_prefixes", from: field(`{"type":"text"}`), to: field(`{"type":"text","index_prefixes":{}}`)},
	{name: "index_phrases", row: "param:index_phrases", from: field(`{"type":"text"}`), to: field(`{"type":"text","index_phrases":true}`)},
	{name: "position_increment_gap", row: "param:position_increment_gap", from: field(`{"type":"text"}`), to: field(`{"type":"text","position_increment_gap":10}`)},

	// Root parameters of the mapping.
	{name: "dynamic strict", row: "root:dynamic", from: root(""), to: root(`"dynamic":"strict"`), inPlace: true},
	{name: "dynamic false", row: "root:dynamic", from: root(`"dynamic":"strict"`), to: root(`"dynamic":false`), inPlace: true},
	{name: "dynamic removed", from: root(`"dynamic":"strict"`), to: root("")},
	{name: "_meta", row: "root:_meta", from: root(`"_meta":{"owner":"a"}`), to: root(`"_meta":{"owner":"b"}`), inPlace: true},
	{name: "dynamic_templates", row: "root:dynamic_templates", from: root(""),
		to: root(`"dynamic_templates":[{"strings":{"match_mapping_type":"string","mapping":{"type":"keyword"}}}]`), inPlace: true},
	{name: "date_detection", row: "root:date_detection", from: root(""), to: root(`"date_detection":false`), inPlace: true},
	{name: "numeric_detection", row: "root:numeric_detection", from: root(""), to: root(`"numeric_detection":true`), inPlace: true},
	{name: "dynamic_date_formats", row: "root:dynamic_date_formats", from: root(""), to: root(`"dynamic_date_formats":["yyyy/MM/dd"]`), inPlace: true},
	{name: "_source disabled", row: "root:_source", from: root(""), to: root(`"_source":{"enabled":false}`),
		skip: map[string]string{"elasticsearch8": "Elasticsearch 8 accepts it on an existing index; demhost still asks for a new version, " +
			"since the documents indexed before keep their _source"}},
	{name: "_routing required", row: "root:_routing", from: root(""), to: root(`"_routing":{"required":true}`)},

	// Settings.
	dynamicSetting("number_of_replicas", "0", "1"),
	dynamicSetting("auto_expand_replicas", "", `"0-1"`),
	dynamicSetting("refresh_interval", `"1s"`, `"30s"`),
	dynamicSetting("max_result_window", "", "20000"),
	dynamicSetting("max_inner_result_window", "", "200"),
	dynamicSetting("max_rescore_window", "", "20000"),
	dynamicSetting("max_docvalue_fields_search", "", "200"),
	dynamicSetting("max_script_fields", "", "64"),
	dynamicSetting("max_ngram_diff", "", "3"),
	dynamicSetting("max_shingle_diff", "", "4"),
	dynamicSetting("max_terms_count", "", "1000"),
	dynamicSetting("max_regex_length", "", "2000"),
	dynamicSetting("highlight.max_analyzed_offset", "", "2000000"),
	dynamicSetting("analyze.max_token_count", "", "20000"),
	dynamicSetting("mapping.total_fields.limit", "", "2000"),
	dynamicSetting("mapping.depth.limit", "", "30"),
	dynamicSetting("mapping.nested_fields.limit", "", "60"),
	dynamicSetting("mapping.nested_objects.limit", "", "20000"),
	dynamicSetting("mapping.field_name_length.limit", "", "200"),
	dynamicSetting("default_pipeline", "", `"_none"`),
	dynamicSetting("final_pipeline", "", `"_none"`),
	dynamicSetting("gc_deletes", "", `"30s"`),
	dynamicSetting("translog.durability", "", `"async"`),
	dynamicSetting("translog.sync_interval", "", `"10s"`),
	dynamicSetting("translog.flush_threshold_size", "", `"256mb"`),
	dynamicSetting("unassigned.node_left.delayed_timeout", "", `"2m"`),
	dynamicSetting("priority", "", "5"),
	dynamicSetting("query.default_field", "", `"f"`),
	dynamicSetting("routing.rebalance.enable", "", `"none"`),
	dynamicSetting("search.idle.after", "", `"60s"`),
	{name: "routing.allocation.total_shards_per_node", row: "setting:index.routing.allocation.", inPlace: true,
		from: settings(""), to: settings(`"routing.allocation.total_shards_per_node":2`)},
	{name: "blocks.read", row: "setting:index.blocks.", inPlace: true,
		from: settings(""), to: settings(`"blocks.read":true`)},
	{name: "search slowlog", row: "setting:index.search.slowlog.", inPlace: true,
		from: settings(""), to: settings(`"search.slowlog.threshold.query.warn":"10s"`)},
	{name: "indexing slowlog", row: "setting:index.indexing.slowlog.", inPlace: true,
		from: settings(""), to: settings(`"indexing.slowlog.threshold.index.warn":"10s"`)},
	{name: "refresh_interval removed", row: "setting:index.refresh_interval", inPlace: true,
		from: settings(`"refresh_interval":"30s"`), to: settings("")},
	{name: "nested and flat settings alike", row: "setting:index.number_of_replicas", inPlace: true,
		from: `{"mappings":{},"settings":{"index.number_of_shards":"1","index.number_of_replicas":"0"}}`,
		to:   `{"mappings":{},"settings":{"number_of_shards":1,"number_of_replicas":1}}`},
	{name: "shard count", row: "setting:index.number_of_shards", from: settings(`"number_of_shards":1`), to: settings(`"number_of_shards":2`)},
	{name: "routing shard count", row: "setting:index.number_of_routing_shards",
		from: settings(`"number_of_routing_shards":2`), to: settings(`"number_of_routing_shards":4`)},
	{name: "codec", row: "setting:index.codec", from: settings(""), to: settings(`"codec":"best_compression"`)},
	{name: "analyzer definition", row: "setting:index.analysis.",
		from: settings(fmt.Sprintf(analysis, `"lowercase"`)), to: settings(fmt.Sprintf(analysis, `"lowercase","asciifolding"`))},
	{name: "new analyzer", row: "setting:index.analysis.",
		from: settings(""), to: settings(fmt.Sprintf(analysis, `"lowercase"`))},
	{name: "similarity settings", row: "setting:index.similarity.",
		from: settings(`"similarity":{"my":{"type":"BM25","b":0.75}}`), to: settings(`"similarity":{"my":{"type":"BM25","b":0.5}}`)},
	{name: "index sort", row: "setting:index.sort.",
		from: settings(`"sort.field":"n","sort.order":"asc"`), to: settings(`"sort.field":"n","sort.order":"desc"`)},
	{name: "check_on_startup", row: "setting:index.shard.check_on_startup", from: settings(""), to: settings(`"shard.check_on_startup":"checksum"`)},
}
