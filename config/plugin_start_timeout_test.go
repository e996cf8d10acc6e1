package config_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/demhost/demhost/config"
)

func TestPluginStartTimeout(t *testing.T) {
	clearEnv(t)
	tests := []struct {
		name, file, env string
		want            time.Duration
		wantErr         []string
	}{
		{name: "default", want: 0},
		{name: "file", file: "plugin_start_timeout: 3s\n", want: 3 * time.Second},
		{name: "environment wins", file: "plugin_start_timeout: 3s\n", env: "1m", want: time.Minute},
		{name: "not a duration", file: "plugin_start_timeout: soon\n", wantErr: []string{"demhost.yaml:1", "plugin_start_timeout", `"soon"`}},
		{name: "negative", file: "plugin_start_timeout: -1s\n", wantErr: []string{"demhost.yaml:1", "plugin_start_timeout", "negative"}},
		{name: "bad variable", env: "10", wantErr: []string{"DEMHOST_PLUGIN_START_TIMEOUT", "plugin_start_timeout"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			if tt.file != "" {
				if err := os.WriteFile(filepath.Join(dir, config.FileName), []byte(tt.file), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			t.Setenv("DEMHOST_PLUGIN_START_TIMEOUT", tt.env)
			c, err := config.Load(config.Options{Dir: dir})
			if tt.wantErr != nil {
				if err == nil {
					t.Fatalf("Load succeeded with %v; want an error", c.PluginStartTimeout)
				}
				for _, w := range tt.wantErr {
					if !strings.Contains(err.Error(), w) {
						t.Errorf("error %q lacks %q", err, w)
					}
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if c.PluginStartTimeout != tt.want {
				t.Errorf("PluginStartTimeout = %v, want %v", c.PluginStartTimeout, tt.want)
			}
		})
	}
}
