package engine

import (
	"bytes"
	"context"
	"fmt"
	"net/http"

	"github.com/opensearch-project/opensearch-go/v4"
	"github.com/opensearch-project/opensearch-go/v4/opensearchapi"
)

// osEngine is the OpenSearch adapter on opensearch-go/v4. It builds
// opensearchapi requests and sends them with the root client's Do and no
// data pointer, so the raw answer reaches the shared decoding.
type osEngine struct {
	base
	c *opensearch.Client
}

var _ Engine = (*osEngine)(nil)

func newOpenSearch(cfg Config) (*osEngine, error) {
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
	if err != nil {
		return nil, fmt.Errorf("open opensearch %s: %w", redact(cfg.URLs[0]), err)
	}
	return &osEngine{base: base{timeout: cfg.Timeout, url: redact(cfg.URLs[0])}, c: c}, nil
}

// do sends req and reads the answer through the shared error mapping.
func (o *osEngine) do(ctx context.Context, op, index string, req opensearch.Request) (*reply, error) {
	res, err := o.c.Do(ctx, req, nil)
	if err != nil || res == nil {
		if err == nil {
			err = errNoAnswer
		}
		return readReply(ctx, op, index, 0, nil, err)
	}
	return readReply(ctx, op, index, res.StatusCode, res.Body, nil)
}

// done is do for calls whose 2xx answer says nothing more.
func (o *osEngine) done(ctx context.Context, op, index string, req opensearch.Request) error {
	r, err := o.do(ctx, op, index, req)
	r.release()
	return err
}

func (o *osEngine) Info(ctx context.Context) (Info, error) {
	ctx, cancel := o.bound(ctx)
	defer cancel()
	r, err := o.do(ctx, "info", "", opensearchapi.InfoReq{})
	if err != nil {
		return Info{}, err
	}
	info, err := infoFrom(r, o.url)
	info.Kind = OpenSearch
	return info, err
}

func (o *osEngine) CreateIndex(ctx context.Context, index string, body []byte) error {
	ctx, cancel := o.bound(ctx)
	defer cancel()
	return o.done(ctx, "create index", index, opensearchapi.IndicesCreateReq{Index: index, Body: bodyReader(body)})
}

func (o *osEngine) DeleteIndices(ctx context.Context, indices ...string) error {
	if err := checkExplicit("delete index", indices...); err != nil {
		return err
	}
	ctx, cancel := o.bound(ctx)
	defer cancel()
	return o.done(ctx, "delete index", joinNames(indices), opensearchapi.IndicesDeleteReq{Indices: indices})
}

func (o *osEngine) Exists(ctx context.Context, index string) (bool, error) {
	ctx, cancel := o.bound(ctx)
	defer cancel()
	return existsFrom(o.do(ctx, "check index", index, opensearchapi.IndicesExistsReq{Indices: []string{index}}))
}

func (o *osEngine) ListIndices(ctx context.Context, prefix string) ([]IndexStat, error) {
	pattern, err := listPattern(prefix)
	if err != nil {
		return nil, err
	}
	ctx, cancel := o.bound(ctx)
	defer cancel()
	idx := []string{"_all"}
	if pattern != "" {
		idx = []string{pattern}
	}
	r, err := o.do(ctx, "list indices", pattern, opensearchapi.CatIndicesReq{Indices: idx,
		Params: opensearchapi.CatIndicesParams{H: catColumns}})
	if err != nil {
		return nil, err
	}
	var rows []catIndex
	if err := decode(r, &rows); err != nil {
		return nil, err
	}
	r, err = o.do(ctx, "list aliases", pattern, opensearchapi.AliasGetReq{Indices: idx})
	if err != nil {
		return nil, err
	}
	var aliases aliasMap
	if err := decode(r, &aliases); err != nil {
		return nil, err
	}
	return mergeIndexStats(prefix, rows, aliases), nil
}

func (o *osEngine) GetAlias(ctx context.Context, alias string) ([]string, error) {
	ctx, cancel := o.bound(ctx)
	defer cancel()
	return aliasFrom(o.do(ctx, "get alias", alias,
		opensearchapi.AliasGetReq{Indices: []string{"_all"}, Alias: []string{alias}}))
}

