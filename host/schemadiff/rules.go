package schemadiff

import "strings"

// The tables below are what the engines (Elasticsearch 7.17 and later,
// OpenSearch 1.x and later) accept on an existing index. Every row is
// checked by TestRulesOnEngines against Elasticsearch 7.17 and 8 and
// OpenSearch 2 and 3: an in-place row must be accepted by PUT _mapping or
// PUT _settings and read back, and a row that needs a new version must be
// refused (or, for something left out, have no effect). Where one engine
// accepts what the others refuse, the row asks for a new version, and the
// case says which engine. A parameter or setting that no row names needs a
// new version.

// rootRule is what the engine does with a change of a mapping's root
// parameter.
type rootRule struct {
	inPlace bool
	reason  string
}

var rootRules = map[string]rootRule{
	"dynamic":              {true, "the engine updates how unmapped fields are handled; fields mapped before keep their mapping"},
	"_meta":                {true, "the engine replaces the mapping's metadata"},
	"dynamic_templates":    {true, "the engine replaces the dynamic templates; fields mapped before keep their mapping"},
	"date_detection":       {true, "the engine updates how new string fields are detected"},
	"numeric_detection":    {true, "the engine updates how new string fields are detected"},
	"dynamic_date_formats": {true, "the engine updates how new string fields are detected"},
	"_source":              {false, "the engine cannot change what _source keeps on an existing index"},
	"_routing":             {false, "the engine cannot change whether routing is required on an existing index"},
}

// paramRule is what the engine does with a change of one parameter of an
// existing field. A rule with allows is in place only for the changes it
// allows; otherwise refused says why not.
type paramRule struct {
	inPlace bool
	reason  string
	allows  func(typ string, from, to any) bool
	refused string
}

const reindexed = "; documents indexed before keep what was made of them until they are indexed again"

var paramRules = map[string]paramRule{
	"ignore_above":          {inPlace: true, reason: "the engine updates ignore_above" + reindexed},
	"search_analyzer":       {inPlace: true, reason: "the engine updates the search-time analyzer; the indexed terms stay as they are"},
	"search_quote_analyzer": {inPlace: true, reason: "the engine updates the search-time analyzer of phrases; the indexed terms stay as they are"},
	"meta":                  {inPlace: true, reason: "the engine replaces the field's metadata"},
	"ignore_malformed":      {inPlace: true, reason: "the engine updates ignore_malformed for documents indexed from now on"},
	"eager_global_ordinals": {inPlace: true, reason: "the engine updates when global ordinals are loaded"},
	"dynamic":               {inPlace: true, reason: "the engine updates how the object's unmapped fields are handled"},
	"norms": {
		reason:  "the engine disables norms on an existing field (scores change as segments merge)",
		allows:  func(_ string, from, to any) bool { return text(to) == "false" },
		refused: "the engine can disable norms on an existing field but not enable them",
	},
	"fielddata":              {inPlace: true, reason: "the engine updates fielddata loading of a text field"},
	"analyzer":               {reason: "analyzer change: the indexed terms were made by the old analyzer, so the documents must be indexed again into a new index"},
	"normalizer":             {reason: "normalizer change: the indexed terms were made by the old normalizer, so the documents must be indexed again into a new index"},
	"index":                  {reason: "the engine cannot change whether an existing field is indexed"},
	"doc_values":             {reason: "the engine cannot change doc_values of an existing field"},
	"store":                  {reason: "the engine cannot change whether an existing field is stored"},
	"format":                 {reason: "the engine cannot change the date format of an existing field"},
	"null_value":             {reason: "the engine cannot change null_value of an existing field"},
	"copy_to":                {reason: "the engine cannot change copy_to of an existing field"},
	"similarity":             {reason: "the engine cannot change the similarity of an existing field"},
	"term_vector":            {reason: "the engine cannot change term_vector of an existing field"},
	"index_options":          {reason: "the engine cannot change index_options of an existing field"},
	"enabled":                {reason: "the engine cannot enable or disable an existing object"},
	"scaling_factor":         {reason: "the engine cannot change the scaling_factor of an existing field"},
	"coerce":                 {inPlace: true, reason: "the engine updates coerce for documents indexed from now on"},
	"boost":                  {reason: "the engine cannot change the index-time boost of an existing field"},
	"index_prefixes":         {reason: "the engine cannot change index_prefixes of an existing field"},
	"index_phrases":          {reason: "the engine cannot change index_phrases of an existing field"},
	"position_increment_gap": {reason: "the engine cannot change position_increment_gap of an existing field"},
}

// settingRule is what the engine does with a change of one index setting.
type settingRule struct {
	dynamic bool
	what    string // names the change instead of "setting"; "" for "setting"
	reason  string
}

