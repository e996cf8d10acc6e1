// Package estest gives Go tests isolated, real Elasticsearch or OpenSearch
// indexes: a unique prefix per test, a demhost host with a temporary
// registry and in-process sources, and cleanup of everything under the
// prefix.
//
// A test calls New, which finds the engine in this order:
//
//  1. WithEngineURL, else DEMHOST_TEST_ENGINE_URL (Elasticsearch or
//     OpenSearch, probed);
//  2. else, when a Docker engine answers, a container of
//     DEMHOST_TEST_ENGINE_IMAGE (default DefaultImage) started once per test
//     binary through dockertest, removed by Main or Run from TestMain
//     (DEMHOST_TEST_DOCKER=0 forbids this);
//  3. else the test skips, saying how to provide an engine.
//
// When CI is set or DEMHOST_TEST_REQUIRE_ENGINE=1, a missing engine fails
// the test instead.
//
// Every index and alias whose name starts with Env.Prefix is the test's;
// t.Cleanup deletes them by explicit name, also after a failure. Parallel
// tests and subtests get different prefixes, so they never see each other's
// indexes.
//
// A prefix starts with the base prefix of WithBasePrefix or
// DEMHOST_TEST_PREFIX (none by default) and records when it was made. A
// test binary that is killed never runs its cleanups, so the first New of
// each process removes the indexes and aliases of estest prefixes under
// the same base that are older than WithSweepAge or
// DEMHOST_TEST_SWEEP_AGE (1h by default).
package estest
