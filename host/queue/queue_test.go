package queue_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/demhost/demhost/estest"
	"github.com/demhost/demhost/host"
	"github.com/demhost/demhost/host/queue"
	"github.com/demhost/demhost/internal/testenv"
	sdk "github.com/demhost/demhost/plugin-sdk"
	"github.com/demhost/demhost/plugins/movies/movies"
	"github.com/demhost/demhost/registry"
)

// The distributed update in one process: a real engine, a real registry
// (SQLite and Postgres), River workers running in goroutines.

// backends opens a fresh registry of each kind for the test.
func backends(t *testing.T) map[string]func(t *testing.T) *registry.Registry {
	return map[string]func(t *testing.T) *registry.Registry{
		"sqlite": func(t *testing.T) *registry.Registry {
			return openRegistry(t, filepath.Join(t.TempDir(), "registry.db"))
		},
		"postgres": func(t *testing.T) *registry.Registry {
			dsn, _ := testenv.PostgresSchema(t)
			return openRegistry(t, dsn)
		},
	}
}

func openRegistry(t *testing.T, dsn string) *registry.Registry {
	t.Helper()
	reg, err := registry.Open(testenv.Context(t), dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { reg.Close() })
	return reg
}

// newHost is a host on env's prefix and reg with the movies source
// serving n synthetic movies, its stream wrapped by wrap when not nil.
func newHost(t *testing.T, env *estest.Env, prefix string, reg *registry.Registry, n int, wrap func(host.Source) host.Source) *host.Host {
	t.Helper()
	ctx := testenv.Context(t)
	local := sdk.NewLocal("movies", movies.New())
	if _, err := local.Configure(ctx, &sdk.ConfigureRequest{Config: []byte(fmt.Sprintf(`{"synthetic": %d}`, n))}); err != nil {
		t.Fatal(err)
	}
	var src host.Source = local
	if wrap != nil {
		src = wrap(local)
	}
	h, err := host.New(ctx, host.Options{Env: prefix, Registry: reg, Engine: env.Engine(), Sources: []host.Source{src},
		ProgressInterval: 100 * time.Millisecond, Bulk: host.BulkConfig{Workers: 2, BatchSize: 200}})
	if err != nil {
		t.Fatal(err)
	}
	return h
}

// worker runs a worker on h until the test ends.
func worker(t *testing.T, reg *registry.Registry, h *host.Host, o queue.Options) {
	t.Helper()
	o.Env = h.Env()
	o.Logger = quiet()
	q, err := queue.Open(testenv.Context(t), reg, o, h)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- q.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("worker: %v", err)
		}
		q.Close()
	})
}

// coordinator is the queue update --distributed enqueues into.
func coordinator(t *testing.T, reg *registry.Registry, env string, o queue.Options) *queue.Queue {
	t.Helper()
	o.Env = env
	o.Logger = quiet()
	q, err := queue.Open(testenv.Context(t), reg, o, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(q.Close)
	return q
}

func count(t *testing.T, env *estest.Env, index string) int64 {
	t.Helper()
	ctx := testenv.Context(t)
	if err := env.Engine().Refresh(ctx, index); err != nil {
		t.Fatal(err)
	}
	n, err := env.Engine().Count(ctx, index)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func TestDistributedUpdate(t *testing.T) {
	for name, open := range backends(t) {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			const n = 2000
			env := estest.New(t)
			reg := open(t)
			ctx := testenv.Context(t)
			h := newHost(t, env, env.Prefix(), reg, n, nil)
			if _, err := h.Create(ctx, []string{"movies"}, host.CreateOptions{}); err != nil {
				t.Fatal(err)
			}
			// A worker of another prefix on the same registry takes none of
			// the jobs.
			other := newHost(t, env, env.Prefix()+"x_", reg, n, nil)
			worker(t, reg, other, queue.Options{Concurrency: 4})
			r, err := h.UpdateDistributed(ctx, "movies-1", host.DistributedOptions{Partitions: 4, Slices: 3, Detach: true,
				Queue: coordinator(t, reg, env.Prefix(), queue.Options{})})
			if err != nil {
				t.Fatal(err)
			}
			time.Sleep(2 * time.Second)
			parts, err := reg.Partitions(ctx, r.ActionID)
			if err != nil || len(parts) != 4 {
				t.Fatalf("partitions: %v, %v", parts, err)
			}
			for _, p := range parts {
				if p.Status != registry.PartitionQueued || p.Attempts != 0 {
					t.Fatalf("a worker of another prefix took partition %d: %+v", p.Number, p)
				}
			}
			worker(t, reg, h, queue.Options{Concurrency: 2})
			worker(t, reg, newHost(t, env, env.Prefix(), reg, n, nil), queue.Options{Concurrency: 2})
			a := waitEnded(t, reg, r.ActionID, time.Minute)
			if a.Status != registry.ActionComplete || a.Indexed != n {
				t.Fatalf("action %d: %s with %d indexed, want complete with %d: %s\n%s", a.ID, a.Status, a.Indexed, n, a.Error, a.Log)
			}
			if got := count(t, env, env.Index("movies-1")); got != n {
				t.Fatalf("_count %d, want %d", got, n)
			}
			if _, ok, err := reg.GetCheckpoint(ctx, env.Prefix(), "movies", 1, "movies"); err != nil || !ok {
				t.Fatalf("no checkpoint after a complete distributed fill (%v)", err)
			}
			parts, _ = reg.Partitions(ctx, r.ActionID)
			for _, p := range parts {
				if p.Status != registry.PartitionComplete || p.Done != 3 {
					t.Errorf("partition %d: %+v", p.Number, p)
				}
			}
		})
	}
}

