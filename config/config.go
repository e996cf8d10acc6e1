package config

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/pflag"
	"github.com/spf13/viper"

	"github.com/demhost/demhost/host"
	"github.com/demhost/demhost/host/engine"
)

// FileName is the configuration file looked for in the working folder
// when no --config is given.
const FileName = "demhost.yaml"

// DefaultEngineURL is the engine used when none is configured.
const DefaultEngineURL = "http://127.0.0.1:9200"

// DefaultRegistry is the SQLite registry used when none is configured.
const DefaultRegistry = ".demhost/registry.db"

// Config is demhost's whole configuration. The zero value of each field
// means the default stated in its comment; Load fills the defaults in.
type Config struct {
	// File is the configuration file that was read, "" when none.
	File string
	// Engine says how to reach the cluster: the engine package's own
	// settings. The file and the environment set urls, kind, username,
	// password, api_key and ca_file (relative to the file's folder when
	// written in the file); the rest keep engine's defaults.
	Engine engine.Config
	// Registry is a postgres:// DSN or a SQLite file path. A relative
	// path written in the file is relative to the file's folder.
	// Default: .demhost/registry.db.
	Registry string
	// EnvPrefix is prepended to every index and alias name. Default: none.
	EnvPrefix string
	// CodebaseID is recorded on every version and action. When empty,
	// CodebaseCommand (if any) supplies it; see ResolveCodebaseID.
	CodebaseID string
	// CodebaseCommand is run through "sh -c"; its trimmed output is the
	// codebase id, e.g. "git describe --tags --always". Default: none.
	CodebaseCommand string
	// Plugins are the source plugins, in file order.
	Plugins []Plugin
	// Bulk tunes the bulk indexer: the host's own settings, whose zero
	// fields mean the host's defaults. The file and the environment set
	// workers, batch_size, flush_bytes, retries and backpressure_timeout.
	Bulk host.BulkConfig
	// Activate is what activate waits for before it moves an alias: the
	// host's own settings (wait_for_status auto|green|yellow|none and
	// wait_timeout), whose zero fields mean the host's defaults.
	Activate host.HealthConfig
	// Deploy tunes deploy's catch-up, gate and retention: the host's own
	// settings, whose zero fields mean the host's defaults (see
	// deploy.go for the keys).
	Deploy host.DeployConfig
	// LockTimeout is how long an action waits for a held lock.
	// Default: 0, meaning the registry's default (30s).
	LockTimeout time.Duration
	// PluginStartTimeout bounds each plugin's start, up to its handshake;
	// a plugin that has not answered by then is killed with its children.
	// Default: 0, meaning sdk.DefaultStartTimeout (10s).
	PluginStartTimeout time.Duration
	// ResumeOverlap is subtracted from the host's start time to make the
	// checkpoint of an update whose source keeps no watermark of its own.
	// Default: 0, meaning host.DefaultResumeOverlap (1m).
	ResumeOverlap time.Duration
}

// Plugin is one configured source plugin.
type Plugin struct {
	// Name is how the plugin is referred to; unique.
	Name string
	// Path of the plugin binary, made absolute (relative to the config
	// file's folder when written in the file).
	Path string
	// Config is the plugin's own section, passed to it as JSON. Keys keep
	// their case.
	Config map[string]any
}

// ConfigJSON returns the plugin's section as JSON ({} when empty).
func (p Plugin) ConfigJSON() ([]byte, error) {
	if len(p.Config) == 0 {
		return []byte("{}"), nil
	}
	b, err := json.Marshal(p.Config)
	if err != nil {
		return nil, fmt.Errorf("plugin %s: config section: %w", p.Name, err)
	}
	return b, nil
}

// Options say where Load looks.
type Options struct {
	// File is the --config flag. A named file that does not exist is an
	// error. Empty: ./demhost.yaml (in Dir) when present, else no file.
	File string
	// Dir is the working folder. Default: ".".
	Dir string
	// Flags are the command line's flags. Those named in settings
	// (--engine-url, --registry, --env-prefix, --codebase-id) override the
	// file and the environment when set. May be nil.
	Flags *pflag.FlagSet
}

// setting is one scalar key: where it may come from.
type setting struct {
	key  string // viper key, as in the file
	env  string // environment variable
	flag string // command-line flag, "" for none
}

