//go:build slow

package cli_test

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/demhost/demhost/internal/testenv"
)

// The fault tests of issue 15: `update --distributed` and three real
// `demhost worker` processes on one registry, with a deliberately slow
// movies source so that a job is still running when the faults hit.

// slowMovies is the movies section of these tests: 100ms per 100
// documents, so 6,000 documents take about 6s of sleeping.
const (
	slowN      = 6000
	slowMovies = "{synthetic: 6000, batch_delay_ms: 100}"
)

// workerProc is a running `demhost worker`, its stderr in a file.
type workerProc struct {
	cmd *exec.Cmd
	log string
}

func (w *workerProc) output(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile(w.log)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// startWorker starts `demhost worker` in b's environment.
func startWorker(t *testing.T, b *bin, name string, extra ...string) *workerProc {
	t.Helper()
	w := &workerProc{log: filepath.Join(t.TempDir(), name+".log")}
	f, err := os.Create(w.log)
	if err != nil {
		t.Fatal(err)
	}
	w.cmd = b.cmd(append([]string{"worker", "--concurrency", "1", "--rescue-after", "6s", "--retry-backoff", "200ms"}, extra...)...)
	w.cmd.Stdout, w.cmd.Stderr = f, f
	if err := w.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		w.cmd.Process.Signal(syscall.SIGTERM)
		done := make(chan struct{})
		go func() { w.cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(15 * time.Second):
			w.cmd.Process.Kill()
		}
		f.Close()
		if t.Failed() {
			t.Logf("%s:\n%s", name, w.output(t))
		}
	})
	return w
}

// started is a demhost command running in the background, its stdout
// and stderr in buffers; the test's end kills it if it still runs.
type started struct {
	cmd         *exec.Cmd
	out, stderr *bytes.Buffer
}

// start starts `demhost args...` in b's environment.
func (b *bin) start(t *testing.T, args ...string) started {
	t.Helper()
	s := started{cmd: b.cmd(args...), out: &bytes.Buffer{}, stderr: &bytes.Buffer{}}
	s.cmd.Stdout, s.cmd.Stderr = s.out, s.stderr
	if err := s.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.cmd.Process.Kill() })
	return s
}

// waitFor polls cond every 100ms until it holds or limit passes.
func waitFor(t *testing.T, limit time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(limit)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within %s", what, limit)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func engineCount(t *testing.T, b *bin, index string) int64 {
	t.Helper()
	var n struct {
		Count int64 `json:"count"`
	}
	httpJSON(t, b.engine+"/"+b.prefix+index+"/_refresh", &struct{}{})
	httpJSON(t, b.engine+"/"+b.prefix+index+"/_count", &n)
	return n.Count
}

// registryConn is a connection of its own to the registry's database.
func registryConn(t *testing.T, dsn string) *pgx.Conn {
	t.Helper()
	ctx := testenv.Context(t)
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close(context.Background()) })
	return conn
}

// jobStates counts River's jobs by state.
func jobStates(t *testing.T, conn *pgx.Conn) map[string]int {
	t.Helper()
	rows, err := conn.Query(testenv.Context(t), `SELECT state::text, count(*) FROM river_job GROUP BY state`)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]int{}
	for rows.Next() {
		var s string
		var n int
		if err := rows.Scan(&s, &n); err != nil {
			t.Fatal(err)
		}
		out[s] = n
	}
	return out
}

