package config_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/spf13/pflag"

	"github.com/demhost/demhost/config"
	"github.com/demhost/demhost/host"
	"github.com/demhost/demhost/host/engine"
)

// clearEnv unsets every DEMHOST_* variable for the test, so the
// developer's environment cannot leak in.
func clearEnv(t *testing.T) {
	t.Helper()
	for _, kv := range os.Environ() {
		if k, _, _ := strings.Cut(kv, "="); strings.HasPrefix(k, "DEMHOST_") && !strings.HasPrefix(k, "DEMHOST_TEST_") {
			t.Setenv(k, "")
		}
	}
}

func TestLoadFull(t *testing.T) {
	clearEnv(t)
	dir, _ := filepath.Abs("testdata")
	c, err := config.Load(config.Options{File: "testdata/full.yaml"})
	if err != nil {
		t.Fatal(err)
	}
	want := &config.Config{
		File: "testdata/full.yaml",
		Engine: engine.Config{
			URLs: []string{"http://es1:9200", "http://es2:9200"}, Kind: "opensearch",
			Username: "admin", Password: "s3cret-pass", APIKey: "key-abc123",
			CAFile: filepath.Join(dir, "certs/ca.pem"),
		},
		Registry:        filepath.Join(dir, "state/registry.db"),
		EnvPrefix:       "qa1_",
		CodebaseCommand: "echo v1.2.3",
		LockTimeout:     45 * time.Second,
		Bulk:            host.BulkConfig{Workers: 4, BatchSize: 500, FlushBytes: 1048576, Retries: 3, BackpressureTimeout: 90 * time.Second},
		Activate:        host.HealthConfig{WaitForStatus: "green", Timeout: 2 * time.Minute},
		Plugins: []config.Plugin{
			{Name: "movies", Path: filepath.Join(dir, "bin/demhost-plugin-movies"), Config: map[string]any{
				"synthetic": 1000, "idColumn": "movie_id", "nested": map[string]any{"camelCase": true},
			}},
			{Name: "other", Path: "/opt/plugins/other"},
		},
	}
	if !reflect.DeepEqual(c, want) {
		t.Errorf("Load:\n got %+v\nwant %+v", c, want)
	}
	js, err := c.Plugins[0].ConfigJSON()
	if err != nil {
		t.Fatal(err)
	}
	if got := string(js); got != `{"idColumn":"movie_id","nested":{"camelCase":true},"synthetic":1000}` {
		t.Errorf("ConfigJSON = %s", got)
	}
	if js, _ := c.Plugins[1].ConfigJSON(); string(js) != "{}" {
		t.Errorf("empty ConfigJSON = %s, want {}", js)
	}
	id, err := c.ResolveCodebaseID(context.Background(), ".")
	if err != nil || id != "v1.2.3" {
		t.Errorf("ResolveCodebaseID = %q, %v; want v1.2.3", id, err)
	}
}

func TestDefaults(t *testing.T) {
	clearEnv(t)
	for _, o := range []config.Options{
		{Dir: t.TempDir()},                    // no file at all
		{File: "testdata/empty.yaml"},         // an empty file
		{Dir: "testdata", File: "empty.yaml"}, // relative to Dir
	} {
		c, err := config.Load(o)
		if err != nil {
			t.Fatalf("%+v: %v", o, err)
		}
		if !reflect.DeepEqual(c.Engine.URLs, []string{config.DefaultEngineURL}) || c.Engine.Kind != "auto" ||
			c.Registry != config.DefaultRegistry || c.EnvPrefix != "" || len(c.Plugins) != 0 {
			t.Errorf("%+v: defaults not applied: %+v", o, c)
		}
	}
}

func TestFindsDemhostYAMLInDir(t *testing.T) {
	clearEnv(t)
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "demhost.yaml"), []byte("env_prefix: found_\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	c, err := config.Load(config.Options{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	if c.EnvPrefix != "found_" || c.File != filepath.Join(dir, "demhost.yaml") {
		t.Errorf("prefix %q file %q; want found_ from %s", c.EnvPrefix, c.File, dir)
	}
}

