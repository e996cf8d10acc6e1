package host

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/demhost/demhost/host/engine"
	sdk "github.com/demhost/demhost/plugin-sdk"
)

// fakeBulk is a bulker whose Bulk follows a script; only the retry
// logic's unit tests use it, everything else runs on real engines.
type fakeBulk struct {
	mu       sync.Mutex
	calls    int
	requests [][]string // the ids of each request
	seen     map[string]int
	// wholeBusy makes the first n requests fail as a whole with 429.
	wholeBusy int
	// itemBusy makes an id come back 429 this many times.
	itemBusy map[string]int
	// bad ids fail for good.
	bad map[string]bool
	// itemFail makes an id fail this many times with its failure (a lost
	// shard's 503, a transport error); 0 times or more fails it always.
	itemFail map[string]failTimes
	// fatal, when set, is returned for every request.
	fatal error
}

var _ bulker = (*fakeBulk)(nil)

func ids(body []byte) ([]string, []bool) {
	var out []string
	var del []bool
	sc := bufio.NewScanner(bytes.NewReader(body))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var action map[string]struct {
			ID string `json:"_id"`
		}
		if err := json.Unmarshal(sc.Bytes(), &action); err != nil {
			panic(err)
		}
		if a, ok := action["delete"]; ok {
			out, del = append(out, a.ID), append(del, true)
			continue
		}
		out, del = append(out, action["index"].ID), append(del, false)
		sc.Scan() // the source line
	}
	return out, del
}

func (f *fakeBulk) Bulk(ctx context.Context, index string, body []byte) (engine.BulkResult, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls++
	if f.fatal != nil {
		return engine.BulkResult{}, f.fatal
	}
	if f.wholeBusy > 0 {
		f.wholeBusy--
		return engine.BulkResult{}, &engine.Error{Op: "bulk", Index: index, Status: 429, Err: engine.ErrTooManyRequests}
	}
	got, _ := ids(body)
	f.requests = append(f.requests, got)
	res := engine.BulkResult{Items: len(got)}
	for i, id := range got {
		if f.seen == nil {
			f.seen = map[string]int{}
		}
		f.seen[id]++
		switch {
		case f.bad[id]:
			res.Failures = append(res.Failures, engine.BulkItemFailure{Position: i, ID: id, Status: 400,
				Type: "mapper_parsing_exception", Reason: "failed to parse field [year]"})
		case f.itemFail[id].fails(f.seen[id]):
			ff := f.itemFail[id].f
			ff.Position, ff.ID = i, id
			res.Failures = append(res.Failures, ff)
		case f.seen[id] <= f.itemBusy[id]:
			res.Failures = append(res.Failures, engine.BulkItemFailure{Position: i, ID: id, Status: 429,
				Type: "es_rejected_execution_exception", Reason: "queue full"})
		}
	}
	return res, nil
}

// genSource streams n documents per stream of the host, in batches of
// batch: with several streams, a stream's n are spread over its
// subPartitions partitions, as a real source's would be.
type genSource struct {
	n, batch int
	del      func(i int) bool
	fail     error // returned after the documents
}

func (g *genSource) Name() string { return "gen" }

func (g *genSource) Describe(context.Context, *sdk.DescribeRequest) (*sdk.DescribeResponse, error) {
	return &sdk.DescribeResponse{}, nil
}

