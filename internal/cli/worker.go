package cli

import (
	"context"
	"fmt"
	"io"
	"strconv"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/demhost/demhost/host"
	"github.com/demhost/demhost/host/queue"
	"github.com/demhost/demhost/registry"
)

// distributedFlags are update's flags for a distributed update.
type distributedFlags struct {
	on          bool
	detach      bool
	cancel      bool
	partitions  int
	queue       string
	maxAttempts int
}

func addDistributedFlags(f *pflag.FlagSet) *distributedFlags {
	d := &distributedFlags{}
	f.BoolVar(&d.on, "distributed", false, "enqueue the update as partition jobs that demhost workers run, on any number of hosts")
	f.IntVar(&d.partitions, "partitions", 0, fmt.Sprintf("with --distributed: the number of partition jobs (default %d)", host.DefaultPartitions))
	f.BoolVar(&d.detach, "detach", false, "with --distributed: return once the jobs are enqueued; history shows the progress")
	f.BoolVar(&d.cancel, "cancel", false, "with --distributed: stop the version's running distributed update (--resume continues it)")
	f.StringVar(&d.queue, "queue", queue.DefaultQueue, "with --distributed: the queue the jobs go to (workers take it with --queues)")
	f.IntVar(&d.maxAttempts, "max-attempts", queue.DefaultMaxAttempts, "with --distributed: attempts of each job before the update fails")
	return d
}

// check refuses the distributed flags without --distributed, and the
// update flags a distributed update does not take.
func (d *distributedFlags) check(cmd *cobra.Command, names []string, o host.UpdateOptions, all bool) error {
	f := cmd.Flags()
	if !d.on {
		for _, name := range []string{"partitions", "detach", "cancel", "queue", "max-attempts"} {
			if f.Changed(name) {
				return usageError("--%s goes with --distributed", name)
			}
		}
		return nil
	}
	switch {
	case all || o.Newer || len(names) != 1:
		return usageError("update --distributed fills one version: name one index (for its active version) or one version")
	case d.partitions < 0:
		return usageError("--partitions must not be negative (got %d)", d.partitions)
	case d.maxAttempts < 1:
		return usageError("--max-attempts must be at least 1 (got %d)", d.maxAttempts)
	case d.cancel && (d.detach || o.Resume || !o.Start.IsZero() || f.Changed("partitions")):
		return usageError("--cancel stops a running distributed update; it takes no --detach, --resume, --start or --partitions")
	}
	return nil
}

// withQueue opens the host and the registry's job queue that d names, for
// a command that enqueues partition jobs, and runs fn with them.
func (a *app) withQueue(ctx context.Context, d *distributedFlags, fn func(s *session, q *queue.Queue) error) error {
	s, err := a.openHost(ctx)
	defer s.close()
	if err != nil {
		return err
	}
	q, err := queue.Open(ctx, s.reg, queue.Options{Env: a.cfg.EnvPrefix, Queues: []string{d.queue}, MaxAttempts: d.maxAttempts}, nil)
	if err != nil {
		return setupError(err)
	}
	defer q.Close()
	return fn(s, q)
}

// runDistributed runs update --distributed.
func (a *app) runDistributed(ctx context.Context, name string, o host.UpdateOptions, d *distributedFlags) error {
	return a.withQueue(ctx, d, func(s *session, q *queue.Queue) error {
		var (
			r   host.Result
			err error
		)
		if d.cancel {
			r, err = s.host.CancelDistributed(ctx, name, q)
		} else {
			r, err = s.host.UpdateDistributed(ctx, name, host.DistributedOptions{
				Update: o, Partitions: d.partitions, Detach: d.detach, Queue: q})
		}
		if r.ActionID == 0 && r.Message == "" {
			return err
		}
		return a.actionResults([]host.Result{r}, err)
	})
}

