package estest

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/url"

	"github.com/demhost/demhost/host"
)

// Option configures New.
type Option func(*options) error

type options struct {
	engineURL    string
	sourceConfig json.RawMessage
	bulk         host.BulkConfig
}

// WithEngineURL tests against the engine at rawURL (Elasticsearch or
// OpenSearch, probed), ignoring DEMHOST_TEST_ENGINE_URL and Docker.
// Default: the engine found as the package documentation describes.
func WithEngineURL(rawURL string) Option {
	return func(o *options) error {
		u, err := url.Parse(rawURL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return fmt.Errorf("engine url %q: want http(s)://host:port", redact(rawURL))
		}
		o.engineURL = rawURL
		return nil
	}
}

// WithSourceConfig is the JSON config passed to Configure of every source
// given to Env.Host. Default: {}.
func WithSourceConfig(config string) Option {
	return func(o *options) error {
		if !json.Valid([]byte(config)) {
			return fmt.Errorf("source config %q: not valid JSON", config)
		}
		o.sourceConfig = json.RawMessage(config)
		return nil
	}
}

// WithBulk tunes the bulk indexer of the hosts an Env builds. Default: the
// host's defaults.
func WithBulk(b host.BulkConfig) Option {
	return func(o *options) error {
		if b.Workers < 0 || b.BatchSize < 0 || b.FlushBytes < 0 || b.Retries < 0 {
			return errors.New("bulk config: negative value")
		}
		o.bulk = b
		return nil
	}
}
