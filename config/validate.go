package config

import (
	"errors"
	"net/url"
	"slices"
	"strconv"

	"github.com/demhost/demhost/host"
	"github.com/demhost/demhost/host/engine"
)

func (l *loader) validate(c *Config) error {
	if len(c.Engine.URLs) == 0 {
		return l.errorf("engine.urls", "must name at least one URL")
	}
	for _, u := range c.Engine.URLs {
		pu, err := url.Parse(u)
		if err != nil || (pu.Scheme != "http" && pu.Scheme != "https") || pu.Host == "" {
			return l.errorf("engine.urls", "has %q, which is not an http:// or https:// URL", RedactURL(u))
		}
	}
	if !engine.ValidKind(c.Engine.Kind) {
		return l.errorf("engine.kind", "is %q; use one of %v", c.Engine.Kind, engine.Kinds)
	}
	if c.Registry == "" {
		return l.errorf("registry", "must not be empty")
	}
	if isPostgres(c.Registry) {
		if _, err := url.Parse(c.Registry); err != nil {
			return l.errorf("registry", "is not a valid postgres:// URL: %s", RedactURL(c.Registry))
		}
	}
	if err := host.ValidatePrefix(c.EnvPrefix); err != nil {
		var pe *host.PrefixError
		if errors.As(err, &pe) {
			return l.errorf("env_prefix", "%q %s", pe.Prefix, pe.Reason)
		}
		return l.errorf("env_prefix", "%s", err.Error())
	}
	if c.PluginStartTimeout < 0 {
		return l.errorf("plugin_start_timeout", "must not be negative (0 means the default, 10s)")
	}
	if c.ResumeOverlap < 0 {
		return l.errorf("resume_overlap", "must not be negative (0 means the default, 1m)")
	}
	if c.LockTimeout < 0 {
		return l.errorf("lock_timeout", "must not be negative")
	}
	if c.Bulk.BackpressureTimeout < 0 {
		return l.errorf("bulk.backpressure_timeout", "must not be negative")
	}
	if s := c.Activate.WaitForStatus; s != "" && !slices.Contains(host.WaitStatuses, s) {
		return l.errorf("activate.wait_for_status", "is %q; use one of %v", s, host.WaitStatuses)
	}
	if c.Activate.Timeout < 0 {
		return l.errorf("activate.wait_timeout", "must not be negative (0 means the default, 5m)")
	}
	for _, b := range []struct {
		key string
		n   int
	}{
		{"bulk.workers", c.Bulk.Workers}, {"bulk.batch_size", c.Bulk.BatchSize},
		{"bulk.flush_bytes", c.Bulk.FlushBytes}, {"bulk.retries", c.Bulk.Retries},
	} {
		if b.n < 0 {
			return l.errorf(b.key, "must not be negative (got %d)", b.n)
		}
	}
	if err := l.validateDeploy(c); err != nil {
		return err
	}
	seen := map[string]int{}
	for i, p := range c.Plugins {
		key := "plugins[" + strconv.Itoa(i) + "]"
		if p.Name == "" {
			return l.errorf(key+".name", "is missing; every plugin needs a name")
		}
		if p.Path == "" {
			return l.errorf(key+".path", "is missing for plugin %q", p.Name)
		}
		if j, dup := seen[p.Name]; dup {
			return l.errorf(key+".name", "repeats the name %q of plugins[%d]; plugin names must be unique", p.Name, j)
		}
		seen[p.Name] = i
	}
	return nil
}
