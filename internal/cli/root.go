package cli

import (
	"fmt"
	"io"
	"os"

	"github.com/spf13/cobra"

	"github.com/demhost/demhost/config"
)

// app is one run of demhost: its streams, flags and loaded config.
type app struct {
	stdin          io.Reader
	stdout, stderr io.Writer

	argv       []string // the arguments, for the action records
	configFile string
	output     string
	verbose    bool

	cfg      *config.Config
	exitCode int // set by commands that succeed with a non-zero code (plugins)
}

func newApp(stdin io.Reader, stdout, stderr io.Writer) *app {
	return &app{stdin: stdin, stdout: stdout, stderr: stderr}
}

func (a *app) rootCommand() *cobra.Command {
	root := &cobra.Command{
		Use:   "demhost",
		Short: "Manage Elasticsearch and OpenSearch index schemas as versions",
		Long: `demhost keeps index schemas in code. Every schema change becomes a new
version (a physical index) that is filled from your data and then activated
by an atomic alias swap. Every action is recorded in the registry.

Configuration comes from demhost.yaml (--config, else ./demhost.yaml), then
DEMHOST_* environment variables, then flags.

Exit codes: 0 ok, 1 an action failed or was interrupted, 2 usage or
configuration error, 3 plan --exit-code found something to change.`,
		Version:           version(),
		SilenceErrors:     true,
		SilenceUsage:      true,
		CompletionOptions: cobra.CompletionOptions{DisableDefaultCmd: true},
		PersistentPreRunE: func(cmd *cobra.Command, _ []string) error {
			return a.load(cmd)
		},
	}
	root.SetVersionTemplate("{{.Name}} {{.Version}}\n")
	root.SetIn(a.stdin)
	root.SetOut(a.stdout)
	root.SetErr(a.stderr)
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error {
		return usageError("%v", err)
	})

	pf := root.PersistentFlags()
	pf.StringVar(&a.configFile, "config", "", "config file (default ./demhost.yaml when present)")
	pf.String("env-prefix", "", "environment prefix of every index and alias (env DEMHOST_ENV_PREFIX)")
	pf.StringSlice("engine-url", nil, "engine URL(s), comma-separated (env DEMHOST_ENGINE_URL; default "+config.DefaultEngineURL+")")
	pf.String("registry", "", "registry: a postgres:// DSN or a SQLite path (env DEMHOST_REGISTRY; default "+config.DefaultRegistry+")")
	pf.String("codebase-id", "", "codebase id recorded on versions and actions (env DEMHOST_CODEBASE_ID)")
	pf.StringVarP(&a.output, "output", "o", "table", "output format: table or json")
	pf.BoolVarP(&a.verbose, "verbose", "v", false, "print the effective configuration and engine to stderr")

	root.AddCommand(
		a.listCommand(),
		a.createCommand(),
		a.activateCommand(),
		a.updateCommand(),
		a.migrateCommand(),
		a.clearCommand(),
		a.dropCommand(),
		a.resetCommand(),
		a.historyCommand(),
		a.pluginsCommand(),
		a.workerCommand(),
		a.planCommand(),
		a.deployCommand(),
	)
	return root
}

// load reads and validates the configuration (before every command).
func (a *app) load(cmd *cobra.Command) error {
	if a.output != "table" && a.output != "json" {
		return usageError("-o/--output is %q; use table or json", a.output)
	}
	wd, err := os.Getwd()
	if err != nil {
		return setupError(fmt.Errorf("working folder: %w", err))
	}
	cfg, err := config.Load(config.Options{File: a.configFile, Dir: wd, Flags: cmd.Root().PersistentFlags()})
	if err != nil {
		return setupError(err)
	}
	a.cfg = cfg
	if a.verbose {
		r := cfg.Redacted()
		file := r.File
		if file == "" {
			file = "(none)"
		}
		a.logf("config %s; engine %v (%s); registry %s; prefix %q; %d plugin(s)",
			file, r.Engine.URLs, r.Engine.Kind, r.Registry, r.EnvPrefix, len(r.Plugins))
	}
	return nil
}

// logf writes one message line to stderr.
func (a *app) logf(format string, args ...any) {
	fmt.Fprintf(a.stderr, "demhost: "+format+"\n", args...)
}

// run wraps a command body so its error gets an exit code.
func run(fn func(cmd *cobra.Command, args []string) error) func(*cobra.Command, []string) error {
	return func(cmd *cobra.Command, args []string) error {
		return classify(fn(cmd, args))
	}
}

// args wraps a cobra argument validator so its error exits 2.
func args(v cobra.PositionalArgs) cobra.PositionalArgs {
	return func(cmd *cobra.Command, a []string) error {
		if err := v(cmd, a); err != nil {
			return usageError("%s: %v", cmd.Name(), err)
		}
		return nil
	}
}
