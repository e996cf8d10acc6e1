package bench

import (
	"bytes"
	"compress/gzip"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// The suspects section (-sections suspects) looks for what makes the
// engine spend more CPU per document on one client's requests than on
// another's. Each suspect is the ceiling D with one thing changed, so the
// engine CPU column of the ceiling and of the suspect, alternated in the
// same run, isolates that one thing.

// Suspect is one variant of the ceiling's requests.
type Suspect struct {
	Name string
	What string // one line for the report
	// FilterPath is the bulk request's filter_path; empty asks for the
	// whole answer.
	FilterPath string
	// Partitions, above 1, deals the documents to this many partitions
	// by position (i % Partitions, as the movies plugin does) and builds
	// each body from one partition, as demhost's streams do.
	Partitions int
	// Ranges deals the partitions as contiguous ranges (partition k holds
	// the k-th of Partitions runs of neighbouring documents), as the
	// movies plugin and sqltable's keyset paging partition a source.
	Ranges bool
	// Runs, above 0, cuts the documents into Runs×Partitions contiguous
	// runs and partition k reads runs k, Partitions+k, 2×Partitions+k… in
	// turn: how the host reads a source's partitions with several streams
	// (sdk.HostSubPartitions runs per stream).
	Runs int
	// Batch replaces the documents per request when not 0.
	Batch int
	// Gzip sends gzipped bodies (compressed before the timer) and
	// accepts a gzipped answer.
	Gzip bool
	// RefreshOff turns refresh off for the load (refresh_interval -1,
	// number_of_replicas 0), refreshes once at the end, then restores
	// both, all inside the timer as demhost does.
	RefreshOff bool
	// ContentType replaces the bulk requests' Content-Type when set: the
	// Go clients (and so demhost) send application/json, D and Python
	// application/x-ndjson.
	ContentType string
	// ClientWork is CPU the client spends before each request, copying
	// the body over and over, as demhost's and esutil's processes build
	// each body while the other request is in flight. 0: none.
	ClientWork time.Duration
	// Chunked sends each body with Transfer-Encoding: chunked, one chunk,
	// through a 64 KB connection buffer, so that net/http writes it from
	// the body itself instead of copying it into a 2 MB buffer first.
	Chunked bool
	// Settle keeps the timer running after the final refresh until the
	// engine reports no merge running, so merges the load left behind
	// are counted.
	Settle bool
}

// ceilingFilterPath is what the ceiling asks for: the least answer.
const ceilingFilterPath = "errors"

// demhostFilterPath is host/engine's bulkFilterPath as a query value.
const demhostFilterPath = "errors,items.*.error,items.*._id,items.*.status"

// Suspects are the variants the suspects section knows, by name.
var Suspects = []Suspect{
	{Name: "ceiling", What: "D as in the movies section: filter_path=errors, ids in order", FilterPath: ceilingFilterPath},
	{Name: "fp-demhost", What: "filter_path=" + demhostFilterPath, FilterPath: demhostFilterPath},
	{Name: "fp-status", What: "filter_path=errors,items.*.error,items.*.status", FilterPath: "errors,items.*.error,items.*.status"},
	{Name: "fp-none", What: "no filter_path: the whole answer", FilterPath: ""},
	{Name: "ids-2parts", What: "each body from one of 2 partitions (ids i%2), as demhost's 2 streams", FilterPath: ceilingFilterPath, Partitions: 2},
	{Name: "ids-2ranges", What: "each body from one of 2 contiguous halves of the ids, as demhost's 2 streams send them now", FilterPath: ceilingFilterPath, Partitions: 2, Ranges: true},
	{Name: "ids-32runs", What: "2 streams reading 32 contiguous runs in turn (k, 2+k, …), as the host reads a source's partitions now", FilterPath: ceilingFilterPath, Partitions: 2, Runs: 16},
	{Name: "ids-128runs", What: "2 streams reading 128 contiguous runs in turn", FilterPath: ceilingFilterPath, Partitions: 2, Runs: 64},
	{Name: "batch-250", What: "250 docs per request", FilterPath: ceilingFilterPath, Batch: 250},
	{Name: "batch-4000", What: "4,000 docs per request", FilterPath: ceilingFilterPath, Batch: 4000},
	{Name: "gzip", What: "gzipped bodies and answers", FilterPath: ceilingFilterPath, Gzip: true},
	{Name: "refresh-off", What: "refresh off during the load, one refresh, settings restored", FilterPath: ceilingFilterPath, RefreshOff: true},
	{Name: "settle", What: "timer runs on until no merge is running after the final refresh", FilterPath: ceilingFilterPath, Settle: true},
	{Name: "ctype-json", What: "Content-Type: application/json, as the Go clients send bulk bodies", FilterPath: ceilingFilterPath, ContentType: "application/json"},
	{Name: "client-3ms", What: "3.5 ms of client CPU (copying the body) before each request of 1,000: what demhost's processes spend per request", FilterPath: ceilingFilterPath, ClientWork: 3500 * time.Microsecond},
	{Name: "client-9ms", What: "9 ms of client CPU before each request of 1,000: what opensearchutil spends", FilterPath: ceilingFilterPath, ClientWork: 9 * time.Millisecond},
	{Name: "chunked", What: "Transfer-Encoding: chunked, written from the body (no copy into net/http's buffer)", FilterPath: ceilingFilterPath, Chunked: true},
	{Name: "refresh-off-settle", What: "refresh-off, and the timer runs on until merges end", FilterPath: ceilingFilterPath, RefreshOff: true, Settle: true},
}

// SuspectByName returns the suspect called name.
func SuspectByName(name string) (Suspect, bool) {
	for _, s := range Suspects {
		if s.Name == name {
			return s, true
		}
	}
	return Suspect{}, false
}

// suspectBodies deals docs as s says and builds the request bodies.
func suspectBodies(docs []Doc, batch int, s Suspect) [][]byte {
	if s.Batch > 0 {
		batch = s.Batch
	}
	if s.Partitions <= 1 {
		return BuildBulkBodies(docs, batch)
	}
	// Round-robin the partitions' bodies, as concurrent streams would.
	parts := make([][][]byte, s.Partitions)
	for k := range parts {
		var mine []Doc
		if s.Runs > 0 {
			n := s.Runs * s.Partitions
			for j := k; j < n; j += s.Partitions {
				mine = append(mine, docs[j*len(docs)/n:(j+1)*len(docs)/n]...)
			}
		} else if s.Ranges {
			mine = docs[k*len(docs)/s.Partitions : (k+1)*len(docs)/s.Partitions]
		} else {
			for i := k; i < len(docs); i += s.Partitions {
				mine = append(mine, docs[i])
			}
		}
		parts[k] = BuildBulkBodies(mine, batch)
	}
	var out [][]byte
	for i := 0; ; i++ {
		added := false
		for k := range parts {
			if i < len(parts[k]) {
				out = append(out, parts[k][i])
				added = true
			}
		}
		if !added {
			return out
		}
	}
}

// busyCopy copies body into scratch until d of this thread's time has
// passed, and returns scratch for the next call.
func busyCopy(scratch, body []byte, d time.Duration) []byte {
	if d <= 0 {
		return scratch
	}
	for start := time.Now(); time.Since(start) < d; {
		scratch = append(scratch[:0], body...)
	}
	return scratch
}

func gzipped(b []byte) []byte {
	var out bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&out, gzip.BestSpeed)
	zw.Write(b)
	zw.Close()
	return out.Bytes()
}

