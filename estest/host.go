package estest

import (
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"reflect"
	"strings"

	"github.com/demhost/demhost/host"
	sdk "github.com/demhost/demhost/plugin-sdk"
	"github.com/demhost/demhost/registry"
)

// LocalSource is a source run in-process by HostWith.
type LocalSource struct {
	// Name is how the host and its errors refer to the source. Default: the
	// last element of the source type's package path, e.g. "movies".
	Name   string
	Source sdk.Source
	// Config is passed to Configure. Default: WithSourceConfig, else {}.
	Config json.RawMessage
}

// PluginBinary is a plugin executable started by HostWith through
// sdk.Start and stopped when the test ends.
type PluginBinary struct {
	Name string // how errors refer to the plugin, e.g. "movies"
	Path string // the executable, e.g. "../bin/demhost-plugin-movies"
	// Config is passed to Configure. Default: {}.
	Config json.RawMessage
}

// HostConfig says what a host built by HostWith runs.
type HostConfig struct {
	Sources []LocalSource
	Plugins []PluginBinary
	// Bulk tunes the indexer. Default: WithBulk, else the host's defaults.
	Bulk host.BulkConfig
	// CodebaseID is recorded on versions. Default: "estest".
	CodebaseID string
}

// Host builds a demhost host for the test: a SQLite registry in a
// temporary folder, the Env's prefix as environment prefix, and the
// sources run in-process, each configured with WithSourceConfig (default
// {}). It fails the test on error.
//
// Each host has its own registry, so a test should build one host per Env.
func (e *Env) Host(sources ...sdk.Source) *host.Host {
	e.t.Helper()
	cfg := HostConfig{}
	for _, s := range sources {
		cfg.Sources = append(cfg.Sources, LocalSource{Source: s})
	}
	return e.HostWith(cfg)
}

// PluginHost builds a host, as Host does, that runs one plugin binary.
func (e *Env) PluginHost(name, path string, config json.RawMessage) *host.Host {
	e.t.Helper()
	return e.HostWith(HostConfig{Plugins: []PluginBinary{{Name: name, Path: path, Config: config}}})
}

// HostWith builds a host, as Host does, from in-process sources and plugin
// binaries together. Plugins are stopped and the registry is closed when
// the test ends, before its indexes are deleted.
func (e *Env) HostWith(cfg HostConfig) *host.Host {
	e.t.Helper()
	t := e.t
	ctx := context.Background()
	reg, err := registry.Open(ctx, filepath.Join(t.TempDir(), "registry.db"))
	if err != nil {
		t.Fatalf("estest: open registry: %v", err)
	}
	t.Cleanup(func() {
		if err := reg.Close(); err != nil {
			t.Logf("estest: close registry: %v", err)
		}
	})

	var srcs []host.Source
	used := map[string]int{}
	unique := func(name string) string {
		used[name]++
		if n := used[name]; n > 1 {
			return fmt.Sprintf("%s%d", name, n)
		}
		return name
	}
	for _, s := range cfg.Sources {
		name := s.Name
		if name == "" {
			name = sourceName(s.Source)
		}
		name = unique(name)
		local := sdk.NewLocal(name, s.Source)
		if err := configure(ctx, local, e.config(s.Config)); err != nil {
			t.Fatalf("estest: configure source %s: %v", name, err)
		}
		srcs = append(srcs, local)
	}
	for _, p := range cfg.Plugins {
		plug, err := sdk.Start(ctx, p.Name, p.Path)
		if err != nil {
			t.Fatalf("estest: start plugin %s at %s: %v", p.Name, p.Path, err)
		}
		t.Cleanup(func() {
			if err := plug.Close(); err != nil {
				t.Logf("estest: stop plugin %s: %v", p.Name, err)
			}
		})
		conf := p.Config
		if len(conf) == 0 {
			conf = json.RawMessage("{}")
		}
		if err := configure(ctx, plug, conf); err != nil {
			t.Fatalf("estest: configure plugin %s: %v", p.Name, err)
		}
		srcs = append(srcs, plug)
	}

	bulk := cfg.Bulk
	if bulk == (host.BulkConfig{}) {
		bulk = e.opts.bulk
	}
	codebase := cfg.CodebaseID
	if codebase == "" {
		codebase = "estest"
	}
	h, err := host.New(ctx, host.Options{
		Env:        e.prefix,
		CodebaseID: codebase,
		Registry:   reg,
		Engine:     e.eng,
		Sources:    srcs,
		Bulk:       bulk,
		Argv:       []string{t.Name()},
		Hostname:   "estest",
		User:       "estest",
	})
	if err != nil {
		t.Fatalf("estest: new host: %v", err)
	}
	e.mu.Lock()
	e.last = h
	e.mu.Unlock()
	return h
}

func (e *Env) config(c json.RawMessage) json.RawMessage {
	switch {
	case len(c) > 0:
		return c
	case len(e.opts.sourceConfig) > 0:
		return e.opts.sourceConfig
	}
	return json.RawMessage("{}")
}

// configurer is what Configure needs of *sdk.Local and *sdk.Plugin.
type configurer interface {
	Configure(ctx context.Context, req *sdk.ConfigureRequest) (*sdk.ConfigureResponse, error)
}

func configure(ctx context.Context, c configurer, conf json.RawMessage) error {
	_, err := c.Configure(ctx, &sdk.ConfigureRequest{Config: conf})
	return err
}

// sourceName names a source after its type's package ("movies" for a
// *movies.source), or "source" when the type has no package.
func sourceName(s sdk.Source) string {
	t := reflect.TypeOf(s)
	for t != nil && t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t == nil || t.PkgPath() == "" {
		return "source"
	}
	name := t.PkgPath()[strings.LastIndex(t.PkgPath(), "/")+1:]
	return strings.TrimSuffix(name, "_test")
}

// Ready creates, activates and updates each named index (every index the
// sources provide when none are named) with the host built last by Host,
// HostWith or PluginHost, then refreshes their aliases so searches see
// every document. It fails the test on error.
func (e *Env) Ready(ctx context.Context, indexes ...string) {
	e.t.Helper()
	e.mu.Lock()
	h := e.last
	e.mu.Unlock()
	if h == nil {
		e.t.Fatal("estest: Ready needs a host: call Env.Host first")
	}
	if len(indexes) == 0 {
		indexes = h.Indexes()
	}
	if _, err := h.Create(ctx, indexes, host.CreateOptions{}); err != nil {
		e.t.Fatalf("estest: create %s: %v", strings.Join(indexes, ", "), err)
	}
	if _, err := h.Activate(ctx, indexes); err != nil {
		e.t.Fatalf("estest: activate %s: %v", strings.Join(indexes, ", "), err)
	}
	if _, err := h.Update(ctx, indexes, host.UpdateOptions{}); err != nil {
		e.t.Fatalf("estest: update %s: %v", strings.Join(indexes, ", "), err)
	}
	aliases := make([]string, len(indexes))
	for i, ix := range indexes {
		aliases[i] = e.Alias(ix)
	}
	if err := e.eng.Refresh(ctx, aliases...); err != nil {
		e.t.Fatalf("estest: refresh %s: %v", strings.Join(aliases, ", "), err)
	}
}
