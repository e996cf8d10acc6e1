package omdb_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	sdk "github.com/demhost/demhost/plugin-sdk"
	"github.com/demhost/demhost/plugins/omdb/omdb"
)

func noEnv(string) string { return "" }

// configure returns a source for the fake with cfg's keys added.
func configure(t *testing.T, f *fakeOMDb, cfg map[string]any, opts ...omdb.Option) *omdb.Source {
	t.Helper()
	base := map[string]any{"api_key": testKey, "base_url": f.URL + "/", "cache_dir": "off", "rate_limit_per_sec": 1000}
	for k, v := range cfg {
		base[k] = v
	}
	raw, _ := json.Marshal(base)
	opts = append([]omdb.Option{omdb.WithGetenv(noEnv), omdb.WithBackoff(time.Millisecond),
		omdb.WithLogger(slog.New(slog.NewTextHandler(io.Discard, nil)))}, opts...)
	s := omdb.New(opts...)
	if _, err := s.Configure(context.Background(), &sdk.ConfigureRequest{Config: raw}); err != nil {
		t.Fatal(err)
	}
	return s
}

func streamAll(t *testing.T, s *omdb.Source, parts int) ([]sdk.Doc, error) {
	t.Helper()
	var c collect
	var wg sync.WaitGroup
	errs := make([]error, parts)
	for k := range parts {
		wg.Go(func() {
			errs[k] = s.Stream(context.Background(), &sdk.StreamRequest{Index: "omdb", Partition: k, Partitions: parts}, &c)
		})
	}
	wg.Wait()
	return c.docs, errors.Join(errs...)
}

func TestStreamMapsRecordsAndSkipsNotFound(t *testing.T) {
	t.Parallel()
	f := newFake(t)
	var log bytes.Buffer
	s := configure(t, f, map[string]any{"ids": []string{"tt1375666", "tt0000001"}, "titles": []string{"Film that is not there"}},
		omdb.WithLogger(slog.New(slog.NewTextHandler(&log, nil))))
	docs, err := streamAll(t, s, 1)
	if err != nil {
		t.Fatal(err)
	}
	if len(docs) != 1 || docs[0].ID != "tt1375666" {
		t.Fatalf("docs = %+v", docs)
	}
	var got omdb.Movie
	if err := json.Unmarshal(docs[0].Source, &got); err != nil {
		t.Fatal(err)
	}
	want := omdb.Movie{
		Title: "Inception", Year: 2010, Rated: "PG-13", Released: "2010-07-16", RuntimeMinutes: 148,
		Genres: []string{"Action", "Adventure", "Sci-Fi"}, Directors: []string{"Christopher Nolan"},
		Writers: []string{"Christopher Nolan"}, Actors: []string{"Leonardo DiCaprio", "Joseph Gordon-Levitt", "Elliot Page"},
		Languages: []string{"English", "Japanese", "French"}, Countries: []string{"United States", "United Kingdom"},
		IMDbRating: 8.8, IMDbVotes: 2612345, IMDbID: "tt1375666", Type: "movie",
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("document\n%+v\nwant\n%+v", got, want)
	}
	if bytes.Contains(docs[0].Source, []byte("PLOT")) {
		t.Fatal("the plot was indexed")
	}
	if s.Skipped() != 2 || strings.Count(log.String(), "Movie not found!") != 2 {
		t.Fatalf("skipped %d; log %q", s.Skipped(), log.String())
	}
}

func TestNAFieldsAreLeftOut(t *testing.T) {
	t.Parallel()
	m, err := omdb.ParseRecord([]byte(record("tt9000001", "Film 1")))
	if err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal(m)
	if string(b) != `{"title":"Film 1","year":1999,"genres":["Drama"],"languages":["English"],"imdb_id":"tt9000001","type":"movie"}` {
		t.Fatalf("document %s", b)
	}
	if _, err := omdb.ParseRecord([]byte(`{"Title":"x"}`)); err == nil {
		t.Fatal("a record without imdbID parsed")
	}
}

func TestInvalidAPIKeyFailsTheStream(t *testing.T) {
	t.Parallel()
	f := newFake(t)
	s := configure(t, f, map[string]any{"api_key": "wrong-secret-key", "ids": []string{"tt1375666"}})
	_, err := streamAll(t, s, 1)
	if !errors.Is(err, omdb.ErrInvalidKey) || !strings.Contains(err.Error(), "api_key") || strings.Contains(err.Error(), "wrong-secret-key") {
		t.Fatalf("err = %v; want ErrInvalidKey naming api_key without the key", err)
	}
	if f.count("i=tt1375666") != 1 {
		t.Fatalf("an invalid key was retried: %d requests", f.count("i=tt1375666"))
	}
}

func TestRetriesServerErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		fails    int
		retries  int
		requests int
		ok       bool
	}{
		{"503 twice then success", 2, 3, 3, true},
		{"503 beyond the retries", 5, 1, 2, false},
		{"no retries", 1, 0, 1, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := newFake(t)
			f.failFirst["i=tt1375666"] = tt.fails
			s := configure(t, f, map[string]any{"ids": []string{"tt1375666"}, "retries": tt.retries})
			docs, err := streamAll(t, s, 1)
			if tt.ok != (err == nil) || (err != nil && !strings.Contains(err.Error(), "HTTP 503")) {
				t.Fatalf("err = %v, want ok=%v", err, tt.ok)
			}
			if tt.ok && len(docs) != 1 {
				t.Fatalf("%d docs", len(docs))
			}
			if got := f.count("i=tt1375666"); got != tt.requests {
				t.Fatalf("%d requests, want %d", got, tt.requests)
			}
		})
	}
}

func TestRateLimitHoldsAcrossPartitions(t *testing.T) {
	t.Parallel()
	f := newFake(t)
	var ids []string
	for id := range f.byID {
		if strings.HasPrefix(id, "tt9") && len(ids) < 15 {
			ids = append(ids, id)
		}
	}
	const perSec = 20
	s := configure(t, f, map[string]any{"ids": ids, "rate_limit_per_sec": perSec})
	docs, err := streamAll(t, s, 3)
	if err != nil || len(docs) != len(ids) {
		t.Fatalf("%d docs, %v", len(docs), err)
	}
	// Requests are spaced 1/perSec apart, so any half second holds at most
	// perSec/2 of them plus the one at its start.
	f.mu.Lock()
	defer f.mu.Unlock()
	for i, start := range f.times {
		in := 0
		for _, t2 := range f.times[i:] {
			if t2.Sub(start) < 500*time.Millisecond {
				in++
			}
		}
		if in > perSec/2+1 {
			t.Fatalf("%d requests within half a second of request %d; the limit is %d/s", in, i, perSec)
		}
	}
}

func TestCacheHitMakesNoRequest(t *testing.T) {
	t.Parallel()
	f := newFake(t)
	dir := t.TempDir()
	cfg := map[string]any{"ids": []string{"tt1375666", "tt0000001"}, "titles": []string{"Inception"}, "cache_dir": dir}
	first, err := streamAll(t, configure(t, f, cfg), 2)
	if err != nil || len(first) != 2 {
		t.Fatalf("first: %d docs, %v", len(first), err)
	}
	before := f.total()
	// A new source (a new plugin process) with the same cache directory.
	second, err := streamAll(t, configure(t, f, cfg), 2)
	if err != nil || len(second) != 2 {
		t.Fatalf("second: %d docs, %v", len(second), err)
	}
	if got := f.total() - before; got != 1 {
		t.Fatalf("second run made %d requests; want 1 (only the not-found id, which is not cached)", got)
	}
}

func TestBadConfig(t *testing.T) {
	t.Parallel()
	env := func(k string) string {
		if k == omdb.APIKeyEnv {
			return "from-env"
		}
		return ""
	}
	tests := []struct {
		name, cfg, key string
		getenv         func(string) string
	}{
		{"missing api key", `{"ids":["tt1"]}`, "api_key", noEnv},
		{"bad base url", `{"api_key":"k","ids":["tt1"],"base_url":"ftp://x"}`, "base_url", noEnv},
		{"nothing to fetch", `{"api_key":"k"}`, "ids", noEnv},
		{"empty title", `{"api_key":"k","titles":[" "]}`, "titles", noEnv},
		{"negative rate", `{"api_key":"k","ids":["tt1"],"rate_limit_per_sec":-1}`, "rate_limit_per_sec", noEnv},
		{"negative retries", `{"api_key":"k","ids":["tt1"],"retries":-1}`, "retries", noEnv},
		{"negative cache ttl", `{"api_key":"k","ids":["tt1"],"cache_ttl":"-1h"}`, "cache_ttl", noEnv},
		{"bad cache ttl", `{"api_key":"k","ids":["tt1"],"cache_ttl":"a month"}`, "", noEnv},
		{"unknown key", `{"api_key":"k","ids":["tt1"],"plot":true}`, "", noEnv},
		{"key from env", `{"ids":["tt1"],"cache_dir":"off"}`, "ok", env},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := omdb.New(omdb.WithGetenv(tt.getenv))
			_, err := s.Configure(context.Background(), &sdk.ConfigureRequest{Config: json.RawMessage(tt.cfg)})
			if tt.key == "ok" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			var ce *omdb.ConfigError
			if err == nil || !errors.Is(err, sdk.ErrInvalidConfig) || !strings.HasPrefix(err.Error(), "omdb: ") || (tt.key != "" && (!errors.As(err, &ce) || ce.Key != tt.key)) {
				t.Fatalf("err = %v, want an omdb error on %q", err, tt.key)
			}
		})
	}
}
