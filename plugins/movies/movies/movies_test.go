package movies_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"reflect"
	"regexp"
	"strings"
	"testing"

	sdk "github.com/demhost/demhost/plugin-sdk"
	"github.com/demhost/demhost/plugins/movies/movies"
)

var imdbID = regexp.MustCompile(`^tt\d{7,8}$`)

func TestFixtureHas100DistinctCompleteFilms(t *testing.T) {
	t.Parallel()
	ms := movies.Fixture()
	if len(ms) != 100 {
		t.Fatalf("fixture has %d films, want 100", len(ms))
	}
	ratings := map[string]bool{"G": true, "PG": true, "PG-13": true, "R": true, "NC-17": true, "Approved": true, "Not Rated": true}
	ids, titles := map[string]bool{}, map[string]bool{}
	for _, m := range ms {
		if !imdbID.MatchString(m.IMDbID) || m.ID != m.IMDbID {
			t.Errorf("%q: bad ids %q / %q", m.Title, m.ID, m.IMDbID)
		}
		if ids[m.IMDbID] || titles[m.Title] {
			t.Errorf("%q (%s) appears twice", m.Title, m.IMDbID)
		}
		ids[m.IMDbID], titles[m.Title] = true, true
		if m.Title == "" || m.Year < 1900 || m.Year > 2030 || m.RuntimeMinutes < 60 || m.RuntimeMinutes > 260 {
			t.Errorf("%s: implausible title/year/runtime %q %d %d", m.IMDbID, m.Title, m.Year, m.RuntimeMinutes)
		}
		if len(m.Directors) == 0 || len(m.Cast) < 3 || len(m.Genres) == 0 || len(m.Countries) == 0 || len(m.Languages) == 0 {
			t.Errorf("%s: a list field is short: %+v", m.IMDbID, m)
		}
		if !ratings[m.Rating] {
			t.Errorf("%s: rating %q not a US certificate", m.IMDbID, m.Rating)
		}
		if m.Summary != "" {
			t.Errorf("%s: the fixture must carry no plot text", m.IMDbID)
		}
	}
}

func TestFixtureIsACopy(t *testing.T) {
	t.Parallel()
	a := movies.Fixture()
	a[0].Title = "changed"
	if movies.Fixture()[0].Title == "changed" {
		t.Fatal("Fixture returned shared state")
	}
}

func TestGeneratorIsDeterministicAndMatchesMovie(t *testing.T) {
	t.Parallel()
	g1, g2, other := movies.NewGenerator(7), movies.NewGenerator(7), movies.NewGenerator(8)
	var total int
	const n = 500
	for i := range n {
		a := g1.AppendJSON(nil, i)
		if b := g2.AppendJSON(nil, i); !bytes.Equal(a, b) {
			t.Fatalf("movie %d differs between two generators of one seed", i)
		}
		if c := other.AppendJSON(nil, i); bytes.Equal(a, c) {
			t.Fatalf("movie %d is the same for seeds 7 and 8", i)
		}
		want, err := json.Marshal(g1.Movie(i))
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(a, want) {
			t.Fatalf("movie %d: AppendJSON\n%s\ndiffers from json.Marshal(Movie)\n%s", i, a, want)
		}
		total += len(a)
	}
	if avg := total / n; avg < 700 || avg > 1400 {
		t.Errorf("average synthetic document is %d bytes, want about 1 KB", avg)
	}
	if id := g1.Movie(42).ID; id != "syn-42" {
		t.Errorf("Movie(42).ID = %q", id)
	}
}

func TestAppendJSONDoesNotAllocate(t *testing.T) {
	g := movies.NewGenerator(1)
	buf := make([]byte, 0, 4096)
	i := 0
	allocs := testing.AllocsPerRun(200, func() {
		buf = g.AppendJSON(buf[:0], i)
		i++
	})
	if allocs != 0 {
		t.Errorf("AppendJSON allocates %.1f times per movie, want 0", allocs)
	}
}

func TestGenerateStopsEarly(t *testing.T) {
	t.Parallel()
	var ids []string
	for id := range movies.Generate(1000, 3) {
		ids = append(ids, id)
		if len(ids) == 3 {
			break
		}
	}
	if !reflect.DeepEqual(ids, []string{"syn-0", "syn-1", "syn-2"}) {
		t.Fatalf("ids = %v", ids)
	}
}

// collect gathers a stream's documents, copying their reused bytes.
type collect struct{ docs []sdk.Doc }

func (c *collect) Write(d sdk.Doc) error {
	d.Source = bytes.Clone(d.Source)
	c.docs = append(c.docs, d)
	return nil
}

func configured(t *testing.T, cfg string) *movies.Source {
	t.Helper()
	s := movies.New()
	if _, err := s.Configure(context.Background(), &sdk.ConfigureRequest{Config: json.RawMessage(cfg)}); err != nil {
		t.Fatalf("Configure(%s): %v", cfg, err)
	}
	return s
}

