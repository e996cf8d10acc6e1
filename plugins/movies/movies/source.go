package movies

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"time"

	sdk "github.com/demhost/demhost/plugin-sdk"
)

// Config is the plugin's section of the host configuration.
type Config struct {
	// Synthetic is the number of generated movies to serve; 0 (the
	// default) serves the 100-film fixture instead.
	Synthetic int `json:"synthetic"`
	// Seed picks the synthetic data set; the default is 0.
	Seed uint64 `json:"seed"`
	// Index is the index name; the default is "movies".
	Index string `json:"index"`
	// BatchDelayMS makes the source slow on purpose: it sleeps this many
	// milliseconds before every DelayBatch documents of a stream, standing
	// in for a source that waits on an API (benchmarks, fault tests).
	// Default 0: no sleep.
	BatchDelayMS int `json:"batch_delay_ms"`
	// Shards and Replicas set the index's number_of_shards and
	// number_of_replicas; the defaults, 1 and 0, suit a single node. A
	// multi-node cluster wants replicas.
	Shards   *int `json:"shards"`
	Replicas *int `json:"replicas"`
}

// DelayBatch is the number of documents per sleep of Config.BatchDelayMS.
const DelayBatch = 100

// Source serves the movies index. Create it with New; call Configure first.
type Source struct {
	cfg     Config
	fixture [][]byte // fixture document sources, when Synthetic is 0
	ids     []string
}

var (
	_ sdk.Source  = (*Source)(nil)
	_ sdk.Counter = (*Source)(nil)
)

// New returns an unconfigured movies source.
func New() *Source { return &Source{cfg: Config{Index: DefaultIndex}} }

// ParseConfig decodes and checks a config section. Unknown keys are errors.
func ParseConfig(raw json.RawMessage) (Config, error) {
	cfg := Config{Index: DefaultIndex}
	if len(bytes.TrimSpace(raw)) == 0 {
		return cfg, nil
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&cfg); err != nil {
		return cfg, fmt.Errorf("movies: config: %w (%w)", err, sdk.ErrInvalidConfig)
	}
	switch {
	case cfg.Synthetic < 0:
		return cfg, fmt.Errorf("movies: config key \"synthetic\": %d is negative; use 0 for the fixture or a count of movies (%w)", cfg.Synthetic, sdk.ErrInvalidConfig)
	case cfg.BatchDelayMS < 0:
		return cfg, fmt.Errorf("movies: config key \"batch_delay_ms\": %d is negative (%w)", cfg.BatchDelayMS, sdk.ErrInvalidConfig)
	case cfg.Index == "":
		return cfg, fmt.Errorf("movies: config key \"index\": empty; leave it out for %q (%w)", DefaultIndex, sdk.ErrInvalidConfig)
	case cfg.Shards != nil && *cfg.Shards < 1:
		return cfg, fmt.Errorf("movies: config key \"shards\": %d; an index needs at least 1 shard (%w)", *cfg.Shards, sdk.ErrInvalidConfig)
	case cfg.Replicas != nil && *cfg.Replicas < 0:
		return cfg, fmt.Errorf("movies: config key \"replicas\": %d is negative (%w)", *cfg.Replicas, sdk.ErrInvalidConfig)
	}
	return cfg, nil
}

// Configure reads the config: {"synthetic": N, "seed": S, "index": "movies"}.
func (s *Source) Configure(ctx context.Context, req *sdk.ConfigureRequest) (*sdk.ConfigureResponse, error) {
	cfg, err := ParseConfig(req.Config)
	if err != nil {
		return nil, err
	}
	s.cfg, s.fixture, s.ids = cfg, nil, nil
	if cfg.Synthetic == 0 {
		for _, m := range Fixture() {
			src, err := json.Marshal(m)
			if err != nil {
				return nil, fmt.Errorf("movies: encode fixture film %s: %w", m.ID, err)
			}
			s.fixture = append(s.fixture, src)
			s.ids = append(s.ids, m.ID)
		}
	}
	return &sdk.ConfigureResponse{}, nil
}

// Describe returns the one index, which supports partitions but neither
// since (the data never changes) nor deletes.
func (s *Source) Describe(ctx context.Context, req *sdk.DescribeRequest) (*sdk.DescribeResponse, error) {
	return &sdk.DescribeResponse{Indexes: []sdk.IndexSpec{{
		Name:         s.cfg.Index,
		Mappings:     Mappings,
		Settings:     s.settings(),
		Capabilities: sdk.Capabilities{Partitions: true},
	}}}, nil
}

// settings is Settings, or the configured shards and replicas.
func (s *Source) settings() json.RawMessage {
	if s.cfg.Shards == nil && s.cfg.Replicas == nil {
		return Settings
	}
	shards, replicas := 1, 0
	if s.cfg.Shards != nil {
		shards = *s.cfg.Shards
	}
	if s.cfg.Replicas != nil {
		replicas = *s.cfg.Replicas
	}
	return json.RawMessage(fmt.Sprintf(`{"number_of_shards": %d, "number_of_replicas": %d}`, shards, replicas))
}

// Stream writes partition k of n: the movies of one contiguous range of
// positions (PartitionRange). Since is ignored: the data never changes, so
// every stream sends everything.
func (s *Source) Stream(ctx context.Context, req *sdk.StreamRequest, w sdk.Writer) error {
	if req.Index != s.cfg.Index {
		return fmt.Errorf("movies: stream: %w %q; this source provides %q", sdk.ErrUnknownIndex, req.Index, s.cfg.Index)
	}
	k, n := req.Partition, max(req.Partitions, 1)
	if k < 0 || k >= n {
		return fmt.Errorf("movies: stream %s: partition %d out of range 0..%d", req.Index, k, n-1)
	}
	sent := 0
	if s.cfg.Synthetic == 0 {
		lo, hi := PartitionRange(len(s.fixture), k, n)
		for i := lo; i < hi; i++ {
			if err := s.write(ctx, w, &sent, sdk.Doc{ID: s.ids[i], Source: s.fixture[i]}); err != nil {
				return err
			}
		}
		return nil
	}
	for id, src := range GeneratePartition(s.cfg.Synthetic, s.cfg.Seed, k, n) {
		if err := s.write(ctx, w, &sent, sdk.Doc{ID: id, Source: src}); err != nil {
			return err
		}
	}
	return nil
}

// Count is the number of movies a full stream sends: the configured
// synthetic count, or the fixture's 100 films.
func (s *Source) Count(ctx context.Context, req *sdk.CountRequest) (*sdk.CountResponse, error) {
	if req.Index != s.cfg.Index {
		return nil, fmt.Errorf("movies: count: %w %q; this source provides %q", sdk.ErrUnknownIndex, req.Index, s.cfg.Index)
	}
	if s.cfg.Synthetic == 0 {
		return &sdk.CountResponse{Count: int64(len(s.fixture))}, nil
	}
	return &sdk.CountResponse{Count: int64(s.cfg.Synthetic)}, nil
}

// write sends d, after the configured sleep when it starts a batch.
func (s *Source) write(ctx context.Context, w sdk.Writer, sent *int, d sdk.Doc) error {
	if s.cfg.BatchDelayMS > 0 && *sent%DelayBatch == 0 {
		select {
		case <-ctx.Done():
		case <-time.After(time.Duration(s.cfg.BatchDelayMS) * time.Millisecond):
		}
	}
	*sent++
	if err := ctx.Err(); err != nil {
		return err
	}
	return w.Write(d)
}
