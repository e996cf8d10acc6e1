package omdb

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"time"
)

// maxBackoff caps one wait between retries.
const maxBackoff = 30 * time.Second

// Errors of a lookup. ErrNotFound is skipped by Stream; the others end it.
var (
	// ErrNotFound: OMDb answered "Movie not found!" or another per-movie error.
	ErrNotFound = errors.New("not found")
	// ErrInvalidKey: OMDb rejected the API key.
	ErrInvalidKey = errors.New("rejected API key")
	// ErrRequestLimit: the API key's daily request limit is reached.
	ErrRequestLimit = errors.New("request limit of the API key reached")
)

// lookup is one request: by IMDb id ("i") or by title ("t").
type lookup struct {
	param, value string
}

func (l lookup) String() string { return l.param + "=" + strconv.Quote(l.value) }

// describe names the lookup for people: `id tt0111161` or `title "Heat"`.
func (l lookup) describe() string {
	if l.param == "i" {
		return "id " + l.value
	}
	return "title " + strconv.Quote(l.value)
}

// limiter spaces requests evenly: at most rate per second, no bursts.
type limiter struct {
	mu       sync.Mutex
	interval time.Duration
	next     time.Time
}

func newLimiter(perSec float64) *limiter {
	return &limiter{interval: time.Duration(float64(time.Second) / perSec)}
}

func (l *limiter) wait(ctx context.Context) error {
	l.mu.Lock()
	now := time.Now()
	at := l.next
	if at.Before(now) {
		at = now
	}
	l.next = at.Add(l.interval)
	l.mu.Unlock()
	if d := time.Until(at); d > 0 {
		t := time.NewTimer(d)
		defer t.Stop()
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-t.C:
		}
	}
	return nil
}

// client fetches OMDb records with rate limiting, retries and a cache.
type client struct {
	http    *http.Client
	base    *url.URL
	key     string
	retries int
	backoff time.Duration
	limit   *limiter
	cache   string        // "" when off
	ttl     time.Duration // a cached record older than this is fetched again; 0: never
}

func (c *client) cachePath(l lookup) string {
	if c.cache == "" {
		return ""
	}
	sum := sha256.Sum256([]byte(l.param + "\x00" + l.value))
	return filepath.Join(c.cache, l.param+"-"+hex.EncodeToString(sum[:12])+".json")
}

// get returns OMDb's JSON record for l, from the cache when present and
// younger than the cache's time to live.
func (c *client) get(ctx context.Context, l lookup) ([]byte, error) {
	path := c.cachePath(l)
	if path != "" {
		if st, err := os.Stat(path); err == nil && (c.ttl == 0 || time.Since(st.ModTime()) < c.ttl) {
			if b, err := os.ReadFile(path); err == nil && json.Valid(b) {
				return b, nil
			}
		}
	}
	body, err := c.fetch(ctx, l)
	if err != nil {
		return nil, err
	}
	if path != "" {
		if err := writeFileAtomic(path, body); err != nil {
			return nil, fmt.Errorf("cache %s: %w", l, err)
		}
	}
	return body, nil
}

// answer is the part of every OMDb reply that says whether it worked.
type answer struct {
	Response string
	Error    string
}

// fetch asks OMDb, retrying 5xx, 429 and network errors. It returns the
// body of a successful ("Response":"True") answer.
func (c *client) fetch(ctx context.Context, l lookup) ([]byte, error) {
	u := *c.base
	q := u.Query()
	q.Set("apikey", c.key)
	q.Set(l.param, l.value)
	u.RawQuery = q.Encode()
	var lastErr error
	for attempt := 0; ; attempt++ {
		if attempt > 0 {
			if err := c.sleep(ctx, attempt, lastErr); err != nil {
				return nil, err
			}
		}
		if err := c.limit.wait(ctx); err != nil {
			return nil, err
		}
		body, retry, err := c.once(ctx, u.String())
		if err == nil {
			return checkAnswer(body, l)
		}
		if !retry || attempt >= c.retries {
			return nil, fmt.Errorf("fetch %s: %w", l, err)
		}
		lastErr = err
	}
}

// retryAfter is an error that asks for a specific wait (HTTP Retry-After).
type retryAfter struct {
	err  error
	wait time.Duration
}

func (r *retryAfter) Error() string { return r.err.Error() }
func (r *retryAfter) Unwrap() error { return r.err }

func (c *client) sleep(ctx context.Context, attempt int, last error) error {
	d := c.backoff << (attempt - 1)
	d += rand.N(d/2 + 1)
	var ra *retryAfter
	if errors.As(last, &ra) && ra.wait > d {
		d = ra.wait
	}
	t := time.NewTimer(min(d, maxBackoff))
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// once makes one request. It never puts the URL (which holds the API key)
// in an error.
func (c *client) once(ctx context.Context, u string) (body []byte, retry bool, err error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, false, errors.New("build request")
	}
	resp, err := c.http.Do(req)
	if err != nil {
		if ctx.Err() != nil {
			return nil, false, ctx.Err()
		}
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return nil, true, fmt.Errorf("request: %w", err)
	}
	defer resp.Body.Close()
	body, err = io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return nil, true, fmt.Errorf("read response: %w", err)
	}
	switch {
	case resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode >= 500:
		err := fmt.Errorf("HTTP %d", resp.StatusCode)
		if s, perr := strconv.Atoi(resp.Header.Get("Retry-After")); perr == nil && s > 0 {
			return nil, true, &retryAfter{err: err, wait: time.Duration(s) * time.Second}
		}
		return nil, true, err
	case resp.StatusCode == http.StatusOK, resp.StatusCode == http.StatusUnauthorized:
		// OMDb reports errors as JSON, with 200 or 401.
		return body, false, nil
	default:
		return nil, false, fmt.Errorf("HTTP %d", resp.StatusCode)
	}
}

// checkAnswer turns OMDb's {"Response":"False","Error":…} into errors.
func checkAnswer(body []byte, l lookup) ([]byte, error) {
	var a answer
	if err := json.Unmarshal(body, &a); err != nil {
		return nil, fmt.Errorf("fetch %s: answer is not JSON: %w", l, err)
	}
	if a.Response == "True" {
		return body, nil
	}
	switch a.Error {
	case "Request limit reached!":
		return nil, fmt.Errorf("fetch %s: OMDb says %q: %w", l, a.Error, ErrRequestLimit)
	case "Invalid API key!", "No API key provided.":
		return nil, fmt.Errorf("fetch %s: OMDb says %q: %w", l, a.Error, ErrInvalidKey)
	case "":
		return nil, fmt.Errorf("fetch %s: OMDb answered without a movie or an error", l)
	}
	return nil, &notFoundError{lookup: l, says: a.Error}
}

// notFoundError is OMDb's answer for one movie it does not have; it wraps
// ErrNotFound.
type notFoundError struct {
	lookup lookup
	says   string // OMDb's text, e.g. "Movie not found!"
}

func (e *notFoundError) Error() string {
	return fmt.Sprintf("fetch %s: OMDb says %q: %v", e.lookup, e.says, ErrNotFound)
}

func (e *notFoundError) Unwrap() error { return ErrNotFound }

func writeFileAtomic(path string, b []byte) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	f, err := os.CreateTemp(filepath.Dir(path), ".tmp-*")
	if err != nil {
		return err
	}
	_, werr := f.Write(b)
	cerr := f.Close()
	if err := errors.Join(werr, cerr); err != nil {
		os.Remove(f.Name())
		return err
	}
	return os.Rename(f.Name(), path)
}
