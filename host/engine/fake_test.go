package engine_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/demhost/demhost/host/engine"
)

// fake answers every request with one canned response and records what
// it was asked. It stands in for the network only, in parsing tests.
type fake struct {
	status int
	body   string
	err    error
	// noProduct leaves out the X-Elastic-Product header, which every
	// answer of Elasticsearch 7.14+ carries (and go-elasticsearch requires).
	noProduct bool

	mu   sync.Mutex
	reqs []*http.Request
	sent []string // request bodies
}

func (f *fake) RoundTrip(req *http.Request) (*http.Response, error) {
	var body []byte
	if req.Body != nil {
		body, _ = io.ReadAll(req.Body)
		req.Body.Close()
	}
	f.mu.Lock()
	f.reqs = append(f.reqs, req)
	f.sent = append(f.sent, string(body))
	f.mu.Unlock()
	if f.err != nil {
		return nil, f.err
	}
	h := http.Header{}
	h.Set("Content-Type", "application/json")
	if !f.noProduct {
		h.Set("X-Elastic-Product", "Elasticsearch") // go-elasticsearch checks it
	}
	return &http.Response{StatusCode: f.status, Header: h, Request: req,
		Body: io.NopCloser(strings.NewReader(f.body))}, nil
}

var kinds = []engine.Kind{engine.Elasticsearch, engine.OpenSearch}

func openFake(t testing.TB, kind engine.Kind, f *fake) engine.Engine {
	t.Helper()
	eng, err := engine.Open(context.Background(), engine.Config{Kind: kind, Transport: f})
	if err != nil {
		t.Fatal(err)
	}
	return eng
}

const (
	bulkOK = `{"errors":false,"items":[{"index":{"_id":"1","status":201}},{"index":{"_id":"2","status":200}},` +
		`{"delete":{"_id":"3","status":404}}]}`
	bulkFailed = `{"errors":true,"items":[{"index":{"_id":"1","status":201}},` +
		`{"create":{"_id":"2","status":409,"error":{"type":"version_conflict_engine_exception","reason":"[2]: version conflict","index":"movies"}}},` +
		`{"index":{"_id":"3","status":429,"error":{"type":"es_rejected_execution_exception","reason":"queue full"}}}]}`
)

func TestBulkResponses(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name      string
		status    int
		body      string
		transport error
		wantErr   error
		want      engine.BulkResult
	}{
		{name: "no errors", status: 200, body: bulkOK, want: engine.BulkResult{Items: 3}},
		// The items are broken JSON: only a parser that skips them passes.
		{name: "no errors skips items", status: 200,
			body: `{"errors":false,"items":[{"index":{"_id":"1","status":201}},{"index":{"status":201 BROKEN`,
			want: engine.BulkResult{Items: 2}},
		{name: "item failures", status: 200, body: bulkFailed, want: engine.BulkResult{Items: 3, Failures: []engine.BulkItemFailure{
			{Position: 1, ID: "2", Index: "movies", Status: 409, Type: "version_conflict_engine_exception", Reason: "[2]: version conflict"},
			{Position: 2, ID: "3", Index: "idx", Status: 429, Type: "es_rejected_execution_exception", Reason: "queue full"},
		}}},
		// Braces, brackets and key-like text inside strings must not fool
		// the scanner that finds the failed items.
		{name: "tricky strings", status: 200, body: `{"errors":true,"items":[` +
			`{"index":{"_id":"x\"error\":{]}","status":201}},` +
			`{"update":{"_id":"}{","status":404,"error":{"type":"document_missing_exception","reason":"[}{]: document missing"}}}]}`,
			want: engine.BulkResult{Items: 2, Failures: []engine.BulkItemFailure{
				{Position: 1, ID: "}{", Index: "idx", Status: 404, Type: "document_missing_exception", Reason: "[}{]: document missing"},
			}}},
		{name: "truncated", status: 200, body: `{"errors":true,"items":[{"index":{"_id":"1","status":201}},{"index":{"_id":"2"`,
			wantErr: engine.ErrUnavailable},
		{name: "whole request 429", status: 429,
			body:    `{"error":{"type":"es_rejected_execution_exception","reason":"rejected execution"},"status":429}`,
			wantErr: engine.ErrTooManyRequests},
		{name: "503", status: 503, body: `{"error":{"type":"cluster_block_exception","reason":"no master"},"status":503}`,
			wantErr: engine.ErrUnavailable},
		{name: "502 from a proxy", status: 502, body: `<html>bad gateway</html>`, wantErr: engine.ErrUnavailable},
		{name: "401", status: 401, body: `{"error":{"type":"security_exception","reason":"missing authentication"},"status":401}`,
			wantErr: engine.ErrUnauthorized},
		{name: "garbage 200", status: 200, body: `not json at all`, wantErr: engine.ErrUnavailable},
		{name: "transport error", transport: errors.New("connection refused"), wantErr: engine.ErrUnavailable},
	}
	for _, kind := range kinds {
		for _, c := range cases {
			t.Run(string(kind)+"/"+c.name, func(t *testing.T) {
				t.Parallel()
				f := &fake{status: c.status, body: c.body, err: c.transport}
				got, err := openFake(t, kind, f).Bulk(context.Background(), "idx", []byte("{\"index\":{}}\n{}\n"))
				if c.wantErr != nil {
					if !errors.Is(err, c.wantErr) || !strings.Contains(err.Error(), "idx") {
						t.Fatalf("err = %v, want %v naming idx", err, c.wantErr)
					}
					return
				}
				if err != nil {
					t.Fatal(err)
				}
				if got.Items != c.want.Items || len(got.Failures) != len(c.want.Failures) {
					t.Fatalf("result = %+v, want %+v", got, c.want)
				}
				for i := range got.Failures {
					if got.Failures[i] != c.want.Failures[i] {
						t.Errorf("failure %d = %+v, want %+v", i, got.Failures[i], c.want.Failures[i])
					}
				}
			})
		}
	}
}

