package bench

import (
	"bytes"
	"context"
	"fmt"
	"sync/atomic"

	"github.com/elastic/go-elasticsearch/v8"
	"github.com/elastic/go-elasticsearch/v8/esutil"
	"github.com/jackc/pgx/v5"
	"github.com/opensearch-project/opensearch-go/v4"
	"github.com/opensearch-project/opensearch-go/v4/opensearchapi"
	"github.com/opensearch-project/opensearch-go/v4/opensearchutil"
)

// SQLChildConfig is what the pgx contender of the sqltable section is
// told: the engine and index as ChildConfig, and the table to read.
type SQLChildConfig struct {
	ChildConfig
	DSN        string
	Table      string // quoted, e.g. "demhost_bench"."movies_1000000"
	FlushBytes int    // the bulk indexer's FlushBytes, so a request carries about Batch rows
}

// rowsQuery is what a user writes: every row as JSON, rendered by
// Postgres, in one streamed query.
func rowsQuery(table string) string {
	return "SELECT t.id::text, row_to_json(t)::text FROM " + table + " t"
}

// streamRows runs the query on one connection and hands every row to add,
// with the document bytes copied (pgx reuses its buffer).
func streamRows(ctx context.Context, dsn, table string, add func(id string, doc []byte) error) error {
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		return fmt.Errorf("pgx: connect: %w", err)
	}
	defer conn.Close(context.WithoutCancel(ctx))
	rows, err := conn.Query(ctx, rowsQuery(table))
	if err != nil {
		return fmt.Errorf("pgx: query: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		v := rows.RawValues()
		if err := add(string(v[0]), bytes.Clone(v[1])); err != nil {
			return err
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("pgx: read rows: %w", err)
	}
	return nil
}

// RunPgxEsutil is contender B of the sqltable section on Elasticsearch:
// pgx streams the rows into esutil.BulkIndexer.
func RunPgxEsutil(ctx context.Context, cfg SQLChildConfig) (Report, error) {
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
		FlushBytes: cfg.FlushBytes,
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
		err := streamRows(ctx, cfg.DSN, cfg.Table, func(id string, doc []byte) error {
			return bi.Add(ctx, esutil.BulkIndexerItem{Action: "index", DocumentID: id, Body: bytes.NewReader(doc), OnFailure: onFailure})
		})
		if cerr := bi.Close(ctx); err == nil && cerr != nil {
			err = fmt.Errorf("esutil: close: %w", cerr)
		}
		if err != nil {
			return err
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

// RunPgxOpensearchutil is contender B of the sqltable section on
// OpenSearch: pgx streams the rows into opensearchutil.BulkIndexer.
func RunPgxOpensearchutil(ctx context.Context, cfg SQLChildConfig) (Report, error) {
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
		FlushBytes: cfg.FlushBytes,
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
		err := streamRows(ctx, cfg.DSN, cfg.Table, func(id string, doc []byte) error {
			return bi.Add(ctx, opensearchutil.BulkIndexerItem{Action: "index", DocumentID: id, Body: bytes.NewReader(doc), OnFailure: onFailure})
		})
		if cerr := bi.Close(ctx); err == nil && cerr != nil {
			err = fmt.Errorf("opensearchutil: close: %w", cerr)
		}
		if err != nil {
			return err
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
