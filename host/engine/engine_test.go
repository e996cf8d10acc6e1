package engine_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/demhost/demhost/host/engine"
	"github.com/demhost/demhost/internal/testenv"
)

// recorder passes requests to a real transport and remembers them, so a
// test can say how many requests an operation sent, and which.
type recorder struct {
	mu   sync.Mutex
	next http.RoundTripper
	reqs []string // "METHOD /path"
}

func (r *recorder) RoundTrip(req *http.Request) (*http.Response, error) {
	r.mu.Lock()
	r.reqs = append(r.reqs, req.Method+" "+req.URL.Path)
	r.mu.Unlock()
	return r.next.RoundTrip(req)
}

// since returns the requests sent after the n-th.
func (r *recorder) since(n int) []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.reqs[n:])
}

func (r *recorder) count() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.reqs)
}

// suite is one engine under test with a private index prefix.
type suite struct {
	eng    engine.Engine
	rec    *recorder
	prefix string
	kind   engine.Kind
	url    string
}

func newSuite(t *testing.T, te testenv.Engine) *suite {
	t.Helper()
	rec := &recorder{next: http.DefaultTransport}
	eng, err := engine.Open(testenv.Context(t), engine.Config{URLs: []string{te.URL}, Transport: rec})
	if err != nil {
		t.Fatalf("open %s: %v", te.URL, err)
	}
	b := make([]byte, 3)
	_, _ = rand.Read(b)
	// The prefix holds "_all" on purpose: only the whole word _all means
	// every index, and a prefix such as flt_all_ is valid.
	s := &suite{eng: eng, rec: rec, prefix: "t" + hex.EncodeToString(b) + "_all_", kind: engine.Kind(te.Name), url: te.URL}
	t.Cleanup(func() {
		ctx := context.Background()
		stats, err := eng.ListIndices(ctx, s.prefix)
		if err != nil {
			t.Logf("cleanup list %s: %v", s.prefix, err)
			return
		}
		for _, st := range stats {
			if err := eng.DeleteIndices(ctx, st.Name); err != nil {
				t.Logf("cleanup: %v", err)
			}
		}
	})
	return s
}

// create makes prefix+name with body and returns the full name.
func (s *suite) create(t *testing.T, name, body string) string {
	t.Helper()
	full := s.prefix + name
	if err := s.eng.CreateIndex(testenv.Context(t), full, []byte(body)); err != nil {
		t.Fatalf("create %s: %v", full, err)
	}
	return full
}

// fill bulk-indexes n docs {"n":i,"even":bool} with ids "0".."n-1".
func (s *suite) fill(t *testing.T, index string, n int) {
	t.Helper()
	var b strings.Builder
	for i := range n {
		fmt.Fprintf(&b, "{\"index\":{\"_id\":\"%d\"}}\n{\"n\":%d,\"even\":%t}\n", i, i, i%2 == 0)
	}
	ctx := testenv.Context(t)
	res, err := s.eng.Bulk(ctx, index, []byte(b.String()))
	if err != nil || len(res.Failures) > 0 {
		t.Fatalf("fill %s: %v %+v", index, err, res.Failures)
	}
	if err := s.eng.Refresh(ctx, index); err != nil {
		t.Fatalf("refresh %s: %v", index, err)
	}
}

func (s *suite) count(t *testing.T, index string) int64 {
	t.Helper()
	n, err := s.eng.Count(testenv.Context(t), index)
	if err != nil {
		t.Fatalf("count %s: %v", index, err)
	}
	return n
}

const mapping = `{"settings":{"number_of_shards":1,"number_of_replicas":0},
 "mappings":{"properties":{"n":{"type":"long"},"even":{"type":"boolean"}}}}`

func TestEngines(t *testing.T) {
	for _, te := range testenv.Engines(t) {
		t.Run(te.Name, func(t *testing.T) {
			t.Parallel()
			s := newSuite(t, te)
			for _, c := range suiteCases {
				t.Run(c.name, func(t *testing.T) { c.run(t, s) })
			}
		})
	}
}

