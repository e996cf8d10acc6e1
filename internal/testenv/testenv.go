// Package testenv finds the real services that demhost's own integration
// tests run against: the Elasticsearch and OpenSearch nodes and the Postgres
// from `make services`. A test whose service is missing skips with a message
// that says how to start it; when CI or DEMHOST_TEST_REQUIRE_ENGINE is set it
// fails instead.
package testenv

import (
	"context"
	"net"
	"net/http"
	"net/url"
	"os"
	"sync"
	"testing"
	"time"
)

const (
	// DefaultES is where `make services` runs Elasticsearch.
	DefaultES = "http://127.0.0.1:9200"
	// DefaultOS is where `make services` runs OpenSearch.
	DefaultOS = "http://127.0.0.1:9201"
	// DefaultOS3 is where `make services` runs OpenSearch 3.
	DefaultOS3 = "http://127.0.0.1:9202"
	// DefaultES8 is where `make services` runs Elasticsearch 8 (in one JVM,
	// without the rest-root, reindex and analysis-common modules).
	DefaultES8 = "http://127.0.0.1:9204"
	// DefaultPostgres is the DSN of the Postgres from `make services`.
	DefaultPostgres = "postgres://demhost:demhost@127.0.0.1:5432/demhost?sslmode=disable"
)

// Engine is one real engine to run a suite against.
type Engine struct {
	// Name is "elasticsearch" or "opensearch" for the nodes of Engines, and
	// "opensearch3" or "elasticsearch8" for the others of AllEngines: use
	// it as the subtest name.
	Name string
	URL  string
	// Kind is "elasticsearch" or "opensearch", the engine.Kind its adapter is.
	Kind string
}

// serviceURL returns the variable key (default def), or skips the test
// (fails it under CI) when what does not answer there.
func serviceURL(t testing.TB, key, def, what string) string {
	t.Helper()
	u := envOr(key, def)
	if !reachable(u) {
		missing(t, what+" at "+u, "run `make services` or set "+key)
	}
	return u
}

// Required reports whether a missing service must fail the test.
func Required() bool {
	return os.Getenv("CI") != "" || os.Getenv("DEMHOST_TEST_REQUIRE_ENGINE") == "1"
}

func missing(t testing.TB, what, how string) {
	t.Helper()
	if Required() {
		t.Fatalf("%s is not reachable and CI requires it: %s", what, how)
	}
	t.Skipf("%s is not reachable; %s", what, how)
}

var (
	probeMu sync.Mutex
	probed  = map[string]bool{}
)

func reachable(u string) bool {
	probeMu.Lock()
	defer probeMu.Unlock()
	if ok, seen := probed[u]; seen {
		return ok
	}
	ok := false
	if pu, err := url.Parse(u); err == nil {
		switch pu.Scheme {
		case "http", "https":
			c := http.Client{Timeout: 3 * time.Second}
			if resp, err := c.Get(u); err == nil {
				resp.Body.Close()
				ok = resp.StatusCode < 500
			}
		default: // postgres
			if conn, err := net.DialTimeout("tcp", pu.Host, 2*time.Second); err == nil {
				conn.Close()
				ok = true
			}
		}
	}
	probed[u] = ok
	return ok
}

func envOr(key, def string) string {
	if v := os.Getenv(key); v != "" {
		return v
	}
	return def
}

// ElasticsearchURL returns DEMHOST_TEST_ES_URL (default DefaultES), or
// skips/fails the test when it does not answer.
func ElasticsearchURL(t testing.TB) string {
	t.Helper()
	return serviceURL(t, "DEMHOST_TEST_ES_URL", DefaultES, "Elasticsearch")
}

// OpenSearchURL returns DEMHOST_TEST_OS_URL (default DefaultOS), or
// skips/fails the test when it does not answer.
func OpenSearchURL(t testing.TB) string {
	t.Helper()
	return serviceURL(t, "DEMHOST_TEST_OS_URL", DefaultOS, "OpenSearch")
}

// OpenSearch3URL returns DEMHOST_TEST_OS3_URL (default DefaultOS3), or
// skips/fails the test when it does not answer.
func OpenSearch3URL(t testing.TB) string {
	t.Helper()
	return serviceURL(t, "DEMHOST_TEST_OS3_URL", DefaultOS3, "OpenSearch 3")
}

// Elasticsearch8URL returns DEMHOST_TEST_ES8_URL (default DefaultES8), or
// skips/fails the test when it does not answer.
func Elasticsearch8URL(t testing.TB) string {
	t.Helper()
	return serviceURL(t, "DEMHOST_TEST_ES8_URL", DefaultES8, "Elasticsearch 8")
}

// Engines returns the two main engines, Elasticsearch 7.17 and OpenSearch
// 2.19. Run a suite once per engine with t.Run(e.Name, …) so the engine
// shows in each test's name.
func Engines(t testing.TB) []Engine {
	t.Helper()
	return []Engine{
		{Name: "elasticsearch", URL: ElasticsearchURL(t), Kind: "elasticsearch"},
		{Name: "opensearch", URL: OpenSearchURL(t), Kind: "opensearch"},
	}
}

// AllEngines returns Engines plus OpenSearch 3 and Elasticsearch 8, for
// the suites that every engine demhost supports must pass (the adapter's
// conformance suite, the seed flow).
func AllEngines(t testing.TB) []Engine {
	t.Helper()
	return append(Engines(t),
		Engine{Name: "opensearch3", URL: OpenSearch3URL(t), Kind: "opensearch"},
		Engine{Name: "elasticsearch8", URL: Elasticsearch8URL(t), Kind: "elasticsearch"})
}

// PostgresDSN returns DEMHOST_TEST_PG_DSN (default DefaultPostgres), or
// skips/fails the test when the server does not answer.
func PostgresDSN(t testing.TB) string {
	t.Helper()
	return serviceURL(t, "DEMHOST_TEST_PG_DSN", DefaultPostgres, "Postgres")
}

// Context returns a context that ends with the test (or after 5 minutes).
func Context(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	t.Cleanup(cancel)
	return ctx
}
