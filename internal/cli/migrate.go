package cli

import (
	"github.com/spf13/cobra"

	"github.com/demhost/demhost/host"
)

func (a *app) migrateCommand() *cobra.Command {
	var o host.MigrateOptions
	cmd := &cobra.Command{
		Use:   "migrate INDEX | VERSION [--from VERSION]",
		Short: "Copy every document into the latest (or named) version from the active one, on the server",
		Long: `migrate copies every document of one version into another with the
engine's reindex, without reading the plugins again: after
'create INDEX --force' with a new mapping, 'migrate INDEX' fills the new
version from the active one, and 'activate INDEX' then serves it.

The target is the named version, or the latest version of a named index.
The source is --from, else the active version.`,
		Args: args(cobra.ExactArgs(1)),
	}
	cmd.Flags().StringVar(&o.From, "from", "", "the version to copy from, e.g. movies-1 (default: the active version)")
	cmd.RunE = run(func(cmd *cobra.Command, names []string) error {
		return a.withHost(cmd.Context(), func(h *host.Host) error {
			return a.actionResults(h.Migrate(cmd.Context(), names[0], o))
		})
	})
	return cmd
}
