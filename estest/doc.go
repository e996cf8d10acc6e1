// Package estest gives Go tests isolated, real Elasticsearch or OpenSearch
// indexes: a unique prefix per test, a demhost host with a temporary
// registry and in-process sources, and cleanup of everything under the
// prefix.
package estest
