//go:build cluster && slow

package cli_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/demhost/demhost/internal/testcluster"
)

// The cluster suite of issue 18 (make test-cluster): a real OpenSearch
// 2.19 cluster of three nodes, one JVM each, that the suite starts, kills
// with SIGKILL, restarts and stops by itself, driven through the real
// demhost binary with every node's URL in engine.urls.

// clusterDocs is the size of the update a node dies in, and promoteDocs
// of the one where a replica takes over.
const (
	clusterDocs = 200_000
	promoteDocs = 100_000
)

func TestClusterNodeLoss(t *testing.T) {
	cl := testcluster.Start(t, testcluster.Options{})
	demhost, movies := binaries(t)
	configN := func(docs int, extra string) string {
		return writeConfig(t, fmt.Sprintf("plugins:\n  - name: movies\n    path: %s\n    config: {synthetic: %d, shards: 3, replicas: 1}\n%s",
			movies, docs, extra))
	}
	config := func(extra string) string { return configN(clusterDocs, extra) }
	b := &bin{t: t, demhost: demhost, config: config(""), prefix: "cl_", engine: strings.Join(cl.URLs(), ","),
		registry: filepath.Join(t.TempDir(), "registry.db")}
	v1, v2 := b.prefix+"movies-1", b.prefix+"movies-2"

	// 1. A node dies in the middle of a 200,000-document update, and
	// comes back: nothing is lost, nothing duplicated.
	if r := b.one(0, "create", "movies"); r.Version != 1 {
		t.Fatalf("create = %+v, want movies-1", r)
	}
	// The node stays down longer than a bulk request waits for a missing
	// shard (30s), so the engine refuses its shard's documents (503) and
	// the update must resend them.
	updateThroughNodeLoss(t, cl, b, nodeLoss{target: "movies-1", index: v1, docs: clusterDocs, downFor: 45 * time.Second})
	checkAllDocuments(t, cl, v1, clusterDocs)
	if set := settingsOf(t, cl, v1); set["index.number_of_replicas"] != "1" || set["index.refresh_interval"] != "" {
		t.Errorf("settings of %s after the load = %v; want its replica restored and refresh back to its default", v1, set)
	}

	// 2. activate (wait_for_status auto: green, since 3 data nodes can
	// hold 1 replica) waits for the replicas the load turned off.
	began := time.Now()
	if r := b.one(0, "activate", "movies"); r.Version != 1 || !r.Changed {
		t.Fatalf("activate = %+v", r)
	}
	if h := indexHealth(t, cl, v1); h.Status != "green" {
		t.Errorf("activate returned (after %s) with %s %s, want green", time.Since(began).Round(time.Second), v1, h.Status)
	}
	if log := lastActionLog(t, b, "activate"); !strings.Contains(log, v1+" is green") {
		t.Errorf("the activate's log does not say it waited for green: %q", log)
	}
	checkShardCopies(t, cl, v1, clusterDocs)

	// 3. A node dies while a new version waits to be activated. Its
	// replicas wait for the node (delayed allocation), so the version
	// stays yellow: waiting for green fails, clearly, and leaves the
	// alias; waiting for yellow activates it while the node is down.
	if r := b.one(0, "create", "movies", "--force"); r.Version != 2 {
		t.Fatalf("create --force = %+v, want movies-2", r)
	}
	clusterDo(t, cl, "PUT", "/"+v2+"/_settings", `{"index":{"unassigned":{"node_left":{"delayed_timeout":"10m"}}}}`)
	if h, err := cl.Health(v2, "green", 0, 2*time.Minute); err != nil || h.Status != "green" {
		t.Fatalf("%s is not green before the node dies: %+v, %v", v2, h, err)
	}
	victim := pickVictim(t, cl, v2, false)
	t.Logf("killing %s (SIGKILL) with %s green", victim.Name, v2)
	victim.Kill()
	waitFor(t, 2*time.Minute, "the cluster to see the node gone", func() bool {
		h, err := cl.Health("", "", 0, time.Second)
		return err == nil && h.Nodes == 2
	})
	if h, err := cl.Health(v2, "yellow", 0, 2*time.Minute); err != nil || h.Status != "yellow" {
		t.Fatalf("%s with a node down = %+v, %v; want yellow", v2, h, err)
	}

	green := *b
	green.config = config("activate:\n  wait_for_status: green\n  wait_timeout: 15s\n")
	r := green.run("activate", "movies-2")
	msg := lastStderrLine(r.stderr)
	if r.code != 1 {
		t.Fatalf("activate movies-2, waiting for green with a node down: exit %d, want 1; stderr %q", r.code, r.stderr)
	}
	for _, w := range []string{"movies-2", v2, "yellow, not green", "15s", "unassigned", "alias was not moved", "activate.wait_for_status"} {
		if !strings.Contains(msg, w) {
			t.Errorf("the failed activate's message %q does not say %q", msg, w)
		}
	}
	checkCleanError(t, msg)
	if got := aliasOf(t, cl, b.prefix+"movies"); got != v1 {
		t.Errorf("alias after the failed activate = %s, want it left on %s", got, v1)
	}

	yellow := *b
	yellow.config = config("activate:\n  wait_for_status: yellow\n")
	if r := yellow.one(0, "activate", "movies-2"); r.Version != 2 || !r.Changed {
		t.Fatalf("activate movies-2 waiting for yellow, with a node down = %+v", r)
	}
	if got := aliasOf(t, cl, b.prefix+"movies"); got != v2 {
		t.Errorf("alias after activate = %s, want %s", got, v2)
	}
	if got := docCount(t, cl, v1); got != clusterDocs {
		t.Errorf("%s holds %d documents with a node down, want %d", v1, got, clusterDocs)
	}

	// 4. The node rejoins: the cluster is green again, counts unchanged.
	victim.Restart()
	if err := cl.WaitNodes(3, 3*time.Minute); err != nil {
		t.Fatal(err)
	}
	if h, err := cl.Health("", "green", 3, 5*time.Minute); err != nil || h.Status != "green" {
		t.Fatalf("the cluster after %s rejoined = %+v, %v; want green", victim.Name, h, err)
	}
	if got := docCount(t, cl, v1); got != clusterDocs {
		t.Errorf("%s holds %d documents after the node rejoined, want %d", v1, got, clusterDocs)
	}
	checkShardCopies(t, cl, v1, clusterDocs)
	if got := aliasOf(t, cl, b.prefix+"movies"); got != v2 {
		t.Errorf("alias after the node rejoined = %s, want %s", got, v2)
	}

	// 5. A node holding primaries dies during an update of the active
	// version, which keeps its replica: the replicas are promoted and the
	// update completes with the node still down.
	small := *b
	small.config = configN(promoteDocs, "")
	victim = updateThroughNodeLoss(t, cl, &small, nodeLoss{target: "movies", index: v2, docs: promoteDocs, primary: true})
	checkAllDocuments(t, cl, v2, promoteDocs)
	victim.Restart()
	if h, err := cl.Health("", "green", 3, 5*time.Minute); err != nil || h.Status != "green" {
		t.Fatalf("the cluster after %s rejoined = %+v, %v; want green", victim.Name, h, err)
	}
	checkShardCopies(t, cl, v2, promoteDocs)
}

