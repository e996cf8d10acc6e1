package omdb_test

import (
	"context"
	"encoding/json"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	sdk "github.com/demhost/demhost/plugin-sdk"
)

// The built plugin reports what it skips to the host as sdk.Skip records,
// with the id and OMDb's reason, which demhost counts and names to the
// user: a movie OMDb does not have, and an id that is not an IMDb id.
func TestPluginBinaryReportsSkips(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	build := exec.Command("go", "build", "-o", filepath.Join(dir, "omdb"), "..")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	f := newFake(t)
	p, err := sdk.Start(context.Background(), "omdb", filepath.Join(dir, "omdb"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Close() })
	cfg, _ := json.Marshal(map[string]any{"api_key": testKey, "base_url": f.URL + "/", "cache_dir": "off",
		"rate_limit_per_sec": 1000, "ids": []string{"tt1375666", "tt0000001", "12345"}})
	if _, err := p.Configure(context.Background(), &sdk.ConfigureRequest{Config: cfg}); err != nil {
		t.Fatal(err)
	}
	var docs int
	skips := map[string]string{}
	err = p.Stream(context.Background(), &sdk.StreamRequest{Index: "omdb", Partitions: 1}, func(b *sdk.Batch) error {
		for _, d := range b.Docs {
			if d.Op == sdk.OpSkip {
				skips[d.ID] = string(d.Source)
			} else {
				docs++
			}
		}
		return nil
	})
	if err != nil || docs != 1 {
		t.Fatalf("stream: %d docs, %v; want 1", docs, err)
	}
	if len(skips) != 2 || skips["tt0000001"] != `OMDb says "Movie not found!"` || !strings.Contains(skips["12345"], "not an IMDb id") {
		t.Errorf("skips = %q; want tt0000001 not found and 12345 not an IMDb id", skips)
	}
	if f.count("i=12345") != 0 {
		t.Error("OMDb was asked for an id that is not an IMDb id")
	}
}
