package bench_test

import (
	"context"
	"net/http/httptest"
	"testing"

	"github.com/demhost/demhost/bench"
)

// Each suspect changes one thing of the ceiling's requests; the stand-in
// engine checks that the documents all arrive, in the bodies it says.
func TestSuspectsShapeTheirRequests(t *testing.T) {
	t.Parallel()
	const n, batch = 2500, 100
	corpus := writeTestCorpus(t, n)
	for _, tt := range []struct {
		suspect  string
		requests int
	}{
		{"ceiling", 25},
		{"ids-2parts", 26}, // 1,250 per partition: 12 full bodies and one of 50, each
		{"ids-2ranges", 26},
		{"ids-32runs", 26},
		{"batch-250", 10},
		{"fp-status", 25},
		{"chunked", 25},
	} {
		t.Run(tt.suspect, func(t *testing.T) {
			t.Parallel()
			s, ok := bench.SuspectByName(tt.suspect)
			if !ok {
				t.Fatalf("no suspect %q", tt.suspect)
			}
			fake := &fakeBulk{ids: map[string]bool{}}
			srv := httptest.NewServer(fake)
			defer srv.Close()
			rep, err := bench.RunSuspect(context.Background(), bench.ChildConfig{
				URL: srv.URL, Index: "movies", Corpus: corpus, Workers: 2, Batch: batch,
			}, s)
			if err != nil {
				t.Fatal(err)
			}
			if rep.Docs != n || len(fake.ids) != n || len(fake.perReq) != tt.requests {
				t.Errorf("%d docs reported, %d ids seen in %d requests; want %d in %d", rep.Docs, len(fake.ids), len(fake.perReq), n, tt.requests)
			}
		})
	}
	if _, ok := bench.SuspectByName("nope"); ok {
		t.Error("an unknown suspect was found")
	}
}
