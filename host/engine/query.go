package engine

import (
	"context"
	"io"

	"github.com/elastic/go-elasticsearch/v8/esapi"
	"github.com/opensearch-project/opensearch-go/v4/opensearchapi"
)

// This file counts the documents matching a query (CountQuery), for the
// probes of deploy's gate, for both vendors.

// queryClient is the part of client that counts with a query.
type queryClient interface {
	// countQuery is _count of index with a {"query":…} body.
	countQuery(ctx context.Context, index string, body io.Reader) raw
}

func (a *adapter) CountQuery(ctx context.Context, index string, query []byte) (int64, error) {
	return countFrom(a.call(ctx, "count", index, func(ctx context.Context) raw {
		return a.c.countQuery(ctx, index, queryBody(query))
	}))
}

func (e esClient) countQuery(ctx context.Context, index string, body io.Reader) raw {
	return esRaw(esapi.CountRequest{Index: []string{index}, Body: body}.Do(ctx, e.c))
}

func (o osClient) countQuery(ctx context.Context, index string, body io.Reader) raw {
	return o.do(ctx, opensearchapi.IndicesCountReq{Indices: []string{index}, Body: body})
}