// nodeLoss is an update that a node dies in.
type nodeLoss struct {
	target, index string // what to update, and its physical index
	docs          int64  // the documents the update writes
	// downFor is how long the node stays down before it starts again;
	// 0 leaves it down.
	downFor time.Duration
	// primary kills a node that holds a primary, not only a copy.
	primary bool
}

// updateThroughNodeLoss runs `update`, kills a data node (not the cluster
// manager) that holds a shard of the index once a quarter of the
// documents are in, and starts it again after l.downFor, if set. The
// update either completes, having resent what the lost shard refused, or
// fails with a clean one-line error, and then `update --resume` completes
// it. It returns the node it killed.
func updateThroughNodeLoss(t *testing.T, cl *testcluster.Cluster, b *bin, l nodeLoss) *testcluster.Node {
	t.Helper()
	index := l.index
	cmd := b.cmd("update", l.target, "-o", "json")
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	began := time.Now()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill() })
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	waitFor(t, 10*time.Minute, "a quarter of the documents to be indexed", func() bool {
		select {
		case err := <-exited:
			t.Fatalf("the update ended (%v) before the node was killed; stderr %s", err, stderr.String())
		default:
		}
		return indexOps(t, cl, index) >= l.docs/4
	})
	victim := pickVictim(t, cl, index, l.primary)
	t.Logf("killing %s (SIGKILL) %s into the update of %s, %d documents in", victim.Name, time.Since(began).Round(time.Second),
		l.target, indexOps(t, cl, index))
	victim.Kill()
	if l.downFor > 0 {
		time.Sleep(l.downFor)
		victim.Restart()
		t.Logf("%s restarted", victim.Name)
	}
	var code int
	select {
	case err := <-exited:
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			code = ee.ExitCode()
		} else if err != nil {
			t.Fatal(err)
		}
	case <-time.After(25 * time.Minute):
		t.Fatalf("the update did not end within 25 minutes; stderr %s", stderr.String())
	}
	took := time.Since(began)
	if code != 0 {
		msg := lastStderrLine(stderr.String())
		t.Logf("the update failed after %s (exit %d): %s; resuming", took.Round(time.Second), code, msg)
		if code != 1 || !strings.HasPrefix(msg, "demhost: ") || !strings.Contains(msg, "movies-") {
			t.Errorf("the failed update should end with one clean line naming the version and exit 1; exit %d, %q", code, msg)
		}
		checkCleanError(t, msg)
		if l.downFor > 0 {
			if err := cl.WaitNodes(3, 3*time.Minute); err != nil {
				t.Fatal(err)
			}
		}
		stdout.Reset()
		r := b.run("update", l.target, "--resume", "--full", "-o", "json")
		if r.code != 0 {
			t.Fatalf("update --resume after the failed update: exit %d; stderr %s", r.code, r.stderr)
		}
		stdout.WriteString(r.stdout)
	}
	var rs []struct {
		jsonResult
		Retries map[string]int64 `json:"retries"`
	}
	if err := json.Unmarshal(stdout.Bytes(), &rs); err != nil || len(rs) != 1 {
		t.Fatalf("update's output is not one JSON result (%v): %s", err, stdout.String())
	}
	t.Logf("update took %s: %s; retries %v", took.Round(time.Second), rs[0].Message, rs[0].Retries)
	if rs[0].Failed != 0 || rs[0].Indexed != l.docs {
		t.Errorf("update counted %d indexed and %d failed, want %d and 0: %+v", rs[0].Indexed, rs[0].Failed, l.docs, rs[0])
	}
	// Without a replica, and down for longer than a bulk request waits
	// for its shard, the lost shard's documents must have been resent.
	if code == 0 && l.downFor > 30*time.Second && rs[0].Retries["items_unavailable"] == 0 {
		t.Errorf("the update resent nothing though the node holding a shard's only copy was down for %s: retries %v", l.downFor, rs[0].Retries)
	}
	return victim
}

