package engine

import (
	"context"
	"io"

	"github.com/elastic/go-elasticsearch/v8"
	"github.com/elastic/go-elasticsearch/v8/esapi"
)

// esClient sends requests with go-elasticsearch/v8 (esapi). That client
// refuses a server that does not send X-Elastic-Product.
type esClient struct {
	c *elasticsearch.Client
}

var _ client = esClient{}

func newESClient(cfg Config) (esClient, error) {
	c, err := elasticsearch.NewClient(elasticsearch.Config{
		Addresses: cfg.URLs,
		Username:  cfg.Username,
		Password:  cfg.Password,
		APIKey:    cfg.APIKey,
		Transport: cfg.Transport,
		// Retrying is the caller's policy: one call, one request.
		DisableRetry: true,
	})
	return esClient{c: c}, err
}

// esRaw is an esapi answer as a round trip.
func esRaw(res *esapi.Response, err error) raw {
	if res == nil {
		return raw{err: err}
	}
	return raw{status: res.StatusCode, body: res.Body, err: err}
}

// esIndices is the indices of a GET for pattern: for "", none, which
// esapi sends as a request on every index.
func esIndices(pattern string) []string {
	if pattern == "" {
		return nil
	}
	return []string{pattern}
}

func (e esClient) info(ctx context.Context) raw {
	return esRaw(esapi.InfoRequest{}.Do(ctx, e.c))
}

func (e esClient) createIndex(ctx context.Context, index string, body io.Reader) raw {
	return esRaw(esapi.IndicesCreateRequest{Index: index, Body: body}.Do(ctx, e.c))
}

func (e esClient) deleteIndices(ctx context.Context, indices []string) raw {
	return esRaw(esapi.IndicesDeleteRequest{Index: indices}.Do(ctx, e.c))
}

func (e esClient) exists(ctx context.Context, index string) raw {
	return esRaw(esapi.IndicesExistsRequest{Index: []string{index}}.Do(ctx, e.c))
}

func (e esClient) catIndices(ctx context.Context, pattern string) raw {
	return esRaw(esapi.CatIndicesRequest{Index: esIndices(pattern), Format: "json", H: catColumns}.Do(ctx, e.c))
}

func (e esClient) indexAliases(ctx context.Context, pattern string) raw {
	return esRaw(esapi.IndicesGetAliasRequest{Index: esIndices(pattern)}.Do(ctx, e.c))
}

func (e esClient) aliasIndices(ctx context.Context, alias string) raw {
	return esRaw(esapi.IndicesGetAliasRequest{Name: []string{alias}}.Do(ctx, e.c))
}

func (e esClient) updateAliases(ctx context.Context, body io.Reader) raw {
	return esRaw(esapi.IndicesUpdateAliasesRequest{Body: body}.Do(ctx, e.c))
}

func (e esClient) deleteAlias(ctx context.Context, index, alias string) raw {
	return esRaw(esapi.IndicesDeleteAliasRequest{Index: []string{index}, Name: []string{alias}}.Do(ctx, e.c))
}

func (e esClient) bulk(ctx context.Context, index string, body io.Reader) raw {
	return esRaw(esapi.BulkRequest{Index: index, Body: body, FilterPath: bulkFilterPath, Timeout: bulkShardWait}.Do(ctx, e.c))
}

func (e esClient) refresh(ctx context.Context, indices []string) raw {
	return esRaw(esapi.IndicesRefreshRequest{Index: indices}.Do(ctx, e.c))
}

func (e esClient) count(ctx context.Context, index string) raw {
	return esRaw(esapi.CountRequest{Index: []string{index}}.Do(ctx, e.c))
}

func (e esClient) deleteByQuery(ctx context.Context, index string, body io.Reader) raw {
	return esRaw(esapi.DeleteByQueryRequest{Index: []string{index}, Body: body,
		Conflicts: "proceed", Refresh: &yes, WaitForCompletion: &no}.Do(ctx, e.c))
}

func (e esClient) getSettings(ctx context.Context, index string) raw {
	return esRaw(esapi.IndicesGetSettingsRequest{Index: []string{index}, FlatSettings: &yes}.Do(ctx, e.c))
}

func (e esClient) putSettings(ctx context.Context, index string, body io.Reader) raw {
	return esRaw(esapi.IndicesPutSettingsRequest{Index: []string{index}, Body: body}.Do(ctx, e.c))
}

func (e esClient) reindex(ctx context.Context, body io.Reader) raw {
	return esRaw(esapi.ReindexRequest{Body: body, WaitForCompletion: &no}.Do(ctx, e.c))
}

func (e esClient) getTask(ctx context.Context, id string) raw {
	return esRaw(esapi.TasksGetRequest{TaskID: id}.Do(ctx, e.c))
}

func (e esClient) cancelTask(ctx context.Context, id string) raw {
	return esRaw(esapi.TasksCancelRequest{TaskID: id}.Do(ctx, e.c))
}
