package queue

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"
	"github.com/riverqueue/river/riverdriver/riversqlite"
	"github.com/riverqueue/river/rivermigrate"

	"github.com/demhost/demhost/host"
	"github.com/demhost/demhost/registry"
)

// migrationLock serialises the migrations of River's tables between
// processes on Postgres ("demhost river").
const migrationLock int64 = 0x64656d7269766572

// partitionArgs is a partition job's River arguments.
type partitionArgs struct {
	host.PartitionJob
}

func (partitionArgs) Kind() string { return "demhost_partition" }

// worker runs partition jobs through a Runner and maps its errors onto
// River's: paused and stopped jobs go back to the queue at once (no
// attempt spent), dropped ones are cancelled, others retried.
type worker struct {
	river.WorkerDefaults[partitionArgs]
	run     Runner
	budget  time.Duration
	timeout time.Duration
	log     func(format string, args ...any)
}

func (w *worker) Work(ctx context.Context, job *river.Job[partitionArgs]) error {
	j := job.Args.PartitionJob
	what := fmt.Sprintf("job %d: partition %d of %d of %s-%d (action %d)", job.ID, j.Partition, j.Partitions, j.Index, j.Version, j.ActionID)
	w.log("%s: attempt %d of %d", what, job.Attempt, job.MaxAttempts)
	err := w.run.RunPartition(ctx, j, host.RunOptions{Attempt: job.Attempt, MaxAttempts: job.MaxAttempts, Budget: w.budget})
	switch {
	case err == nil:
		w.log("%s: done", what)
		return nil
	case errors.Is(err, host.ErrPartitionPaused):
		w.log("%s: paused after its time budget; back in the queue", what)
		return river.JobSnooze(0)
	case errors.Is(err, host.ErrPartitionDropped), errors.Is(err, host.ErrOtherEnv):
		w.log("%s: dropped: %v", what, err)
		return river.JobCancel(err)
	case errors.Is(ctx.Err(), context.Canceled):
		// The worker is stopping (or the job was cancelled, which River
		// then records whatever is returned): another worker resumes it
		// from its checkpoint without spending an attempt.
		w.log("%s: stopped; back in the queue", what)
		return river.JobSnooze(0)
	}
	if errors.Is(err, host.ErrSliceTimeout) {
		err = fmt.Errorf("%w (the job timeout is two thirds of the workers' rescue-after, %s)", err, w.timeout)
	}
	w.log("%s: failed: %v", what, err)
	return err
}

// Open migrates River's tables in the registry's database and returns a
// queue that enqueues and cancels jobs. With run set it also works the
// jobs of o.Queues once Run is called.
func Open(ctx context.Context, reg *registry.Registry, o Options, run Runner) (*Queue, error) {
	o, err := o.withDefaults()
	if err != nil {
		return nil, err
	}
	db, err := reg.QueueDB(ctx, o.Concurrency*len(o.Queues)+4)
	if err != nil {
		return nil, err
	}
	cfg := &river.Config{
		Schema:      db.Schema,
		MaxAttempts: o.MaxAttempts,
		Logger:      o.logger(),
		ID:          fmt.Sprintf("demhost-%s-%d-%d", hostname(), os.Getpid(), time.Now().UnixNano()%1e6),
	}
	if run != nil {
		workers := river.NewWorkers()
		log := o.Log
		if log == nil {
			log = func(string, ...any) {}
		}
		river.AddWorker(workers, &worker{run: run, budget: o.budget(), timeout: o.jobTimeout(), log: log})
		cfg.Workers = workers
		cfg.Queues = map[string]river.QueueConfig{}
		for _, q := range o.Queues {
			cfg.Queues[QueueName(o.Env, q)] = river.QueueConfig{MaxWorkers: o.Concurrency}
		}
		cfg.JobTimeout = o.jobTimeout()
		cfg.RescueStuckJobsAfter = o.RescueAfter
		cfg.RetryPolicy = backoff{first: o.RetryBackoff}
		cfg.SoftStopTimeout = softStop
	}
	q := &Queue{opts: o, db: db}
	if db.Pool != nil {
		drv := riverpgxv5.New(db.Pool)
		err = migratePostgres(ctx, db, drv, o)
		if err == nil {
			var c *river.Client[pgx.Tx]
			if c, err = river.NewClient(drv, cfg); err == nil {
				q.c = &riverClient[pgx.Tx]{c: c, tx: func(tx registry.Tx) pgx.Tx { return tx.Pgx }}
			}
		}
	} else {
		drv := riversqlite.New(db.SQL)
		cfg.PollOnly = true // SQLite has no LISTEN
		err = migrateSQLite(ctx, db, drv, o)
		if err == nil {
			var c *river.Client[*sql.Tx]
			if c, err = river.NewClient(drv, cfg); err == nil {
				q.c = &riverClient[*sql.Tx]{c: c, tx: func(tx registry.Tx) *sql.Tx { return tx.SQL }}
			}
		}
	}
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("job queue in the registry: %w", err)
	}
	return q, nil
}