func TestBulkRequest(t *testing.T) {
	t.Parallel()
	for _, kind := range kinds {
		for _, index := range []string{"idx", ""} {
			t.Run(string(kind)+"/"+index, func(t *testing.T) {
				f := &fake{status: 200, body: bulkOK}
				body := "{\"index\":{\"_id\":\"1\"}}\n{\"a\":1}\n"
				if _, err := openFake(t, kind, f).Bulk(context.Background(), index, []byte(body)); err != nil {
					t.Fatal(err)
				}
				req := f.reqs[0]
				wantPath := "/_bulk"
				if index != "" {
					wantPath = "/" + index + "/_bulk"
				}
				if req.Method != "POST" || req.URL.Path != wantPath || f.sent[0] != body {
					t.Errorf("sent %s %s %q, want POST %s with the body as given", req.Method, req.URL.Path, f.sent[0], wantPath)
				}
				if fp := req.URL.Query().Get("filter_path"); fp != "errors,items.*.error,items.*.status" {
					t.Errorf("filter_path = %q", fp)
				}
			})
		}
	}
}

func TestErrorMapping(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name       string
		status     int
		body       string
		want       error
		wantType   string
		wantReason string
	}{
		{"exists", 400, `{"error":{"root_cause":[],"type":"resource_already_exists_exception","reason":"index [i/x] already exists"},"status":400}`,
			engine.ErrAlreadyExists, "resource_already_exists_exception", "already exists"},
		{"not found", 404, `{"error":{"type":"index_not_found_exception","reason":"no such index [i]"},"status":404}`,
			engine.ErrNotFound, "index_not_found_exception", "no such index"},
		{"string error", 404, `{"error":"alias [a] missing","status":404}`, engine.ErrNotFound, "", "alias [a] missing"},
		{"bad mapping", 400, `{"error":{"type":"mapper_parsing_exception","reason":"Failed to parse mapping","caused_by":{"type":"x","reason":"No handler for type [nonsense] declared on field [title]"}},"status":400}`,
			engine.ErrRejected, "mapper_parsing_exception", "field [title]"},
		{"forbidden", 403, `{"error":{"type":"security_exception","reason":"action denied"},"status":403}`,
			engine.ErrUnauthorized, "security_exception", "denied"},
		{"read-only block", 403, `{"error":{"type":"cluster_block_exception","reason":"index read-only"},"status":403}`,
			engine.ErrRejected, "cluster_block_exception", "read-only"},
		{"busy", 429, `{"error":{"type":"circuit_breaking_exception","reason":"data too large"},"status":429}`,
			engine.ErrTooManyRequests, "circuit_breaking_exception", "too large"},
		{"down", 500, `{"error":{"type":"null_pointer_exception","reason":"oops"},"status":500}`,
			engine.ErrUnavailable, "null_pointer_exception", "oops"},
		{"empty 404", 404, ``, engine.ErrNotFound, "", ""},
	}
	for _, kind := range kinds {
		for _, c := range cases {
			t.Run(string(kind)+"/"+c.name, func(t *testing.T) {
				t.Parallel()
				err := openFake(t, kind, &fake{status: c.status, body: c.body}).CreateIndex(context.Background(), "movies_v1", nil)
				var e *engine.Error
				if !errors.Is(err, c.want) || !errors.As(err, &e) {
					t.Fatalf("err = %v, want %v", err, c.want)
				}
				if e.Index != "movies_v1" || e.Op != "create index" || e.Status != c.status || e.Type != c.wantType ||
					!strings.Contains(e.Reason, c.wantReason) {
					t.Errorf("error = %+v, want index movies_v1, status %d, type %q, reason with %q", e, c.status, c.wantType, c.wantReason)
				}
			})
		}
	}
}

