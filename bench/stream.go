package bench

import (
	"context"
	"encoding/json"
	"fmt"
	"sync/atomic"
	"syscall"
	"time"

	"golang.org/x/sync/errgroup"

	sdk "github.com/demhost/demhost/plugin-sdk"
)

// PluginConfig is the movies plugin's config section for n synthetic docs.
func PluginConfig(n int, seed uint64) json.RawMessage {
	b, _ := json.Marshal(map[string]any{"synthetic": n, "seed": seed}) // ints always marshal
	return b
}

// StreamRun is one run of the plugin stream alone.
type StreamRun struct {
	Docs int64
	Wall time.Duration
	// Host is this process's CPU over the stream (the receiving side,
	// as in demhost); Plugin is the plugin process's whole CPU, read once
	// it has been reaped, so it includes its start and the generator.
	Host, Plugin time.Duration
}

// StreamAlone measures the plugin stream with no engine: it starts the
// movies plugin binary over go-plugin gRPC, configures n synthetic movies
// and reads every partition of "movies" with workers concurrent streams,
// counting documents. The plugin's start is not timed. It must not run
// while this process has other children to reap: their CPU would count
// as the plugin's.
func StreamAlone(ctx context.Context, pluginPath string, n int, seed uint64, workers int, opts ...sdk.StartOption) (StreamRun, error) {
	children0 := childrenCPU()
	p, err := sdk.Start(ctx, "movies", pluginPath, opts...)
	if err != nil {
		return StreamRun{}, fmt.Errorf("start plugin %s: %w", pluginPath, err)
	}
	run, err := streamAll(ctx, p, pluginPath, n, seed, workers)
	p.Close()
	run.Plugin = childrenCPU() - children0
	return run, err
}

// childrenCPU is the user+system CPU of this process's reaped children.
func childrenCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_CHILDREN, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func streamAll(ctx context.Context, p *sdk.Plugin, pluginPath string, n int, seed uint64, workers int) (StreamRun, error) {
	if _, err := p.Configure(ctx, &sdk.ConfigureRequest{Config: PluginConfig(n, seed)}); err != nil {
		return StreamRun{}, fmt.Errorf("configure plugin %s: %w", pluginPath, err)
	}
	var count atomic.Int64
	workers = max(workers, 1)
	c0, t0 := CPUTime(), time.Now()
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
		return StreamRun{}, fmt.Errorf("stream plugin %s: %w", pluginPath, err)
	}
	return StreamRun{Docs: count.Load(), Wall: time.Since(t0), Host: CPUTime() - c0}, nil
}
