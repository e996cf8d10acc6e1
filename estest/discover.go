package estest

import (
	"context"
	"fmt"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/demhost/demhost/host/engine"
	urlredact "github.com/demhost/demhost/internal/redact"
)

// Environment variables that choose the engine.
const (
	// EnvEngineURL names the engine to test against: Elasticsearch or
	// OpenSearch, probed. It wins over Docker.
	EnvEngineURL = "DEMHOST_TEST_ENGINE_URL"
	// EnvEngineImage is the image of the container started through Docker
	// when EnvEngineURL is unset. Default: DefaultImage.
	EnvEngineImage = "DEMHOST_TEST_ENGINE_IMAGE"
	// EnvDocker set to "0" forbids starting a container.
	EnvDocker = "DEMHOST_TEST_DOCKER"
	// EnvRequireEngine set to "1" (or CI set to anything) turns a missing
	// engine from a skip into a failure.
	EnvRequireEngine = "DEMHOST_TEST_REQUIRE_ENGINE"
)

// DefaultImage is the engine container estest starts through Docker.
const DefaultImage = "docker.elastic.co/elasticsearch/elasticsearch:8.19.7"

// howTo is the part of every "no engine" message that says what to do.
const howTo = "set " + EnvEngineURL + " (e.g. http://127.0.0.1:9200), " +
	"run `make services` in the demhost repository and set it to that engine, " +
	"or make a Docker engine reachable (DOCKER_HOST or /var/run/docker.sock) so estest can start " +
	DefaultImage + " (image set by " + EnvEngineImage + ")"

// source says where the engine of a test comes from.
type source int

const (
	fromNowhere source = iota // skip, or fail when required
	fromURL                   // a running engine at plan.URL
	fromDocker                // a container of plan.Image
)

// plan is what decide chose.
type plan struct {
	From     source
	URL      string // fromURL
	Image    string // fromDocker
	Required bool   // a missing engine fails the test instead of skipping it
}

// decide picks the engine of a test. It is pure so that every rule can be
// tested: optURL comes from WithEngineURL, getenv reads the environment,
// and dockerReachable is called only when no URL is configured.
func decide(optURL string, getenv func(string) string, dockerReachable func() bool) plan {
	p := plan{Required: getenv("CI") != "" || getenv(EnvRequireEngine) == "1"}
	switch {
	case optURL != "":
		p.From, p.URL = fromURL, optURL
	case getenv(EnvEngineURL) != "":
		p.From, p.URL = fromURL, getenv(EnvEngineURL)
	case getenv(EnvDocker) != "0" && dockerReachable():
		p.From, p.Image = fromDocker, getenv(EnvEngineImage)
		if p.Image == "" {
			p.Image = DefaultImage
		}
	default:
		p.From = fromNowhere
	}
	return p
}

// opened is an engine opened once per URL for the whole test binary, so
// that tests share its connection pool.
type opened struct {
	once sync.Once
	eng  engine.Engine
	info engine.Info
	err  error
}

var (
	enginesMu sync.Mutex
	engines   = map[string]*opened{}
)

// openEngine opens (once per URL) and probes the engine at url.
func openEngine(url string) (engine.Engine, engine.Info, error) {
	enginesMu.Lock()
	o, ok := engines[url]
	if !ok {
		o = &opened{}
		engines[url] = o
	}
	enginesMu.Unlock()
	o.once.Do(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		o.eng, o.err = engine.Open(ctx, engine.Config{URLs: []string{url}, Kind: engine.Auto})
		if o.err != nil {
			return
		}
		o.info, o.err = o.eng.Info(ctx)
		if o.err != nil {
			o.err = fmt.Errorf("info: %w", o.err)
		}
	})
	return o.eng, o.info, o.err
}

// redact hides the password of an engine URL; the rule is package redact's.
func redact(url string) string { return urlredact.URL(url) }

// findEngine resolves the engine of t, or skips or fails t.
func findEngine(t testing.TB, optURL string) (string, engine.Engine, engine.Info) {
	t.Helper()
	p := decide(optURL, os.Getenv, dockerReachable)
	url := p.URL
	switch p.From {
	case fromNowhere:
		missing(t, p.Required, "estest: no search engine for "+t.Name())
	case fromDocker:
		var err error
		url, err = containerURL(p.Image)
		if err != nil {
			missing(t, p.Required, fmt.Sprintf("estest: start %s through Docker: %v", p.Image, err))
		}
	}
	eng, info, err := openEngine(url)
	if err != nil {
		// A configured URL that does not answer is a mistake to fix, not
		// an engine that is simply absent.
		where, todo := unreachableHint(p, optURL)
		t.Fatalf("estest: the engine at %s (%s) did not answer (%v); %s", redact(url), where, err, todo)
	}
	return url, eng, info
}

// unreachableHint says where the URL of plan p came from, and what to do
// when its engine does not answer.
func unreachableHint(p plan, optURL string) (where, todo string) {
	switch {
	case p.From == fromDocker:
		return "started by estest from " + p.Image,
			"see the container's logs (docker logs), or set " + EnvEngineURL + " to the URL of a running engine"
	case optURL != "":
		return "from estest.WithEngineURL", "start that engine, or pass estest.WithEngineURL the URL of a running one"
	}
	return "from " + EnvEngineURL, "start that engine, set " + EnvEngineURL +
		" to the URL of a running one, or unset it so that estest starts one through Docker or skips the test"
}

// missing skips t, or fails it when an engine is required.
func missing(t testing.TB, required bool, what string) {
	t.Helper()
	if required {
		t.Fatalf("%s, and CI or %s=1 requires one: %s", what, EnvRequireEngine, howTo)
	}
	t.Skipf("%s: %s", what, howTo)
}
