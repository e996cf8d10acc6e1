// Package bench is the side-by-side bulk indexing benchmark behind
// `make bench`. It measures demhost's update against the code a user would
// otherwise write: go-elasticsearch's esutil.BulkIndexer (opensearchutil on
// OpenSearch), the Python client's helpers.parallel_bulk, and a ceiling that
// posts prebuilt NDJSON bodies from memory with net/http.
//
// Every contender indexes the same corpus, a file of N generated movies
// serialized once, into a fresh index with the same mapping, one shard and
// no replicas, with the same workers and bulk size. Each contender except
// demhost runs as a subprocess of the bench program, so its wall time, CPU
// and peak RSS are its own. The figures are reported as median, min and max
// over the counted rounds, next to the targets; a target is printed,
// never asserted.
package bench