// settingRules match a flat key exactly, or every key under a prefix that
// ends with ".". The longest match wins.
var settingRules = map[string]settingRule{
	"index.number_of_replicas":                   {dynamic: true, reason: "the engine adds or removes replicas of a live index"},
	"index.auto_expand_replicas":                 {dynamic: true, reason: "the engine updates a dynamic setting"},
	"index.refresh_interval":                     {dynamic: true, reason: "the engine updates a dynamic setting"},
	"index.max_result_window":                    {dynamic: true, reason: "the engine updates a dynamic setting"},
	"index.max_inner_result_window":              {dynamic: true, reason: "the engine updates a dynamic setting"},
	"index.max_rescore_window":                   {dynamic: true, reason: "the engine updates a dynamic setting"},
	"index.max_docvalue_fields_search":           {dynamic: true, reason: "the engine updates a dynamic setting"},
	"index.max_script_fields":                    {dynamic: true, reason: "the engine updates a dynamic setting"},
	"index.max_ngram_diff":                       {dynamic: true, reason: "the engine updates a dynamic setting"},
	"index.max_shingle_diff":                     {dynamic: true, reason: "the engine updates a dynamic setting"},
	"index.max_terms_count":                      {dynamic: true, reason: "the engine updates a dynamic setting"},
	"index.max_regex_length":                     {dynamic: true, reason: "the engine updates a dynamic setting"},
	"index.highlight.max_analyzed_offset":        {dynamic: true, reason: "the engine updates a dynamic setting"},
	"index.analyze.max_token_count":              {dynamic: true, reason: "the engine updates a dynamic setting"},
	"index.mapping.total_fields.limit":           {dynamic: true, reason: "the engine updates a dynamic setting"},
	"index.mapping.depth.limit":                  {dynamic: true, reason: "the engine updates a dynamic setting"},
	"index.mapping.nested_fields.limit":          {dynamic: true, reason: "the engine updates a dynamic setting"},
	"index.mapping.nested_objects.limit":         {dynamic: true, reason: "the engine updates a dynamic setting"},
	"index.mapping.field_name_length.limit":      {dynamic: true, reason: "the engine updates a dynamic setting"},
	"index.default_pipeline":                     {dynamic: true, reason: "the engine updates a dynamic setting"},
	"index.final_pipeline":                       {dynamic: true, reason: "the engine updates a dynamic setting"},
	"index.gc_deletes":                           {dynamic: true, reason: "the engine updates a dynamic setting"},
	"index.translog.durability":                  {dynamic: true, reason: "the engine updates a dynamic setting"},
	"index.translog.sync_interval":               {dynamic: true, reason: "the engine updates a dynamic setting"},
	"index.translog.flush_threshold_size":        {dynamic: true, reason: "the engine updates a dynamic setting"},
	"index.unassigned.node_left.delayed_timeout": {dynamic: true, reason: "the engine updates a dynamic setting"},
	"index.priority":                             {dynamic: true, reason: "the engine updates a dynamic setting"},
	"index.query.default_field":                  {dynamic: true, reason: "the engine updates a dynamic setting"},
	"index.routing.allocation.":                  {dynamic: true, reason: "the engine updates a dynamic setting"},
	"index.routing.rebalance.enable":             {dynamic: true, reason: "the engine updates a dynamic setting"},
	"index.blocks.":                              {dynamic: true, reason: "the engine updates a dynamic setting"},
	"index.search.slowlog.":                      {dynamic: true, reason: "the engine updates a dynamic setting"},
	"index.indexing.slowlog.":                    {dynamic: true, reason: "the engine updates a dynamic setting"},
	"index.search.idle.after":                    {dynamic: true, reason: "the engine updates a dynamic setting"},

	"index.number_of_shards":         {what: "shards", reason: "the shard count is fixed when an index is created; a new index with the new count must be filled"},
	"index.number_of_routing_shards": {what: "shards", reason: "the routing shard count is fixed when an index is created"},
	"index.codec":                    {reason: "the codec is a static setting: it changes only on a closed index, and demhost does not close a live index"},
	"index.analysis.":                {what: "analyzer", reason: "analyzer change: analysis settings change only on a closed index, and the indexed terms were made by the old ones, so the documents must be indexed again into a new index"},
	"index.similarity.":              {reason: "similarity settings change only on a closed index"},
	"index.sort.":                    {reason: "index sorting is fixed when an index is created"},
	"index.shard.check_on_startup":   {reason: "a static setting: it changes only on a closed index"},
}

// ruleForSetting returns the rule for a flat setting key: the exact row, or
// the longest prefix row; the zero rule (static) when none matches.
func ruleForSetting(key string) settingRule {
	if r, ok := settingRules[key]; ok {
		return r
	}
	best, found := "", settingRule{}
	for k, r := range settingRules {
		if strings.HasSuffix(k, ".") && strings.HasPrefix(key, k) && len(k) > len(best) {
			best, found = k, r
		}
	}
	return found
}
