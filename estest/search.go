package estest

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
)

// Count refreshes the alias of base and returns its number of documents.
// It fails the test on error.
func (e *Env) Count(ctx context.Context, base string) int64 {
	e.t.Helper()
	alias := e.Alias(base)
	if err := e.eng.Refresh(ctx, alias); err != nil {
		e.t.Fatalf("estest: refresh %s: %v", alias, err)
	}
	n, err := e.eng.Count(ctx, alias)
	if err != nil {
		e.t.Fatalf("estest: count %s: %v", alias, err)
	}
	return n
}

// Hit is one search hit.
type Hit struct {
	ID     string          `json:"_id"`
	Index  string          `json:"_index"` // the physical index, e.g. "ttpau55_search_3f9a1c5094_movies-1"
	Score  float64         `json:"_score"`
	Source json.RawMessage `json:"_source"`
}

// SearchResult is the part of a search response tests assert on.
type SearchResult struct {
	Total int64 // hits.total.value
	Hits  []Hit
}

// Search posts body (a search request such as
// {"query":{"match":{"title":"dune"}}}) to the alias of base and decodes
// the hits. It fails the test on error, naming the alias.
func (e *Env) Search(ctx context.Context, base, body string) SearchResult {
	e.t.Helper()
	alias := e.Alias(base)
	res, err := search(ctx, e.url, alias, body)
	if err != nil {
		e.t.Fatalf("estest: search %s: %v", alias, err)
	}
	return res
}

func search(ctx context.Context, baseURL, index, body string) (SearchResult, error) {
	url := strings.TrimRight(baseURL, "/") + "/" + index + "/_search"
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader([]byte(body)))
	if err != nil {
		return SearchResult{}, err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return SearchResult{}, err
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		return SearchResult{}, fmt.Errorf("read response: %w", err)
	}
	if resp.StatusCode != http.StatusOK {
		return SearchResult{}, fmt.Errorf("HTTP %d: %s", resp.StatusCode, bytes.TrimSpace(raw))
	}
	var out struct {
		Hits struct {
			Total json.RawMessage `json:"total"`
			Hits  []Hit           `json:"hits"`
		} `json:"hits"`
	}
	if err := json.Unmarshal(raw, &out); err != nil {
		return SearchResult{}, fmt.Errorf("decode response: %w", err)
	}
	total, err := decodeTotal(out.Hits.Total)
	if err != nil {
		return SearchResult{}, err
	}
	return SearchResult{Total: total, Hits: out.Hits.Hits}, nil
}

// decodeTotal reads hits.total: {"value":n} since ES 7 / OpenSearch, a
// plain number before, absent with track_total_hits=false.
func decodeTotal(raw json.RawMessage) (int64, error) {
	if len(raw) == 0 {
		return 0, nil
	}
	var obj struct {
		Value int64 `json:"value"`
	}
	if err := json.Unmarshal(raw, &obj); err == nil {
		return obj.Value, nil
	}
	var n int64
	if err := json.Unmarshal(raw, &n); err != nil {
		return 0, fmt.Errorf("decode hits.total %s: %w", raw, err)
	}
	return n, nil
}
