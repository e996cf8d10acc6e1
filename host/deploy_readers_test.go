package host_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/demhost/demhost/host"
	"github.com/demhost/demhost/internal/testenv"
)

// TestDeployReadersNeverNotice is issue 13's reader test: on both engines,
// readers search the alias as fast as they can (several at once, logged in
// searches/s) during a whole deploy of a new version, while a watcher
// reads the alias's targets. No search may fail or see fewer documents
// than the source holds, and the alias must have exactly one target at
// every answer.
func TestDeployReadersNeverNotice(t *testing.T) {
	eachEngine(t, func(t *testing.T, e testenv.Engine) {
		const docs = 3000
		src := &countedSource{testSource: newTestSource("movies", docs)}
		f := newFixture(t, openEngine(t, e.URL), postgresRegistry(t), host.BulkConfig{Workers: 2, BatchSize: 200}, src)
		if _, err := f.h.Deploy(f.ctx, []string{"movies"}, host.DeployOptions{}); err != nil {
			t.Fatalf("first deploy: %v", err)
		}
		src.setMapping(yearMapping("keyword"))
		f.reopen(src)

		alias := f.h.Alias("movies")
		const readers = 8
		client := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: readers + 1}}
		ctx, stop := context.WithCancel(f.ctx)
		var (
			wg                 sync.WaitGroup
			searches, problems atomic.Int64
			aliasReads         atomic.Int64
			mu                 sync.Mutex
			firstProblems      []string
		)
		problem := func(format string, args ...any) {
			if problems.Add(1) <= 5 {
				mu.Lock()
				firstProblems = append(firstProblems, fmt.Sprintf(format, args...))
				mu.Unlock()
			}
		}
		for range readers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for ctx.Err() == nil {
					var res struct {
						Hits struct {
							Total struct {
								Value int64 `json:"value"`
							} `json:"total"`
						} `json:"hits"`
					}
					code, err := getJSON(ctx, client, e.URL+"/"+alias+"/_search?size=0&track_total_hits=true", &res)
					switch {
					case ctx.Err() != nil:
						return
					case err != nil || code != 200:
						problem("search: %d %v", code, err)
					case res.Hits.Total.Value < docs:
						problem("search saw %d documents, the source holds %d", res.Hits.Total.Value, docs)
					}
					searches.Add(1)
				}
			}()
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			for ctx.Err() == nil {
				var targets map[string]json.RawMessage
				code, err := getJSON(ctx, client, e.URL+"/_alias/"+alias, &targets)
				switch {
				case ctx.Err() != nil:
					return
				case err != nil || code != 200:
					problem("read alias: %d %v", code, err)
				case len(targets) != 1:
					problem("alias %s has %d targets: %v", alias, len(targets), targets)
				}
				aliasReads.Add(1)
			}
		}()

		time.Sleep(200 * time.Millisecond) // the readers are reading before the deploy starts
		began := time.Now()
		rs, err := f.h.Deploy(f.ctx, []string{"movies"}, host.DeployOptions{})
		took := time.Since(began)
		time.Sleep(200 * time.Millisecond) // and after it ends
		stop()
		wg.Wait()
		if err != nil {
			t.Fatalf("deploy: %v", err)
		}
		if last := rs[len(rs)-1]; last.Version != 2 {
			t.Fatalf("deploy ended %+v, want movies-2", last)
		}
		n := searches.Load()
		t.Logf("%s: %d searches in %s of deploy (%.0f searches/s, %d readers), %d alias reads, %d problems",
			e.Name, n, took.Round(time.Millisecond), float64(n)/took.Seconds(), readers, aliasReads.Load(), problems.Load())
		if problems.Load() > 0 {
			t.Errorf("readers noticed the deploy %d times, e.g. %v", problems.Load(), firstProblems)
		}
		if n < 100 {
			t.Errorf("only %d searches ran during the deploy; the check means little", n)
		}
	})
}

// getJSON GETs url and decodes a 200 answer into v.
func getJSON(ctx context.Context, c *http.Client, url string, v any) (int, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return 0, err
	}
	resp, err := c.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 {
		return resp.StatusCode, nil
	}
	return resp.StatusCode, json.NewDecoder(resp.Body).Decode(v)
}