func TestEnvThenFlags(t *testing.T) {
	clearEnv(t)
	t.Setenv("DEMHOST_ENGINE_URL", "http://a:9200, http://b:9200")
	t.Setenv("DEMHOST_REGISTRY", "postgres://u:p@db/x")
	t.Setenv("DEMHOST_ENV_PREFIX", "fromenv_")
	t.Setenv("DEMHOST_CODEBASE_ID", "env-id")
	t.Setenv("DEMHOST_ENGINE_KIND", "elasticsearch")
	t.Setenv("DEMHOST_ENGINE_USERNAME", "elastic")
	t.Setenv("DEMHOST_ENGINE_PASSWORD", "pw-from-env")
	t.Setenv("DEMHOST_ENGINE_API_KEY", "apikey-env")
	t.Setenv("DEMHOST_BULK_WORKERS", "7")

	c, err := config.Load(config.Options{File: "testdata/full.yaml"})
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(c.Engine.URLs, []string{"http://a:9200", "http://b:9200"}) || c.Engine.Kind != "elasticsearch" ||
		c.Registry != "postgres://u:p@db/x" || c.EnvPrefix != "fromenv_" || c.CodebaseID != "env-id" ||
		c.Engine.Username != "elastic" || c.Engine.Password != "pw-from-env" || c.Engine.APIKey != "apikey-env" ||
		c.Bulk.Workers != 7 || c.Bulk.BatchSize != 500 {
		t.Errorf("environment did not override the file: %+v", c)
	}
	if id, _ := c.ResolveCodebaseID(context.Background(), "."); id != "env-id" {
		t.Errorf("a literal codebase id must win over the command, got %q", id)
	}

	fs := pflag.NewFlagSet("t", pflag.ContinueOnError)
	fs.String("env-prefix", "", "")
	fs.String("registry", "", "")
	fs.String("codebase-id", "", "")
	fs.StringSlice("engine-url", nil, "")
	if err := fs.Parse([]string{"--env-prefix", "flag_", "--engine-url", "http://c:9200", "--registry", "r.db"}); err != nil {
		t.Fatal(err)
	}
	c, err = config.Load(config.Options{File: "testdata/full.yaml", Flags: fs})
	if err != nil {
		t.Fatal(err)
	}
	if c.EnvPrefix != "flag_" || !reflect.DeepEqual(c.Engine.URLs, []string{"http://c:9200"}) ||
		c.Registry != "r.db" || c.CodebaseID != "env-id" {
		t.Errorf("flags did not override the environment: %+v", c)
	}
}

func TestErrors(t *testing.T) {
	clearEnv(t)
	tests := []struct {
		file string
		want []string // substrings of the error
	}{
		{"missing.yaml", []string{"testdata/missing.yaml", "does not exist"}},
		{"malformed.yaml", []string{"testdata/malformed.yaml", "malformed YAML"}},
		{"bad_indent.yaml", []string{"testdata/bad_indent.yaml:3", "malformed YAML"}},
		{"unknown_key.yaml", []string{"testdata/unknown_key.yaml:2", "engnie", "not a known key"}},
		{"unknown_engine_key.yaml", []string{"unknown_engine_key.yaml:2", "engine.url ", "urls"}},
		{"bad_kind.yaml", []string{"bad_kind.yaml:2", "engine.kind", "solr"}},
		{"bad_prefix.yaml", []string{"bad_prefix.yaml:1", "env_prefix", "lower case"}},
		{"plugin_no_path.yaml", []string{"plugin_no_path.yaml:2", "plugins[0].path", "movies"}},
		{"plugin_no_name.yaml", []string{"plugin_no_name.yaml", "plugins[0].name"}},
		{"dup_plugins.yaml", []string{"dup_plugins.yaml:4", "plugins[1].name", "unique"}},
		{"negative_workers.yaml", []string{"negative_workers.yaml:2", "bulk.workers", "negative"}},
		{"bad_workers.yaml", []string{"bad_workers.yaml:2", "bulk.workers", "many"}},
		{"bad_url.yaml", []string{"bad_url.yaml:2", "engine.urls", "ftp://admin:xxxxx@es:21"}},
		{"bad_timeout.yaml", []string{"bad_timeout.yaml:1", "lock_timeout", "soon"}},
		{"fractional_workers.yaml", []string{"fractional_workers.yaml:2", "bulk.workers", "2.5"}},
		{"bad_overlap.yaml", []string{"bad_overlap.yaml:1", "resume_overlap", "a while"}},
		{"negative_overlap.yaml", []string{"negative_overlap.yaml:1", "resume_overlap", "negative"}},
		{"bad_backpressure.yaml", []string{"bad_backpressure.yaml:2", "bulk.backpressure_timeout", "forever"}},
		{"negative_backpressure.yaml", []string{"negative_backpressure.yaml:2", "bulk.backpressure_timeout", "negative"}},
		{"bad_wait_status.yaml", []string{"bad_wait_status.yaml:2", "activate.wait_for_status", "blue", "auto"}},
		{"bad_wait_timeout.yaml", []string{"bad_wait_timeout.yaml:3", "activate.wait_timeout", "long"}},
		{"plugins_not_list.yaml", []string{"plugins_not_list.yaml:2", "plugins", "list"}},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			_, err := config.Load(config.Options{File: "testdata/" + tt.file})
			if err == nil {
				t.Fatal("Load succeeded; want an error")
			}
			var ce *config.Error
			if !errors.As(err, &ce) {
				t.Errorf("error %T is not a *config.Error", err)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not contain %q", err, w)
				}
			}
			if strings.Contains(err.Error(), "hunter22") {
				t.Errorf("error %q shows a password", err)
			}
		})
	}
}

