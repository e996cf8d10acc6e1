package bench

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"sync/atomic"
	"time"

	"github.com/elastic/go-elasticsearch/v8"
	"github.com/elastic/go-elasticsearch/v8/esutil"
	"github.com/opensearch-project/opensearch-go/v4"
	"github.com/opensearch-project/opensearch-go/v4/opensearchapi"
	"github.com/opensearch-project/opensearch-go/v4/opensearchutil"
)

// ChildConfig is what a contender subprocess is told.
type ChildConfig struct {
	URL     string // engine base URL
	Index   string // the fresh index to fill
	Corpus  string // path of the corpus file
	Workers int
	Batch   int
	// Engine reads the engine process's CPU over the timed section; its
	// zero value measures nothing.
	Engine EngineMeter
}

// transport is the HTTP transport of every Go contender: the defaults, with
// one idle connection kept per worker so no request pays a new connection.
func transport(workers int) *http.Transport {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.MaxIdleConnsPerHost = max(workers, 2)
	t.DialContext = (&net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}).DialContext
	return t
}

// itemBytes is the mean size of one item in a bulk body: the action line
// with the id, the source and two newlines.
func itemBytes(docs []Doc) int {
	if len(docs) == 0 {
		return 1
	}
	total := 0
	for _, d := range docs {
		total += len(`{"index":{"_id":""}}`) + len(d.ID) + len(d.Source) + 2
	}
	return max(total/len(docs), 1)
}

// EsutilFlushBytes is the FlushBytes that makes esutil send batch items per
// request: it flushes before adding an item that would reach FlushBytes.
func EsutilFlushBytes(docs []Doc, batch int) int {
	avg := itemBytes(docs)
	return batch*avg + avg/2
}

// OpensearchutilFlushBytes is the FlushBytes that makes opensearchutil send
// batch items per request: it flushes after adding an item that reaches
// FlushBytes.
func OpensearchutilFlushBytes(docs []Doc, batch int) int {
	avg := itemBytes(docs)
	return batch*avg - avg/2
}

// RunEsutil is contender B on Elasticsearch: esutil.BulkIndexer fed the
// corpus, read into memory before the timer.
func RunEsutil(ctx context.Context, cfg ChildConfig) (Report, error) {
	docs, err := ReadCorpus(cfg.Corpus)
	if err != nil {
		return Report{}, err
	}
	es, err := elasticsearch.NewClient(elasticsearch.Config{Addresses: []string{cfg.URL}, Transport: transport(cfg.Workers)})
	if err != nil {
		return Report{}, fmt.Errorf("esutil: client: %w", err)
	}
	var failed atomic.Int64
	var firstErr atomic.Value
	bi, err := esutil.NewBulkIndexer(esutil.BulkIndexerConfig{
		Client:     es,
		Index:      cfg.Index,
		NumWorkers: cfg.Workers,
		FlushBytes: EsutilFlushBytes(docs, cfg.Batch),
		OnError:    func(_ context.Context, err error) { firstErr.CompareAndSwap(nil, err) },
	})
	if err != nil {
		return Report{}, fmt.Errorf("esutil: indexer: %w", err)
	}
	onFailure := func(_ context.Context, item esutil.BulkIndexerItem, res esutil.BulkIndexerResponseItem, err error) {
		if failed.Add(1) == 1 {
			firstErr.CompareAndSwap(nil, fmt.Errorf("doc %s: %s: %s %v", item.DocumentID, res.Error.Type, res.Error.Reason, err))
		}
	}
	var rep Report
	wall, cpu, err := TimedWithEngine(cfg.Engine, &rep, func() error {
		for _, d := range docs {
			err := bi.Add(ctx, esutil.BulkIndexerItem{
				Action: "index", DocumentID: d.ID, Body: bytes.NewReader(d.Source), OnFailure: onFailure,
			})
			if err != nil {
				return fmt.Errorf("esutil: add %s: %w", d.ID, err)
			}
		}
		if err := bi.Close(ctx); err != nil {
			return fmt.Errorf("esutil: close: %w", err)
		}
		if e := firstErr.Load(); e != nil {
			return fmt.Errorf("esutil: %d failed: %v", failed.Load(), e)
		}
		return NewCluster(cfg.URL).Refresh(ctx, cfg.Index)
	})
	st := bi.Stats()
	rep.Docs, rep.WallNS, rep.CPUNS, rep.Requests = int64(st.NumFlushed), int64(wall), int64(cpu), int64(st.NumRequests)
	return rep, err
}

