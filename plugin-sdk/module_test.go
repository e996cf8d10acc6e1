package sdk_test

import (
	"os"
	"os/exec"
	"strings"
	"testing"
)

// A plugin author's module graph holds what the protocol needs (go-plugin,
// gRPC, protobuf, hclog) and nothing of the host's: no registry driver, no
// configuration library, no test containers, no engine client.
func TestModuleGraphHasNoHostDependencies(t *testing.T) {
	t.Parallel()
	// GOWORK=off: inside the repository the workspace would add the root
	// module's graph. -e: a module whose version info is not cached is still
	// listed, so the test needs no network.
	cmd := exec.Command("go", "list", "-m", "-e", "-f", "{{.Path}}", "all")
	cmd.Env = append(os.Environ(), "GOWORK=off", "GOFLAGS=-mod=readonly")
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list -m all: %v\n%s", err, stderr(err))
	}
	mods := strings.Fields(string(out))
	if len(mods) == 0 || mods[0] != "github.com/demhost/demhost/plugin-sdk" {
		t.Fatalf("go list -m all does not start with the SDK's module: %q", mods)
	}
	forbidden := []string{
		"github.com/jackc/pgx",
		"modernc.org/sqlite",
		"github.com/spf13/viper",
		"github.com/ory/dockertest",
		"github.com/elastic/go-elasticsearch",
		"github.com/opensearch-project/opensearch-go",
	}
	for _, m := range mods {
		for _, f := range forbidden {
			if m == f || strings.HasPrefix(m, f+"/") {
				t.Errorf("the SDK's module graph holds %s", m)
			}
		}
	}
	if t.Failed() {
		t.Logf("go list -m all:\n%s", out)
	}
}

func stderr(err error) []byte {
	if ee, ok := err.(*exec.ExitError); ok {
		return ee.Stderr
	}
	return nil
}
