package cli_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/demhost/demhost/internal/cli"
)

// TestDistributedUsageErrors: the flags of update --distributed and of
// worker are checked before anything opens.
func TestDistributedUsageErrors(t *testing.T) {
	t.Parallel()
	empty := writeConfig(t, "# nothing\n")
	reg := filepath.Join(t.TempDir(), "registry.db")
	base := []string{"--config", empty, "--registry", reg, "--env-prefix", "tusage_"}
	tests := []struct {
		name string
		args []string
		want []string
	}{
		{"partitions alone", append(base, "update", "movies", "--partitions", "4"), []string{"--partitions", "--distributed"}},
		{"detach alone", append(base, "update", "movies", "--detach"), []string{"--detach", "--distributed"}},
		{"two indexes", append(base, "update", "a", "b", "--distributed"), []string{"one version"}},
		{"all", append(base, "update", "--all", "--distributed"), []string{"one version"}},
		{"newer", append(base, "update", "movies", "--newer", "--distributed"), []string{"one version"}},
		{"negative partitions", append(base, "update", "movies", "--distributed", "--partitions", "-2"), []string{"--partitions"}},
		{"no attempts", append(base, "update", "movies", "--distributed", "--max-attempts", "0"), []string{"--max-attempts"}},
		{"cancel alone", append(base, "update", "movies", "--cancel"), []string{"--cancel", "--distributed"}},
		{"cancel and resume", append(base, "update", "movies", "--distributed", "--cancel", "--resume"), []string{"--cancel"}},
		{"worker arguments", append(base, "worker", "movies"), []string{"worker"}},
		{"short rescue", append(base, "worker", "--rescue-after", "1s"), []string{"--rescue-after", "3s"}},
		{"negative concurrency", append(base, "worker", "--concurrency", "-1"), []string{"--concurrency"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r := runMain(t, nil, tt.args...)
			if r.code != cli.ExitUsage {
				t.Errorf("exit code %d, want %d (stderr %q)", r.code, cli.ExitUsage, r.stderr)
			}
			checkOneLineError(t, r, tt.want...)
		})
	}
	if _, err := os.Stat(reg); err == nil {
		t.Errorf("a usage error created the registry %s", reg)
	}
}
