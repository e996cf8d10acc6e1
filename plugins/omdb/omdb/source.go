// Package omdb is the library half of the bundled omdb source plugin: it
// fetches movies from the OMDb HTTP API by IMDb id or by title, with a rate
// limit, retries with exponential backoff and jitter, and an on-disk cache,
// and maps each answer to a clean document (never the plot).
package omdb

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"regexp"
	"sync/atomic"
	"time"

	sdk "github.com/demhost/demhost/plugin-sdk"
)

// Source serves the omdb index. Create it with New; call Configure first.
type Source struct {
	log     *slog.Logger
	http    *http.Client
	getenv  func(string) string
	backoff time.Duration
	cfg     Config
	client  *client
	items   []lookup
	skipped atomic.Int64
}

var _ sdk.Source = (*Source)(nil)

// Option configures New.
type Option func(*Source)

// WithLogger sends reports (such as skipped movies) to l; the default
// writes text to stderr, which the host shows in its log.
func WithLogger(l *slog.Logger) Option { return func(s *Source) { s.log = l } }

// WithHTTPClient sets the HTTP client; the default has a 30 s timeout.
func WithHTTPClient(c *http.Client) Option { return func(s *Source) { s.http = c } }

// WithGetenv replaces os.Getenv for reading OMDB_API_KEY (for tests).
func WithGetenv(f func(string) string) Option { return func(s *Source) { s.getenv = f } }

// WithBackoff sets the first wait between retries, doubled on each retry
// plus up to half again of jitter; the default is 500 ms.
func WithBackoff(d time.Duration) Option { return func(s *Source) { s.backoff = d } }

// New returns an unconfigured source.
func New(opts ...Option) *Source {
	s := &Source{
		log:     slog.New(slog.NewTextHandler(os.Stderr, nil)),
		http:    &http.Client{Timeout: 30 * time.Second},
		getenv:  os.Getenv,
		backoff: 500 * time.Millisecond,
	}
	for _, o := range opts {
		o(s)
	}
	return s
}

// Skipped counts the movies skipped so far because OMDb did not find them.
func (s *Source) Skipped() int64 { return s.skipped.Load() }

// Configure reads the config; see Config for the keys and defaults. A
// missing API key is a *ConfigError on "api_key".
func (s *Source) Configure(ctx context.Context, req *sdk.ConfigureRequest) (*sdk.ConfigureResponse, error) {
	cfg, err := parseConfig(req.Config, s.getenv)
	if err != nil {
		return nil, err
	}
	base, _ := url.Parse(cfg.BaseURL) // checked by parseConfig
	cache := cfg.CacheDir
	if cache == "off" {
		cache = ""
	}
	s.cfg = cfg
	s.client = &client{
		http: s.http, base: base, key: cfg.APIKey, retries: *cfg.Retries,
		backoff: s.backoff, limit: newLimiter(cfg.RateLimitPerSec), cache: cache, ttl: cfg.CacheTTL.Duration,
	}
	s.items = s.items[:0]
	for _, id := range cfg.IDs {
		s.items = append(s.items, lookup{"i", id})
	}
	for _, t := range cfg.Titles {
		s.items = append(s.items, lookup{"t", t})
	}
	return &sdk.ConfigureResponse{}, nil
}

// Describe returns the one index: partitions yes, since and deletes no.
func (s *Source) Describe(ctx context.Context, req *sdk.DescribeRequest) (*sdk.DescribeResponse, error) {
	if s.client == nil {
		return nil, errors.New("omdb: describe: not configured")
	}
	return &sdk.DescribeResponse{Indexes: []sdk.IndexSpec{{
		Name: s.cfg.Index, Mappings: Mappings, Settings: Settings,
		Capabilities: sdk.Capabilities{Partitions: true},
	}}}, nil
}

// imdbID is the form of an IMDb id.
var imdbID = regexp.MustCompile(`^tt[0-9]+$`)

// skip reports a lookup that yields no document to the host (sdk.Skip),
// which counts it and names it to the user, and logs it at info level.
func (s *Source) skip(w sdk.Writer, l lookup, reason string) error {
	s.skipped.Add(1)
	s.log.Info(fmt.Sprintf("omdb: skipped %s: %s", l.describe(), reason), "index", s.cfg.Index)
	return sdk.Skip(w, l.value, reason)
}

// Stream fetches item i (the ids, then the titles) in partition i % n. A
// movie OMDb does not find, and an id that is not an IMDb id, is reported
// as skipped (sdk.Skip) with the reason; a rejected API key ends
// the stream with an error wrapping ErrInvalidKey.
func (s *Source) Stream(ctx context.Context, req *sdk.StreamRequest, w sdk.Writer) error {
	if s.client == nil {
		return errors.New("omdb: stream: not configured")
	}
	if req.Index != s.cfg.Index {
		return fmt.Errorf("omdb: stream: %w %q; this source provides %q", sdk.ErrUnknownIndex, req.Index, s.cfg.Index)
	}
	n := max(req.Partitions, 1)
	if req.Partition < 0 || req.Partition >= n {
		return fmt.Errorf("omdb: stream %s: partition %d out of range 0..%d", req.Index, req.Partition, n-1)
	}
	for i := req.Partition; i < len(s.items); i += n {
		l := s.items[i]
		if l.param == "i" && !imdbID.MatchString(l.value) {
			if err := s.skip(w, l, "not an IMDb id (tt followed by digits), so OMDb was not asked"); err != nil {
				return err
			}
			continue
		}
		body, err := s.client.get(ctx, l)
		if errors.Is(err, ErrNotFound) {
			says := err.Error()
			var nf *notFoundError
			if errors.As(err, &nf) {
				says = nf.says
			}
			if err := s.skip(w, l, fmt.Sprintf("OMDb says %q", says)); err != nil {
				return err
			}
			continue
		}
		if errors.Is(err, ErrInvalidKey) {
			return fmt.Errorf("omdb: index %s: %w; check config key \"api_key\" or %s", s.cfg.Index, err, APIKeyEnv)
		}
		if errors.Is(err, ErrRequestLimit) {
			return fmt.Errorf("omdb: index %s: %w; the key is valid, so wait for OMDb to reset its daily limit, or use a key with a higher limit (lookups cached so far are kept)", s.cfg.Index, err)
		}
		if err != nil {
			return fmt.Errorf("omdb: index %s: %w", s.cfg.Index, err)
		}
		m, err := ParseRecord(body)
		if err != nil {
			return fmt.Errorf("omdb: index %s: %s: %w", s.cfg.Index, l, err)
		}
		src, err := json.Marshal(m)
		if err != nil {
			return fmt.Errorf("omdb: index %s: encode %s: %w", s.cfg.Index, m.IMDbID, err)
		}
		if err := w.Write(sdk.Doc{ID: m.IMDbID, Source: src}); err != nil {
			return err
		}
	}
	return nil
}
