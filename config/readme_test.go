package config_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/demhost/demhost/config"
)

// TestReadmeConfigsLoad loads every YAML example of the project's READMEs
// that holds a demhost key, so that what a reader copies is accepted.
func TestReadmeConfigsLoad(t *testing.T) {
	clearEnv(t)
	readmes, err := filepath.Glob("../*.md")
	if err != nil {
		t.Fatal(err)
	}
	more, _ := filepath.Glob("../*/README.md")
	deeper, _ := filepath.Glob("../*/*/README.md")
	readmes = append(append(readmes, more...), deeper...)
	checked := 0
	for _, readme := range readmes {
		body, err := os.ReadFile(readme)
		if err != nil {
			t.Fatal(err)
		}
		blocks := strings.Split(string(body), "```yaml\n")
		for i, b := range blocks[1:] {
			yaml, _, _ := strings.Cut(b, "```")
			if !strings.Contains(yaml, "plugins:") && !strings.Contains(yaml, "engine:") && !strings.Contains(yaml, "bulk:") && !strings.Contains(yaml, "deploy:") {
				continue
			}
			dir := t.TempDir()
			path := filepath.Join(dir, "demhost.yaml")
			if err := os.WriteFile(path, []byte(yaml), 0o644); err != nil {
				t.Fatal(err)
			}
			if _, err := config.Load(config.Options{File: path}); err != nil {
				t.Errorf("%s, YAML example %d does not load: %v\n%s", readme, i+1, err, yaml)
			}
			checked++
		}
	}
	if checked == 0 {
		t.Fatal("found no YAML example with a plugins:, engine: or bulk: key in the READMEs")
	}
	t.Logf("%d YAML examples load", checked)
}
