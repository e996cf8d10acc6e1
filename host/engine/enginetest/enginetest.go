// Package enginetest is the conformance suite that every engine.Engine
// must pass: the Elasticsearch and OpenSearch adapters, and any adapter or
// stand-in written later. It checks behaviour through the interface only,
// against a real cluster, as golang-migrate's database/testing does for its
// drivers.
//
// A test of an adapter is a few lines:
//
//	func TestElasticsearch(t *testing.T) {
//		url := testenv.ElasticsearchURL(t)
//		enginetest.Run(t, func(t *testing.T) engine.Engine {
//			return open(t, url, engine.Elasticsearch)
//		}, enginetest.Options{Kind: engine.Elasticsearch})
//	}
//
// Every case creates its indices under its own random prefix (which holds
// "_all" on purpose, as a user's "flt_all_" may) and deletes them, one
// explicit name at a time, when it ends. Names that would address more
// than they say (_all, wildcards, lists) are only ever sent with a context
// that is already cancelled, so an adapter that fails to refuse them
// cannot reach the cluster.
package enginetest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/demhost/demhost/host/engine"
)

// Options tunes the suite. The zero value checks everything that does not
// depend on the engine's kind.
type Options struct {
	// Kind is what Info must report. Default: "", not checked.
	Kind engine.Kind
	// Prefix starts the name of every index the suite creates, before a
	// random part of each case. It must be a valid start of an index name.
	// Default: "enginetest_".
	Prefix string
}

// Run runs every case of the suite as a parallel subtest of t. newEngine
// is called once per case, possibly from several goroutines at once, and
// returns an engine on the cluster under test; it fails t if it cannot.
func Run(t *testing.T, newEngine func(t *testing.T) engine.Engine, opts Options) {
	t.Helper()
	if opts.Prefix == "" {
		opts.Prefix = "enginetest_"
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			c.run(t, newEnv(t, newEngine(t), opts))
		})
	}
}

var cases = []struct {
	name string
	run  func(t *testing.T, e *env)
}{
	{"Info", testInfo},
	{"CreateIndex", testCreateIndex},
	{"CreateIndexTwice", testCreateTwice},
	{"CreateIndexBadMapping", testBadMapping},
	{"DeleteIndices", testDeleteIndices},
	{"DeleteIndicesMissing", testDeleteMissing},
	{"RefusedNames", testRefusedNames},
	{"Exists", testExists},
	{"ListIndices", testListIndices},
	{"GetAlias", testGetAlias},
	{"SwapAlias", testSwapAlias},
	{"DeleteAlias", testDeleteAlias},
	{"BulkItemFailures", testBulkItemFailures},
	{"BulkNoErrors", testBulkNoErrors},
	{"RefreshAndCount", testRefreshAndCount},
	{"CountQuery", testCountQuery},
	{"DeleteByQuery", testDeleteByQuery},
	{"Settings", testSettings},
	{"Health", testHealth},
	{"Mapping", testMapping},
	{"Reindex", testReindex},
	{"ReindexPartialFailure", testReindexPartialFailure},
	{"CopyAndDeleteKeepRouting", testCopyAndDeleteKeepRouting},
	{"MissingIndexNotFound", testMissing},
	{"CancelledContext", testCancelledContext},
}

// env is one case's engine and index prefix.
type env struct {
	t      *testing.T
	eng    engine.Engine
	prefix string
	kind   engine.Kind // what Info must say, or "" for anything
}

func newEnv(t *testing.T, eng engine.Engine, opts Options) *env {
	t.Helper()
	b := make([]byte, 4)
	_, _ = rand.Read(b)
	e := &env{t: t, eng: eng, prefix: opts.Prefix + hex.EncodeToString(b) + "_all_", kind: opts.Kind}
	t.Cleanup(e.cleanup)
	return e
}

// cleanup deletes every index under the case's prefix, each by its name.
// t.Context has ended by now, so it uses a context of its own.
func (e *env) cleanup() {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	stats, err := e.eng.ListIndices(ctx, e.prefix)
	if err != nil {
		e.t.Errorf("cleanup: list %s: %v", e.prefix, err)
		return
	}
	for _, st := range stats {
		if !strings.HasPrefix(st.Name, e.prefix) {
			e.t.Errorf("cleanup: ListIndices(%s) returned %s", e.prefix, st.Name)
			continue
		}
		if err := e.eng.DeleteIndices(ctx, st.Name); err != nil && !errors.Is(err, engine.ErrNotFound) {
			e.t.Errorf("cleanup: %v", err)
		}
	}
}

// name is the full name of the case's index or alias called short.
func (e *env) name(short string) string { return e.prefix + short }

// create makes the index called short with body and returns its name.
func (e *env) create(short, body string) string {
	e.t.Helper()
	full := e.name(short)
	e.must(e.eng.CreateIndex(e.t.Context(), full, []byte(body)), "create %s", full)
	return full
}

// fill bulk-indexes n documents {"n":i,"even":bool} with ids "0".."n-1"
// and refreshes the index.
func (e *env) fill(index string, n int) {
	e.t.Helper()
	var b strings.Builder
	for i := range n {
		fmt.Fprintf(&b, "{\"index\":{\"_id\":\"%d\"}}\n{\"n\":%d,\"even\":%t}\n", i, i, i%2 == 0)
	}
	e.bulk(index, b.String())
}

// bulk posts body to index, wants no failure, and refreshes the index.
func (e *env) bulk(index, body string) {
	e.t.Helper()
	ctx := e.t.Context()
	res, err := e.eng.Bulk(ctx, index, []byte(body))
	if err != nil || len(res.Failures) > 0 {
		e.t.Fatalf("bulk into %s: %v %+v", index, err, res.Failures)
	}
	e.refresh(index)
}

// must fails the case when err is set, saying what failed.
func (e *env) must(err error, what string, args ...any) {
	e.t.Helper()
	if err != nil {
		e.t.Fatalf("%s: %v", fmt.Sprintf(what, args...), err)
	}
}

func (e *env) refresh(indices ...string) {
	e.t.Helper()
	e.must(e.eng.Refresh(e.t.Context(), indices...), "refresh %v", indices)
}

func (e *env) count(index string) int64 {
	e.t.Helper()
	n, err := e.eng.Count(e.t.Context(), index)
	e.must(err, "count %s", index)
	return n
}

func (e *env) exists(name string) bool {
	e.t.Helper()
	ok, err := e.eng.Exists(e.t.Context(), name)
	e.must(err, "exists %s", name)
	return ok
}

// mapping is one shard, no replica (green on one node), two fields.
const mapping = `{"settings":{"number_of_shards":1,"number_of_replicas":0},
 "mappings":{"properties":{"n":{"type":"long"},"even":{"type":"boolean"}}}}`

// wantEngineError checks that err wraps sentinel, is an *engine.Error and
// names index; it returns the *engine.Error for further checks.
func wantEngineError(t *testing.T, what string, err, sentinel error, index string) *engine.Error {
	t.Helper()
	var ee *engine.Error
	if !errors.Is(err, sentinel) || !errors.As(err, &ee) {
		t.Errorf("%s = %v, want an *engine.Error wrapping %v", what, err, sentinel)
		return nil
	}
	if !strings.Contains(err.Error(), index) {
		t.Errorf("%s = %v, want it to name %s", what, err, index)
	}
	return ee
}
