package estest

import (
	"fmt"
	"net/http"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ory/dockertest/v3"
	dc "github.com/ory/dockertest/v3/docker"
)

// containerExpiry bounds a container's life even when Main never runs
// (a test binary killed, a TestMain without estest.Run).
const containerExpiry = 30 * time.Minute

var container struct {
	once     sync.Once
	pool     *dockertest.Pool
	resource *dockertest.Resource
	url      string
	err      error
}

// dockerReachable says whether a Docker engine answers: DOCKER_HOST or the
// default socket is present, and a ping succeeds.
func dockerReachable() bool {
	if os.Getenv("DOCKER_HOST") == "" {
		if _, err := os.Stat("/var/run/docker.sock"); err != nil {
			return false
		}
	}
	pool, err := dockertest.NewPool("")
	if err != nil {
		return false
	}
	return pool.Client.Ping() == nil
}

// splitImage splits "repo/name:tag" into repository and tag ("latest"
// when absent). A ':' before the last '/' is a registry port.
func splitImage(image string) (repo, tag string) {
	slash := strings.LastIndex(image, "/")
	if colon := strings.LastIndex(image, ":"); colon > slash {
		return image[:colon], image[colon+1:]
	}
	return image, "latest"
}

// containerEnv is the environment of a single-node engine container with
// security off, for Elasticsearch or (by its image name) OpenSearch.
func containerEnv(repo string) []string {
	if strings.Contains(repo, "opensearch") {
		return []string{
			"discovery.type=single-node",
			"DISABLE_SECURITY_PLUGIN=true",
			"DISABLE_INSTALL_DEMO_CONFIG=true",
			"OPENSEARCH_JAVA_OPTS=-Xms512m -Xmx512m",
		}
	}
	return []string{
		"discovery.type=single-node",
		"xpack.security.enabled=false",
		"ES_JAVA_OPTS=-Xms512m -Xmx512m",
	}
}

// containerURL starts the engine container once per test binary and
// returns its URL. Later calls reuse it, whatever image they ask for.
func containerURL(image string) (string, error) {
	c := &container
	c.once.Do(func() {
		pool, err := dockertest.NewPool("")
		if err != nil {
			c.err = fmt.Errorf("connect to docker: %w", err)
			return
		}
		pool.MaxWait = 3 * time.Minute
		repo, tag := splitImage(image)
		res, err := pool.RunWithOptions(&dockertest.RunOptions{
			Repository: repo,
			Tag:        tag,
			Env:        containerEnv(repo),
		}, func(hc *dc.HostConfig) {
			hc.AutoRemove = true
			hc.RestartPolicy = dc.RestartPolicy{Name: "no"}
		})
		if err != nil {
			c.err = fmt.Errorf("run %s: %w", image, err)
			return
		}
		_ = res.Expire(uint(containerExpiry.Seconds()))
		c.pool, c.resource = pool, res
		url := "http://" + res.GetHostPort("9200/tcp")
		client := http.Client{Timeout: 5 * time.Second}
		err = pool.Retry(func() error {
			resp, err := client.Get(url + "/_cluster/health?wait_for_status=yellow&timeout=5s")
			if err != nil {
				return err
			}
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK {
				return fmt.Errorf("health: HTTP %d", resp.StatusCode)
			}
			return nil
		})
		if err != nil {
			c.err = fmt.Errorf("wait for %s at %s: %w", image, url, err)
			_ = pool.Purge(res)
			c.pool, c.resource = nil, nil
			return
		}
		c.url = url
	})
	return c.url, c.err
}

// purgeContainer removes the container, if one was started.
func purgeContainer() error {
	c := &container
	if c.pool == nil || c.resource == nil {
		return nil
	}
	err := c.pool.Purge(c.resource)
	c.pool, c.resource = nil, nil
	if err != nil {
		return fmt.Errorf("purge engine container: %w", err)
	}
	return nil
}

// Run runs the tests and then removes the engine container estest may have
// started through Docker. Call it from TestMain when you want the exit
// code, or use Main:
//
//	func TestMain(m *testing.M) { os.Exit(estest.Run(m)) }
//
// Without it a container still goes away by itself after 30 minutes.
func Run(m *testing.M) int {
	code := m.Run()
	if err := purgeContainer(); err != nil {
		fmt.Fprintln(os.Stderr, "estest:", err)
		if code == 0 {
			code = 1
		}
	}
	return code
}

// Main is Run followed by os.Exit:
//
//	func TestMain(m *testing.M) { estest.Main(m) }
func Main(m *testing.M) { os.Exit(Run(m)) }
