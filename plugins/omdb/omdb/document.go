package omdb

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// record is the part of an OMDb answer the plugin reads. Plot and the
// other free-text fields are deliberately absent.
type record struct {
	Title      string
	Year       string
	Rated      string
	Released   string
	Runtime    string
	Genre      string
	Director   string
	Writer     string
	Actors     string
	Language   string
	Country    string
	IMDbRating string `json:"imdbRating"`
	IMDbVotes  string `json:"imdbVotes"`
	IMDbID     string `json:"imdbID"`
	Type       string
}

// Movie is the document the plugin indexes for one OMDb record. Fields
// OMDb reports as "N/A" are left out.
type Movie struct {
	Title          string   `json:"title"`
	Year           int      `json:"year,omitempty"`
	Rated          string   `json:"rated,omitempty"`
	Released       string   `json:"released,omitempty"` // yyyy-mm-dd
	RuntimeMinutes int      `json:"runtime_minutes,omitempty"`
	Genres         []string `json:"genres,omitempty"`
	Directors      []string `json:"directors,omitempty"`
	Writers        []string `json:"writers,omitempty"`
	Actors         []string `json:"actors,omitempty"`
	Languages      []string `json:"languages,omitempty"`
	Countries      []string `json:"countries,omitempty"`
	IMDbRating     float64  `json:"imdb_rating,omitempty"`
	IMDbVotes      int64    `json:"imdb_votes,omitempty"`
	IMDbID         string   `json:"imdb_id"`
	Type           string   `json:"type,omitempty"`
}

// ParseRecord maps one OMDb JSON answer to a Movie.
func ParseRecord(body []byte) (Movie, error) {
	var r record
	if err := json.Unmarshal(body, &r); err != nil {
		return Movie{}, fmt.Errorf("decode OMDb record: %w", err)
	}
	if r.IMDbID == "" {
		return Movie{}, fmt.Errorf("OMDb record %q has no imdbID", r.Title)
	}
	m := Movie{
		Title:     r.Title,
		Rated:     value(r.Rated),
		Genres:    list(r.Genre),
		Directors: list(r.Director),
		Writers:   list(r.Writer),
		Actors:    list(r.Actors),
		Languages: list(r.Language),
		Countries: list(r.Country),
		IMDbID:    r.IMDbID,
		Type:      value(r.Type),
	}
	// "2010", or "2008–2013" for a series: the first year.
	if y := value(r.Year); len(y) >= 4 {
		m.Year, _ = strconv.Atoi(y[:4])
	}
	if t, err := time.Parse("02 Jan 2006", value(r.Released)); err == nil {
		m.Released = t.Format(time.DateOnly)
	}
	if f := strings.Fields(value(r.Runtime)); len(f) > 0 { // "148 min"
		m.RuntimeMinutes, _ = strconv.Atoi(f[0])
	}
	m.IMDbRating, _ = strconv.ParseFloat(value(r.IMDbRating), 64)
	m.IMDbVotes, _ = strconv.ParseInt(strings.ReplaceAll(value(r.IMDbVotes), ",", ""), 10, 64)
	return m, nil
}

func value(s string) string {
	s = strings.TrimSpace(s)
	if s == "N/A" {
		return ""
	}
	return s
}

// list splits "A, B (screenplay), A" into ["A", "B"]: parenthesised roles
// dropped, duplicates removed, order kept.
func list(s string) []string {
	s = value(s)
	if s == "" {
		return nil
	}
	var out []string
	seen := map[string]bool{}
	for _, p := range strings.Split(s, ",") {
		if i := strings.Index(p, "("); i >= 0 {
			p = p[:i]
		}
		p = strings.TrimSpace(p)
		if p == "N/A" || p == "None" { // OMDb's words for nothing (None: a silent film's language)
			continue
		}
		if p != "" && !seen[p] {
			seen[p] = true
			out = append(out, p)
		}
	}
	return out
}

// Mappings is the "mappings" object of the omdb index; standard analyzer only.
var Mappings = json.RawMessage(`{
  "properties": {
    "title": {"type": "text", "fields": {"raw": {"type": "keyword", "ignore_above": 256}}},
    "year": {"type": "integer"},
    "rated": {"type": "keyword"},
    "released": {"type": "date", "format": "yyyy-MM-dd"},
    "runtime_minutes": {"type": "integer"},
    "genres": {"type": "keyword"},
    "directors": {"type": "keyword", "fields": {"text": {"type": "text"}}},
    "writers": {"type": "keyword", "fields": {"text": {"type": "text"}}},
    "actors": {"type": "keyword", "fields": {"text": {"type": "text"}}},
    "languages": {"type": "keyword"},
    "countries": {"type": "keyword"},
    "imdb_rating": {"type": "float"},
    "imdb_votes": {"type": "long"},
    "imdb_id": {"type": "keyword"},
    "type": {"type": "keyword"}
  }
}`)

// Settings is the "settings" object of the omdb index.
var Settings = json.RawMessage(`{"number_of_shards": 1, "number_of_replicas": 0}`)