// RunOpensearchutil is contender B on OpenSearch: opensearch-go's
// opensearchutil.BulkIndexer, fed like RunEsutil.
func RunOpensearchutil(ctx context.Context, cfg ChildConfig) (Report, error) {
	docs, err := ReadCorpus(cfg.Corpus)
	if err != nil {
		return Report{}, err
	}
	client, err := opensearchapi.NewClient(opensearchapi.Config{Client: opensearch.Config{
		Addresses: []string{cfg.URL}, Transport: transport(cfg.Workers),
	}})
	if err != nil {
		return Report{}, fmt.Errorf("opensearchutil: client: %w", err)
	}
	var failed atomic.Int64
	var firstErr atomic.Value
	bi, err := opensearchutil.NewBulkIndexer(opensearchutil.BulkIndexerConfig{
		Client:     client,
		Index:      cfg.Index,
		NumWorkers: cfg.Workers,
		FlushBytes: OpensearchutilFlushBytes(docs, cfg.Batch),
		OnError:    func(_ context.Context, err error) { firstErr.CompareAndSwap(nil, err) },
	})
	if err != nil {
		return Report{}, fmt.Errorf("opensearchutil: indexer: %w", err)
	}
	onFailure := func(_ context.Context, item opensearchutil.BulkIndexerItem, res opensearchapi.BulkRespItem, err error) {
		if failed.Add(1) == 1 {
			reason := ""
			if res.Error != nil {
				reason = res.Error.Type + ": " + res.Error.Reason
			}
			firstErr.CompareAndSwap(nil, fmt.Errorf("doc %s: %s %v", item.DocumentID, reason, err))
		}
	}
	var rep Report
	wall, cpu, err := TimedWithEngine(cfg.Engine, &rep, func() error {
		for _, d := range docs {
			err := bi.Add(ctx, opensearchutil.BulkIndexerItem{
				Action: "index", DocumentID: d.ID, Body: bytes.NewReader(d.Source), OnFailure: onFailure,
			})
			if err != nil {
				return fmt.Errorf("opensearchutil: add %s: %w", d.ID, err)
			}
		}
		if err := bi.Close(ctx); err != nil {
			return fmt.Errorf("opensearchutil: close: %w", err)
		}
		if e := firstErr.Load(); e != nil {
			return fmt.Errorf("opensearchutil: %d failed: %v", failed.Load(), e)
		}
		return NewCluster(cfg.URL).Refresh(ctx, cfg.Index)
	})
	st := bi.Stats()
	rep.Docs, rep.WallNS, rep.CPUNS, rep.Requests = int64(st.NumFlushed), int64(wall), int64(cpu), int64(st.NumRequests)
	return rep, err
}

// RunCeiling is contender D: the bodies are built in memory before the
// timer, then posted by cfg.Workers goroutines with net/http. It asks the
// engine for the least answer (filter_path=errors, no gzip) and checks it
// only for "errors":false, so the client does almost nothing and the
// engine does only the indexing. It is the suspect "ceiling".
func RunCeiling(ctx context.Context, cfg ChildConfig) (Report, error) {
	return RunSuspect(ctx, cfg, Suspects[0])
}

// postBulk posts one prebuilt body, gzipped when gz, with contentType
// (default application/x-ndjson), and reads the answer's head only.
func postBulk(ctx context.Context, client *http.Client, endpoint string, body []byte, gz bool, contentType string, chunked bool) error {
	var r io.Reader = bytes.NewReader(body)
	if chunked {
		// A reader net/http cannot size: it sends the body chunked, written
		// straight from body (unsizedReader keeps bytes.Reader's WriteTo).
		r = unsizedReader{bytes.NewReader(body)}
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, endpoint, r)
	if err != nil {
		return err
	}
	if contentType == "" {
		contentType = "application/x-ndjson"
	}
	req.Header.Set("Content-Type", contentType)
	if gz {
		req.Header.Set("Content-Encoding", "gzip")
	}
	resp, err := client.Do(req)
	if err != nil {
		return fmt.Errorf("ceiling: bulk: %w", err)
	}
	defer resp.Body.Close()
	head := make([]byte, 64)
	k, _ := io.ReadFull(resp.Body, head)
	head = head[:k]
	if _, err := io.Copy(io.Discard, resp.Body); err != nil {
		return fmt.Errorf("ceiling: read bulk response: %w", err)
	}
	if resp.StatusCode != http.StatusOK || !BulkHeadOK(head) {
		return fmt.Errorf("ceiling: bulk: status %d: %s", resp.StatusCode, head)
	}
	return nil
}

// BulkHeadOK reports whether the start of a bulk response says
// "errors":false. Both engines write "took" then "errors" first.
func BulkHeadOK(head []byte) bool {
	return bytes.Contains(head, []byte(`"errors":false`))
}

// unsizedReader hides its reader's length from net/http.
type unsizedReader struct{ *bytes.Reader }
