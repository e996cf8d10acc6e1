//go:build slow

package cli_test

import (
	"fmt"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/demhost/demhost/internal/testenv"
)

// The fault tests of `deploy --distributed` (issue 15): the deploy's fill
// is a distributed update whose partition jobs three real `demhost
// worker` processes run, on the slow movies source, while the deploy
// holds the index's lock and waits.

// distributedFills lists the actions that have partitions (distributed
// updates), oldest first: id, parent and status.
func distributedFills(t *testing.T, conn *pgx.Conn) []jsonActionFull {
	t.Helper()
	rows, err := conn.Query(testenv.Context(t), `SELECT a.id, COALESCE(a.parent_id, 0), a.status FROM actions a
		WHERE EXISTS (SELECT 1 FROM partitions p WHERE p.action_id = a.id) ORDER BY a.id`)
	if err != nil && strings.Contains(err.Error(), "42P01") {
		return nil // the registry is not migrated yet
	}
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []jsonActionFull
	for rows.Next() {
		var a jsonActionFull
		if err := rows.Scan(&a.ID, &a.Parent, &a.Status); err != nil {
			t.Fatal(err)
		}
		out = append(out, a)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// actionLog is the log of action id.
func actionLog(t *testing.T, b *bin, id int64) string {
	t.Helper()
	var hist jsonActionLog
	b.json(&hist, 0, "history", jsonID(id))
	return strings.Join(hist.Log, "\n")
}

// checkDeployed checks that movies-1 is active and ready with exactly n
// documents.
func checkDeployed(t *testing.T, b *bin, n int64) {
	t.Helper()
	if got := engineCount(t, b, "movies"); got != n {
		t.Fatalf("_count of the alias %d, want exactly %d", got, n)
	}
	if row := b.rows()["movies-1"]; !row.Active || row.Docs != n || row.Status != "ready" {
		t.Fatalf("movies-1 after the deploy: %+v, want active, ready, %d docs", row, n)
	}
}

// TestDeployDistributedWorkerKilled: `deploy --distributed` fills the new
// version from partition jobs; one of three workers is SIGKILLed in the
// middle of a job, another takes it over from its checkpoint, and the
// deploy gates (the source's count, exactly) and activates the version.
func TestDeployDistributedWorkerKilled(t *testing.T) {
	t.Parallel()
	dsn, _ := testenv.PostgresSchema(t)
	b := newBin(t, testenv.ElasticsearchURL(t), dsn, slowMovies)
	conn := registryConn(t, dsn)
	workers := []*workerProc{startWorker(t, b, "w0"), startWorker(t, b, "w1"), startWorker(t, b, "w2")}

	dep := b.start(t, "deploy", "movies", "--distributed", "--partitions", "6", "-o", "json")
	waitFor(t, time.Minute, "w0 takes a job", func() bool { return strings.Contains(workers[0].output(t), "attempt 1 of") })
	time.Sleep(1500 * time.Millisecond)
	if err := workers[0].cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	if code, took := waitExit(t, dep.cmd, 3*time.Minute); code != 0 {
		t.Fatalf("deploy --distributed exited %d after %s: %s %s", code, took, dep.out.String(), dep.stderr.String())
	}
	checkDeployed(t, b, slowN)
	fills := distributedFills(t, conn)
	if len(fills) != 1 || fills[0].Status != "complete" || fills[0].Parent == 0 {
		t.Fatalf("distributed updates %+v, want one, complete, child of the deploy's fill step", fills)
	}
	if log := actionLog(t, b, fills[0].Parent); !strings.Contains(log, fmt.Sprintf("filled by distributed update %d", fills[0].ID)) {
		t.Errorf("the fill step's log does not name its distributed update:\n%s", log)
	}
	if log := actionLog(t, b, fills[0].ID); !strings.Contains(log, "which stopped without ending it") {
		t.Errorf("no rescued job in the distributed update's log:\n%s", log)
	}
	if !strings.Contains(dep.stderr.String(), "deploy movies-1: gate:") || !strings.Contains(dep.stderr.String(), "6,000 in the index, 6,000 in the source") {
		t.Errorf("the deploy's steps on stderr do not show the count gate of %d documents:\n%s", slowN, dep.stderr.String())
	}
}

// TestDeployDistributedResume stops a `deploy --distributed` in the
// middle of its fill, once with SIGINT (the deploy cancels the jobs) and
// once with SIGKILL (the workers go on without it), and checks that
// `deploy --resume --distributed` goes on with the same distributed
// update, from its partitions' checkpoints or by waiting for it, and ends
// with exactly N documents active.
func TestDeployDistributedResume(t *testing.T) {
	t.Parallel()
	const n = 24000 // 24s of sleeping in the source: 8s on three workers
	for _, c := range []struct {
		name string
		sig  os.Signal
		code int
		want string // in the resumed fill step's log
	}{
		{"SIGINT", os.Interrupt, 1, "continues from its partitions' checkpoints"},
		{"SIGKILL", syscall.SIGKILL, -1, "is still running on the workers; waiting for it"},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			dsn, _ := testenv.PostgresSchema(t)
			b := newBin(t, testenv.ElasticsearchURL(t), dsn, fmt.Sprintf("{synthetic: %d, batch_delay_ms: 100}", n))
			conn := registryConn(t, dsn)
			var workers []*workerProc
			for i := range 3 {
				workers = append(workers, startWorker(t, b, fmt.Sprintf("w%d", i)))
			}
			dep := b.start(t, "deploy", "movies", "--distributed", "--partitions", "6")
			var first int64
			waitFor(t, time.Minute, "a slice of the deploy's fill is done", func() bool {
				if fills := distributedFills(t, conn); len(fills) > 0 {
					first = fills[0].ID
					return partitionsDone(t, conn, first) > 0
				}
				return false
			})
			if err := dep.cmd.Process.Signal(c.sig); err != nil {
				t.Fatal(err)
			}
			if code, _ := waitExit(t, dep.cmd, 30*time.Second); code != c.code {
				t.Fatalf("deploy after %s exited %d, want %d: %s", c.name, code, c.code, dep.stderr.String())
			}
			resumeArgs := []string{"deploy", "movies", "--resume", "--distributed", "--partitions", "6", "-o", "json"}
			var resume started
			if c.sig == syscall.SIGKILL {
				// The workers go on without the deploy: pause them, so that
				// the resumed deploy finds its predecessor's fill running.
				for _, w := range workers {
					w.cmd.Process.Signal(syscall.SIGSTOP)
				}
				if got := engineCount(t, b, "movies-1"); got >= n {
					t.Fatalf("the workers indexed all %d documents before the resume; the test needs them stopped earlier", got)
				}
				resume = b.start(t, resumeArgs...)
				time.Sleep(3 * time.Second)
				for _, w := range workers {
					w.cmd.Process.Signal(syscall.SIGCONT)
				}
			} else {
				if got := engineCount(t, b, "movies-1"); got >= n {
					t.Fatalf("the interrupted deploy's fill indexed all %d documents; the test needs it stopped earlier", got)
				}
				resume = b.start(t, resumeArgs...)
			}
			if code, took := waitExit(t, resume.cmd, 3*time.Minute); code != 0 {
				t.Fatalf("deploy --resume --distributed exited %d after %s: %s %s", code, took, resume.out.String(), resume.stderr.String())
			}
			checkDeployed(t, b, n)
			fills := distributedFills(t, conn)
			if c.sig == syscall.SIGKILL {
				// No new distributed update: the resumed deploy waited for
				// the one its predecessor started.
				if len(fills) != 1 || fills[0].Status != "complete" {
					t.Fatalf("distributed updates %+v, want the first one only, complete", fills)
				}
			} else {
				if len(fills) != 2 || fills[0].Status != "interrupted" || fills[1].Status != "complete" {
					t.Fatalf("distributed updates %+v, want the interrupted one and its continuation, complete", fills)
				}
				if log := actionLog(t, b, fills[1].ID); !strings.Contains(log, fmt.Sprintf("continuing distributed update %d", first)) {
					t.Errorf("the continuation does not say whose checkpoints it took:\n%s", log)
				}
			}
			// The resumed deploy's fill step says what it did with its
			// predecessor's distributed update.
			var hist []jsonActionFull
			b.json(&hist, 0, "history", "movies")
			found := false
			for _, h := range hist {
				if h.Kind == "update" && h.Parent != 0 && strings.Contains(actionLog(t, b, h.ID), c.want) {
					found = true
				}
			}
			if !found {
				t.Errorf("no fill step of the resumed deploy logs %q; history: %+v", c.want, hist)
			}
		})
	}
}