func TestRefusedNamesSendNothing(t *testing.T) {
	t.Parallel()
	calls := map[string]func(engine.Engine, string) error{
		"delete": func(e engine.Engine, n string) error { return e.DeleteIndices(context.Background(), "ok", n) },
		"swap": func(e engine.Engine, n string) error {
			return e.SwapAlias(context.Background(), "a", "ok", []string{n})
		},
		"delete alias": func(e engine.Engine, n string) error { return e.DeleteAlias(context.Background(), n, "a") },
		"dbq": func(e engine.Engine, n string) error {
			_, err := e.DeleteByQuery(context.Background(), n, nil)
			return err
		},
		"list": func(e engine.Engine, n string) error { _, err := e.ListIndices(context.Background(), n); return err },
	}
	for _, kind := range kinds {
		for op, call := range calls {
			for _, name := range []string{"movies*", "_all", "a,b", "mov?es"} {
				f := &fake{status: 200, body: `{}`}
				if err := call(openFake(t, kind, f), name); !errors.Is(err, engine.ErrRejected) {
					t.Errorf("%s %s %q = %v, want ErrRejected", kind, op, name, err)
				}
				if len(f.reqs) != 0 {
					t.Errorf("%s %s %q sent %d requests, want none", kind, op, name, len(f.reqs))
				}
			}
		}
	}
}

func TestSwapAliasBody(t *testing.T) {
	t.Parallel()
	for _, kind := range kinds {
		f := &fake{status: 200, body: `{"acknowledged":true}`}
		if err := openFake(t, kind, f).SwapAlias(context.Background(), "movies", "movies_v2", []string{"movies_v1"}); err != nil {
			t.Fatal(err)
		}
		want := `{"actions":[{"remove":{"index":"movies_v1","alias":"movies"}},{"add":{"index":"movies_v2","alias":"movies"}}]}`
		if len(f.reqs) != 1 || f.reqs[0].Method != "POST" || f.reqs[0].URL.Path != "/_aliases" || f.sent[0] != want {
			t.Errorf("%s: sent %d requests, first %s %s %s; want one POST /_aliases %s",
				kind, len(f.reqs), f.reqs[0].Method, f.reqs[0].URL.Path, f.sent[0], want)
		}
	}
}