var suiteCases = []struct {
	name string
	run  func(t *testing.T, s *suite)
}{
	{"ProbeDetectsKind", testProbe},
	{"ExplicitKind", testExplicitKind},
	{"CreateTwiceAlreadyExists", testCreateTwice},
	{"DeleteMissingNotFound", testDeleteMissing},
	{"BadMappingRejected", testBadMapping},
	{"WildcardDeleteRefusedWithoutRequest", testWildcardDelete},
	{"Exists", testExists},
	{"BulkOneBadDoc", testBulkOneBadDoc},
	{"BulkNoErrors", testBulkNoErrors},
	{"SwapAlias", testSwapAlias},
	{"DeleteAlias", testDeleteAlias},
	{"Reindex", testReindex},
	{"DeleteByQuery", testDeleteByQuery},
	{"SettingsRoundTrip", testSettings},
	{"ListUnderPrefix", testList},
	{"MissingIndexNotFound", testMissing},
}

func testProbe(t *testing.T, s *suite) {
	ctx := testenv.Context(t)
	info, err := engine.Probe(ctx, engine.Config{URLs: []string{s.url}})
	if err != nil {
		t.Fatal(err)
	}
	if info.Kind != s.kind || info.Version == "" || info.ClusterName == "" || info.URL != s.url {
		t.Errorf("probe = %+v, want kind %s with version, cluster name and url %s", info, s.kind, s.url)
	}
	got, err := s.eng.Info(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if got.Kind != s.kind || got.Version != info.Version || got.ClusterName != info.ClusterName {
		t.Errorf("Info = %+v, want %+v", got, info)
	}
}

func testExplicitKind(t *testing.T, s *suite) {
	ctx := testenv.Context(t)
	eng, err := engine.Open(ctx, engine.Config{URLs: []string{s.url}, Kind: s.kind})
	if err != nil {
		t.Fatal(err)
	}
	info, err := eng.Info(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if info.Kind != s.kind {
		t.Errorf("Kind = %s, want %s", info.Kind, s.kind)
	}
}

func testCreateTwice(t *testing.T, s *suite) {
	name := s.create(t, "twice", mapping)
	err := s.eng.CreateIndex(testenv.Context(t), name, []byte(mapping))
	if !errors.Is(err, engine.ErrAlreadyExists) {
		t.Fatalf("second create = %v, want ErrAlreadyExists", err)
	}
	var e *engine.Error
	if !errors.As(err, &e) || e.Index != name || e.Type != "resource_already_exists_exception" {
		t.Errorf("error %#v does not name index %s and its type", err, name)
	}
}

func testDeleteMissing(t *testing.T, s *suite) {
	name := s.prefix + "never"
	err := s.eng.DeleteIndices(testenv.Context(t), name)
	if !errors.Is(err, engine.ErrNotFound) || !strings.Contains(err.Error(), name) {
		t.Fatalf("delete missing = %v, want ErrNotFound naming %s", err, name)
	}
}

func testBadMapping(t *testing.T, s *suite) {
	name := s.prefix + "badmap"
	err := s.eng.CreateIndex(testenv.Context(t), name,
		[]byte(`{"mappings":{"properties":{"title":{"type":"nonsense"}}}}`))
	var e *engine.Error
	if !errors.Is(err, engine.ErrRejected) || !errors.As(err, &e) {
		t.Fatalf("bad mapping = %v, want ErrRejected", err)
	}
	if !strings.Contains(e.Reason, "title") || e.Index != name || e.Status != 400 {
		t.Errorf("error = %+v, want reason naming field title, index %s, status 400", e, name)
	}
}

func testWildcardDelete(t *testing.T, s *suite) {
	for _, name := range []string{s.prefix + "*", "_all", s.prefix + "a," + s.prefix + "b", s.prefix + "?", ""} {
		before := s.rec.count()
		err := s.eng.DeleteIndices(testenv.Context(t), s.prefix+"ok", name)
		if !errors.Is(err, engine.ErrRejected) {
			t.Errorf("delete %q = %v, want ErrRejected", name, err)
		}
		if sent := s.rec.since(before); len(sent) != 0 {
			t.Errorf("delete %q sent %v, want nothing", name, sent)
		}
	}
}

func testExists(t *testing.T, s *suite) {
	ctx := testenv.Context(t)
	name := s.create(t, "exists", `{"aliases":{"`+s.prefix+`exists_alias":{}}}`)
	for _, c := range []struct {
		name string
		want bool
	}{{name, true}, {s.prefix + "exists_alias", true}, {s.prefix + "nope", false}} {
		got, err := s.eng.Exists(ctx, c.name)
		if err != nil || got != c.want {
			t.Errorf("Exists(%s) = %v, %v; want %v", c.name, got, err, c.want)
		}
	}
}

func testBulkOneBadDoc(t *testing.T, s *suite) {
	ctx := testenv.Context(t)
	name := s.create(t, "bulkbad", mapping)
	body := `{"index":{"_id":"a"}}
{"n":1}
{"create":{"_id":"b"}}
{"n":"not a number"}
{"index":{"_id":"c"}}
{"n":3}
{"delete":{"_id":"missing"}}
`
	res, err := s.eng.Bulk(ctx, name, []byte(body))
	if err != nil {
		t.Fatal(err)
	}
	if res.Items != 4 || len(res.Failures) != 1 {
		t.Fatalf("result = %+v, want 4 items and one failure", res)
	}
	f := res.Failures[0]
	if f.Position != 1 || f.ID != "b" || f.Status != 400 || f.Type != "mapper_parsing_exception" ||
		f.Index != name || !strings.Contains(f.Reason, "[n]") {
		t.Errorf("failure = %+v, want position 1, id b, 400 mapper_parsing_exception on field n in %s", f, name)
	}
	if err := s.eng.Refresh(ctx, name); err != nil {
		t.Fatal(err)
	}
	if n := s.count(t, name); n != 2 {
		t.Errorf("count = %d, want the 2 good docs", n)
	}
}

func testBulkNoErrors(t *testing.T, s *suite) {
	ctx := testenv.Context(t)
	a, b := s.create(t, "bulka", mapping), s.create(t, "bulkb", mapping)
	// index "" is /_bulk: each action names its index.
	body := fmt.Sprintf("{\"index\":{\"_index\":%q,\"_id\":\"1\"}}\n{\"n\":1}\n{\"index\":{\"_index\":%q}}\n{\"n\":2}\n", a, b)
	res, err := s.eng.Bulk(ctx, "", []byte(body))
	if err != nil || res.Items != 2 || len(res.Failures) != 0 {
		t.Fatalf("Bulk = %+v, %v; want 2 items, no failures", res, err)
	}
	if err := s.eng.Refresh(ctx, a, b); err != nil {
		t.Fatal(err)
	}
	if s.count(t, a) != 1 || s.count(t, b) != 1 {
		t.Errorf("counts %d, %d; want 1, 1", s.count(t, a), s.count(t, b))
	}
}

func testSwapAlias(t *testing.T, s *suite) {
	ctx := testenv.Context(t)
	a, b := s.create(t, "swapa", mapping), s.create(t, "swapb", mapping)
	alias := s.prefix + "swap"
	if err := s.eng.SwapAlias(ctx, alias, a, nil); err != nil {
		t.Fatal(err)
	}
	if got, err := s.eng.GetAlias(ctx, alias); err != nil || !slices.Equal(got, []string{a}) {
		t.Fatalf("GetAlias = %v, %v; want [%s]", got, err, a)
	}
	before := s.rec.count()
	if err := s.eng.SwapAlias(ctx, alias, b, []string{a}); err != nil {
		t.Fatal(err)
	}
	if sent := s.rec.since(before); !slices.Equal(sent, []string{"POST /_aliases"}) {
		t.Errorf("swap sent %v, want one POST /_aliases", sent)
	}
	if got, err := s.eng.GetAlias(ctx, alias); err != nil || !slices.Equal(got, []string{b}) {
		t.Errorf("GetAlias after swap = %v, %v; want [%s]", got, err, b)
	}
	err := s.eng.SwapAlias(ctx, alias, s.prefix+"nope", []string{b})
	if !errors.Is(err, engine.ErrNotFound) {
		t.Errorf("swap to a missing index = %v, want ErrNotFound", err)
	}
	if got, _ := s.eng.GetAlias(ctx, alias); !slices.Equal(got, []string{b}) {
		t.Errorf("a failed swap moved the alias to %v", got)
	}
}

func testDeleteAlias(t *testing.T, s *suite) {
	ctx := testenv.Context(t)
	alias := s.prefix + "delalias"
	name := s.create(t, "delalias_idx", `{"aliases":{"`+alias+`":{}}}`)
	if err := s.eng.DeleteAlias(ctx, name, alias); err != nil {
		t.Fatal(err)
	}
	got, err := s.eng.GetAlias(ctx, alias)
	if err != nil || len(got) != 0 {
		t.Errorf("GetAlias after delete = %v, %v; want none, no error", got, err)
	}
	if err := s.eng.DeleteAlias(ctx, name, alias); !errors.Is(err, engine.ErrNotFound) {
		t.Errorf("delete missing alias = %v, want ErrNotFound", err)
	}
}
