package movies

import "encoding/json"

// DefaultIndex is the index name the source provides unless configured.
const DefaultIndex = "movies"

// Mappings is the "mappings" object of the movies index. Only the standard
// analyzer is used, so it works on any Elasticsearch or OpenSearch node
// without extra analysis plugins.
var Mappings = json.RawMessage(`{
  "properties": {
    "title": {
      "type": "text",
      "fields": {"raw": {"type": "keyword", "ignore_above": 256}}
    },
    "year": {"type": "integer"},
    "directors": {
      "type": "keyword",
      "fields": {"text": {"type": "text"}}
    },
    "cast": {
      "type": "keyword",
      "fields": {"text": {"type": "text"}}
    },
    "genres": {"type": "keyword"},
    "runtime_minutes": {"type": "integer"},
    "countries": {"type": "keyword"},
    "languages": {"type": "keyword"},
    "rating": {"type": "keyword"},
    "imdb_id": {"type": "keyword"},
    "summary": {"type": "text"}
  }
}`)

// Settings is the "settings" object of the movies index: one shard and no
// replicas, which suits a single-node development cluster.
var Settings = json.RawMessage(`{"number_of_shards": 1, "number_of_replicas": 0}`)
