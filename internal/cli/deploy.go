package cli

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/demhost/demhost/host"
	"github.com/demhost/demhost/host/queue"
)

func (a *app) deployCommand() *cobra.Command {
	var o host.DeployOptions
	cmd := &cobra.Command{
		Use:   "deploy INDEX... | --all",
		Short: "Apply the plan: update the schema in place, or build, gate and activate a new version",
		Long: `deploy applies what 'plan' shows for each index. No change: nothing.
In place: the mapping or settings of the active version are updated. A new
version runs eight steps, each recorded as a child of one deploy action:

  1 create          the new version
  2 fill            from the plugin (with --distributed as partition jobs that
                    'demhost worker's run, on any number of hosts), or with
                    --from-active a server-side copy
  3 catch-up        what changed in the source since the fill began, in
                    passes until one moves fewer than deploy.catchup_threshold
  4 gate            the count against the source's (deploy.gate.tolerance)
                    and the probe queries (deploy.gate.probes)
  5 restore         the load settings (refresh, replicas); wait for health
  6 activate        the alias moves, in one atomic request
  7 final catch-up  what changed meanwhile
  8 retain          drop the versions beyond deploy.retain, never the active
                    one nor the one it replaced

A failed gate leaves the old version active and exits 1. An interrupted or
failed deploy continues from the step it reached with --resume.`,
		Args: args(cobra.ArbitraryArgs),
	}
	f := cmd.Flags()
	f.BoolVar(&o.All, "all", false, "every index the plugins provide")
	f.BoolVar(&o.Resume, "resume", false, "continue each index's unfinished deploy from the step it reached")
	f.BoolVar(&o.FromActive, "from-active", false, "fill a new version by a server-side copy of the active one instead of from the plugin")
	f.IntVar(&o.Workers, "workers", 0, "concurrent streams and requests (default: bulk.workers, else the number of CPUs)")
	f.IntVar(&o.BatchSize, "batch-size", 0, "documents per bulk request (default: bulk.batch_size, else 1000)")
	dist := &distributedFlags{}
	f.BoolVar(&dist.on, "distributed", false, "fill a new version from partition jobs that demhost workers run, on any number of hosts")
	f.IntVar(&dist.partitions, "partitions", 0, fmt.Sprintf("with --distributed: the number of partition jobs (default %d)", host.DefaultPartitions))
	f.StringVar(&dist.queue, "queue", queue.DefaultQueue, "with --distributed: the queue the jobs go to (workers take it with --queues)")
	f.IntVar(&dist.maxAttempts, "max-attempts", queue.DefaultMaxAttempts, "with --distributed: attempts of each job before the fill fails")
	cmd.RunE = run(func(cmd *cobra.Command, names []string) error {
		if err := dist.checkDeploy(cmd, o); err != nil {
			return err
		}
		switch {
		case o.Workers < 0:
			return usageError("--workers must not be negative (got %d)", o.Workers)
		case o.BatchSize < 0:
			return usageError("--batch-size must not be negative (got %d)", o.BatchSize)
		case o.All && len(names) > 0:
			return usageError("deploy: give index names or --all, not both")
		case !o.All && len(names) == 0:
			return usageError("deploy: name at least one index, or pass --all")
		}
		o.Config = a.cfg.Deploy // config decodes straight into host's type
		o.OnStep = a.showStep
		if !dist.on {
			return a.withHost(cmd.Context(), func(h *host.Host) error {
				return a.actionResults(h.Deploy(cmd.Context(), names, o))
			})
		}
		return a.deployDistributed(cmd.Context(), names, o, dist)
	})
	return cmd
}

// checkDeploy refuses deploy's distributed flags without --distributed,
// and --distributed with --from-active (a copy the engine makes itself).
func (d *distributedFlags) checkDeploy(cmd *cobra.Command, o host.DeployOptions) error {
	f := cmd.Flags()
	switch {
	case !d.on:
		for _, name := range []string{"partitions", "queue", "max-attempts"} {
			if f.Changed(name) {
				return usageError("--%s goes with --distributed", name)
			}
		}
	case o.FromActive:
		return usageError("--distributed fills from the plugins; --from-active copies inside the engine, so they do not go together")
	case d.partitions < 0:
		return usageError("--partitions must not be negative (got %d)", d.partitions)
	case d.maxAttempts < 1:
		return usageError("--max-attempts must be at least 1 (got %d)", d.maxAttempts)
	}
	return nil
}

// deployDistributed runs deploy --distributed: the fills are partition
// jobs in the registry's queue.
func (a *app) deployDistributed(ctx context.Context, names []string, o host.DeployOptions, d *distributedFlags) error {
	return a.withQueue(ctx, d, func(s *session, q *queue.Queue) error {
		o.Distributed = &host.DistributedOptions{Partitions: d.partitions, Queue: q}
		rs, err := s.host.Deploy(ctx, names, o)
		return a.actionResults(rs, withKnownIndexes(err, s.host))
	})
}

// showStep writes a line on stderr as each step of a deploy ends, so that
// a long deploy says where it is; the results follow on stdout at the end.
func (a *app) showStep(r host.Result) {
	fmt.Fprintf(a.stderr, "deploy %s: %s: %s\n", target(r.Index, r.Version), r.Step, a.cfg.Redact(r.Message))
}
