package omdb_test

import (
	"bytes"
	"context"
	"encoding/json"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	sdk "github.com/demhost/demhost/plugin-sdk"
)

// The built plugin's skips reach the host as warnings naming the lookup,
// which demhost shows as "plugin omdb: WARN …" (the README promises the
// user sees them).
func TestPluginBinaryWarnsOfSkips(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	build := exec.Command("go", "build", "-o", filepath.Join(dir, "omdb"), "..")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	f := newFake(t)
	var mu sync.Mutex
	var lines []sdk.LogLine
	var shown bytes.Buffer // what the default sink writes, as demhost shows it
	start := func(opts ...sdk.StartOption) *sdk.Plugin {
		p, err := sdk.Start(context.Background(), "omdb", filepath.Join(dir, "omdb"), opts...)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { p.Close() })
		cfg, _ := json.Marshal(map[string]any{"api_key": testKey, "base_url": f.URL + "/", "cache_dir": "off",
			"rate_limit_per_sec": 1000, "ids": []string{"tt1375666", "tt0000001"}})
		if _, err := p.Configure(context.Background(), &sdk.ConfigureRequest{Config: cfg}); err != nil {
			t.Fatal(err)
		}
		docs := 0
		if err := p.Stream(context.Background(), &sdk.StreamRequest{Index: "omdb", Partitions: 1}, func(b *sdk.Batch) error {
			docs += len(b.Docs)
			return nil
		}); err != nil || docs != 1 {
			t.Fatalf("stream: %d docs, %v; want 1 doc", docs, err)
		}
		return p
	}
	start(sdk.WithLogSink(func(l sdk.LogLine) {
		mu.Lock()
		defer mu.Unlock()
		lines = append(lines, l)
	}))
	start(sdk.WithLogOutput(&lockedWriter{w: &shown, mu: &mu}))

	deadline := time.Now().Add(5 * time.Second)
	for {
		mu.Lock()
		var skip *sdk.LogLine
		for i, l := range lines {
			if strings.Contains(l.Message, "skipped id tt0000001") {
				skip = &lines[i]
			}
		}
		text := shown.String()
		mu.Unlock()
		want := `plugin omdb: WARN omdb: skipped id tt0000001: OMDb says "Movie not found!" index=omdb` + "\n"
		if skip != nil && strings.Contains(text, want) {
			if skip.Level != sdk.LevelWarn {
				t.Errorf("skip logged as %v %q", skip.Level, skip.String())
			}
			if strings.Contains(text, "tt1375666") {
				t.Errorf("the found movie was logged as a warning:\n%s", text)
			}
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("no skip warning; sink got %+v; shown:\n%s\nwant %q", lines, text, want)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

type lockedWriter struct {
	w  *bytes.Buffer
	mu *sync.Mutex
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}
