package estest

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"time"

	"github.com/demhost/demhost/host"
)

// Environment variables that shape prefixes; the options of the same
// name win over them.
const (
	// EnvPrefix is the base prefix every test's prefix starts with, for
	// clusters whose index names must follow a rule, e.g. "ci_". Default:
	// none. See WithBasePrefix.
	EnvPrefix = "DEMHOST_TEST_PREFIX"
	// EnvSweepAge is how old an estest prefix must be before New removes
	// what is under it, as a Go duration such as "1h" or "90m"; "0" turns
	// the sweep off. Default: DefaultSweepAge. See WithSweepAge.
	EnvSweepAge = "DEMHOST_TEST_SWEEP_AGE"
)

// DefaultSweepAge is the sweep age when neither WithSweepAge nor
// DEMHOST_TEST_SWEEP_AGE sets one. It is far longer than go test's
// default -timeout of 10 minutes, so no running test loses its indexes.
const DefaultSweepAge = time.Hour

// maxBaseLen bounds a base prefix so that, with the rest of a test's
// prefix (at most 46 bytes, see prefix.go), it stays within
// host.MaxPrefixLength, the one limit on environment prefixes.
const maxBaseLen = host.MaxPrefixLength - 48

// Option configures New.
type Option func(*options) error

type options struct {
	engineURL    string
	sourceConfig json.RawMessage
	bulk         host.BulkConfig

	base        string
	baseSet     bool
	sweepAge    time.Duration
	sweepAgeSet bool
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

// WithBasePrefix starts every prefix with base, e.g. "ci_" gives
// "ci_ttpau55_search_3f9a1c3f44_", for a shared cluster whose index names
// must follow a rule. The sweep of New only considers prefixes under the
// same base. It must be lower case and valid at the start of an index
// name, at most 16 bytes; "" means none. It wins over
// DEMHOST_TEST_PREFIX. Default: DEMHOST_TEST_PREFIX, else none.
func WithBasePrefix(base string) Option {
	return func(o *options) error {
		if err := validateBase(fmt.Sprintf("estest.WithBasePrefix(%q)", base), base); err != nil {
			return err
		}
		o.base, o.baseSet = base, true
		return nil
	}
}

// WithSweepAge is how old a prefix under the same base must be before New
// removes its indexes and aliases: those of test binaries that were killed
// before their cleanup ran. Keep it longer than your longest test binary
// runs; 0 turns the sweep off. The sweep runs once per process, engine URL
// and base prefix, with the age of the first New. It wins over
// DEMHOST_TEST_SWEEP_AGE. Default: DEMHOST_TEST_SWEEP_AGE, else
// DefaultSweepAge (1h).
func WithSweepAge(age time.Duration) Option {
	return func(o *options) error {
		if age < 0 {
			return fmt.Errorf("estest.WithSweepAge(%s): the age must not be negative; use 0 to turn the sweep off", age)
		}
		o.sweepAge, o.sweepAgeSet = age, true
		return nil
	}
}

// naming is how New makes and sweeps prefixes.
type naming struct {
	base     string
	sweepAge time.Duration // 0: no sweep
}

// resolveNaming applies the options, then the environment read through
// getenv, then the defaults.
func resolveNaming(o options, getenv func(string) string) (naming, error) {
	n := naming{base: o.base, sweepAge: o.sweepAge}
	if !o.baseSet {
		n.base = getenv(EnvPrefix)
		if err := validateBase(fmt.Sprintf("%s=%q", EnvPrefix, n.base), n.base); err != nil {
			return naming{}, err
		}
	}
	if !o.sweepAgeSet {
		n.sweepAge = DefaultSweepAge
		if v := getenv(EnvSweepAge); v != "" {
			age, err := time.ParseDuration(v)
			if err != nil || age < 0 {
				return naming{}, fmt.Errorf("%s=%q is not a duration of 0 or more, such as 1h or 90m (0 turns the sweep off)", EnvSweepAge, v)
			}
			n.sweepAge = age
		}
	}
	return n, nil
}

// validateBase checks a base prefix; where names the option or the
// environment variable that set it, with its value. Its rules are the host's rules for an
// environment prefix, plus a tighter length.
func validateBase(where, base string) error {
	err := host.ValidatePrefix(base)
	if err == nil && len(base) > maxBaseLen {
		err = fmt.Errorf("it is %d bytes long", len(base))
	}
	if err != nil {
		return fmt.Errorf("%s cannot start index names (%v): use at most %d bytes of lower-case letters, digits, '_' or '-', not starting with '_' or '-', e.g. ci_",
			where, err, maxBaseLen)
	}
	return nil
}