// waitEnded waits until action id is no longer in progress.
func waitEnded(t *testing.T, reg *registry.Registry, id int64, limit time.Duration) registry.Action {
	t.Helper()
	deadline := time.Now().Add(limit)
	for {
		a, err := reg.Action(context.Background(), id)
		if err != nil {
			t.Fatal(err)
		}
		if a.Status != registry.ActionInProgress && a.Status != registry.ActionQueued {
			return a
		}
		if time.Now().After(deadline) {
			t.Fatalf("action %d still %s after %s:\n%s", id, a.Status, limit, a.Log)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// failing fails every stream of one slice, as a plugin that dies would.
type failing struct {
	host.Source
	slice int
}

var errPlugin = errors.New("plugin movies: rpc error: the plugin exited")

func (f failing) Stream(ctx context.Context, req *sdk.StreamRequest, fn func(*sdk.Batch) error) error {
	if req.Partition == f.slice {
		return errPlugin
	}
	return f.Source.Stream(ctx, req, fn)
}

func TestDistributedPluginFailure(t *testing.T) {
	t.Parallel()
	const n = 500
	env := estest.New(t)
	reg := openRegistry(t, filepath.Join(t.TempDir(), "registry.db"))
	ctx := testenv.Context(t)
	// Slice 1 of partition 2 (of 3, 2 slices each) is stream partition 5 of 6.
	h := newHost(t, env, env.Prefix(), reg, n, func(s host.Source) host.Source { return failing{Source: s, slice: 5} })
	if _, err := h.Create(ctx, []string{"movies"}, host.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	worker(t, reg, h, queue.Options{Concurrency: 3, RetryBackoff: 100 * time.Millisecond})
	r, err := h.UpdateDistributed(ctx, "movies-1", host.DistributedOptions{Partitions: 3, Slices: 2,
		Queue: coordinator(t, reg, env.Prefix(), queue.Options{MaxAttempts: 3})})
	if err == nil || !strings.Contains(err.Error(), "partition 2 of 3") || !strings.Contains(err.Error(), errPlugin.Error()) ||
		!strings.Contains(err.Error(), "after 3 attempts") {
		t.Fatalf("error %v, want one that names partition 2 of 3, its 3 attempts and the plugin's error", err)
	}
	a, _ := reg.Action(ctx, r.ActionID)
	if a.Status != registry.ActionFailed {
		t.Fatalf("action %s, want failed", a.Status)
	}
	for i := 1; i <= 2; i++ {
		if !strings.Contains(a.Log, fmt.Sprintf("attempt %d of 3", i)) {
			t.Errorf("the log does not tell attempt %d:\n%s", i, a.Log)
		}
	}
	parts, _ := reg.Partitions(ctx, r.ActionID)
	if p := parts[2]; p.Status != registry.PartitionFailed || p.Done != 1 || p.Attempts != 3 {
		t.Errorf("partition 2: %+v, want failed after 3 attempts with its first slice done", p)
	}
}

// riverName is River's own rule for a queue name.
var riverName = regexp.MustCompile(`^(?:[a-z0-9])+(?:[_|\-]?[a-z0-9]+)*$`)

func quiet() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

func TestQueueName(t *testing.T) {
	t.Parallel()
	seen := map[string]string{}
	for _, env := range []string{"", "qa1_", "qa1-", "qa1", "ünïcode_", strings.Repeat("long", 16)} {
		q := queue.QueueName(env, "default")
		if prev, dup := seen[q]; dup {
			t.Errorf("prefixes %q and %q share queue %s", prev, env, q)
		}
		seen[q] = env
		if len(q) > 64 || !riverName.MatchString(q) {
			t.Errorf("queue %q of prefix %q", q, env)
		}
	}
}

// TestDistributedCancel: a detached update is cancelled from another
// process's view (CancelDistributed), and --resume continues it.
func TestDistributedCancel(t *testing.T) {
	t.Parallel()
	const n = 1000
	env := estest.New(t)
	reg := openRegistry(t, filepath.Join(t.TempDir(), "registry.db"))
	ctx := testenv.Context(t)
	h := newHost(t, env, env.Prefix(), reg, n, nil)
	if _, err := h.Create(ctx, []string{"movies"}, host.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	q := coordinator(t, reg, env.Prefix(), queue.Options{})
	r, err := h.UpdateDistributed(ctx, "movies-1", host.DistributedOptions{Partitions: 3, Slices: 2, Detach: true, Queue: q})
	if err != nil {
		t.Fatal(err)
	}
	// Nobody works the jobs yet: a second distributed update is refused.
	if _, err := h.UpdateDistributed(ctx, "movies-1", host.DistributedOptions{Queue: q}); err == nil ||
		!strings.Contains(err.Error(), "--cancel") {
		t.Fatalf("a second distributed update of a running one: %v, want a refusal that names --cancel", err)
	}
	c, err := h.CancelDistributed(ctx, "movies-1", q)
	if err != nil || c.ActionID != r.ActionID || !c.Changed {
		t.Fatalf("cancel: %+v, %v", c, err)
	}
	if a, _ := reg.Action(ctx, r.ActionID); a.Status != registry.ActionInterrupted {
		t.Fatalf("cancelled action %s, want interrupted", a.Status)
	}
	if c, err := h.CancelDistributed(ctx, "movies-1", q); err != nil || c.Changed {
		t.Fatalf("a second cancel: %+v, %v; want a no-op", c, err)
	}
	// The cancelled jobs never run; the resumed update's do.
	worker(t, reg, h, queue.Options{Concurrency: 2})
	res, err := h.UpdateDistributed(ctx, "movies-1", host.DistributedOptions{Update: host.UpdateOptions{Resume: true}, Queue: q})
	if err != nil {
		t.Fatal(err)
	}
	if res.Counts.Indexed != n || count(t, env, env.Index("movies-1")) != n {
		t.Fatalf("resumed update indexed %d, want %d", res.Counts.Indexed, n)
	}
	if ps, _ := reg.Partitions(ctx, r.ActionID); ps[0].Attempts != 0 {
		t.Errorf("a cancelled job ran: %+v", ps[0])
	}
	if ps, _ := reg.Partitions(ctx, res.ActionID); len(ps) != 3 {
		t.Errorf("the resumed update has %d partitions, want the 3 of the one it continues", len(ps))
	}
}

// stalling never ends one slice's stream, as a source that hangs would.
type stalling struct {
	host.Source
	slice int
}

func (s stalling) Stream(ctx context.Context, req *sdk.StreamRequest, fn func(*sdk.Batch) error) error {
	if req.Partition == s.slice {
		<-ctx.Done()
		return ctx.Err()
	}
	return s.Source.Stream(ctx, req, fn)
}

// TestDistributedSliceTimeout: a slice that outlasts the job's time limit
// fails its attempt (it is not taken for a stopping worker), and the last
// attempt fails the action.
func TestDistributedSliceTimeout(t *testing.T) {
	t.Parallel()
	env := estest.New(t)
	reg := openRegistry(t, filepath.Join(t.TempDir(), "registry.db"))
	ctx := testenv.Context(t)
	h := newHost(t, env, env.Prefix(), reg, 200, func(s host.Source) host.Source { return stalling{Source: s, slice: 1} })
	if _, err := h.Create(ctx, []string{"movies"}, host.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	worker(t, reg, h, queue.Options{Concurrency: 2, RescueAfter: 3 * time.Second, RetryBackoff: 100 * time.Millisecond})
	_, err := h.UpdateDistributed(ctx, "movies-1", host.DistributedOptions{Partitions: 2, Slices: 1,
		Queue: coordinator(t, reg, env.Prefix(), queue.Options{MaxAttempts: 2})})
	if err == nil || !strings.Contains(err.Error(), "partition 1 of 2") || !strings.Contains(err.Error(), "time limit") {
		t.Fatalf("error %v, want one that names partition 1 and the time limit", err)
	}
}
