package engine

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"strings"
	"time"

	urlredact "github.com/demhost/demhost/internal/redact"
)

const (
	// DefaultURL is where a cluster is looked for when Config.URLs is empty.
	DefaultURL = "http://127.0.0.1:9200"
	// DefaultTimeout bounds one request when Config.Timeout is zero.
	DefaultTimeout = 60 * time.Second
)

// Open returns the adapter for the cluster cfg describes. With Kind Auto
// (or empty) it first probes the node (see Probe) and fails with ErrUnavailable when no
// URL answers; with an explicit Kind it sends nothing.
func Open(ctx context.Context, cfg Config) (Engine, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	kind := cfg.Kind
	if kind == Auto {
		info, err := Probe(ctx, cfg)
		if err != nil {
			return nil, err
		}
		kind = info.Kind
	}
	var c client
	switch kind {
	case Elasticsearch:
		c, err = newESClient(cfg)
	case OpenSearch:
		c, err = newOSClient(cfg)
	default:
		return nil, fmt.Errorf("open engine: unknown kind %q (want one of %v)", cfg.Kind, Kinds)
	}
	if err != nil {
		return nil, fmt.Errorf("open %s %s: %w", kind, redact(cfg.URLs[0]), err)
	}
	return &adapter{kind: kind, timeout: cfg.Timeout, url: redact(cfg.URLs[0]), nodes: len(cfg.URLs), c: c,
		taskPatience: taskPollPatience}, nil
}

// Probe asks each URL in turn what it is and returns what the first one
// that answers says. It asks GET _nodes/_local, which every Elasticsearch
// and OpenSearch node serves (GET / is a module that an Elasticsearch node
// can lack), and GET / only when that is refused (403, 404, 405 or 410). The
// kind comes from the answer's X-Elastic-Product or X-OpenSearch-Version
// header, else from its body (see kindOf). No URL answering is
// ErrUnavailable, naming the URLs without their credentials.
func Probe(ctx context.Context, cfg Config) (Info, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return Info{}, err
	}
	client := &http.Client{Transport: cfg.Transport, Timeout: cfg.Timeout}
	var errs []error
	for _, u := range cfg.URLs {
		info, err := probeOne(ctx, client, cfg, u)
		if err == nil {
			return info, nil
		}
		if !errors.Is(err, ErrUnavailable) {
			return Info{}, err // the node answered: credentials, not reachability
		}
		errs = append(errs, err)
	}
	return Info{}, errors.Join(errs...)
}

func probeOne(ctx context.Context, client *http.Client, cfg Config, raw string) (Info, error) {
	shown := redact(raw)
	op := "probe " + shown
	notEngine := &Error{Op: op, Reason: "the node does not say its version: not Elasticsearch or OpenSearch", Err: ErrRejected}
	h, r, err := probeGet(ctx, client, cfg, raw, "/_nodes/_local?filter_path="+strings.Join(nodeInfoFilter, ","))
	if err == nil {
		var n nodesAnswer
		if err := decode(r, &n); err != nil {
			return Info{}, err
		}
		version, _ := n.local()
		if version == "" {
			return Info{}, notEngine
		}
		return Info{Kind: kindOf(h, &n, nil), Version: version, ClusterName: n.ClusterName, URL: shown}, nil
	}
	if !infoUnanswered(err) {
		return Info{}, err
	}
	h, r, err = probeGet(ctx, client, cfg, raw, "/")
	if err != nil {
		return Info{}, err
	}
	var ri rootInfo
	if err := decode(r, &ri); err != nil {
		return Info{}, err
	}
	if ri.Version.Number == "" {
		return Info{}, notEngine
	}
	return Info{Kind: kindOf(h, nil, &ri), Version: ri.Version.Number, ClusterName: ri.ClusterName, URL: shown}, nil
}

// probeGet sends GET path to the node at raw with the configured
// credentials and returns the answer's headers and its 2xx body.
func probeGet(ctx context.Context, client *http.Client, cfg Config, raw, path string) (http.Header, *reply, error) {
	shown := redact(raw)
	op := "probe " + shown
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, strings.TrimRight(raw, "/")+path, nil)
	if err != nil {
		return nil, nil, fmt.Errorf("%s: %w", op, err)
	}
	if req.URL.User != nil {
		pw, _ := req.URL.User.Password()
		req.SetBasicAuth(req.URL.User.Username(), pw)
		req.URL.User = nil
	}
	if cfg.Username != "" {
		req.SetBasicAuth(cfg.Username, cfg.Password)
	}
	if cfg.APIKey != "" {
		req.Header.Set("Authorization", "ApiKey "+cfg.APIKey)
	}
	resp, err := client.Do(req)
	if err != nil {
		// The client's error quotes the URL; say it once, redacted.
		var uerr *url.Error
		if errors.As(err, &uerr) {
			err = uerr.Err
		}
		return nil, nil, transportError(ctx, op, "", err)
	}
	r, err := readReply(ctx, op, "", resp.StatusCode, resp.Body, nil)
	return resp.Header, r, err
}

// withDefaults fills the zero fields and checks the URLs.
func (cfg Config) withDefaults() (Config, error) {
	if len(cfg.URLs) == 0 {
		cfg.URLs = []string{DefaultURL}
	}
	for _, raw := range cfg.URLs {
		u, err := url.Parse(raw)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return cfg, fmt.Errorf("engine url %q: want http(s)://host:port", redact(raw))
		}
	}
	if cfg.Kind == "" {
		cfg.Kind = Auto
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = DefaultTimeout
	}
	if cfg.Transport == nil {
		t, err := newTransport(cfg.CAFile)
		if err != nil {
			return cfg, err
		}
		cfg.Transport = t
	}
	return cfg, nil
}

// writeBufferSize is the write buffer of each connection to the engine:
// a request's head and the start of its body.
const writeBufferSize = 64 << 10

// newTransport is tuned for many parallel bulk requests to few hosts:
// enough idle connections per host that workers never redial. Bulk bodies
// go chunked (see unsized), which net/http writes from the body itself:
// the buffer takes the head and the body's first bytes, the rest goes out
// in one write(2). (A body of known length is copied into the buffer
// whole, or past it in 32 KB pieces of one system call each: 12% of the
// host's CPU in an update, by perf.) Compression is off: answers are small
// (filter_path) and bodies are sent as they are.
func newTransport(caFile string) (*http.Transport, error) {
	t := &http.Transport{
		Proxy:                 http.ProxyFromEnvironment,
		DialContext:           (&net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		MaxIdleConns:          512,
		MaxIdleConnsPerHost:   128,
		IdleConnTimeout:       90 * time.Second,
		TLSHandshakeTimeout:   10 * time.Second,
		ExpectContinueTimeout: time.Second,
		DisableCompression:    true,
		WriteBufferSize:       writeBufferSize,
		ReadBufferSize:        16 << 10,
	}
	if caFile != "" {
		pem, err := os.ReadFile(caFile)
		if err != nil {
			return nil, fmt.Errorf("engine ca file: %w", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("engine ca file %s: no PEM certificate found", caFile)
		}
		t.TLSClientConfig = &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}
	}
	return t, nil
}

// redact drops the user information from a URL so it can be shown; the
// rule is package redact's.
func redact(raw string) string { return urlredact.WithoutUser(raw) }

// infoFrom decodes GET / for the Info of an adapter of kind.
func infoFrom(r *reply, kind Kind, url string) (Info, error) {
	var ri rootInfo
	if err := decode(r, &ri); err != nil {
		return Info{}, err
	}
	return Info{Kind: kind, Version: ri.Version.Number, ClusterName: ri.ClusterName, URL: url}, nil
}