func migratePostgres(ctx context.Context, db registry.QueueDB, drv *riverpgxv5.Driver, o Options) error {
	m, err := rivermigrate.New(drv, &rivermigrate.Config{Schema: db.Schema, Logger: o.logger()})
	if err != nil {
		return err
	}
	// River's migrations each run in a transaction of their own (one adds
	// an enum value that the next uses), so the lock is a session lock, on
	// a connection of its own, released when it is returned to the pool.
	conn, err := db.Pool.Acquire(ctx)
	if err != nil {
		return err
	}
	defer conn.Release()
	if _, err := conn.Exec(ctx, "SELECT pg_advisory_lock($1)", migrationLock); err != nil {
		return err
	}
	defer conn.Exec(context.WithoutCancel(ctx), "SELECT pg_advisory_unlock($1)", migrationLock)
	if _, err := m.Migrate(ctx, rivermigrate.DirectionUp, nil); err != nil {
		return fmt.Errorf("migrate River's tables: %w", err)
	}
	return nil
}

func migrateSQLite(ctx context.Context, db registry.QueueDB, drv *riversqlite.Driver, o Options) error {
	m, err := rivermigrate.New(drv, &rivermigrate.Config{Logger: o.logger()})
	if err != nil {
		return err
	}
	tx, err := db.SQL.BeginTx(ctx, nil) // BEGIN IMMEDIATE: one migrating process at a time
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if _, err := m.MigrateTx(ctx, tx, rivermigrate.DirectionUp, nil); err != nil {
		return fmt.Errorf("migrate River's tables: %w", err)
	}
	return tx.Commit()
}

// Enqueue inserts one job per partition in the registry transaction tx,
// into the first of the queue's names, and returns their ids.
func (q *Queue) Enqueue(ctx context.Context, tx registry.Tx, jobs []host.PartitionJob) ([]int64, error) {
	params := make([]river.InsertManyParams, len(jobs))
	for i, j := range jobs {
		params[i] = river.InsertManyParams{Args: partitionArgs{j}, InsertOpts: &river.InsertOpts{
			Queue: QueueName(q.opts.Env, q.opts.Queues[0]), MaxAttempts: q.opts.MaxAttempts}}
	}
	res, err := q.c.insert(ctx, tx, params)
	if err != nil {
		return nil, fmt.Errorf("enqueue %d partition jobs: %w", len(jobs), err)
	}
	ids := make([]int64, len(res))
	for i, r := range res {
		ids[i] = r.Job.ID
	}
	return ids, nil
}

// Cancel cancels the jobs that have not ended; running ones are told to
// stop.
func (q *Queue) Cancel(ctx context.Context, ids []int64) error {
	var errs error
	for _, id := range ids {
		if err := q.c.cancel(ctx, id); err != nil {
			errs = errors.Join(errs, fmt.Errorf("cancel job %d: %w", id, err))
		}
	}
	return errs
}

// Ended returns the jobs among ids that have ended: completed, cancelled,
// or discarded after their last attempt.
func (q *Queue) Ended(ctx context.Context, ids []int64) ([]int64, error) {
	if len(ids) == 0 {
		return nil, nil
	}
	out, err := q.c.ended(ctx, ids)
	if err != nil {
		return nil, fmt.Errorf("read the state of %d jobs: %w", len(ids), err)
	}
	return out, nil
}

// softStop is how long a stopping worker's running jobs get to finish
// before they are cancelled and put back: short, since demhost exits
// within 8s of a signal.
const softStop = 3 * time.Second

// Run works jobs until ctx ends, then stops: running jobs get softStop to
// finish, and are then put back for another worker, which resumes them
// from their checkpoints.
func (q *Queue) Run(ctx context.Context) error {
	if err := q.c.start(context.WithoutCancel(ctx)); err != nil {
		return fmt.Errorf("start the worker: %w", err)
	}
	<-ctx.Done()
	sctx, cancel := context.WithTimeout(context.Background(), 2*softStop)
	defer cancel()
	if err := q.c.stop(sctx); err != nil && !errors.Is(err, context.DeadlineExceeded) {
		return fmt.Errorf("stop the worker: %w", err)
	}
	return nil
}

// Close releases the queue's connections. Call it after Run returns.
func (q *Queue) Close() { q.db.Close() }

func hostname() string {
	h, err := os.Hostname()
	if err != nil {
		return "unknown"
	}
	return h
}

var _ host.Queue = (*Queue)(nil)
