package bench

import (
	"context"
	"encoding/json"
	"fmt"
	"sync/atomic"
	"time"

	"golang.org/x/sync/errgroup"

	sdk "github.com/demhost/demhost/plugin-sdk"
)

// PluginConfig is the movies plugin's config section for n synthetic docs.
func PluginConfig(n int, seed uint64) json.RawMessage {
	b, _ := json.Marshal(map[string]any{"synthetic": n, "seed": seed}) // ints always marshal
	return b
}

// StreamAlone measures the plugin stream with no engine: it starts the
// movies plugin binary over go-plugin gRPC, configures n synthetic movies
// and reads every partition of "movies" with workers concurrent streams,
// counting documents. The plugin's start is not timed.
func StreamAlone(ctx context.Context, pluginPath string, n int, seed uint64, workers int) (docs int64, wall time.Duration, err error) {
	p, err := sdk.Start(ctx, "movies", pluginPath)
	if err != nil {
		return 0, 0, fmt.Errorf("start plugin %s: %w", pluginPath, err)
	}
	defer p.Close()
	if _, err := p.Configure(ctx, &sdk.ConfigureRequest{Config: PluginConfig(n, seed)}); err != nil {
		return 0, 0, fmt.Errorf("configure plugin %s: %w", pluginPath, err)
	}
	var count atomic.Int64
	workers = max(workers, 1)
	t0 := time.Now()
	g, gctx := errgroup.WithContext(ctx)
	for k := range workers {
		g.Go(func() error {
			req := &sdk.StreamRequest{Index: "movies", Partition: k, Partitions: workers}
			return p.Stream(gctx, req, func(b *sdk.Batch) error {
				count.Add(int64(len(b.Docs)))
				return nil
			})
		})
	}
	if err := g.Wait(); err != nil {
		return 0, 0, fmt.Errorf("stream plugin %s: %w", pluginPath, err)
	}
	return count.Load(), time.Since(t0), nil
}