func (g *genSource) Stream(ctx context.Context, req *sdk.StreamRequest, fn func(*sdk.Batch) error) error {
	src := []byte(`{"title":"The Third Man","year":1949,"directors":["Carol Reed"],"cast":["Joseph Cotten","Alida Valli","Orson Welles","Trevor Howard"],"genres":["film-noir","thriller"],"runtime":104,"country":"United Kingdom","language":"English","rating":8.1}`)
	b := &sdk.Batch{Docs: make([]sdk.Doc, 0, g.batch)}
	var id []byte
	stream, lo, hi := req.Partition, 0, g.n
	if req.Partitions > 1 {
		streams := req.Partitions / subPartitions
		j := req.Partition / streams
		stream, lo, hi = req.Partition%streams, j*g.n/subPartitions, (j+1)*g.n/subPartitions
	}
	for i := lo; i < hi; i++ {
		if err := ctx.Err(); err != nil {
			return err
		}
		id = fmt.Appendf(id[:0], "p%d-%d", stream, i)
		d := sdk.Doc{ID: string(id), Source: src}
		if g.del != nil && g.del(i) {
			d.Op = sdk.OpDelete
		}
		b.Docs = append(b.Docs, d)
		if len(b.Docs) == g.batch || i == hi-1 {
			if err := fn(b); err != nil {
				return err
			}
			b.Docs = b.Docs[:0]
		}
	}
	return g.fail
}

// fastRetries is c with its defaults filled, as New fills them, and a
// millisecond backoff.
func fastRetries(c BulkConfig) BulkConfig {
	c.RetryBackoff = time.Millisecond
	return c.withDefaults()
}

func TestIndexerRetriesOnly429Items(t *testing.T) {
	t.Parallel()
	eng := &fakeBulk{
		wholeBusy: 2,
		itemBusy:  map[string]int{"p0-3": 1, "p0-7": 2},
		bad:       map[string]bool{"p0-5": true},
	}
	var logged []string
	ix := newIndexer(eng, "idx-1", fastRetries(BulkConfig{Workers: 1, BatchSize: 10}),
		func(f string, a ...any) { logged = append(logged, fmt.Sprintf(f, a...)) })
	err := ix.run(context.Background(), &genSource{n: 10, batch: 4}, sdk.StreamRequest{Index: "idx"}, 1)
	if err != nil {
		t.Fatalf("run: %v", err)
	}
	if c := ix.counts(); c.Indexed != 9 || c.Failed != 1 {
		t.Fatalf("counts = %+v, want 9 indexed and 1 failed", c)
	}
	want := [][]string{
		{"p0-0", "p0-1", "p0-2", "p0-3", "p0-4", "p0-5", "p0-6", "p0-7", "p0-8", "p0-9"},
		{"p0-3", "p0-7"}, // the 429 items alone
		{"p0-7"},
	}
	if fmt.Sprint(eng.requests) != fmt.Sprint(want) {
		t.Fatalf("requests = %v, want %v", eng.requests, want)
	}
	if eng.calls != 5 {
		t.Errorf("calls = %d, want 5 (2 whole-request retries)", eng.calls)
	}
	if len(ix.failures) != 1 || ix.failures[0].ID != "p0-5" || !strings.Contains(ix.failures[0].Reason, "mapper_parsing_exception") {
		t.Errorf("failures = %+v", ix.failures)
	}
	if len(logged) != 1 || !strings.Contains(logged[0], "p0-5") {
		t.Errorf("log = %q", logged)
	}
}

func TestIndexerNeverFails429Items(t *testing.T) {
	t.Parallel()
	// p0-1 comes back 429 eight times, more than Retries: a 429 is
	// back-pressure, so it is resent until it passes, and counted.
	eng := &fakeBulk{itemBusy: map[string]int{"p0-1": 8}}
	ix := newIndexer(eng, "idx-1", fastRetries(BulkConfig{Workers: 2, Retries: 3}), nil)
	if err := ix.run(context.Background(), &genSource{n: 4, batch: 4}, sdk.StreamRequest{Index: "idx"}, 1); err != nil {
		t.Fatal(err)
	}
	if c := ix.counts(); c.Indexed != 4 || c.Failed != 0 || eng.seen["p0-1"] != 9 {
		t.Fatalf("counts = %+v, p0-1 sent %d times; want 4 indexed, 0 failed after 1+8 sends", c, eng.seen["p0-1"])
	}
	r := ix.retries()
	if r == nil || r.Items429 != 8 || r.Total() != 8 {
		t.Fatalf("retries = %+v, want 8 item retries", r)
	}
	if got := ix.summary(); !strings.HasPrefix(got, "retries: 8 (429 items 8)") {
		t.Errorf("summary = %q", got)
	}
}

