// Package queue runs the partition jobs of distributed updates
// (host.UpdateDistributed) as River jobs in the registry's own database:
// Postgres through riverpgxv5, SQLite through riversqlite. River's tables
// are migrated there, in the registry's schema, on Open; the jobs are
// enqueued in the transaction that starts their action.
//
// A worker's jobs are those of its environment prefix only: each prefix
// has queues of its own (QueueName). A job that runs longer than
// RescueAfter without ending is taken to be on a dead worker: River's
// rescuer makes it available again, and the next worker resumes it from
// its partition's checkpoint. So that a healthy job is never taken for a
// dead one, a job pauses (and is put back at once) after a third of
// RescueAfter, at the end of a slice, and River cancels it at two thirds.
package queue

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"log/slog"
	"math/rand/v2"
	"os"
	"regexp"
	"runtime"
	"strings"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"github.com/demhost/demhost/host"
	"github.com/demhost/demhost/registry"
)

// Defaults of Options.
const (
	DefaultQueue        = "default"
	DefaultMaxAttempts  = 5
	DefaultRetryBackoff = time.Second
	DefaultRescueAfter  = 15 * time.Minute
	maxRetryBackoff     = 5 * time.Minute
)

// Options configure a Queue. Zero values mean the stated defaults.
type Options struct {
	// Env is the environment prefix whose jobs this queue holds.
	Env string
	// Queues are the queue names to enqueue into (the first) or to work
	// (all). Default ["default"]. Letters, digits, '-' and '_'.
	Queues []string
	// Concurrency is how many jobs a worker runs at once, per queue.
	// Default: the number of CPUs.
	Concurrency int
	// MaxAttempts bounds the attempts of an enqueued job; the last
	// failure fails its action. Default 5.
	MaxAttempts int
	// RetryBackoff is the wait before a failed job's second attempt; it
	// doubles at each attempt, up to 5m, with jitter. Default 1s.
	RetryBackoff time.Duration
	// RescueAfter is how long a job may run before it is taken to be on a
	// dead worker and run again elsewhere. Default 15m; at least 3s.
	// Workers sharing a registry should use the same value.
	RescueAfter time.Duration
	// Log, when set, gets a line as each job starts and ends.
	Log func(format string, args ...any)
	// Logger receives River's own messages. Default: warnings and errors
	// to stderr.
	Logger *slog.Logger
}

// Runner runs one partition job (*host.Host does).
type Runner interface {
	RunPartition(ctx context.Context, job host.PartitionJob, o host.RunOptions) error
}

// Queue is River on the registry's database.
type Queue struct {
	opts Options
	db   registry.QueueDB
	c    client
}

// client is what Queue needs of a River client, whatever its driver.
type client interface {
	insert(ctx context.Context, tx registry.Tx, params []river.InsertManyParams) ([]*rivertype.JobInsertResult, error)
	cancel(ctx context.Context, id int64) error
	ended(ctx context.Context, ids []int64) ([]int64, error)
	start(ctx context.Context) error
	stop(ctx context.Context) error
	stopped() <-chan struct{}
}

type riverClient[TTx any] struct {
	c  *river.Client[TTx]
	tx func(registry.Tx) TTx
}

func (r *riverClient[TTx]) insert(ctx context.Context, tx registry.Tx, params []river.InsertManyParams) ([]*rivertype.JobInsertResult, error) {
	return r.c.InsertManyTx(ctx, r.tx(tx), params)
}

func (r *riverClient[TTx]) cancel(ctx context.Context, id int64) error {
	_, err := r.c.JobCancel(ctx, id)
	if errors.Is(err, river.ErrNotFound) {
		return nil
	}
	return err
}

func (r *riverClient[TTx]) ended(ctx context.Context, ids []int64) ([]int64, error) {
	res, err := r.c.JobList(ctx, river.NewJobListParams().IDs(ids...).First(max(len(ids), 1)).
		States(rivertype.JobStateCompleted, rivertype.JobStateCancelled, rivertype.JobStateDiscarded))
	if err != nil {
		return nil, err
	}
	out := make([]int64, len(res.Jobs))
	for i, j := range res.Jobs {
		out[i] = j.ID
	}
	return out, nil
}

func (r *riverClient[TTx]) start(ctx context.Context) error { return r.c.Start(ctx) }
func (r *riverClient[TTx]) stop(ctx context.Context) error  { return r.c.Stop(ctx) }
func (r *riverClient[TTx]) stopped() <-chan struct{}        { return r.c.Stopped() }

// jobTimeout is when River cancels a running job: before RescueAfter, so
// that a job is never rescued while it still runs.
func (o Options) jobTimeout() time.Duration { return o.RescueAfter * 2 / 3 }

// budget is how long a job reads before it pauses at the end of a slice.
func (o Options) budget() time.Duration { return o.RescueAfter / 3 }

func (o Options) logger() *slog.Logger {
	if o.Logger != nil {
		return o.Logger
	}
	return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
}

// queueName is River's regexp of a queue name.
var queueName = regexp.MustCompile(`^[a-z0-9]+(?:[_-][a-z0-9]+)*$`)

// QueueName is the River queue of name for environment prefix env:
// "demhost-", the prefix's letters and digits, a hash of the whole prefix,
// and name. Different prefixes never share a queue.
func QueueName(env, name string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(env) {
		if (r >= 'a' && r <= 'z') || (r >= '0' && r <= '9') {
			b.WriteRune(r)
		}
	}
	h := fnv.New32a()
	h.Write([]byte(env))
	readable := b.String()
	if len(readable) > 16 {
		readable = readable[:16]
	}
	parts := []string{"demhost"}
	if readable != "" {
		parts = append(parts, readable)
	}
	parts = append(parts, fmt.Sprintf("%08x", h.Sum32()), name)
	return strings.Join(parts, "-")
}

func (o Options) withDefaults() (Options, error) {
	if len(o.Queues) == 0 {
		o.Queues = []string{DefaultQueue}
	}
	for _, q := range o.Queues {
		if !queueName.MatchString(q) || len(q) > 24 {
			return o, fmt.Errorf("queue name %q: use up to 24 lower-case letters and digits, separated by single '-' or '_'", q)
		}
	}
	if o.Concurrency <= 0 {
		o.Concurrency = runtime.NumCPU()
	}
	if o.MaxAttempts <= 0 {
		o.MaxAttempts = DefaultMaxAttempts
	}
	if o.RetryBackoff <= 0 {
		o.RetryBackoff = DefaultRetryBackoff
	}
	if o.RescueAfter == 0 {
		o.RescueAfter = DefaultRescueAfter
	}
	if o.RescueAfter < 3*time.Second {
		return o, fmt.Errorf("rescue-after %s is shorter than 3s", o.RescueAfter)
	}
	return o, nil
}

// backoff is the retry policy: RetryBackoff doubled per attempt, capped,
// with up to 20% jitter either way.
type backoff struct{ first time.Duration }

func (b backoff) NextRetry(job *rivertype.JobRow) time.Time {
	d := b.first
	for i := 1; i < job.Attempt && d < maxRetryBackoff; i++ {
		d *= 2
	}
	d = min(d, maxRetryBackoff)
	d = time.Duration(float64(d) * (0.8 + 0.4*rand.Float64()))
	return time.Now().Add(d)
}