func (o *osEngine) SwapAlias(ctx context.Context, alias, index string, remove []string) error {
	if err := checkExplicit("swap alias", append([]string{alias, index}, remove...)...); err != nil {
		return err
	}
	ctx, cancel := o.bound(ctx)
	defer cancel()
	body := aliasActions(alias, index, remove)
	return o.done(ctx, "swap alias", alias, opensearchapi.AliasesReq{Body: bytes.NewReader(body)})
}

func (o *osEngine) DeleteAlias(ctx context.Context, index, alias string) error {
	if err := checkExplicit("delete alias", index, alias); err != nil {
		return err
	}
	ctx, cancel := o.bound(ctx)
	defer cancel()
	return o.done(ctx, "delete alias", alias,
		opensearchapi.AliasDeleteReq{Indices: []string{index}, Alias: []string{alias}})
}

func (o *osEngine) Bulk(ctx context.Context, index string, body []byte) (BulkResult, error) {
	if len(body) == 0 {
		return BulkResult{}, nil
	}
	ctx, cancel := o.bound(ctx)
	defer cancel()
	r, err := o.do(ctx, "bulk", index, opensearchapi.BulkReq{Index: index, Body: bytes.NewReader(body),
		Params: opensearchapi.BulkParams{FilterPath: bulkFilterPath}})
	if err != nil {
		return BulkResult{}, err
	}
	return parseBulk(index, r)
}

func (o *osEngine) Refresh(ctx context.Context, indices ...string) error {
	ctx, cancel := o.bound(ctx)
	defer cancel()
	return o.done(ctx, "refresh", joinNames(indices), opensearchapi.IndicesRefreshReq{Indices: indices})
}

func (o *osEngine) Count(ctx context.Context, index string) (int64, error) {
	ctx, cancel := o.bound(ctx)
	defer cancel()
	return countFrom(o.do(ctx, "count", index, opensearchapi.IndicesCountReq{Indices: []string{index}}))
}

func (o *osEngine) DeleteByQuery(ctx context.Context, index string, query []byte) (int64, error) {
	if err := checkExplicit("delete by query", index); err != nil {
		return 0, err
	}
	sctx, cancel := o.bound(ctx)
	defer cancel()
	r, err := o.do(sctx, "delete by query", index, opensearchapi.DocumentDeleteByQueryReq{
		Indices: []string{index}, Body: queryBody(query),
		Params: opensearchapi.DocumentDeleteByQueryParams{Conflicts: "proceed", Refresh: &yes, WaitForCompletion: &no},
	})
	return followTask(ctx, o.base, o, r, err)
}

func (o *osEngine) GetSettings(ctx context.Context, index string) (map[string]string, error) {
	ctx, cancel := o.bound(ctx)
	defer cancel()
	return settingsFrom(o.do(ctx, "get settings", index, opensearchapi.SettingsGetReq{
		Indices: []string{index}, Params: opensearchapi.SettingsGetParams{FlatSettings: &yes}}))
}

func (o *osEngine) PutSettings(ctx context.Context, index string, body []byte) error {
	ctx, cancel := o.bound(ctx)
	defer cancel()
	return o.done(ctx, "put settings", index, opensearchapi.SettingsPutReq{Indices: []string{index}, Body: bodyReader(body)})
}

func (o *osEngine) Reindex(ctx context.Context, src, dst string) (int64, error) {
	if err := checkExplicit("reindex", src, dst); err != nil {
		return 0, err
	}
	sctx, cancel := o.bound(ctx)
	defer cancel()
	r, err := o.do(sctx, "reindex", src+" into "+dst, opensearchapi.ReindexReq{
		Body: reindexBody(src, dst), Params: opensearchapi.ReindexParams{WaitForCompletion: &no}})
	return followTask(ctx, o.base, o, r, err)
}

func (o *osEngine) getTask(ctx context.Context, op, index, id string) (*reply, error) {
	return o.do(ctx, op, index, opensearchapi.TasksGetReq{TaskID: id})
}

func (o *osEngine) cancelTask(ctx context.Context, op, index, id string) error {
	return o.done(ctx, op, index, opensearchapi.TasksCancelReq{TaskID: id})
}
