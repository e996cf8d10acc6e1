package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// Cluster is the benchmark's own minimal HTTP client for the index
// housekeeping around each contender (create, refresh, count, delete). It
// is not any contender's code path.
type Cluster struct {
	URL    string
	Client *http.Client
}

// NewCluster returns a Cluster for the engine at baseURL.
func NewCluster(baseURL string) *Cluster {
	return &Cluster{URL: strings.TrimRight(baseURL, "/"), Client: &http.Client{Timeout: 5 * time.Minute}}
}

func (c *Cluster) do(ctx context.Context, method, path string, body []byte, out any) error {
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.URL+path, rd)
	if err != nil {
		return err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := c.Client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		return err
	}
	if resp.StatusCode >= 300 {
		return fmt.Errorf("%s %s: status %d: %.300s", method, path, resp.StatusCode, data)
	}
	if out != nil {
		return json.Unmarshal(data, out)
	}
	return nil
}

// Version returns the engine's distribution ("elasticsearch" or
// "opensearch") and version number from GET /, or from the node's own
// info where GET / is not served (a node started without its root
// handler, as the Elasticsearch 8 of `make services`): Elasticsearch
// names its build flavor there, OpenSearch does not.
func (c *Cluster) Version(ctx context.Context) (dist, number string, err error) {
	var info struct {
		Version struct {
			Number       string `json:"number"`
			Distribution string `json:"distribution"`
		} `json:"version"`
	}
	if err := c.do(ctx, http.MethodGet, "/", nil, &info); err != nil {
		var nodes struct {
			Nodes map[string]struct {
				Version     string `json:"version"`
				BuildFlavor string `json:"build_flavor"`
			} `json:"nodes"`
		}
		if nerr := c.do(ctx, http.MethodGet, "/_nodes/_local?filter_path=nodes.*.version,nodes.*.build_flavor", nil, &nodes); nerr != nil {
			return "", "", fmt.Errorf("probe %s: %w (and _nodes/_local: %v)", c.URL, err, nerr)
		}
		for _, n := range nodes.Nodes {
			if n.BuildFlavor != "" {
				return "elasticsearch", n.Version, nil
			}
			return "opensearch", n.Version, nil
		}
		return "", "", fmt.Errorf("probe %s: %w (and _nodes/_local names no node)", c.URL, err)
	}
	dist = info.Version.Distribution
	if dist == "" {
		dist = "elasticsearch"
	}
	return dist, info.Version.Number, nil
}

// CreateIndex creates index with body.
func (c *Cluster) CreateIndex(ctx context.Context, index string, body []byte) error {
	if err := c.do(ctx, http.MethodPut, "/"+url.PathEscape(index)+"?wait_for_active_shards=1", body, nil); err != nil {
		return fmt.Errorf("create index %s: %w", index, err)
	}
	return nil
}

// DeleteIndex deletes the index named exactly index.
func (c *Cluster) DeleteIndex(ctx context.Context, index string) error {
	if err := c.do(ctx, http.MethodDelete, "/"+url.PathEscape(index), nil, nil); err != nil {
		return fmt.Errorf("delete index %s: %w", index, err)
	}
	return nil
}

// Refresh refreshes index (an index or an alias).
func (c *Cluster) Refresh(ctx context.Context, index string) error {
	if err := c.do(ctx, http.MethodPost, "/"+url.PathEscape(index)+"/_refresh", nil, nil); err != nil {
		return fmt.Errorf("refresh %s: %w", index, err)
	}
	return nil
}

// Count returns the number of documents in index.
func (c *Cluster) Count(ctx context.Context, index string) (int64, error) {
	var out struct {
		Count int64 `json:"count"`
	}
	if err := c.do(ctx, http.MethodGet, "/"+url.PathEscape(index)+"/_count", nil, &out); err != nil {
		return 0, fmt.Errorf("count %s: %w", index, err)
	}
	return out.Count, nil
}

// AliasIndices returns the physical indices the alias points to.
func (c *Cluster) AliasIndices(ctx context.Context, alias string) ([]string, error) {
	var out map[string]json.RawMessage
	if err := c.do(ctx, http.MethodGet, "/_alias/"+url.PathEscape(alias), nil, &out); err != nil {
		return nil, fmt.Errorf("read alias %s: %w", alias, err)
	}
	names := make([]string, 0, len(out))
	for k := range out {
		names = append(names, k)
	}
	return names, nil
}

// Settings returns the number of shards and replicas of index.
func (c *Cluster) Settings(ctx context.Context, index string) (shards, replicas string, err error) {
	var out map[string]struct {
		Settings struct {
			Index struct {
				Shards   string `json:"number_of_shards"`
				Replicas string `json:"number_of_replicas"`
			} `json:"index"`
		} `json:"settings"`
	}
	if err := c.do(ctx, http.MethodGet, "/"+url.PathEscape(index)+"/_settings", nil, &out); err != nil {
		return "", "", fmt.Errorf("read settings of %s: %w", index, err)
	}
	for _, v := range out {
		return v.Settings.Index.Shards, v.Settings.Index.Replicas, nil
	}
	return "", "", fmt.Errorf("read settings of %s: no index in the answer", index)
}