// RunSuspect is the ceiling with suspect s changed; see Suspect.
func RunSuspect(ctx context.Context, cfg ChildConfig, s Suspect) (Report, error) {
	docs, err := ReadCorpus(cfg.Corpus)
	if err != nil {
		return Report{}, err
	}
	bodies := suspectBodies(docs, cfg.Batch, s)
	if s.Gzip {
		for i := range bodies {
			bodies[i] = gzipped(bodies[i])
		}
	}
	n := int64(len(docs))
	docs = nil
	runtime.GC()
	t := transport(cfg.Workers)
	t.DisableCompression = !s.Gzip
	t.WriteBufferSize = 2 << 20
	if s.Chunked {
		t.WriteBufferSize = 64 << 10
	}
	client := &http.Client{Transport: t, Timeout: 5 * time.Minute}
	endpoint := cfg.URL + "/" + url.PathEscape(cfg.Index) + "/_bulk"
	if s.FilterPath != "" {
		endpoint += "?filter_path=" + url.QueryEscape(s.FilterPath)
	}
	cl := NewCluster(cfg.URL)
	var next atomic.Int64
	var rep Report
	wall, cpu, err := TimedWithEngine(cfg.Engine, &rep, func() error {
		if s.RefreshOff {
			if err := cl.do(ctx, http.MethodPut, "/"+cfg.Index+"/_settings",
				[]byte(`{"index":{"refresh_interval":"-1","number_of_replicas":0}}`), nil); err != nil {
				return err
			}
		}
		errs := make(chan error, cfg.Workers)
		var wg sync.WaitGroup
		for range max(cfg.Workers, 1) {
			wg.Add(1)
			go func() {
				defer wg.Done()
				var scratch []byte
				for {
					i := int(next.Add(1) - 1)
					if i >= len(bodies) {
						return
					}
					scratch = busyCopy(scratch, bodies[i], s.ClientWork)
					if err := postBulk(ctx, client, endpoint, bodies[i], s.Gzip, s.ContentType, s.Chunked); err != nil {
						errs <- err
						return
					}
				}
			}()
		}
		wg.Wait()
		close(errs)
		if err := <-errs; err != nil {
			return err
		}
		if err := cl.Refresh(ctx, cfg.Index); err != nil {
			return err
		}
		if s.RefreshOff {
			if err := cl.do(ctx, http.MethodPut, "/"+cfg.Index+"/_settings",
				[]byte(`{"index":{"refresh_interval":null,"number_of_replicas":null}}`), nil); err != nil {
				return err
			}
		}
		if s.Settle {
			return cl.waitMerges(ctx, cfg.Index)
		}
		return nil
	})
	rep.Docs, rep.WallNS, rep.CPUNS, rep.Requests = n, int64(wall), int64(cpu), int64(len(bodies))
	return rep, err
}

