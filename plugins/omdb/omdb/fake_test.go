package omdb_test

import (
	"bytes"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	sdk "github.com/demhost/demhost/plugin-sdk"
)

const testKey = "k3y-for-tests"

// inception is an OMDb answer in OMDb's own shape, plot included, so the
// tests can check that the plot is not indexed.
const inception = `{"Title":"Inception","Year":"2010","Rated":"PG-13","Released":"16 Jul 2010",
"Runtime":"148 min","Genre":"Action, Adventure, Sci-Fi","Director":"Christopher Nolan",
"Writer":"Christopher Nolan (written by), Christopher Nolan","Actors":"Leonardo DiCaprio, Joseph Gordon-Levitt, Elliot Page",
"Plot":"PLOT-TEXT-MUST-NOT-BE-INDEXED","Language":"English, Japanese, French","Country":"United States, United Kingdom",
"Awards":"N/A","Poster":"N/A","Ratings":[],"Metascore":"74","imdbRating":"8.8","imdbVotes":"2,612,345",
"imdbID":"tt1375666","Type":"movie","DVD":"N/A","BoxOffice":"N/A","Response":"True"}`

func record(id, title string) string {
	return fmt.Sprintf(`{"Title":%q,"Year":"1999","Rated":"N/A","Released":"N/A","Runtime":"N/A","Genre":"Drama",
"Director":"N/A","Writer":"N/A","Actors":"N/A","Plot":"N/A","Language":"English","Country":"N/A",
"imdbRating":"N/A","imdbVotes":"N/A","imdbID":%q,"Type":"movie","Response":"True"}`, title, id)
}

// fakeOMDb answers like OMDb: 401 JSON for a bad key, 200 with
// "Response":"False" for a movie it does not know, and a number of 503s
// before the first success for ids listed in failFirst.
type fakeOMDb struct {
	*httptest.Server
	mu        sync.Mutex
	byID      map[string]string
	byTitle   map[string]string
	failFirst map[string]int
	requests  map[string]int // by "i=…" / "t=…"
	times     []time.Time
}

// limitedKey is a valid key whose daily limit is used up.
const limitedKey = "limited-key-123"

func newFake(t *testing.T) *fakeOMDb {
	f := &fakeOMDb{
		byID:      map[string]string{"tt1375666": inception},
		byTitle:   map[string]string{"Inception": inception},
		failFirst: map[string]int{},
		requests:  map[string]int{},
	}
	for i := range 40 {
		id := fmt.Sprintf("tt90000%02d", i)
		f.byID[id] = record(id, fmt.Sprintf("Film %d", i))
	}
	f.Server = httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(f.Close)
	return f
}

func (f *fakeOMDb) serve(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	key := "i=" + q.Get("i")
	if q.Get("i") == "" {
		key = "t=" + q.Get("t")
	}
	f.mu.Lock()
	f.requests[key]++
	f.times = append(f.times, time.Now())
	n, fail := f.requests[key], f.failFirst[key]
	f.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	switch {
	case q.Get("apikey") == limitedKey:
		w.WriteHeader(http.StatusUnauthorized)
		fmt.Fprint(w, `{"Response":"False","Error":"Request limit reached!"}`)
	case q.Get("apikey") != testKey:
		w.WriteHeader(http.StatusUnauthorized)
		fmt.Fprint(w, `{"Response":"False","Error":"Invalid API key!"}`)
	case n <= fail:
		w.WriteHeader(http.StatusServiceUnavailable)
		fmt.Fprint(w, `<html>busy</html>`)
	case f.byID[q.Get("i")] != "":
		fmt.Fprint(w, f.byID[q.Get("i")])
	case f.byTitle[q.Get("t")] != "":
		fmt.Fprint(w, f.byTitle[q.Get("t")])
	default:
		fmt.Fprint(w, `{"Response":"False","Error":"Movie not found!"}`)
	}
}

func (f *fakeOMDb) count(key string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.requests[key]
}

func (f *fakeOMDb) total() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.times)
}

// collect gathers documents, copying their bytes.
type collect struct {
	mu    sync.Mutex
	docs  []sdk.Doc
	skips []sdk.Doc // sdk.Skip reports: ID and reason
}

func (c *collect) Write(d sdk.Doc) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	d.Source = bytes.Clone(d.Source)
	if d.Op == sdk.OpSkip {
		c.skips = append(c.skips, d)
		return nil
	}
	c.docs = append(c.docs, d)
	return nil
}