// TestPartitionsCoverEveryMovieOnce also checks Count against the streams.
func TestPartitionsCoverEveryMovieOnce(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, cfg, index string
		total, parts     int
	}{
		{"fixture whole", `{}`, "movies", 100, 1},
		{"fixture in 3", `{"index":"films"}`, "films", 100, 3},
		{"synthetic in 4", `{"synthetic":1001,"seed":5}`, "movies", 1001, 4},
		{"more partitions than docs", `{"synthetic":5}`, "movies", 5, 8},
		{"slow on purpose", `{"synthetic":250,"batch_delay_ms":1}`, "movies", 250, 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := configured(t, tt.cfg)
			seen := map[string]int{}
			for k := range tt.parts {
				var c collect
				req := &sdk.StreamRequest{Index: tt.index, Partition: k, Partitions: tt.parts}
				if err := s.Stream(context.Background(), req, &c); err != nil {
					t.Fatal(err)
				}
				for _, d := range c.docs {
					seen[d.ID]++
					if d.Op != sdk.OpIndex || !json.Valid(d.Source) || d.Source[0] != '{' {
						t.Fatalf("doc %s: op %v, source %s", d.ID, d.Op, d.Source)
					}
				}
			}
			if len(seen) != tt.total {
				t.Fatalf("saw %d distinct ids, want %d", len(seen), tt.total)
			}
			for id, n := range seen {
				if n != 1 {
					t.Fatalf("%s sent %d times", id, n)
				}
			}
			// Count, which deploy's gate checks against, says what a full stream sent.
			resp, err := s.Count(context.Background(), &sdk.CountRequest{Index: tt.index})
			if err != nil || resp.Count != int64(tt.total) {
				t.Fatalf("count %v, %v; want %d", resp, err, tt.total)
			}
		})
	}
}

func TestDescribe(t *testing.T) {
	t.Parallel()
	resp, err := configured(t, `{"index":"films"}`).Describe(context.Background(), &sdk.DescribeRequest{})
	if err != nil {
		t.Fatal(err)
	}
	if len(resp.Indexes) != 1 {
		t.Fatalf("%d indexes", len(resp.Indexes))
	}
	ix := resp.Indexes[0]
	want := sdk.Capabilities{Partitions: true}
	if ix.Name != "films" || ix.Capabilities != want || !json.Valid(ix.Mappings) || !json.Valid(ix.Settings) {
		t.Fatalf("spec = %+v", ix)
	}
	if string(ix.Settings) != string(movies.Settings) {
		t.Errorf("settings = %s, want the default %s", ix.Settings, movies.Settings)
	}
	resp, err = configured(t, `{"shards":3,"replicas":1}`).Describe(context.Background(), &sdk.DescribeRequest{})
	if err != nil {
		t.Fatal(err)
	}
	var set struct {
		Shards   int `json:"number_of_shards"`
		Replicas int `json:"number_of_replicas"`
	}
	if err := json.Unmarshal(resp.Indexes[0].Settings, &set); err != nil || set.Shards != 3 || set.Replicas != 1 {
		t.Errorf("settings with shards 3 and replicas 1 = %s, %v", resp.Indexes[0].Settings, err)
	}
}

func TestBadConfigAndRequests(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct{ cfg, want string }{
		{`{"synthetic":-1}`, `"synthetic"`},
		{`{"index":""}`, `"index"`},
		{`{"colour":"red"}`, `"colour"`},
		{`{"synthetic":"many"}`, "synthetic"},
		{`{"shards":0}`, `"shards"`},
		{`{"replicas":-1}`, `"replicas"`},
		{`{"batch_delay_ms":-5}`, `"batch_delay_ms"`},
	} {
		_, err := movies.New().Configure(context.Background(), &sdk.ConfigureRequest{Config: json.RawMessage(tt.cfg)})
		if err == nil || !errors.Is(err, sdk.ErrInvalidConfig) || !strings.Contains(err.Error(), tt.want) || !strings.HasPrefix(err.Error(), "movies: ") {
			t.Errorf("Configure(%s) = %v, want an error naming movies and %s", tt.cfg, err, tt.want)
		}
	}
	s := configured(t, `{}`)
	if err := s.Stream(context.Background(), &sdk.StreamRequest{Index: "nope", Partitions: 1}, &collect{}); !errors.Is(err, sdk.ErrUnknownIndex) {
		t.Error("unknown index streamed")
	}
	if _, err := s.Count(context.Background(), &sdk.CountRequest{Index: "nope"}); !errors.Is(err, sdk.ErrUnknownIndex) {
		t.Errorf("count of an unknown index: %v, want ErrUnknownIndex", err)
	}
	if err := s.Stream(context.Background(), &sdk.StreamRequest{Index: "movies", Partition: 2, Partitions: 2}, &collect{}); err == nil {
		t.Error("partition 2 of 2 streamed")
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := s.Stream(ctx, &sdk.StreamRequest{Index: "movies", Partitions: 1}, &collect{}); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled stream returned %v", err)
	}
}

func BenchmarkAppendJSON(b *testing.B) {
	g := movies.NewGenerator(1)
	buf := make([]byte, 0, 4096)
	var bytes int
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		buf = g.AppendJSON(buf[:0], i)
		bytes += len(buf)
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "docs/s")
	b.SetBytes(int64(bytes / b.N))
}