func TestEnvErrorNamesVariable(t *testing.T) {
	clearEnv(t)
	t.Setenv("DEMHOST_ENV_PREFIX", "bad prefix")
	_, err := config.Load(config.Options{Dir: t.TempDir()})
	if err == nil || !strings.Contains(err.Error(), "DEMHOST_ENV_PREFIX") || !strings.Contains(err.Error(), "env_prefix") {
		t.Errorf("error %v should name DEMHOST_ENV_PREFIX and env_prefix", err)
	}
}

func TestRedact(t *testing.T) {
	clearEnv(t)
	c, err := config.Load(config.Options{File: "testdata/full.yaml"})
	if err != nil {
		t.Fatal(err)
	}
	pg, err := config.Load(config.Options{File: "testdata/postgres.yaml"})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		c      *config.Config
		in     string
		secret string
	}{
		{c, "auth failed with password s3cret-pass", "s3cret-pass"},
		{c, "api key key-abc123 rejected", "key-abc123"},
		{pg, "cannot open " + pg.Registry, "pg-secret-9"},
		{nil, "dial postgres://bob:topsecret@db:5432/x failed", "topsecret"},
		{nil, "host=db user=bob password=topsecret dbname=x", "topsecret"},
	}
	for _, tt := range tests {
		got := tt.c.Redact(tt.in)
		if strings.Contains(got, tt.secret) || !strings.Contains(got, config.Mask) {
			t.Errorf("Redact(%q) = %q", tt.in, got)
		}
	}
	r := pg.Redacted()
	if strings.Contains(r.Registry, "pg-secret-9") || !strings.Contains(r.Registry, "127.0.0.1:5432") {
		t.Errorf("Redacted registry = %q", r.Registry)
	}
	if got := config.RedactURL("http://127.0.0.1:9200"); got != "http://127.0.0.1:9200" {
		t.Errorf("RedactURL changed a URL without password: %q", got)
	}
}

func TestCodebaseCommandFailure(t *testing.T) {
	t.Parallel()
	c := &config.Config{CodebaseCommand: "echo oops >&2; exit 3"}
	_, err := c.ResolveCodebaseID(context.Background(), ".")
	if err == nil || !strings.Contains(err.Error(), "codebase_command") || !strings.Contains(err.Error(), "oops") {
		t.Errorf("error %v should name codebase_command and its stderr", err)
	}
}

// TestRedactByPosition: a password equal to the user name (or the
// database name) is hidden where it stands as a password, and the names
// stay readable.
func TestRedactByPosition(t *testing.T) {
	t.Parallel()
	c := &config.Config{
		Registry: "postgres://demhost:demhost@127.0.0.1:5432/demhost?sslmode=disable",
		Engine:   engine.Config{URLs: []string{"http://elastic:elastic@127.0.0.1:9200"}, Username: "admin", Password: "admin"},
	}
	tests := []struct{ in, want string }{
		{"cannot open postgres://demhost:demhost@127.0.0.1:5432/demhost?sslmode=disable: role \"demhost\" does not exist",
			"cannot open postgres://demhost:xxxxx@127.0.0.1:5432/demhost?sslmode=disable: role \"demhost\" does not exist"},
		{"GET http://elastic:elastic@127.0.0.1:9200/: 401 for user elastic",
			"GET http://elastic:xxxxx@127.0.0.1:9200/: 401 for user elastic"},
		{"user=demhost password=demhost dbname=demhost", "user=demhost password=xxxxx dbname=demhost"},
		{"authentication as admin failed", "authentication as admin failed"},
	}
	for _, tt := range tests {
		if got := c.Redact(tt.in); got != tt.want {
			t.Errorf("Redact(%q)\n  = %q\nwant %q", tt.in, got, tt.want)
		}
	}
	// A secret that is no one's name is still hidden wherever it appears.
	c.Engine.Password = "s3cret-pass"
	if got := c.Redact("auth failed with password s3cret-pass"); strings.Contains(got, "s3cret-pass") {
		t.Errorf("Redact kept the engine password: %q", got)
	}
}
