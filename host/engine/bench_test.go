package engine_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/demhost/demhost/host/engine"
)

// answerRT drains each request body and answers with a fixed body, so a
// benchmark measures the adapter and its client, not a network.
type answerRT struct{ body []byte }

func (a answerRT) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.Body != nil {
		_, _ = io.Copy(io.Discard, req.Body)
		req.Body.Close()
	}
	h := http.Header{"X-Elastic-Product": {"Elasticsearch"}, "Content-Type": {"application/json"}}
	return &http.Response{StatusCode: 200, Header: h, Request: req,
		Body: io.NopCloser(bytes.NewReader(a.body))}, nil
}

// BenchmarkBulk sends a 1000-document bulk through each adapter and its
// vendor client to a transport that answers "errors":false at once: the
// per-request cost demhost adds on top of the network.
func BenchmarkBulk(b *testing.B) {
	var req, resp strings.Builder
	resp.WriteString(`{"errors":false,"items":[`)
	for i := range 1000 {
		fmt.Fprintf(&req, "{\"index\":{\"_id\":\"%d\"}}\n{\"title\":\"movie %d\",\"year\":%d}\n", i, i, 1900+i%120)
		if i > 0 {
			resp.WriteByte(',')
		}
		fmt.Fprintf(&resp, `{"index":{"_id":"%d","status":201}}`, i)
	}
	resp.WriteString("]}")
	body := []byte(req.String())
	for _, kind := range kinds {
		b.Run(string(kind), func(b *testing.B) {
			eng, err := engine.Open(context.Background(), engine.Config{Kind: kind,
				Transport: answerRT{body: []byte(resp.String())}})
			if err != nil {
				b.Fatal(err)
			}
			ctx := context.Background()
			b.SetBytes(int64(len(body)))
			b.ReportAllocs()
			for b.Loop() {
				res, err := eng.Bulk(ctx, "movies", body)
				if err != nil || res.Items != 1000 {
					b.Fatal(res, err)
				}
			}
		})
	}
}
