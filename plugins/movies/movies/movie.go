// Package movies is the library half of the bundled movies source plugin:
// a fixture of 100 real films (factual fields only, no plot text), a
// deterministic synthetic generator of any number of movies, the "movies"
// index schema, a Source for the plugin SDK, and a loader that puts either
// data set into a Postgres table for the sqltable plugin to read.
package movies

import (
	_ "embed"
	"encoding/json"
	"fmt"
	"sync"
)

// Movie is one film as it is indexed. The JSON field names are the
// document's field names.
type Movie struct {
	// ID is the document id: the IMDb id for fixture films, "syn-<n>" for
	// synthetic ones. It is not part of the document source.
	ID        string   `json:"-"`
	Title     string   `json:"title"`
	Year      int      `json:"year"`
	Directors []string `json:"directors"`
	Cast      []string `json:"cast"`
	Genres    []string `json:"genres"`
	// RuntimeMinutes is the theatrical running time.
	RuntimeMinutes int      `json:"runtime_minutes"`
	Countries      []string `json:"countries"`
	Languages      []string `json:"languages"`
	// Rating is the US (MPAA-style) certificate: "G", "PG", "PG-13", "R",
	// "NC-17", or "Approved"/"Not Rated" for older and foreign films.
	Rating string `json:"rating"`
	// IMDbID is empty for synthetic movies.
	IMDbID string `json:"imdb_id,omitempty"`
	// Summary is made-up filler text, present only on synthetic movies so
	// that they exercise full-text analysis. The fixture has no plot text.
	Summary string `json:"summary,omitempty"`
}

//go:embed fixture.json
var fixtureJSON []byte

var (
	fixtureOnce  sync.Once
	fixture      []Movie
	fixtureError error
)

func loadFixture() ([]Movie, error) {
	fixtureOnce.Do(func() {
		var ms []Movie
		if err := json.Unmarshal(fixtureJSON, &ms); err != nil {
			fixtureError = fmt.Errorf("movies: decode embedded fixture: %w", err)
			return
		}
		for i := range ms {
			ms[i].ID = ms[i].IMDbID
		}
		fixture = ms
	})
	return fixture, fixtureError
}

// Fixture returns the 100 real films, in a fixed order. The slice is a
// fresh copy; callers may modify it.
func Fixture() []Movie {
	ms, err := loadFixture()
	if err != nil {
		// The fixture is embedded at build time and covered by tests.
		panic(err)
	}
	out := make([]Movie, len(ms))
	copy(out, ms)
	return out
}