// checkAllDocuments checks that index holds each synthetic movie once:
// its count, and every id read back by a scroll.
func checkAllDocuments(t *testing.T, cl *testcluster.Cluster, index string, docs int64) {
	t.Helper()
	clusterDo(t, cl, "POST", "/"+index+"/_refresh", "")
	if got := docCount(t, cl, index); got != docs {
		t.Errorf("%s holds %d documents, want %d", index, got, docs)
	}
	seen := make([]bool, docs)
	var dup, unknown, total int
	body := clusterDo(t, cl, "POST", "/"+index+"/_search?scroll=2m", `{"size":10000,"_source":false,"sort":["_doc"]}`)
	for {
		var page struct {
			ScrollID string `json:"_scroll_id"`
			Hits     struct {
				Hits []struct {
					ID string `json:"_id"`
				} `json:"hits"`
			} `json:"hits"`
		}
		if err := json.Unmarshal(body, &page); err != nil {
			t.Fatalf("scroll %s: %v", index, err)
		}
		if len(page.Hits.Hits) == 0 {
			clusterDo(t, cl, "DELETE", "/_search/scroll", `{"scroll_id":"`+page.ScrollID+`"}`)
			break
		}
		for _, h := range page.Hits.Hits {
			total++
			i, err := strconv.Atoi(strings.TrimPrefix(h.ID, "syn-"))
			switch {
			case err != nil || !strings.HasPrefix(h.ID, "syn-") || i < 0 || int64(i) >= docs:
				unknown++
			case seen[i]:
				dup++
			default:
				seen[i] = true
			}
		}
		body = clusterDo(t, cl, "POST", "/_search/scroll", `{"scroll":"2m","scroll_id":"`+page.ScrollID+`"}`)
	}
	missing := 0
	for _, ok := range seen {
		if !ok {
			missing++
		}
	}
	if int64(total) != docs || dup != 0 || unknown != 0 || missing != 0 {
		t.Errorf("%s read back %d ids: %d duplicated, %d unknown, %d of %d missing", index, total, dup, unknown, missing, docs)
	}
}

