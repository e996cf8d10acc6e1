package cli

import (
	"context"
	"errors"
	"fmt"
	"github.com/mattn/go-isatty"
	"os"
	"path/filepath"
	"strings"

	"github.com/demhost/demhost/config"
	"github.com/demhost/demhost/host"
	"github.com/demhost/demhost/host/engine"
	sdk "github.com/demhost/demhost/plugin-sdk"
	"github.com/demhost/demhost/registry"
)

// session holds what a command opened; close releases all of it.
type session struct {
	reg     *registry.Registry
	eng     engine.Engine
	plugins []*pluginSource
	out     *pluginOutput
	view    *progressView // draws the host's progress; plugin lines go through it
	host    *host.Host
}

func (s *session) close() {
	for _, p := range s.plugins {
		_ = p.Close()
	}
	s.plugins = nil
	if s.out != nil {
		s.out.closeLog() // the plugins' last lines, before the registry closes
	}
	if s.reg != nil {
		_ = s.reg.Close()
		s.reg = nil
	}
}

// openHost builds a full host: engine, plugins, registry, in that order,
// so that a bad engine or plugin fails before the registry file is made.
// The caller must close the session, even on error.
func (a *app) openHost(ctx context.Context) (*session, error) {
	view := &progressView{w: a.stderr, terminal: isTerminal(a.stderr)}
	s := &session{out: a.newPluginOutput(), view: view}
	s.out.stderr = view.lineWriter() // a plugin's line never shares the bar's line
	var err error
	if s.eng, err = a.openEngine(ctx); err != nil {
		return s, err
	}
	for _, p := range a.cfg.Plugins {
		pl, err := a.startSource(ctx, p, s.out)
		if err != nil {
			return s, err
		}
		s.plugins = append(s.plugins, pl)
	}
	if s.reg, err = a.openRegistry(ctx); err != nil {
		return s, err
	}
	s.out.openLog(s.reg, a.cfg.EnvPrefix)
	codebase, err := a.cfg.ResolveCodebaseID(ctx, a.baseDir())
	if err != nil {
		return s, setupError(err)
	}
	sources := make([]host.Source, len(s.plugins))
	for i, p := range s.plugins {
		sources[i] = p
	}
	argv := []string{"demhost"}
	if len(os.Args) > 0 {
		argv[0] = os.Args[0]
	}
	for _, arg := range a.argv {
		argv = append(argv, a.cfg.Redact(arg))
	}
	s.host, err = host.New(ctx, host.Options{
		Env:        a.cfg.EnvPrefix,
		CodebaseID: codebase,
		Registry:   s.reg,
		Engine:     s.eng,
		Sources:    sources,
		// 0 is the host's default too.
		ResumeOverlap: a.cfg.ResumeOverlap,
		Bulk:          a.cfg.Bulk, // config decodes straight into host's type
		Health:        a.cfg.Activate,
		OnProgress:    s.view.show,
		OnWait:        s.view.note,
		Argv:          argv,
	})
	if err != nil {
		return s, setupError(fmt.Errorf("start the host: %w", err))
	}
	return s, nil
}

// baseDir is where the codebase command runs: the config file's folder,
// else the working folder.
func (a *app) baseDir() string {
	if a.cfg.File != "" {
		if abs, err := filepath.Abs(a.cfg.File); err == nil {
			return filepath.Dir(abs)
		}
	}
	return "."
}

// openEngine connects to the engine and checks that it answers.
func (a *app) openEngine(ctx context.Context) (engine.Engine, error) {
	c := a.cfg.Engine
	url := config.RedactURL(strings.Join(c.URLs, ","))
	eng, err := engine.Open(ctx, c) // config decodes straight into engine's type
	if err == nil {
		var info engine.Info
		if info, err = eng.Info(ctx); err == nil {
			if a.verbose {
				a.logf("engine %s %s at %s", info.Kind, info.Version, url)
			}
			return eng, nil
		}
	}
	if ctx.Err() != nil {
		return nil, ctx.Err()
	}
	if errors.Is(err, engine.ErrUnauthorized) {
		return nil, setupError(fmt.Errorf("the engine at %s refused the credentials (check engine.username, engine.password or engine.api_key): %w", url, err))
	}
	return nil, setupError(fmt.Errorf("cannot reach the engine at %s (set engine.urls, DEMHOST_ENGINE_URL or --engine-url): %w", url, err))
}

// openRegistry opens (and migrates) the registry.
func (a *app) openRegistry(ctx context.Context) (*registry.Registry, error) {
	var opts []registry.Option
	if a.cfg.LockTimeout > 0 {
		opts = append(opts, registry.WithLockTimeout(a.cfg.LockTimeout))
	}
	reg, err := registry.Open(ctx, a.cfg.Registry, opts...)
	if err != nil {
		return nil, setupError(fmt.Errorf("cannot open the registry %s: %w", config.RedactURL(a.cfg.Registry), err))
	}
	return reg, nil
}

// startPlugin starts one plugin binary and hands it its config section;
// what it logs goes to stderr only.
func (a *app) startPlugin(ctx context.Context, p config.Plugin) (*sdk.Plugin, error) {
	src, err := a.startSource(ctx, p, a.newPluginOutput())
	if err != nil {
		return nil, err
	}
	return src.Plugin, nil
}

func (a *app) newPluginOutput() *pluginOutput {
	return &pluginOutput{stderr: a.stderr, verbose: a.verbose}
}

// startSource starts one plugin binary, its lines going to out, and hands
// it its config section.
func (a *app) startSource(ctx context.Context, p config.Plugin, out *pluginOutput) (*pluginSource, error) {
	where := "plugins"
	if a.cfg.File != "" {
		where = a.cfg.File
	}
	if st, err := os.Stat(p.Path); err != nil {
		return nil, setupError(fmt.Errorf("plugin %s: %s does not exist (run `make build`, or fix its path in %s)", p.Name, p.Path, where))
	} else if st.IsDir() {
		return nil, setupError(fmt.Errorf("plugin %s: %s is a folder, not a plugin binary (fix its path in %s)", p.Name, p.Path, where))
	}
	js, err := p.ConfigJSON()
	if err != nil {
		return nil, setupError(err)
	}
	// The plugin lives until Close, not until a signal: the host must be
	// able to finish the stream and record an interrupted action.
	src := newPluginSource(p.Name, out)
	opts := []sdk.StartOption{sdk.WithLogOutput(out.goPluginLog()), sdk.WithLogSink(src.log)}
	if a.cfg.PluginStartTimeout > 0 {
		opts = append(opts, sdk.WithStartTimeout(a.cfg.PluginStartTimeout))
	}
	pl, err := sdk.Start(context.WithoutCancel(ctx), p.Name, p.Path, opts...)
	if err != nil {
		hint := ""
		if errors.Is(err, sdk.ErrTimeout) {
			hint = "; raise plugin_start_timeout if it needs longer"
		}
		return nil, setupError(fmt.Errorf("plugin %s (%s) does not start: %w%s", p.Name, p.Path, err, hint))
	}
	src.Plugin = pl
	if _, err := pl.Configure(ctx, &sdk.ConfigureRequest{Config: js}); err != nil {
		_ = pl.Close()
		return nil, setupError(fmt.Errorf("plugin %s rejected its config section in %s: %w", p.Name, where, err))
	}
	return src, nil
}

// isTerminal says w is a terminal (a character device).
func isTerminal(w any) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	// A character device is not enough: /dev/null is one.
	return isatty.IsTerminal(f.Fd()) || isatty.IsCygwinTerminal(f.Fd())
}
