package engine_test

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/demhost/demhost/host/engine"
)

// downNode refuses connections to one host, as a node that was killed
// does, and answers {"count":7} from the others; fault is the error of
// the down host.
type downNode struct {
	down  string
	fault error
	mu    sync.Mutex
	hosts []string
}

func (d *downNode) RoundTrip(req *http.Request) (*http.Response, error) {
	d.mu.Lock()
	d.hosts = append(d.hosts, req.URL.Host)
	d.mu.Unlock()
	if req.Body != nil {
		req.Body.Close()
	}
	if req.URL.Host == d.down {
		return nil, d.fault
	}
	h := http.Header{"Content-Type": {"application/json"}, "X-Elastic-Product": {"Elasticsearch"}}
	return &http.Response{StatusCode: 200, Header: h, Request: req, Body: io.NopCloser(strings.NewReader(`{"count":7}`))}, nil
}

var refused = &net.OpError{Op: "dial", Net: "tcp", Err: errors.New("connect: connection refused")}

// A call that cannot connect to a node goes to the next configured one;
// a call that reached a node and lost its answer is not sent again.
func TestFailoverToAnotherNode(t *testing.T) {
	t.Parallel()
	for _, kind := range kinds {
		cases := []struct {
			name  string
			urls  []string
			fault error
			sent  int
			ok    bool
		}{
			{"refused, two nodes", []string{"http://a:9200", "http://b:9200"}, refused, 2, true},
			{"refused, one node", []string{"http://a:9200"}, refused, 1, false},
			{"answer lost", []string{"http://a:9200", "http://b:9200"}, io.ErrUnexpectedEOF, 1, false},
		}
		for _, c := range cases {
			d := &downNode{down: "a:9200", fault: c.fault}
			eng, err := engine.Open(context.Background(), engine.Config{URLs: c.urls, Kind: kind, Transport: d})
			if err != nil {
				t.Fatal(err)
			}
			n, err := eng.Count(t.Context(), "movies")
			if c.ok && (err != nil || n != 7) {
				t.Errorf("%s, %s: Count = %d, %v; want 7 from the live node", kind, c.name, n, err)
			}
			if !c.ok && !errors.Is(err, engine.ErrUnavailable) {
				t.Errorf("%s, %s: Count = %d, %v; want ErrUnavailable", kind, c.name, n, err)
			}
			if len(d.hosts) != c.sent || d.hosts[0] != "a:9200" {
				t.Errorf("%s, %s: sent to %v, want %d request(s), the first to a:9200", kind, c.name, d.hosts, c.sent)
			}
		}
	}
}
