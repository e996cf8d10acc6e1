package omdb

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	sdk "github.com/demhost/demhost/plugin-sdk"
)

// Defaults of Config.
const (
	DefaultBaseURL   = "https://www.omdbapi.com/"
	DefaultRateLimit = 5
	DefaultRetries   = 3
	DefaultIndex     = "omdb"
	// APIKeyEnv is read when the config has no api_key.
	APIKeyEnv = "OMDB_API_KEY"
)

// Config is the plugin's section of the host configuration.
type Config struct {
	// APIKey is the OMDb API key; the default is $OMDB_API_KEY. Required.
	APIKey string `json:"api_key"`
	// BaseURL is the API endpoint; the default is https://www.omdbapi.com/.
	BaseURL string `json:"base_url"`
	// IDs are IMDb ids to fetch (?i=tt…).
	IDs []string `json:"ids"`
	// Titles are titles to fetch (?t=…). OMDb picks its best match.
	Titles []string `json:"titles"`
	// RateLimitPerSec caps requests per second across all streams; the
	// default is 5.
	RateLimitPerSec float64 `json:"rate_limit_per_sec"`
	// Retries is how many times a request is retried after a 5xx, a 429
	// or a network error, with exponential backoff and jitter; the default
	// is 3. Set 0 for no retries.
	Retries *int `json:"retries"`
	// CacheDir holds one JSON file per fetched movie; the default is
	// <user cache dir>/demhost/omdb. "off" disables the cache.
	CacheDir string `json:"cache_dir"`
	// CacheTTL is how long a cached record is used before it is fetched
	// again (ratings and votes change); a duration such as "720h". The
	// default, 0, keeps records for good.
	CacheTTL Duration `json:"cache_ttl"`
	// Index is the index name; the default is "omdb".
	Index string `json:"index"`
}

// ConfigError is a config the plugin cannot use; its message names the
// plugin and the key (empty when the JSON itself is bad), never the API key's value.
type ConfigError struct {
	Key     string
	Problem string
}

func (e *ConfigError) Error() string {
	if e.Key == "" {
		return "omdb: config: " + e.Problem
	}
	return fmt.Sprintf("omdb: config key %q: %s", e.Key, e.Problem)
}

// Unwrap makes errors.Is(err, sdk.ErrInvalidConfig) true.
func (e *ConfigError) Unwrap() error { return sdk.ErrInvalidConfig }

// parseConfig decodes raw, fills defaults and checks the values. getenv
// supplies OMDB_API_KEY.
func parseConfig(raw json.RawMessage, getenv func(string) string) (Config, error) {
	var cfg Config
	if len(bytes.TrimSpace(raw)) > 0 {
		dec := json.NewDecoder(bytes.NewReader(raw))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&cfg); err != nil {
			return cfg, &ConfigError{Problem: err.Error()}
		}
	}
	if cfg.APIKey == "" {
		cfg.APIKey = strings.TrimSpace(getenv(APIKeyEnv))
	}
	if cfg.APIKey == "" {
		return cfg, &ConfigError{"api_key", "missing; set it in the config or in " + APIKeyEnv}
	}
	if cfg.BaseURL == "" {
		cfg.BaseURL = DefaultBaseURL
	}
	if u, err := url.Parse(cfg.BaseURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return cfg, &ConfigError{"base_url", fmt.Sprintf("%q is not an http(s) URL", cfg.BaseURL)}
	}
	if len(cfg.IDs) == 0 && len(cfg.Titles) == 0 {
		return cfg, &ConfigError{"ids", `both "ids" and "titles" are empty; list what to fetch`}
	}
	for i, id := range cfg.IDs {
		if strings.TrimSpace(id) == "" {
			return cfg, &ConfigError{"ids", fmt.Sprintf("entry %d is empty", i)}
		}
	}
	for i, t := range cfg.Titles {
		if strings.TrimSpace(t) == "" {
			return cfg, &ConfigError{"titles", fmt.Sprintf("entry %d is empty", i)}
		}
	}
	switch {
	case cfg.RateLimitPerSec < 0:
		return cfg, &ConfigError{"rate_limit_per_sec", fmt.Sprintf("%g is negative", cfg.RateLimitPerSec)}
	case cfg.RateLimitPerSec == 0:
		cfg.RateLimitPerSec = DefaultRateLimit
	}
	if cfg.Retries == nil {
		r := DefaultRetries
		cfg.Retries = &r
	} else if *cfg.Retries < 0 {
		return cfg, &ConfigError{"retries", fmt.Sprintf("%d is negative", *cfg.Retries)}
	}
	if cfg.CacheDir == "" {
		dir, err := os.UserCacheDir()
		if err != nil {
			return cfg, &ConfigError{"cache_dir", fmt.Sprintf("no default (%v); set a directory or \"off\"", err)}
		}
		cfg.CacheDir = filepath.Join(dir, "demhost", "omdb")
	}
	if cfg.CacheTTL.Duration < 0 {
		return cfg, &ConfigError{"cache_ttl", fmt.Sprintf("%s is negative", cfg.CacheTTL.Duration)}
	}
	if cfg.Index == "" {
		cfg.Index = DefaultIndex
	}
	return cfg, nil
}

// Duration is a duration written in JSON as a string such as "720h", or 0.
type Duration struct{ time.Duration }

// UnmarshalJSON reads "720h", "30m", 0 or "0".
func (d *Duration) UnmarshalJSON(b []byte) error {
	if string(b) == "0" || string(b) == `"0"` {
		d.Duration = 0
		return nil
	}
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return fmt.Errorf("key \"cache_ttl\": want a duration such as \"720h\", got %s", b)
	}
	v, err := time.ParseDuration(s)
	if err != nil {
		return fmt.Errorf("key \"cache_ttl\": want a duration such as \"720h\": %v", err)
	}
	d.Duration = v
	return nil
}