var settings = []setting{
	{"engine.urls", "DEMHOST_ENGINE_URL", "engine-url"},
	{"engine.kind", "DEMHOST_ENGINE_KIND", ""},
	{"engine.username", "DEMHOST_ENGINE_USERNAME", ""},
	{"engine.password", "DEMHOST_ENGINE_PASSWORD", ""},
	{"engine.api_key", "DEMHOST_ENGINE_API_KEY", ""},
	{"engine.ca_file", "DEMHOST_ENGINE_CA_FILE", ""},
	{"registry", "DEMHOST_REGISTRY", "registry"},
	{"env_prefix", "DEMHOST_ENV_PREFIX", "env-prefix"},
	{"codebase_id", "DEMHOST_CODEBASE_ID", "codebase-id"},
	{"codebase_command", "DEMHOST_CODEBASE_COMMAND", ""},
	{"lock_timeout", "DEMHOST_LOCK_TIMEOUT", ""},
	{"plugin_start_timeout", "DEMHOST_PLUGIN_START_TIMEOUT", ""},
	{"resume_overlap", "DEMHOST_RESUME_OVERLAP", ""},
	{"bulk.workers", "DEMHOST_BULK_WORKERS", ""},
	{"bulk.batch_size", "DEMHOST_BULK_BATCH_SIZE", ""},
	{"bulk.flush_bytes", "DEMHOST_BULK_FLUSH_BYTES", ""},
	{"bulk.retries", "DEMHOST_BULK_RETRIES", ""},
	{"bulk.backpressure_timeout", "DEMHOST_BULK_BACKPRESSURE_TIMEOUT", ""},
	{"activate.wait_for_status", "DEMHOST_ACTIVATE_WAIT_FOR_STATUS", ""},
	{"activate.wait_timeout", "DEMHOST_ACTIVATE_WAIT_TIMEOUT", ""},
	{"deploy.catchup_threshold", "DEMHOST_DEPLOY_CATCHUP_THRESHOLD", ""},
	{"deploy.catchup_passes", "DEMHOST_DEPLOY_CATCHUP_PASSES", ""},
	{"deploy.retain", "DEMHOST_DEPLOY_RETAIN", ""},
	{"deploy.gate.tolerance", "DEMHOST_DEPLOY_GATE_TOLERANCE", ""},
}

// loader holds one Load's state, to name the origin of a bad value.
type loader struct {
	v     *viper.Viper
	file  string         // as the user named it
	dir   string         // the file's folder, absolute
	lines map[string]int // key → line in the file
	flags *pflag.FlagSet
	// probes are deploy.gate.probes, read from the file's nodes.
	probes []host.Probe
}

// Load reads the file, then DEMHOST_* variables, then flags, fills the
// defaults and validates. Errors are *Error and name the file (or the
// variable or flag) and the key.
func Load(o Options) (*Config, error) {
	dir := o.Dir
	if dir == "" {
		dir = "."
	}
	l := &loader{v: viper.New(), flags: o.Flags, lines: map[string]int{}}
	l.v.SetConfigType("yaml")

	file := o.File
	if file == "" {
		if _, err := os.Stat(filepath.Join(dir, FileName)); err == nil {
			file = filepath.Join(dir, FileName)
		}
	} else if !filepath.IsAbs(file) {
		file = filepath.Join(dir, file)
	}
	var plugins []rawPlugin
	if file != "" {
		l.file = file
		if o.File != "" {
			l.file = o.File
		}
		abs, err := filepath.Abs(file)
		if err != nil {
			return nil, &Error{Source: l.file, Msg: err.Error()}
		}
		l.dir = filepath.Dir(abs)
		data, err := os.ReadFile(file)
		if err != nil {
			if errors.Is(err, os.ErrNotExist) {
				return nil, &Error{Source: l.file, Msg: "config file does not exist"}
			}
			return nil, &Error{Source: l.file, Msg: "cannot read config file: " + err.Error()}
		}
		if plugins, err = l.parseFile(data); err != nil {
			return nil, err
		}
		if err := l.v.ReadConfig(bytes.NewReader(data)); err != nil {
			return nil, &Error{Source: l.file, Msg: "malformed YAML: " + yamlMessage(err)}
		}
	}

	for _, s := range settings {
		if err := l.v.BindEnv(s.key, s.env); err != nil {
			return nil, fmt.Errorf("bind %s: %w", s.env, err)
		}
		if s.flag != "" && o.Flags != nil {
			if f := o.Flags.Lookup(s.flag); f != nil {
				if err := l.v.BindPFlag(s.key, f); err != nil {
					return nil, fmt.Errorf("bind --%s: %w", s.flag, err)
				}
			}
		}
	}
	l.v.SetDefault("engine.urls", DefaultEngineURL)
	l.v.SetDefault("engine.kind", "auto")
	l.v.SetDefault("registry", DefaultRegistry)

	c, err := l.build(plugins)
	if err != nil {
		return nil, err
	}
	if err := l.validate(c); err != nil {
		return nil, err
	}
	return c, nil
}