func (a *app) workerCommand() *cobra.Command {
	var (
		o           queue.Options
		rescueAfter time.Duration
		orphanCheck time.Duration
	)
	cmd := &cobra.Command{
		Use:   "worker",
		Short: "Run the partition jobs of distributed updates (update --distributed) until interrupted",
		Long: `worker runs the partition jobs that update --distributed enqueues in the
registry's database, for this configuration's environment prefix only. Run
it on any number of hosts with the same configuration and registry (several
hosts need a Postgres registry; with SQLite, run several workers on one
host). A job whose worker dies is rescued after --rescue-after and resumes
from its partition's checkpoint on another worker.`,
		Args: args(cobra.NoArgs),
	}
	f := cmd.Flags()
	f.StringSliceVar(&o.Queues, "queues", []string{queue.DefaultQueue}, "queues to take jobs from")
	f.IntVar(&o.Concurrency, "concurrency", 0, "jobs run at once, per queue (default: the number of CPUs)")
	f.DurationVar(&rescueAfter, "rescue-after", queue.DefaultRescueAfter, "a job running this long is taken to be on a dead worker and run again; use one value for all workers")
	f.DurationVar(&o.RetryBackoff, "retry-backoff", queue.DefaultRetryBackoff, "wait before a failed job's second attempt; doubles at each attempt, up to 5m")
	f.DurationVar(&orphanCheck, "orphan-check", 30*time.Second, "how often to look for distributed updates nobody waits for whose jobs were given up")
	_ = f.MarkHidden("orphan-check")
	cmd.RunE = run(func(cmd *cobra.Command, _ []string) error {
		if orphanCheck <= 0 {
			return usageError("--orphan-check must be positive (got %s)", orphanCheck)
		}
		if o.Concurrency < 0 {
			return usageError("--concurrency must not be negative (got %d)", o.Concurrency)
		}
		if rescueAfter < 3*time.Second {
			return usageError("--rescue-after must be at least 3s (got %s)", rescueAfter)
		}
		o.RescueAfter = rescueAfter
		o.Env = a.cfg.EnvPrefix
		ctx := cmd.Context()
		s, err := a.openHost(ctx)
		defer s.close()
		if err != nil {
			return err
		}
		o.Log = a.logf
		q, err := queue.Open(ctx, s.reg, o, s.host)
		if err != nil {
			return setupError(err)
		}
		defer q.Close()
		a.logf("worker for prefix %q: queues %v; stop with SIGINT or SIGTERM (running jobs are put back and resume elsewhere)",
			a.cfg.EnvPrefix, o.Queues)
		go failOrphans(ctx, s.host, q, orphanCheck)
		return q.Run(ctx)
	})
	return cmd
}

// failOrphans ends, every interval until ctx is done, the distributed
// updates that nobody waits for (detached, or their waiting process died)
// and one of whose jobs the queue gave up: without it such an update
// would stay in progress, and keep its version from other writers, until
// its lease ran out.
func failOrphans(ctx context.Context, h *host.Host, q *queue.Queue, interval time.Duration) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			_ = h.FailOrphanedFills(ctx, q) // the next tick tries again
		}
	}
}

// printPartitions shows, in `history ID`, the partitions of a distributed
// update: where each one is, and who last ran it.
func (a *app) printPartitions(ctx context.Context, w io.Writer, reg *registry.Registry, id int64) {
	parts, err := reg.Partitions(ctx, id)
	if err != nil || len(parts) == 0 {
		return
	}
	fmt.Fprintln(w, "partitions")
	rows := make([][]string, 0, len(parts))
	for _, p := range parts {
		docs := p.Indexed + p.Running.Indexed
		rows = append(rows, []string{"  " + strconv.Itoa(p.Number), string(p.Status),
			fmt.Sprintf("%d/%d", p.Done, p.Slices), strconv.FormatInt(docs, 10), strconv.FormatInt(p.Failed, 10),
			strconv.Itoa(p.Attempts), dash(p.Worker), formatTime(p.UpdatedAt), dash(a.cfg.Redact(p.Error))})
	}
	_ = table(w, []string{"  #", "STATUS", "SLICES", "INDEXED", "FAILED", "TAKEN", "WORKER", "UPDATED", "ERROR"}, rows)
}