func TestProbe(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name      string
		body      string
		noProduct bool
		want      engine.Kind
	}{
		{"opensearch", `{"cluster_name":"c","nodes":{"n1":{"version":"2.19.1"}}}`, true, engine.OpenSearch},
		{"elasticsearch", `{"cluster_name":"c","nodes":{"n1":{"version":"8.15.0","build_flavor":"default"}}}`, false, engine.Elasticsearch},
		// Elasticsearch before 7.14 sends no header; its build_flavor says it.
		{"elasticsearch without the header", `{"cluster_name":"c","nodes":{"n1":{"version":"7.10.2","build_flavor":"oss"}}}`, true, engine.Elasticsearch},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			f := &fake{status: 200, body: c.body, noProduct: c.noProduct}
			cfg := engine.Config{URLs: []string{"https://node:9200"}, Username: "u", Password: "p", Transport: f}
			info, err := engine.Probe(context.Background(), cfg)
			if err != nil || info.Kind != c.want || info.ClusterName != "c" || info.URL != "https://node:9200" {
				t.Fatalf("Probe = %+v, %v; want kind %s", info, err, c.want)
			}
			if u, p, ok := f.reqs[0].BasicAuth(); !ok || u != "u" || p != "p" || f.reqs[0].URL.Path != "/_nodes/_local" {
				t.Errorf("probe sent %s without basic auth", f.reqs[0].URL)
			}
			eng, err := engine.Open(context.Background(), cfg)
			if err != nil {
				t.Fatal(err)
			}
			if c.want == engine.Elasticsearch && c.noProduct {
				return // go-elasticsearch refuses to talk to it, as it should
			}
			got, err := eng.Info(context.Background())
			if err != nil || got.Kind != c.want {
				t.Errorf("opened adapter Info = %+v, %v; want kind %s", got, err, c.want)
			}
		})
	}
}

func TestProbeErrors(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name string
		f    *fake
		want error
	}{
		{"unreachable", &fake{err: errors.New("dial tcp: connection refused")}, engine.ErrUnavailable},
		{"unauthorized", &fake{status: 401, body: `{"error":"unauthorized"}`}, engine.ErrUnauthorized},
		{"not an engine", &fake{status: 200, body: `{"hello":"world"}`}, engine.ErrRejected},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			_, err := engine.Open(context.Background(), engine.Config{
				URLs: []string{"http://admin:s3cret@node:9200"}, APIKey: "k", Transport: c.f})
			if !errors.Is(err, c.want) {
				t.Fatalf("Open = %v, want %v", err, c.want)
			}
			if !strings.Contains(err.Error(), "http://node:9200") || strings.Contains(err.Error(), "s3cret") {
				t.Errorf("error %q must name the URL without its credentials", err)
			}
		})
	}
}

func TestOpenUnreachableRealNetwork(t *testing.T) {
	t.Parallel()
	_, err := engine.Open(context.Background(), engine.Config{URLs: []string{"http://user:pw@127.0.0.1:1"}})
	if !errors.Is(err, engine.ErrUnavailable) || !strings.Contains(err.Error(), "127.0.0.1:1") ||
		strings.Contains(err.Error(), "pw@") {
		t.Fatalf("Open = %v, want ErrUnavailable naming http://127.0.0.1:1", err)
	}
}

func TestOpenRejectsBadConfig(t *testing.T) {
	t.Parallel()
	for _, cfg := range []engine.Config{
		{URLs: []string{"127.0.0.1:9200"}},
		{URLs: []string{"ftp://x"}},
		{Kind: "solr", Transport: &fake{}},
		{CAFile: "/nonexistent/ca.pem"},
	} {
		if _, err := engine.Open(context.Background(), cfg); err == nil {
			t.Errorf("Open(%+v) = nil error", cfg)
		}
	}
}

func TestAPIKeyHeader(t *testing.T) {
	t.Parallel()
	for _, kind := range kinds {
		f := &fake{status: 200, body: `{"count":7}`}
		eng, err := engine.Open(context.Background(), engine.Config{Kind: kind, APIKey: "aWQ6a2V5", Transport: f})
		if err != nil {
			t.Fatal(err)
		}
		n, err := eng.Count(context.Background(), "idx")
		if err != nil || n != 7 {
			t.Fatalf("%s: Count = %d, %v", kind, n, err)
		}
		// Auth schemes are case-insensitive; go-elasticsearch writes "APIKey".
		if got := f.reqs[0].Header.Get("Authorization"); !strings.EqualFold(got, "ApiKey aWQ6a2V5") {
			t.Errorf("%s: Authorization = %q", kind, got)
		}
	}
}