// waitMerges polls the index's merge stats until no merge is running.
func (c *Cluster) waitMerges(ctx context.Context, index string) error {
	for {
		var st struct {
			All struct {
				Total struct {
					Merges struct {
						Current int `json:"current"`
					} `json:"merges"`
				} `json:"total"`
			} `json:"_all"`
		}
		if err := c.do(ctx, http.MethodGet, "/"+index+"/_stats/merge", nil, &st); err != nil {
			return err
		}
		if st.All.Total.Merges.Current == 0 {
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// RunSuspects runs the named suspects (all when names is empty) in turn,
// one warm-up round and cfg.Rounds counted rounds on every engine, a
// fresh index each, and prints each suspect's engine CPU per document
// next to the ceiling's.
func RunSuspects(ctx context.Context, cfg Config, names []string) error {
	var list []Suspect
	if len(names) == 0 {
		list = Suspects
	}
	for _, n := range names {
		s, ok := SuspectByName(n)
		if !ok {
			return fmt.Errorf("unknown suspect %q", n)
		}
		list = append(list, s)
	}
	if list[0].Name != "ceiling" {
		list = append([]Suspect{Suspects[0]}, list...)
	}
	tmp, err := os.MkdirTemp("", "demhost-bench-")
	if err != nil {
		return fmt.Errorf("temp dir: %w", err)
	}
	defer os.RemoveAll(tmp)
	corpus := filepath.Join(tmp, "corpus.ndjson")
	if _, err := WriteCorpusFile(corpus, cfg.N, cfg.Seed); err != nil {
		return err
	}
	body := MoviesIndexBody()
	fmt.Fprintf(cfg.Out, "machine: %s; load average %s at start\n", Machine(), LoadAverage())
	fmt.Fprintf(cfg.Out, "suspects: %s movies, workers %d, batch %d, %d counted rounds after 1 warm-up, in turn, the order turning one place each round\n",
		FormatNumber(float64(cfg.N), 0), cfg.Workers, cfg.Batch, cfg.Rounds)
	for _, eng := range cfg.Engines {
		cl := NewCluster(eng.URL)
		dist, version, err := cl.Version(ctx)
		if err != nil {
			return err
		}
		pid, err := EnginePID(eng.URL)
		if err != nil {
			return fmt.Errorf("%s: the suspects need the engine's CPU: %w", eng.Name, err)
		}
		load0 := LoadAverage()
		samples := map[string][]Sample{}
		run := randomHex(3)
		for round := 0; round <= cfg.Rounds; round++ {
			for _, s := range inTurn(list, round) {
				index := fmt.Sprintf("bench%s_s%d_%s", run, round, s.Name)
				if err := cl.CreateIndex(ctx, index, body); err != nil {
					return err
				}
				cmd := childCommand(ctx, cfg, "suspect:"+s.Name, eng.URL, index, corpus, pid)
				smp, err := RunReporting(ctx, cmd)
				if err == nil {
					err = cl.Refresh(ctx, index)
				}
				var count int64
				if err == nil {
					count, err = cl.Count(ctx, index)
				}
				if derr := cl.DeleteIndex(context.WithoutCancel(ctx), index); derr != nil {
					fmt.Fprintf(cfg.Log, "cleanup: %v\n", derr)
				}
				if err != nil {
					return fmt.Errorf("%s, suspect %s: %w", eng.Name, s.Name, err)
				}
				if count != int64(cfg.N) {
					return fmt.Errorf("%s, suspect %s: %d documents, want %d", eng.Name, s.Name, count, cfg.N)
				}
				fmt.Fprintf(cfg.Log, "%s round %d %s: %s docs/s, engine %.1f µs/doc, load %s\n", eng.Name, round, s.Name,
					FormatNumber(smp.DocsPerSec(), 0), smp.EngineCPUPerDocMicros(), LoadAverage())
				if round > 0 {
					samples[s.Name] = append(samples[s.Name], smp)
				}
			}
		}
		writeSuspects(cfg.Out, fmt.Sprintf("%s %s at %s", dist, version, eng.URL), list, samples)
		fmt.Fprintf(cfg.Out, "  1-minute load average %s before, %s after\n", load0, LoadAverage())
	}
	return nil
}

func writeSuspects(w io.Writer, engine string, list []Suspect, samples map[string][]Sample) {
	base, _ := EngineFigures(samples[list[0].Name])
	t := Table{Header: []string{"suspect", "docs/s median [min–max]", "engine CPU µs/doc", "vs ceiling", "engine cores busy"}}
	for _, s := range list {
		d, _, _ := Figures(samples[s.Name])
		ec, busy := EngineFigures(samples[s.Name])
		t.Add(s.Name, FormatSummary(d, 0), FormatSummary(ec, 1), FormatNumber(ec.Median/base.Median, 3)+"x", FormatSummary(busy, 2))
	}
	var b strings.Builder
	fmt.Fprintf(&b, "\n== suspects on %s\n\n", engine)
	t.WriteTo(&b)
	b.WriteString("\n")
	for _, s := range list {
		fmt.Fprintf(&b, "  %s: %s\n", s.Name, s.What)
	}
	io.WriteString(w, b.String())
}
