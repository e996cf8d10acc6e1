package engine

import (
	"context"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
)

// scripted answers each request with the next answer its handler picks,
// and records the requests' bodies, for the fallbacks' wire behaviour.
type scripted struct {
	mu     sync.Mutex
	bulks  []string
	paths  []string
	answer func(req *http.Request, body string, bulks int) (int, string)
}

func (s *scripted) RoundTrip(req *http.Request) (*http.Response, error) {
	var b []byte
	if req.Body != nil {
		b, _ = io.ReadAll(req.Body)
	}
	s.mu.Lock()
	s.paths = append(s.paths, req.Method+" "+req.URL.Path)
	if strings.HasSuffix(req.URL.Path, "/_bulk") {
		s.bulks = append(s.bulks, string(b))
	}
	n := len(s.bulks)
	s.mu.Unlock()
	status, body := s.answer(req, string(b), n)
	h := http.Header{"Content-Type": {"application/json"}, "X-Elastic-Product": {"Elasticsearch"}}
	return &http.Response{StatusCode: status, Header: h, Request: req, Body: io.NopCloser(strings.NewReader(body))}, nil
}

// The copy fallback resends, alone, an item that came back 429, with its
// routing, and counts every document once; the scroll is cleared.
func TestScrollCopyResends429Items(t *testing.T) {
	s := &scripted{answer: func(req *http.Request, body string, bulks int) (int, string) {
		switch p := req.URL.Path; {
		case p == "/src/_search":
			return 200, `{"_scroll_id":"s1","hits":{"hits":[{"_id":"a","_source":{"n":1}},{"_id":"b","_routing":"r","_source":{"n":2}}]}}`
		case p == "/_search/scroll" && req.Method == http.MethodPost:
			return 200, `{"_scroll_id":"s1","hits":{"hits":[]}}`
		case p == "/_search/scroll":
			return 200, `{"succeeded":true}`
		case p == "/dst/_bulk" && bulks == 1:
			return 200, `{"errors":true,"items":[{"index":{"_id":"a","status":201}},` +
				`{"index":{"_id":"b","status":429,"error":{"type":"es_rejected_execution_exception","reason":"queue full"}}}]}`
		case p == "/dst/_bulk":
			return 200, `{"errors":false,"items":[{"index":{"_id":"b","status":201}}]}`
		}
		return 404, `{"error":"unexpected"}`
	}}
	eng, err := Open(context.Background(), Config{Kind: Elasticsearch, Transport: s})
	if err != nil {
		t.Fatal(err)
	}
	n, err := eng.(*adapter).scrollCopy(context.Background(), "src", "dst")
	if err != nil || n != 2 {
		t.Fatalf("scrollCopy = %d, %v; want 2", n, err)
	}
	if len(s.bulks) != 2 {
		t.Fatalf("bulk requests %q, want the page and then the one resent item", s.bulks)
	}
	want := "{\"index\":{\"_id\":\"b\",\"routing\":\"r\"}}\n{\"n\":2}\n"
	if s.bulks[1] != want {
		t.Errorf("resent bulk = %q, want %q", s.bulks[1], want)
	}
	if last := s.paths[len(s.paths)-1]; last != "DELETE /_search/scroll" {
		t.Errorf("last request %s, want the scroll cleared; requests %v", last, s.paths)
	}
}

// A document that fails for good stops the copy with the engine's reason
// and the count of what was copied.
func TestScrollCopyStopsAtFailure(t *testing.T) {
	s := &scripted{answer: func(req *http.Request, body string, bulks int) (int, string) {
		switch req.URL.Path {
		case "/src/_search":
			return 200, `{"_scroll_id":"s1","hits":{"hits":[{"_id":"a","_source":{"n":1}},{"_id":"b","_source":{"n":"x"}}]}}`
		case "/_search/scroll":
			return 200, `{"succeeded":true}`
		case "/dst/_bulk":
			return 200, `{"errors":true,"items":[{"index":{"_id":"a","status":201}},` +
				`{"index":{"_id":"b","status":400,"error":{"type":"mapper_parsing_exception","reason":"failed to parse field [n]"}}}]}`
		}
		return 404, `{"error":"unexpected"}`
	}}
	eng, err := Open(context.Background(), Config{Kind: Elasticsearch, Transport: s})
	if err != nil {
		t.Fatal(err)
	}
	n, err := eng.(*adapter).scrollCopy(context.Background(), "src", "dst")
	if n != 1 || err == nil || !strings.Contains(err.Error(), "reindex src into dst: rejected: 1 failures, first: failed to parse field [n]") {
		t.Fatalf("scrollCopy = %d, %v; want 1 copied and the failure", n, err)
	}
}