// build turns the layered settings into a Config.
func (l *loader) build(plugins []rawPlugin) (*Config, error) {
	c := &Config{File: l.file}
	var err error
	if c.Engine.URLs, err = l.list("engine.urls"); err != nil {
		return nil, err
	}
	c.Engine.Kind = engine.Kind(strings.ToLower(l.str("engine.kind")))
	c.Engine.Username = l.str("engine.username")
	c.Engine.Password = l.str("engine.password")
	c.Engine.APIKey = l.str("engine.api_key")
	c.Engine.CAFile = l.path("engine.ca_file")
	c.Registry = l.str("registry")
	if l.fromFile("registry") && !isPostgres(c.Registry) {
		c.Registry = l.path("registry")
	}
	c.EnvPrefix = l.str("env_prefix")
	c.CodebaseID = l.str("codebase_id")
	c.CodebaseCommand = l.str("codebase_command")
	if s := l.str("plugin_start_timeout"); s != "" {
		d, err := time.ParseDuration(s)
		if err != nil {
			return nil, l.errorf("plugin_start_timeout", "is not a duration such as 10s or 1m: %q", s)
		}
		c.PluginStartTimeout = d
	}
	if s := l.str("resume_overlap"); s != "" {
		d, err := time.ParseDuration(s)
		if err != nil {
			return nil, l.errorf("resume_overlap", "is not a duration such as 1m or 30s: %q", s)
		}
		c.ResumeOverlap = d
	}
	if s := l.str("lock_timeout"); s != "" {
		d, err := time.ParseDuration(s)
		if err != nil {
			return nil, l.errorf("lock_timeout", "is not a duration such as 30s or 2m: %q", s)
		}
		c.LockTimeout = d
	}
	if s := l.str("bulk.backpressure_timeout"); s != "" {
		d, err := time.ParseDuration(s)
		if err != nil {
			return nil, l.errorf("bulk.backpressure_timeout", "is not a duration such as 90s or 5m: %q", s)
		}
		c.Bulk.BackpressureTimeout = d
	}
	c.Activate.WaitForStatus = strings.ToLower(l.str("activate.wait_for_status"))
	if s := l.str("activate.wait_timeout"); s != "" {
		d, err := time.ParseDuration(s)
		if err != nil {
			return nil, l.errorf("activate.wait_timeout", "is not a duration such as 5m or 90s: %q", s)
		}
		c.Activate.Timeout = d
	}
	ints := []struct {
		key string
		dst *int
	}{
		{"bulk.workers", &c.Bulk.Workers},
		{"bulk.batch_size", &c.Bulk.BatchSize},
		{"bulk.flush_bytes", &c.Bulk.FlushBytes},
		{"bulk.retries", &c.Bulk.Retries},
	}
	for _, it := range ints {
		if *it.dst, err = l.int(it.key); err != nil {
			return nil, err
		}
	}
	if err := l.buildDeploy(c); err != nil {
		return nil, err
	}
	for _, p := range plugins {
		path := p.Path
		if path != "" && !filepath.IsAbs(path) {
			path = filepath.Join(l.dir, path)
		}
		c.Plugins = append(c.Plugins, Plugin{Name: p.Name, Path: path, Config: p.Config})
	}
	return c, nil
}

// ResolveCodebaseID returns CodebaseID, or else the trimmed output of
// CodebaseCommand run through sh -c in dir, or else "".
func (c *Config) ResolveCodebaseID(ctx context.Context, dir string) (string, error) {
	if c.CodebaseID != "" || c.CodebaseCommand == "" {
		return c.CodebaseID, nil
	}
	cmd := exec.CommandContext(ctx, "sh", "-c", c.CodebaseCommand)
	cmd.Dir = dir
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		msg := strings.TrimSpace(stderr.String())
		if i := strings.IndexByte(msg, '\n'); i >= 0 {
			msg = msg[:i]
		}
		if msg != "" {
			err = fmt.Errorf("%w: %s", err, msg)
		}
		return "", fmt.Errorf("codebase_command %q failed: %w", c.CodebaseCommand, err)
	}
	return strings.TrimSpace(string(out)), nil
}

func isPostgres(dsn string) bool {
	return strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://")
}
