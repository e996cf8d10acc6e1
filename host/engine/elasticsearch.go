package engine

import (
	"bytes"
	"context"
	"fmt"

	"github.com/elastic/go-elasticsearch/v8"
	"github.com/elastic/go-elasticsearch/v8/esapi"
)

// esEngine is the Elasticsearch adapter on go-elasticsearch/v8 (esapi).
// That client refuses a server that does not send X-Elastic-Product.
type esEngine struct {
	base
	c *elasticsearch.Client
}

var _ Engine = (*esEngine)(nil)

func newElasticsearch(cfg Config) (*esEngine, error) {
	c, err := elasticsearch.NewClient(elasticsearch.Config{
		Addresses: cfg.URLs,
		Username:  cfg.Username,
		Password:  cfg.Password,
		APIKey:    cfg.APIKey,
		Transport: cfg.Transport,
		// Retrying is the caller's policy: one call, one request.
		DisableRetry: true,
	})
	if err != nil {
		return nil, fmt.Errorf("open elasticsearch %s: %w", redact(cfg.URLs[0]), err)
	}
	return &esEngine{base: base{timeout: cfg.Timeout, url: redact(cfg.URLs[0])}, c: c}, nil
}

// esReply reads an esapi answer through the shared error mapping.
func esReply(ctx context.Context, op, index string, res *esapi.Response, err error) (*reply, error) {
	if err != nil || res == nil {
		if err == nil {
			err = errNoAnswer
		}
		return readReply(ctx, op, index, 0, nil, err)
	}
	return readReply(ctx, op, index, res.StatusCode, res.Body, nil)
}

// esDone is esReply for calls whose 2xx answer says nothing more.
func esDone(ctx context.Context, op, index string, res *esapi.Response, err error) error {
	r, err := esReply(ctx, op, index, res, err)
	r.release()
	return err
}

func (e *esEngine) Info(ctx context.Context) (Info, error) {
	ctx, cancel := e.bound(ctx)
	defer cancel()
	res, err := esapi.InfoRequest{}.Do(ctx, e.c)
	r, err := esReply(ctx, "info", "", res, err)
	if err != nil {
		return Info{}, err
	}
	info, err := infoFrom(r, e.url)
	info.Kind = Elasticsearch
	return info, err
}

func (e *esEngine) CreateIndex(ctx context.Context, index string, body []byte) error {
	ctx, cancel := e.bound(ctx)
	defer cancel()
	res, err := esapi.IndicesCreateRequest{Index: index, Body: bodyReader(body)}.Do(ctx, e.c)
	return esDone(ctx, "create index", index, res, err)
}

func (e *esEngine) DeleteIndices(ctx context.Context, indices ...string) error {
	if err := checkExplicit("delete index", indices...); err != nil {
		return err
	}
	ctx, cancel := e.bound(ctx)
	defer cancel()
	res, err := esapi.IndicesDeleteRequest{Index: indices}.Do(ctx, e.c)
	return esDone(ctx, "delete index", joinNames(indices), res, err)
}

func (e *esEngine) Exists(ctx context.Context, index string) (bool, error) {
	ctx, cancel := e.bound(ctx)
	defer cancel()
	res, err := esapi.IndicesExistsRequest{Index: []string{index}}.Do(ctx, e.c)
	return existsFrom(esReply(ctx, "check index", index, res, err))
}

func (e *esEngine) ListIndices(ctx context.Context, prefix string) ([]IndexStat, error) {
	pattern, err := listPattern(prefix)
	if err != nil {
		return nil, err
	}
	ctx, cancel := e.bound(ctx)
	defer cancel()
	var idx []string
	if pattern != "" {
		idx = []string{pattern}
	}
	res, err := esapi.CatIndicesRequest{Index: idx, Format: "json", H: catColumns}.Do(ctx, e.c)
	r, err := esReply(ctx, "list indices", pattern, res, err)
	if err != nil {
		return nil, err
	}
	var rows []catIndex
	if err := decode(r, &rows); err != nil {
		return nil, err
	}
	res, err = esapi.IndicesGetAliasRequest{Index: idx}.Do(ctx, e.c)
	r, err = esReply(ctx, "list aliases", pattern, res, err)
	if err != nil {
		return nil, err
	}
	var aliases aliasMap
	if err := decode(r, &aliases); err != nil {
		return nil, err
	}
	return mergeIndexStats(prefix, rows, aliases), nil
}

func (e *esEngine) GetAlias(ctx context.Context, alias string) ([]string, error) {
	ctx, cancel := e.bound(ctx)
	defer cancel()
	res, err := esapi.IndicesGetAliasRequest{Name: []string{alias}}.Do(ctx, e.c)
	return aliasFrom(esReply(ctx, "get alias", alias, res, err))
}

