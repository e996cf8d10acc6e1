package omdb_test

import (
	"encoding/json"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/demhost/demhost/plugin-sdk/sdktest"
	"github.com/demhost/demhost/plugins/omdb/omdb"
)

func TestConformance(t *testing.T) {
	t.Parallel()
	f := newFake(t)
	var ids []string
	for id := range f.byID {
		ids = append(ids, id)
	}
	cfg, _ := json.Marshal(map[string]any{"api_key": testKey, "base_url": f.URL, "ids": ids,
		"titles": []string{"Nowhere To Be Found"}, "cache_dir": t.TempDir(), "rate_limit_per_sec": 1000})
	src := omdb.New(omdb.WithGetenv(noEnv), omdb.WithBackoff(time.Millisecond),
		omdb.WithLogger(slog.New(slog.NewTextHandler(io.Discard, nil))))
	sdktest.Run(t, src, sdktest.Config{Config: cfg, Partitions: 3})
}