// checkShardCopies checks that each shard's copies hold the same
// documents, and the primaries want in all.
func checkShardCopies(t *testing.T, cl *testcluster.Cluster, index string, want int64) {
	t.Helper()
	clusterDo(t, cl, "POST", "/"+index+"/_refresh", "")
	var rows []struct {
		Shard  string `json:"shard"`
		PriRep string `json:"prirep"`
		State  string `json:"state"`
		Docs   string `json:"docs"`
		Node   string `json:"node"`
	}
	if err := json.Unmarshal(clusterDo(t, cl, "GET", "/_cat/shards/"+index+"?format=json&h=shard,prirep,state,docs,node", ""), &rows); err != nil {
		t.Fatal(err)
	}
	docs := map[string][]string{}
	var primaries int64
	for _, r := range rows {
		if r.State != "STARTED" {
			t.Errorf("%s shard %s %s is %s on %q", index, r.Shard, r.PriRep, r.State, r.Node)
			continue
		}
		docs[r.Shard] = append(docs[r.Shard], r.Docs)
		if r.PriRep == "p" {
			n, _ := strconv.ParseInt(r.Docs, 10, 64)
			primaries += n
		}
	}
	for shard, d := range docs {
		sort.Strings(d)
		if len(d) != 2 || d[0] != d[1] {
			t.Errorf("%s shard %s: copies hold %v documents, want two equal copies", index, shard, d)
		}
	}
	if primaries != want {
		t.Errorf("%s primaries hold %d documents, want %d", index, primaries, want)
	}
}

// pickVictim is a running node, not the cluster manager, that holds a
// started copy of a shard of index (a primary, when primary is set).
func pickVictim(t *testing.T, cl *testcluster.Cluster, index string, primary bool) *testcluster.Node {
	t.Helper()
	mgr, err := cl.Manager()
	if err != nil {
		t.Fatal(err)
	}
	var rows []struct {
		Node   string `json:"node"`
		State  string `json:"state"`
		PriRep string `json:"prirep"`
	}
	if err := json.Unmarshal(clusterDo(t, cl, "GET", "/_cat/shards/"+index+"?format=json&h=node,state,prirep", ""), &rows); err != nil {
		t.Fatal(err)
	}
	for _, wantPrimary := range []bool{primary, false} {
		for _, n := range cl.Nodes() {
			if n == mgr || !n.Running() {
				continue
			}
			for _, r := range rows {
				if r.Node == n.Name && r.State == "STARTED" && (!wantPrimary || r.PriRep == "p") {
					if primary && !wantPrimary {
						t.Logf("no node but the manager holds a primary of %s; killing %s, which holds a replica", index, n.Name)
					}
					return n
				}
			}
		}
	}
	t.Fatalf("no running node but the manager %s holds a shard of %s: %+v", mgr.Name, index, rows)
	return nil
}

