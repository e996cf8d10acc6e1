package engine

import (
	"context"
	"io"
	"net/http"

	"github.com/opensearch-project/opensearch-go/v4"
	"github.com/opensearch-project/opensearch-go/v4/opensearchapi"
)

// osClient sends requests with opensearch-go/v4. It builds opensearchapi
// requests and sends them with the root client's Do and no data pointer,
// so the raw answer reaches the shared decoding.
type osClient struct {
	c *opensearch.Client
}

var _ client = osClient{}

func newOSClient(cfg Config) (osClient, error) {
	var header http.Header
	if cfg.APIKey != "" {
		header = http.Header{"Authorization": {"ApiKey " + cfg.APIKey}}
	}
	c, err := opensearch.NewClient(opensearch.Config{
		Addresses: cfg.URLs,
		Username:  cfg.Username,
		Password:  cfg.Password,
		Header:    header,
		Transport: cfg.Transport,
		// Retrying is the caller's policy: one call, one request.
		DisableRetry: true,
	})
	return osClient{c: c}, err
}

// do sends req and returns the round trip.
func (o osClient) do(ctx context.Context, req opensearch.Request) raw {
	res, err := o.c.Do(ctx, req, nil)
	if res == nil {
		return raw{err: err}
	}
	return raw{status: res.StatusCode, body: res.Body, err: err}
}

// osIndices is the indices of a GET for pattern: for "", "_all", which
// opensearchapi needs to mean every index (it is never sent to a delete).
func osIndices(pattern string) []string {
	if pattern == "" {
		return []string{"_all"}
	}
	return []string{pattern}
}

func (o osClient) info(ctx context.Context) raw {
	return o.do(ctx, opensearchapi.InfoReq{})
}

func (o osClient) createIndex(ctx context.Context, index string, body io.Reader) raw {
	return o.do(ctx, opensearchapi.IndicesCreateReq{Index: index, Body: body})
}

func (o osClient) deleteIndices(ctx context.Context, indices []string) raw {
	return o.do(ctx, opensearchapi.IndicesDeleteReq{Indices: indices})
}

func (o osClient) exists(ctx context.Context, index string) raw {
	return o.do(ctx, opensearchapi.IndicesExistsReq{Indices: []string{index}})
}

func (o osClient) catIndices(ctx context.Context, pattern string) raw {
	return o.do(ctx, opensearchapi.CatIndicesReq{Indices: osIndices(pattern),
		Params: opensearchapi.CatIndicesParams{H: catColumns}})
}

func (o osClient) indexAliases(ctx context.Context, pattern string) raw {
	return o.do(ctx, opensearchapi.AliasGetReq{Indices: osIndices(pattern)})
}

func (o osClient) aliasIndices(ctx context.Context, alias string) raw {
	return o.do(ctx, opensearchapi.AliasGetReq{Indices: []string{"_all"}, Alias: []string{alias}})
}

func (o osClient) updateAliases(ctx context.Context, body io.Reader) raw {
	return o.do(ctx, opensearchapi.AliasesReq{Body: body})
}

func (o osClient) deleteAlias(ctx context.Context, index, alias string) raw {
	return o.do(ctx, opensearchapi.AliasDeleteReq{Indices: []string{index}, Alias: []string{alias}})
}

func (o osClient) bulk(ctx context.Context, index string, body io.Reader) raw {
	return o.do(ctx, opensearchapi.BulkReq{Index: index, Body: body,
		Params: opensearchapi.BulkParams{FilterPath: bulkFilterPath, Timeout: bulkShardWait}})
}

func (o osClient) refresh(ctx context.Context, indices []string) raw {
	return o.do(ctx, opensearchapi.IndicesRefreshReq{Indices: indices})
}

func (o osClient) count(ctx context.Context, index string) raw {
	return o.do(ctx, opensearchapi.IndicesCountReq{Indices: []string{index}})
}

func (o osClient) deleteByQuery(ctx context.Context, index string, body io.Reader) raw {
	return o.do(ctx, opensearchapi.DocumentDeleteByQueryReq{Indices: []string{index}, Body: body,
		Params: opensearchapi.DocumentDeleteByQueryParams{Conflicts: "proceed", Refresh: &yes, WaitForCompletion: &no}})
}

func (o osClient) getSettings(ctx context.Context, index string) raw {
	return o.do(ctx, opensearchapi.SettingsGetReq{Indices: []string{index},
		Params: opensearchapi.SettingsGetParams{FlatSettings: &yes}})
}

func (o osClient) putSettings(ctx context.Context, index string, body io.Reader) raw {
	return o.do(ctx, opensearchapi.SettingsPutReq{Indices: []string{index}, Body: body})
}

func (o osClient) reindex(ctx context.Context, body io.Reader) raw {
	return o.do(ctx, opensearchapi.ReindexReq{Body: body, Params: opensearchapi.ReindexParams{WaitForCompletion: &no}})
}

func (o osClient) getTask(ctx context.Context, id string) raw {
	return o.do(ctx, opensearchapi.TasksGetReq{TaskID: id})
}

func (o osClient) cancelTask(ctx context.Context, id string) raw {
	return o.do(ctx, opensearchapi.TasksCancelReq{TaskID: id})
}