// partitionsDone is the sum of the slices done of action id.
func partitionsDone(t *testing.T, conn *pgx.Conn, id int64) int {
	t.Helper()
	var n int
	if err := conn.QueryRow(testenv.Context(t), `SELECT COALESCE(SUM(done), 0) FROM partitions WHERE action_id = $1`, id).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// slowBin is an environment on the slow movies source with movies
// created and activated, on registry dsn.
func slowBin(t *testing.T, dsn string) *bin {
	t.Helper()
	b := newBin(t, testenv.ElasticsearchURL(t), dsn, slowMovies)
	for _, args := range [][]string{{"create", "movies"}, {"activate", "movies"}} {
		if r := b.run(args...); r.code != 0 {
			t.Fatalf("%v: %s", args, r.stderr)
		}
	}
	return b
}

// TestDistributedWorkerKilled: SIGKILL one of three workers in the middle
// of a job; River rescues the job, another worker resumes it from its
// partition's checkpoint, and the version ends with exactly N documents.
// A worker of another prefix on the same registry takes none of the jobs.
func TestDistributedWorkerKilled(t *testing.T) {
	t.Parallel()
	dsn, _ := testenv.PostgresSchema(t)
	b := slowBin(t, dsn)
	other := *b
	other.prefix = uniquePrefix(t)
	bystander := startWorker(t, &other, "other-prefix")
	workers := []*workerProc{startWorker(t, b, "w0"), startWorker(t, b, "w1"), startWorker(t, b, "w2")}

	upd := b.start(t, "update", "movies", "--distributed", "--partitions", "6", "-o", "json")
	// Kill w0 once it has recorded a slice of its job but not finished it.
	waitFor(t, time.Minute, "w0 takes a job", func() bool { return strings.Contains(workers[0].output(t), "attempt 1 of") })
	time.Sleep(1500 * time.Millisecond)
	if strings.Contains(workers[0].output(t), ": done") {
		t.Log("w0 finished a job before the kill; it is killed during its next one")
	}
	if err := workers[0].cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	code, took := waitExit(t, upd.cmd, 3*time.Minute)
	if code != 0 {
		t.Fatalf("update --distributed exited %d after %s: %s %s", code, took, upd.out.String(), upd.stderr.String())
	}
	if got := engineCount(t, b, "movies"); got != slowN {
		t.Fatalf("_count %d, want exactly %d", got, slowN)
	}
	a := newestUpdate(t, b)
	if a.Status != "complete" {
		t.Fatalf("action %d: %s (%s)", a.ID, a.Status, a.Error)
	}
	var hist jsonActionLog
	b.json(&hist, 0, "history", jsonID(a.ID))
	if !strings.Contains(strings.Join(hist.Log, "\n"), "which stopped without ending it") {
		t.Errorf("no rescued job in the action's log:\n%s", hist.Log)
	}
	if hist.Indexed != slowN {
		t.Errorf("action counts %d indexed, want %d", hist.Indexed, slowN)
	}
	if o := bystander.output(t); strings.Contains(o, "job ") {
		t.Errorf("a worker of another prefix ran jobs:\n%s", o)
	}
}

type jsonActionLog struct {
	ID      int64    `json:"id"`
	Status  string   `json:"status"`
	Log     []string `json:"log"`
	Indexed int64    `json:"indexed"`
}

// TestDistributedInterruptAndResume: SIGINT on `update --distributed`
// ends the action interrupted and cancels its remaining jobs; `update
// --distributed --resume` continues from the partitions' checkpoints and
// completes with exactly N documents.
func TestDistributedInterruptAndResume(t *testing.T) {
	t.Parallel()
	dsn, _ := testenv.PostgresSchema(t)
	b := slowBin(t, dsn)
	conn := registryConn(t, dsn)
	for i := range 3 {
		startWorker(t, b, fmt.Sprintf("w%d", i))
	}
	upd := b.start(t, "update", "movies", "--distributed", "--partitions", "6")
	var id int64
	waitFor(t, time.Minute, "a slice is done", func() bool {
		var hist []jsonActionFull
		b.json(&hist, 0, "history", "movies")
		if len(hist) > 0 && hist[0].Kind == "update" {
			id = hist[0].ID
			return partitionsDone(t, conn, id) > 0
		}
		return false
	})
	if err := upd.cmd.Process.Signal(syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	if code, _ := waitExit(t, upd.cmd, 30*time.Second); code != 1 {
		t.Fatalf("interrupted update exited %d, want 1: %s", code, upd.stderr.String())
	}
	if a := newestUpdate(t, b); a.Status != "interrupted" {
		t.Fatalf("action %d: %s, want interrupted", a.ID, a.Status)
	}
	waitFor(t, 30*time.Second, "no job left to run", func() bool {
		s := jobStates(t, conn)
		return s["available"]+s["running"]+s["retryable"]+s["scheduled"] == 0
	})
	if got := engineCount(t, b, "movies"); got >= slowN {
		t.Fatalf("the interrupted update indexed all %d documents; the test needs it stopped earlier", got)
	}
	r := b.one(0, "update", "movies", "--distributed", "--resume")
	if r.Indexed != slowN {
		t.Errorf("resumed update counts %d indexed, want %d (the partitions' checkpoints plus the rest)", r.Indexed, slowN)
	}
	if got := engineCount(t, b, "movies"); got != slowN {
		t.Fatalf("_count %d, want exactly %d", got, slowN)
	}
	var hist jsonActionLog
	b.json(&hist, 0, "history", jsonID(newestUpdate(t, b).ID))
	if hist.Status != "complete" || !strings.Contains(strings.Join(hist.Log, "\n"), fmt.Sprintf("continuing distributed update %d", id)) {
		t.Fatalf("resumed action %s, log:\n%s", hist.Status, hist.Log)
	}
}

// TestDistributedSQLite: with a SQLite registry, several worker processes
// on one host fill a version together; --detach returns at once and
// history shows the action until it completes.
func TestDistributedSQLite(t *testing.T) {
	t.Parallel()
	b := slowBin(t, filepath.Join(t.TempDir(), "registry.db"))
	workers := []*workerProc{startWorker(t, b, "w0"), startWorker(t, b, "w1"), startWorker(t, b, "w2")}
	var res []struct {
		ActionID int64 `json:"action_id"`
	}
	b.json(&res, 0, "update", "movies", "--distributed", "--partitions", "6", "--detach")
	if len(res) != 1 || res[0].ActionID == 0 {
		t.Fatalf("update --detach gave %+v, want one result with its action", res)
	}
	var hist jsonActionLog
	waitFor(t, 2*time.Minute, "the detached update completes", func() bool {
		b.json(&hist, 0, "history", jsonID(res[0].ActionID))
		return hist.Status != "in_progress"
	})
	if hist.Status != "complete" || hist.Indexed != slowN {
		t.Fatalf("action %s with %d indexed, want complete with %d:\n%s", hist.Status, hist.Indexed, slowN, strings.Join(hist.Log, "\n"))
	}
	if got := engineCount(t, b, "movies"); got != slowN {
		t.Fatalf("_count %d, want exactly %d", got, slowN)
	}
	busy := 0
	for _, w := range workers {
		if strings.Contains(w.output(t), ": done") {
			busy++
		}
	}
	if busy < 2 {
		t.Errorf("only %d of 3 workers ran a job", busy)
	}
	if r := b.run("history", jsonID(res[0].ActionID)); !strings.Contains(r.stdout, "partitions") || !strings.Contains(r.stdout, "complete  8/8") {
		t.Errorf("history ID does not list the partitions:\n%s", r.stdout)
	}
}

// TestDistributedJobGivenUp: with one attempt per job, a job whose worker
// is SIGKILLed is given up by River when rescued; the waiting update sees
// it and fails the action, naming the partition, instead of waiting for
// ever.
func TestDistributedJobGivenUp(t *testing.T) {
	t.Parallel()
	dsn, _ := testenv.PostgresSchema(t)
	b := slowBin(t, dsn)
	first := startWorker(t, b, "w0")
	upd := b.start(t, "update", "movies", "--distributed", "--partitions", "3", "--max-attempts", "1")
	waitFor(t, time.Minute, "w0 takes a job", func() bool { return strings.Contains(first.output(t), "attempt 1 of") })
	if err := first.cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	startWorker(t, b, "w1") // its River client rescues the dead worker's job
	if code, took := waitExit(t, upd.cmd, 2*time.Minute); code != 1 {
		t.Fatalf("update exited %d after %s, want 1: %s", code, took, upd.stderr.String())
	}
	if !strings.Contains(upd.stderr.String(), "was given up after its last attempt") || !strings.Contains(upd.stderr.String(), "--resume") {
		t.Fatalf("stderr does not say which partition was given up and how to continue: %s", upd.stderr.String())
	}
	if a := newestUpdate(t, b); a.Status != "failed" {
		t.Fatalf("action %s, want failed", a.Status)
	}
}

// TestDetachedFillRefusesWriters: while a detached distributed update
// fills a version (no worker runs here, so it stays in progress) nobody
// holds the index's lock, so every action that would write that version
// or the whole index is refused with a sentence naming the update and
// how to stop it; an action on another version is not. Once cancelled,
// the update of the version runs.
func TestDetachedFillRefusesWriters(t *testing.T) {
	t.Parallel()
	b := slowBin(t, filepath.Join(t.TempDir(), "registry.db"))
	b.one(0, "create", "movies", "--force") // movies-2, not active
	var res []struct {
		ActionID int64 `json:"action_id"`
	}
	b.json(&res, 0, "update", "movies-2", "--distributed", "--partitions", "2", "--detach")
	for _, args := range [][]string{
		{"update", "movies-2"},
		{"clear", "movies-2"},
		{"activate", "movies-2"},
		{"drop", "movies-2"},
	} {
		r := b.run(args...)
		if r.code != 1 || !strings.Contains(r.stderr, fmt.Sprintf("being filled by distributed update %d", res[0].ActionID)) ||
			!strings.Contains(r.stderr, "--distributed --cancel") || strings.Contains(r.stderr, "goroutine") {
			t.Errorf("%v during a detached fill: exit %d, stderr %q; want 1 and the update named with how to stop it", args, r.code, r.stderr)
		}
	}
	if got := engineCount(t, b, "movies-2"); got != 0 {
		t.Fatalf("movies-2 holds %d documents: a refused action wrote it", got)
	}
	if r := b.one(0, "update", "movies-1"); r.Counts.Indexed != slowN {
		t.Errorf("update of movies-1, another version, during the fill of movies-2: %d indexed, want %d", r.Counts.Indexed, slowN)
	}
	b.one(0, "update", "movies-2", "--distributed", "--cancel")
	if r := b.one(0, "update", "movies-2"); r.Counts.Indexed != slowN {
		t.Errorf("update of movies-2 after the cancel: %d indexed, want %d", r.Counts.Indexed, slowN)
	}
}

// TestDetachedJobGivenUp: the same fault as TestDistributedJobGivenUp with
// nobody waiting (--detach): a worker's periodic check fails the action,
// naming the partition, instead of leaving it in progress (and its version
// closed to other writers) until its lease runs out.
func TestDetachedJobGivenUp(t *testing.T) {
	t.Parallel()
	dsn, _ := testenv.PostgresSchema(t)
	b := slowBin(t, dsn)
	first := startWorker(t, b, "w0")
	var res []struct {
		ActionID int64 `json:"action_id"`
	}
	b.json(&res, 0, "update", "movies", "--distributed", "--partitions", "3", "--max-attempts", "1", "--detach")
	waitFor(t, time.Minute, "w0 takes a job", func() bool { return strings.Contains(first.output(t), "attempt 1 of") })
	if err := first.cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	startWorker(t, b, "w1", "--orphan-check", "1s") // rescues the job, gives it up, then sees it
	var hist jsonActionLog
	waitFor(t, 2*time.Minute, "the detached update ends", func() bool {
		b.json(&hist, 0, "history", jsonID(res[0].ActionID))
		return hist.Status != "in_progress"
	})
	if hist.Status != "failed" || !strings.Contains(strings.Join(hist.Log, "\n"), "was given up after its last attempt") {
		t.Fatalf("detached update %s; log:\n%s", hist.Status, strings.Join(hist.Log, "\n"))
	}
	if r := b.run("update", "movies"); r.code != 0 {
		t.Errorf("update after the failed detached update: exit %d, %s", r.code, r.stderr)
	}
}