// indexOps is how many index operations the primaries of index have done:
// the load's progress, visible while refresh is off.
func indexOps(t *testing.T, cl *testcluster.Cluster, index string) int64 {
	t.Helper()
	body, err := cl.Do("GET", "/"+index+"/_stats/indexing", nil)
	if err != nil {
		return 0
	}
	var st struct {
		All struct {
			Primaries struct {
				Indexing struct {
					Total int64 `json:"index_total"`
				} `json:"indexing"`
			} `json:"primaries"`
		} `json:"_all"`
	}
	_ = json.Unmarshal(body, &st)
	return st.All.Primaries.Indexing.Total
}

func docCount(t *testing.T, cl *testcluster.Cluster, index string) int64 {
	t.Helper()
	var c struct {
		Count int64 `json:"count"`
	}
	if err := json.Unmarshal(clusterDo(t, cl, "GET", "/"+index+"/_count", ""), &c); err != nil {
		t.Fatal(err)
	}
	return c.Count
}

func indexHealth(t *testing.T, cl *testcluster.Cluster, index string) testcluster.Health {
	t.Helper()
	h, err := cl.Health(index, "", 0, time.Second)
	if err != nil {
		t.Fatal(err)
	}
	return h
}

func settingsOf(t *testing.T, cl *testcluster.Cluster, index string) map[string]string {
	t.Helper()
	var m map[string]struct {
		Settings map[string]string `json:"settings"`
	}
	if err := json.Unmarshal(clusterDo(t, cl, "GET", "/"+index+"/_settings?flat_settings=true", ""), &m); err != nil {
		t.Fatal(err)
	}
	return m[index].Settings
}

// aliasOf is the one index alias points to, "" when none.
func aliasOf(t *testing.T, cl *testcluster.Cluster, alias string) string {
	t.Helper()
	body, err := cl.Do("GET", "/_alias/"+alias, nil)
	if err != nil {
		if strings.Contains(err.Error(), "404") {
			return ""
		}
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(body, &m); err != nil {
		t.Fatal(err)
	}
	var names []string
	for k := range m {
		names = append(names, k)
	}
	if len(names) != 1 {
		t.Fatalf("alias %s points to %v, want one index", alias, names)
	}
	return names[0]
}

// lastActionLog is the log of the newest action of kind on movies.
func lastActionLog(t *testing.T, b *bin, kind string) string {
	t.Helper()
	var hist []jsonActionFull
	b.json(&hist, 0, "history", "movies")
	for _, h := range hist {
		if h.Kind == kind {
			var one jsonActionLog
			b.json(&one, 0, "history", strconv.FormatInt(h.ID, 10))
			return strings.Join(one.Log, "\n")
		}
	}
	t.Fatalf("no %s in the history", kind)
	return ""
}

func clusterDo(t *testing.T, cl *testcluster.Cluster, method, path, body string) []byte {
	t.Helper()
	var b []byte
	if body != "" {
		b = []byte(body)
	}
	out, err := cl.Do(method, path, b)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// lastStderrLine is the last non-empty line of s (stderr holds progress lines
// before the error).
func lastStderrLine(s string) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	return lines[len(lines)-1]
}

// checkCleanError fails when a message looks like a stack trace.
func checkCleanError(t *testing.T, msg string) {
	t.Helper()
	for _, bad := range []string{"goroutine ", "panic", ".go:"} {
		if strings.Contains(msg, bad) {
			t.Errorf("error looks like a stack trace (%q): %q", bad, msg)
		}
	}
}
