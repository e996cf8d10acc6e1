package engine

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/elastic/go-elasticsearch/v8/esapi"
	"github.com/opensearch-project/opensearch-go/v4"
	"github.com/opensearch-project/opensearch-go/v4/opensearchapi"
)

// This file finds out, once per engine, which optional server APIs the
// cluster has, and holds the vendor calls that the fallbacks (fallback.go)
// and the analysis check (analysis.go) send. An Elasticsearch node built
// without its reindex module (as the in-JVM 8.x node from Maven Central is)
// has neither _reindex nor _delete_by_query; Reindex and DeleteByQuery then
// do the same work by scrolling and bulk requests.

// Capabilities are the optional server APIs a cluster has.
type Capabilities struct {
	// Reindex is the server-side _reindex API.
	Reindex bool
	// DeleteByQuery is the server-side _delete_by_query API.
	DeleteByQuery bool
}

// capClient is the part of client that the probes and fallbacks send.
type capClient interface {
	// nodeInfo is GET _nodes/_local with filter_path=nodeInfoFilter.
	nodeInfo(ctx context.Context) raw
	// search opens a scroll of keepAlive on index with a search body.
	search(ctx context.Context, index string, body io.Reader, keepAlive time.Duration) raw
	// scroll reads the next page of a scroll and keeps it alive.
	scroll(ctx context.Context, id string, keepAlive time.Duration) raw
	clearScroll(ctx context.Context, id string) raw
	// analyze is POST _analyze with body.
	analyze(ctx context.Context, body io.Reader) raw
}

// probeCache is what an adapter has learnt about its cluster. Its zero
// value knows nothing; a failed probe is not remembered, so a later call
// asks again.
type probeCache struct {
	mu       sync.Mutex
	caps     *Capabilities
	analysis map[string]string // _analyze body → "" when accepted, else the engine's reason
}

// probeAbsentIndex is an index name that a probe addresses and that must not
// exist; a probe that finds it anyway only deletes what match_none matches.
const probeAbsentIndex = "demhost-capability-probe-absent"

// Capabilities probes the cluster once (and again after a failed probe)
// for _reindex and _delete_by_query. Each probe is a request the API
// refuses when present, so nothing changes in the cluster: _reindex with an
// empty body, and _delete_by_query matching nothing on an absent index.
func (a *adapter) Capabilities(ctx context.Context) (Capabilities, error) {
	a.probe.mu.Lock()
	defer a.probe.mu.Unlock()
	if a.probe.caps != nil {
		return *a.probe.caps, nil
	}
	var caps Capabilities
	var err error
	caps.Reindex, err = a.hasAPI(ctx, "probe _reindex", func(ctx context.Context) raw {
		return a.c.reindex(ctx, strings.NewReader(`{}`))
	})
	if err != nil {
		return caps, err
	}
	caps.DeleteByQuery, err = a.hasAPI(ctx, "probe _delete_by_query", func(ctx context.Context) raw {
		return a.c.deleteByQuery(ctx, probeAbsentIndex, queryBody([]byte(`{"match_none":{}}`)))
	})
	if err != nil {
		return caps, err
	}
	a.probe.caps = &caps
	return caps, nil
}

// hasAPI sends a probe and reads its answer: an API that is missing
// answers 405 (the path matched another API's methods) or 400 with a bare
// string error ("no handler found for uri ..."); one that exists answers
// with its own error object, or succeeds, or refuses the user (403: only
// an existing API's action is authorized; the real call will say so).
// Failed authentication (401) and transport errors are returned.
func (a *adapter) hasAPI(ctx context.Context, op string, req send) (bool, error) {
	r, err := a.call(ctx, op, "", req)
	r.release()
	var ee *Error
	switch {
	case err == nil:
		return true, nil
	case !errors.As(err, &ee):
		return false, err
	case ee.Status == http.StatusMethodNotAllowed:
		return false, nil
	case ee.Status == http.StatusBadRequest && ee.Type == "" && strings.HasPrefix(ee.Reason, "no handler found"):
		return false, nil
	case errors.Is(err, ErrNotFound), errors.Is(err, ErrRejected), ee.Status == http.StatusForbidden:
		return true, nil
	}
	return false, err
}

// nodeInfoFilter keeps what Info and Probe read of _nodes/_local.
var nodeInfoFilter = []string{"cluster_name", "nodes.*.version", "nodes.*.build_flavor"}

// nodesAnswer is GET _nodes/_local filtered by nodeInfoFilter.
type nodesAnswer struct {
	ClusterName string `json:"cluster_name"`
	Nodes       map[string]struct {
		Version     string `json:"version"`
		BuildFlavor string `json:"build_flavor"`
	} `json:"nodes"`
}

// local is the one node's version and build flavor ("" when none).
func (n nodesAnswer) local() (version, flavor string) {
	for _, node := range n.Nodes {
		return node.Version, node.BuildFlavor
	}
	return "", ""
}