func (e *esEngine) SwapAlias(ctx context.Context, alias, index string, remove []string) error {
	if err := checkExplicit("swap alias", append([]string{alias, index}, remove...)...); err != nil {
		return err
	}
	ctx, cancel := e.bound(ctx)
	defer cancel()
	body := aliasActions(alias, index, remove)
	res, err := esapi.IndicesUpdateAliasesRequest{Body: bytes.NewReader(body)}.Do(ctx, e.c)
	return esDone(ctx, "swap alias", alias, res, err)
}

func (e *esEngine) DeleteAlias(ctx context.Context, index, alias string) error {
	if err := checkExplicit("delete alias", index, alias); err != nil {
		return err
	}
	ctx, cancel := e.bound(ctx)
	defer cancel()
	res, err := esapi.IndicesDeleteAliasRequest{Index: []string{index}, Name: []string{alias}}.Do(ctx, e.c)
	return esDone(ctx, "delete alias", alias, res, err)
}

func (e *esEngine) Bulk(ctx context.Context, index string, body []byte) (BulkResult, error) {
	if len(body) == 0 {
		return BulkResult{}, nil
	}
	ctx, cancel := e.bound(ctx)
	defer cancel()
	res, err := esapi.BulkRequest{Index: index, Body: bytes.NewReader(body), FilterPath: bulkFilterPath}.Do(ctx, e.c)
	r, err := esReply(ctx, "bulk", index, res, err)
	if err != nil {
		return BulkResult{}, err
	}
	return parseBulk(index, r)
}

func (e *esEngine) Refresh(ctx context.Context, indices ...string) error {
	ctx, cancel := e.bound(ctx)
	defer cancel()
	res, err := esapi.IndicesRefreshRequest{Index: indices}.Do(ctx, e.c)
	return esDone(ctx, "refresh", joinNames(indices), res, err)
}

func (e *esEngine) Count(ctx context.Context, index string) (int64, error) {
	ctx, cancel := e.bound(ctx)
	defer cancel()
	res, err := esapi.CountRequest{Index: []string{index}}.Do(ctx, e.c)
	return countFrom(esReply(ctx, "count", index, res, err))
}

func (e *esEngine) DeleteByQuery(ctx context.Context, index string, query []byte) (int64, error) {
	if err := checkExplicit("delete by query", index); err != nil {
		return 0, err
	}
	sctx, cancel := e.bound(ctx)
	defer cancel()
	res, err := esapi.DeleteByQueryRequest{Index: []string{index}, Body: queryBody(query),
		Conflicts: "proceed", Refresh: &yes, WaitForCompletion: &no}.Do(sctx, e.c)
	r, err := esReply(sctx, "delete by query", index, res, err)
	return followTask(ctx, e.base, e, r, err)
}

func (e *esEngine) GetSettings(ctx context.Context, index string) (map[string]string, error) {
	ctx, cancel := e.bound(ctx)
	defer cancel()
	res, err := esapi.IndicesGetSettingsRequest{Index: []string{index}, FlatSettings: &yes}.Do(ctx, e.c)
	return settingsFrom(esReply(ctx, "get settings", index, res, err))
}

func (e *esEngine) PutSettings(ctx context.Context, index string, body []byte) error {
	ctx, cancel := e.bound(ctx)
	defer cancel()
	res, err := esapi.IndicesPutSettingsRequest{Index: []string{index}, Body: bodyReader(body)}.Do(ctx, e.c)
	return esDone(ctx, "put settings", index, res, err)
}

func (e *esEngine) Reindex(ctx context.Context, src, dst string) (int64, error) {
	if err := checkExplicit("reindex", src, dst); err != nil {
		return 0, err
	}
	sctx, cancel := e.bound(ctx)
	defer cancel()
	res, err := esapi.ReindexRequest{Body: reindexBody(src, dst), WaitForCompletion: &no}.Do(sctx, e.c)
	r, err := esReply(sctx, "reindex", src+" into "+dst, res, err)
	return followTask(ctx, e.base, e, r, err)
}

func (e *esEngine) getTask(ctx context.Context, op, index, id string) (*reply, error) {
	res, err := esapi.TasksGetRequest{TaskID: id}.Do(ctx, e.c)
	return esReply(ctx, op, index, res, err)
}

func (e *esEngine) cancelTask(ctx context.Context, op, index, id string) error {
	res, err := esapi.TasksCancelRequest{TaskID: id}.Do(ctx, e.c)
	return esDone(ctx, op, index, res, err)
}
