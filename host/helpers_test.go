package host_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"hash/fnv"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/demhost/demhost/host"
	"github.com/demhost/demhost/host/engine"
	"github.com/demhost/demhost/internal/testenv"
	sdk "github.com/demhost/demhost/plugin-sdk"
	"github.com/demhost/demhost/registry"
)

// testDoc is one document of a testSource.
type testDoc struct {
	id      string
	source  string
	updated time.Time
	del     bool
}

// testSource is a small in-process source with every capability.
type testSource struct {
	index    string
	mu       sync.Mutex
	mapping  string
	settings string
	docs     []testDoc
	// onWrite, when set, is called after the n-th document written by a
	// stream (counting from 1) with that n.
	onWrite func(n int)
	written int
	// asked records the partitions streams asked for, "k/n", in order.
	asked []string
}

func newTestSource(index string, n int) *testSource {
	s := &testSource{
		index:    index,
		mapping:  `{"properties":{"title":{"type":"text"},"year":{"type":"integer"},"updated":{"type":"date"}}}`,
		settings: `{"number_of_shards":1,"number_of_replicas":0}`,
	}
	s.add(n, time.Now().Add(-time.Hour))
	return s
}

// add appends n documents updated at t.
func (s *testSource) add(n int, t time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	base := len(s.docs)
	for i := range n {
		id := fmt.Sprintf("doc-%d", base+i)
		s.docs = append(s.docs, testDoc{id: id, updated: t,
			source: fmt.Sprintf(`{"title":"Film %d","year":%d,"updated":%q}`, base+i, 1950+(base+i)%70, t.UTC().Format(time.RFC3339Nano))})
	}
}

func (s *testSource) addRaw(id, source string, t time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.docs = append(s.docs, testDoc{id: id, source: source, updated: t})
}

func (s *testSource) setMapping(m string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.mapping = m
}

func (s *testSource) Configure(context.Context, *sdk.ConfigureRequest) (*sdk.ConfigureResponse, error) {
	return &sdk.ConfigureResponse{}, nil
}

func (s *testSource) Describe(context.Context, *sdk.DescribeRequest) (*sdk.DescribeResponse, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return &sdk.DescribeResponse{Indexes: []sdk.IndexSpec{{
		Name: s.index, Mappings: json.RawMessage(s.mapping), Settings: json.RawMessage(s.settings),
		Capabilities: sdk.Capabilities{Partitions: true, Since: true, Deletes: true},
	}}}, nil
}

func (s *testSource) Stream(ctx context.Context, req *sdk.StreamRequest, w sdk.Writer) error {
	s.mu.Lock()
	s.asked = append(s.asked, fmt.Sprintf("%d/%d", req.Partition, req.Partitions))
	docs := append([]testDoc(nil), s.docs...)
	s.mu.Unlock()
	for _, d := range docs {
		h := fnv.New32a()
		h.Write([]byte(d.id))
		if int(h.Sum32()%uint32(req.Partitions)) != req.Partition {
			continue
		}
		if !req.Since.IsZero() && d.updated.Before(req.Since) {
			continue
		}
		doc := sdk.Doc{ID: d.id, Source: []byte(d.source)}
		if d.del {
			doc = sdk.Doc{ID: d.id, Op: sdk.OpDelete}
		}
		if err := w.Write(doc); err != nil {
			return err
		}
		if s.onWrite != nil {
			s.mu.Lock()
			s.written++
			n := s.written
			s.mu.Unlock()
			s.onWrite(n)
		}
	}
	return nil
}

// fixture is a host against a real engine and registry, with its own prefix.
type fixture struct {
	t   *testing.T
	ctx context.Context
	h   *host.Host
	eng engine.Engine
	reg *registry.Registry
	env string
}

// randomPrefix returns "t" + 6 random hex digits + "_".
func randomPrefix(t testing.TB) string {
	var b [3]byte
	if _, err := rand.Read(b[:]); err != nil {
		t.Fatal(err)
	}
	return "t" + hex.EncodeToString(b[:]) + "_"
}

// eachEngine runs fn in a parallel subtest for each test engine, the test
// itself running in parallel with others.
func eachEngine(t *testing.T, fn func(t *testing.T, e testenv.Engine)) {
	t.Helper()
	t.Parallel()
	for _, e := range testenv.Engines(t) {
		t.Run(e.Name, func(t *testing.T) {
			t.Parallel()
			fn(t, e)
		})
	}
}

func openEngine(t *testing.T, url string) engine.Engine {
	t.Helper()
	eng, err := engine.Open(testenv.Context(t), engine.Config{URLs: []string{url}})
	if err != nil {
		t.Fatalf("open engine %s: %v", url, err)
	}
	return eng
}

func openSQLite(t *testing.T) *registry.Registry {
	t.Helper()
	reg, err := registry.Open(context.Background(), filepath.Join(t.TempDir(), "registry.db"))
	if err != nil {
		t.Fatalf("open registry: %v", err)
	}
	t.Cleanup(func() { reg.Close() })
	return reg
}

// newFixture builds a host with a fresh prefix; every index under that
// prefix is deleted, by explicit name, when the test ends.
func newFixture(t *testing.T, eng engine.Engine, reg *registry.Registry, bulk host.BulkConfig, srcs ...sdk.Source) *fixture {
	t.Helper()
	ctx := testenv.Context(t)
	env := randomPrefix(t)
	var sources []host.Source
	for _, s := range srcs {
		l := sdk.NewLocal("test", s)
		if _, err := l.Configure(ctx, &sdk.ConfigureRequest{}); err != nil {
			t.Fatal(err)
		}
		sources = append(sources, l)
	}
	h, err := host.New(ctx, host.Options{
		Env: env, CodebaseID: "test-1", Registry: reg, Engine: eng, Sources: sources, Bulk: bulk,
		ProgressInterval: 50 * time.Millisecond,
	})
	if err != nil {
		t.Fatalf("new host: %v", err)
	}
	t.Cleanup(func() { cleanupPrefix(t, eng, env) })
	return &fixture{t: t, ctx: ctx, h: h, eng: eng, reg: reg, env: env}
}

func cleanupPrefix(t *testing.T, eng engine.Engine, env string) {
	ctx := context.Background()
	stats, err := eng.ListIndices(ctx, env)
	if err != nil {
		t.Logf("cleanup: list %s: %v", env, err)
		return
	}
	for _, s := range stats {
		if len(s.Name) > len(env) && s.Name[:len(env)] == env {
			if err := eng.DeleteIndices(ctx, s.Name); err != nil {
				t.Logf("cleanup: delete %s: %v", s.Name, err)
			}
		}
	}
}

// count returns the documents in a physical index or alias.
func (f *fixture) count(name string) int64 {
	f.t.Helper()
	if err := f.eng.Refresh(f.ctx, name); err != nil {
		f.t.Fatalf("refresh %s: %v", name, err)
	}
	n, err := f.eng.Count(f.ctx, name)
	if err != nil {
		f.t.Fatalf("count %s: %v", name, err)
	}
	return n
}

func (f *fixture) alias(index string) []string {
	f.t.Helper()
	got, err := f.eng.GetAlias(f.ctx, f.h.Alias(index))
	if err != nil {
		f.t.Fatalf("get alias: %v", err)
	}
	return got
}

func (f *fixture) one(rs []host.Result, err error) host.Result {
	t := f.t
	t.Helper()
	if err != nil {
		t.Fatalf("action: %v", err)
	}
	if len(rs) != 1 {
		t.Fatalf("got %d results, want 1: %+v", len(rs), rs)
	}
	return rs[0]
}