// kindOf names the vendor of an answer to _nodes/_local or GET /: the
// X-Elastic-Product header that Elasticsearch 7.14 and later send on every
// answer (and that go-elasticsearch requires), else the X-OpenSearch-Version
// header of OpenSearch 3, else the body: GET / has version.distribution
// "opensearch" on OpenSearch; a node's build_flavor exists only on
// Elasticsearch (OpenSearch dropped it).
func kindOf(h http.Header, nodes *nodesAnswer, root *rootInfo) Kind {
	switch {
	case h.Get("X-Elastic-Product") == "Elasticsearch":
		return Elasticsearch
	case h.Get("X-OpenSearch-Version") != "":
		return OpenSearch
	case root != nil && root.Version.Distribution == "opensearch":
		return OpenSearch
	case root != nil:
		return Elasticsearch
	}
	if _, flavor := nodes.local(); flavor != "" {
		return Elasticsearch
	}
	return OpenSearch
}

// infoUnanswered reports an error of _nodes/_local after which GET / is
// worth asking: a user without the monitor privilege (403), a proxy that
// serves only some paths (404, 405), or a service that does not offer the
// API (410, as Elasticsearch Serverless answers).
func infoUnanswered(err error) bool {
	var ee *Error
	if !errors.As(err, &ee) {
		return false
	}
	switch ee.Status {
	case http.StatusForbidden, http.StatusNotFound, http.StatusMethodNotAllowed, http.StatusGone:
		return true
	}
	return false
}

func (a *adapter) Info(ctx context.Context) (Info, error) {
	r, err := a.call(ctx, "info", "", a.c.nodeInfo)
	if infoUnanswered(err) {
		if r, err = a.call(ctx, "info", "", a.c.info); err != nil {
			return Info{}, err
		}
		return infoFrom(r, a.kind, a.url)
	}
	if err != nil {
		return Info{}, err
	}
	var n nodesAnswer
	if err := decode(r, &n); err != nil {
		return Info{}, err
	}
	version, _ := n.local()
	return Info{Kind: a.kind, Version: version, ClusterName: n.ClusterName, URL: a.url}, nil
}

func (e esClient) nodeInfo(ctx context.Context) raw {
	return esRaw(esapi.NodesInfoRequest{NodeID: []string{"_local"}, FilterPath: nodeInfoFilter}.Do(ctx, e.c))
}

func (e esClient) search(ctx context.Context, index string, body io.Reader, keepAlive time.Duration) raw {
	return esRaw(esapi.SearchRequest{Index: []string{index}, Body: body, Scroll: keepAlive}.Do(ctx, e.c))
}

func (e esClient) scroll(ctx context.Context, id string, keepAlive time.Duration) raw {
	return esRaw(esapi.ScrollRequest{Body: scrollBody(id, keepAlive)}.Do(ctx, e.c))
}

func (e esClient) clearScroll(ctx context.Context, id string) raw {
	return esRaw(esapi.ClearScrollRequest{Body: scrollBody(id, 0)}.Do(ctx, e.c))
}

func (e esClient) analyze(ctx context.Context, body io.Reader) raw {
	return esRaw(esapi.IndicesAnalyzeRequest{Body: body}.Do(ctx, e.c))
}

func (o osClient) nodeInfo(ctx context.Context) raw {
	return o.do(ctx, opensearchapi.NodesInfoReq{NodeID: []string{"_local"},
		Params: opensearchapi.NodesInfoParams{FilterPath: nodeInfoFilter}})
}

func (o osClient) search(ctx context.Context, index string, body io.Reader, keepAlive time.Duration) raw {
	return o.do(ctx, opensearchapi.SearchReq{Indices: []string{index}, Body: body,
		Params: opensearchapi.SearchParams{Scroll: keepAlive}})
}

func (o osClient) scroll(ctx context.Context, id string, keepAlive time.Duration) raw {
	return o.do(ctx, rawRequest{method: http.MethodPost, path: "/_search/scroll", body: scrollBody(id, keepAlive)})
}

func (o osClient) clearScroll(ctx context.Context, id string) raw {
	return o.do(ctx, rawRequest{method: http.MethodDelete, path: "/_search/scroll", body: scrollBody(id, 0)})
}

func (o osClient) analyze(ctx context.Context, body io.Reader) raw {
	// opensearchapi's analyze request takes a typed body without inline
	// component definitions; the check sends them, so the body goes raw.
	return o.do(ctx, rawRequest{method: http.MethodPost, path: "/_analyze", body: body})
}

// rawRequest is an opensearch.Request with a ready body, for the calls
// whose opensearchapi request puts the scroll id in the URL (ids can be
// long) or types the body.
type rawRequest struct {
	method, path string
	body         io.Reader
}

func (r rawRequest) GetRequest() (*http.Request, error) {
	return opensearch.BuildRequest(r.method, r.path, r.body, nil, nil)
}

// scrollBody is {"scroll_id":…} with "scroll" when keepAlive is set.
func scrollBody(id string, keepAlive time.Duration) io.Reader {
	m := map[string]string{"scroll_id": id}
	if keepAlive > 0 {
		m["scroll"] = strconv.Itoa(int(keepAlive.Seconds())) + "s"
	}
	b, _ := json.Marshal(m)
	return strings.NewReader(string(b))
}