func TestIndexerCountsDeletes(t *testing.T) {
	t.Parallel()
	eng := &fakeBulk{}
	ix := newIndexer(eng, "idx-1", BulkConfig{Workers: 3, BatchSize: 7}.withDefaults(), nil)
	src := &genSource{n: 100, batch: 9, del: func(i int) bool { return i%10 == 0 }}
	if err := ix.run(context.Background(), src, sdk.StreamRequest{Index: "idx"}, 3); err != nil {
		t.Fatal(err)
	}
	if c := ix.counts(); c.Indexed != 270 || c.Deleted != 30 || c.Failed != 0 {
		t.Fatalf("counts = %+v, want 270 indexed and 30 deleted over 3 partitions", c)
	}
	for _, r := range eng.requests {
		if len(r) > 7 {
			t.Fatalf("a request of %d items, above the batch size of 7", len(r))
		}
	}
}

func TestIndexerFatalErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		eng  *fakeBulk
		src  *genSource
		want error
	}{
		{"unauthorized", &fakeBulk{fatal: &engine.Error{Op: "bulk", Status: 401, Err: engine.ErrUnauthorized}},
			&genSource{n: 100000, batch: 100}, engine.ErrUnauthorized},
		{"unavailable after retries", &fakeBulk{fatal: &engine.Error{Op: "bulk", Status: 503, Err: engine.ErrUnavailable}},
			&genSource{n: 100000, batch: 100}, engine.ErrUnavailable},
		{"source died", &fakeBulk{}, &genSource{n: 10, batch: 5, fail: errors.New("plugin exited")}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ix := newIndexer(tt.eng, "idx-1", fastRetries(BulkConfig{Workers: 2, BatchSize: 50, Retries: 2}), nil)
			err := ix.run(context.Background(), tt.src, sdk.StreamRequest{Index: "idx"}, 2)
			if err == nil {
				t.Fatal("run succeeded")
			}
			if tt.want != nil && !errors.Is(err, tt.want) {
				t.Fatalf("err = %v, want %v", err, tt.want)
			}
			if tt.want == nil && (!strings.Contains(err.Error(), "plugin exited") || !strings.Contains(err.Error(), " of 2, the source's partition ")) {
				t.Fatalf("err = %v, want the source's error, naming the stream of 2 and the source's partition", err)
			}
		})
	}
}

func TestIndexerIdleFlush(t *testing.T) {
	t.Parallel()
	eng := &fakeBulk{}
	ix := newIndexer(eng, "idx-1", BulkConfig{Workers: 1, BatchSize: 1000, FlushInterval: 20 * time.Millisecond}.withDefaults(), nil)
	src := &slowSource{wait: make(chan struct{})}
	done := make(chan error)
	go func() { done <- ix.run(context.Background(), src, sdk.StreamRequest{Index: "idx"}, 1) }()
	deadline := time.Now().Add(5 * time.Second)
	for ix.counts().Indexed != 3 && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	if got := ix.counts().Indexed; got != 3 {
		t.Fatalf("indexed %d while the source idles, want the 3 documents flushed", got)
	}
	close(src.wait)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}

// slowSource sends 3 documents, then waits.
type slowSource struct{ wait chan struct{} }

func (s *slowSource) Name() string { return "slow" }
func (s *slowSource) Describe(context.Context, *sdk.DescribeRequest) (*sdk.DescribeResponse, error) {
	return &sdk.DescribeResponse{}, nil
}
func (s *slowSource) Stream(ctx context.Context, req *sdk.StreamRequest, fn func(*sdk.Batch) error) error {
	if err := fn(&sdk.Batch{Docs: []sdk.Doc{{ID: "a", Source: []byte("{}")}, {ID: "b", Source: []byte("{}")}, {ID: "c", Source: []byte("{}")}}}); err != nil {
		return err
	}
	select {
	case <-s.wait:
	case <-ctx.Done():
		return ctx.Err()
	}
	return nil
}
