package cli

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/demhost/demhost/host"
	"github.com/demhost/demhost/host/engine"
)

// withHost opens a full host for fn and closes everything after.
func (a *app) withHost(ctx context.Context, fn func(h *host.Host) error) error {
	s, err := a.openHost(ctx)
	defer s.close()
	if err != nil {
		return err
	}
	return withKnownIndexes(fn(s.host), s.host)
}

// withKnownIndexes adds the indexes h knows to an unknown index's error.
func withKnownIndexes(err error, h *host.Host) error {
	if errors.Is(err, host.ErrUnknownIndex) && !strings.Contains(err.Error(), "known") {
		err = fmt.Errorf("%w; known indexes: %s", err, dash(strings.Join(h.Indexes(), ", ")))
	}
	return err
}

// actionResults prints results, then returns the action's error.
func (a *app) actionResults(results []host.Result, err error) error {
	if err != nil { // drop the empty results of what did not happen
		kept := results[:0:0]
		for _, r := range results {
			if r.Message != "" || r.Changed {
				kept = append(kept, r)
			}
		}
		results = kept
	}
	if perr := a.printResults(results); perr != nil && err == nil {
		err = perr
	}
	return err
}

// namesOrAll returns the names, or every index for --all.
func namesOrAll(cmd *cobra.Command, h *host.Host, names []string, all bool) ([]string, error) {
	switch {
	case all && len(names) > 0:
		return nil, usageError("%s: give index names or --all, not both", cmd.Name())
	case all:
		return h.Indexes(), nil
	case len(names) == 0:
		return nil, usageError("%s: name at least one index or version, or pass --all", cmd.Name())
	}
	return names, nil
}

func (a *app) listCommand() *cobra.Command {
	var esOnly, repair bool
	cmd := &cobra.Command{
		Use:   "list [INDEX...]",
		Short: "List every version of every index, or the cluster's indices (--es-only)",
		Args:  args(cobra.ArbitraryArgs),
	}
	cmd.Flags().BoolVar(&esOnly, "es-only", false, "list the cluster's indices under the prefix, with doc counts")
	cmd.Flags().BoolVar(&repair, "repair", false, "first restore the settings (refresh, replicas) that a load which died left applied")
	cmd.RunE = run(func(cmd *cobra.Command, names []string) error {
		return a.withHost(cmd.Context(), func(h *host.Host) error {
			if esOnly {
				if len(names) > 0 {
					return usageError("list --es-only takes no index names")
				}
				stats, err := h.ListCluster(cmd.Context())
				if err != nil {
					return err
				}
				return a.printCluster(stats)
			}
			if repair {
				if esOnly {
					return usageError("list --repair and --es-only do not go together")
				}
				results, err := h.Repair(cmd.Context(), names...)
				for _, r := range results {
					a.logf("%s", a.cfg.Redact(r.Message))
				}
				if err != nil {
					return err
				}
			}
			rows, err := h.List(cmd.Context(), names...)
			if err != nil {
				return err
			}
			return a.printRows(rows)
		})
	})
	return cmd
}

// clusterIndex is one line of list --es-only.
type clusterIndex struct {
	Name    string   `json:"name"`
	Docs    int64    `json:"docs"`
	Aliases []string `json:"aliases"`
	Health  string   `json:"health,omitempty"`
}

func (a *app) printCluster(stats []engine.IndexStat) error {
	out := make([]clusterIndex, 0, len(stats))
	for _, s := range stats {
		al := s.Aliases
		if al == nil {
			al = []string{}
		}
		out = append(out, clusterIndex{Name: s.Name, Docs: s.Docs, Aliases: al, Health: s.Health})
	}
	if a.output == "json" {
		return writeJSON(a.stdout, out)
	}
	rows := make([][]string, 0, len(out))
	for _, c := range out {
		rows = append(rows, []string{c.Name, strconv.FormatInt(c.Docs, 10), dash(strings.Join(c.Aliases, ",")), dash(c.Health)})
	}
	return table(a.stdout, []string{"INDEX", "DOCS", "ALIASES", "HEALTH"}, rows)
}

func (a *app) createCommand() *cobra.Command {
	var o host.CreateOptions
	var all bool
	cmd := &cobra.Command{
		Use:   "create INDEX... | --all",
		Short: "Create a new version when the schema changed",
		Args:  args(cobra.ArbitraryArgs),
	}
	cmd.Flags().BoolVar(&all, "all", false, "every index the plugins provide")
	cmd.Flags().BoolVar(&o.Force, "force", false, "create a new version even when the schema is unchanged")
	cmd.Flags().BoolVar(&o.ESOnly, "es-only", false, "recreate, from the stored schemas, versions missing in the cluster")
	cmd.RunE = run(func(cmd *cobra.Command, names []string) error {
		return a.withHost(cmd.Context(), func(h *host.Host) error {
			names, err := namesOrAll(cmd, h, names, all)
			if err != nil {
				return err
			}
			return a.actionResults(h.Create(cmd.Context(), names, o))
		})
	})
	return cmd
}

func (a *app) activateCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "activate INDEX... | VERSION",
		Short: "Point the alias at the latest version, or at the named one",
		Args:  args(cobra.MinimumNArgs(1)),
	}
	cmd.RunE = run(func(cmd *cobra.Command, names []string) error {
		return a.withHost(cmd.Context(), func(h *host.Host) error {
			return a.actionResults(h.Activate(cmd.Context(), names))
		})
	})
	return cmd
}

// timeLayouts are what --start accepts.
var timeLayouts = []string{time.RFC3339, "2006-01-02 15:04", "2006-01-02T15:04", "2006-01-02"}

func parseStart(s string) (time.Time, error) {
	for _, l := range timeLayouts {
		if l == time.RFC3339 {
			if t, err := time.Parse(l, s); err == nil {
				return t, nil
			}
			continue
		}
		if t, err := time.ParseInLocation(l, s, time.Local); err == nil {
			return t, nil
		}
	}
	return time.Time{}, usageError(`--start %q is not a time; use RFC 3339 (2024-05-01T12:00:00Z) or "2006-01-02 15:04" (local time)`, s)
}

func (a *app) updateCommand() *cobra.Command {
	var o host.UpdateOptions
	var all bool
	var start string
	cmd := &cobra.Command{
		Use:   "update INDEX... | VERSION | --all",
		Short: "Stream documents from the plugins into the active (or named) version",
		Args:  args(cobra.ArbitraryArgs),
	}
	f := cmd.Flags()
	f.BoolVar(&all, "all", false, "every index the plugins provide")
	f.BoolVar(&o.Newer, "newer", false, "fill every version newer than the active one instead")
	f.BoolVar(&o.Resume, "resume", false, "only what changed since the last complete update of the version")
	f.StringVar(&start, "start", "", `only what changed since TIME (RFC 3339 or "2006-01-02 15:04"); wins over --resume`)
	f.BoolVar(&o.Full, "full", false, "with --resume or --start: read everything from a source that cannot read only changes")
	f.IntVar(&o.Workers, "workers", 0, "concurrent streams and requests (default: bulk.workers, else the number of CPUs)")
	f.IntVar(&o.BatchSize, "batch-size", 0, "documents per bulk request (default: bulk.batch_size, else 1000)")
	d := addDistributedFlags(f)
	cmd.RunE = run(func(cmd *cobra.Command, names []string) error {
		if o.Workers < 0 {
			return usageError("--workers must not be negative (got %d)", o.Workers)
		}
		if o.BatchSize < 0 {
			return usageError("--batch-size must not be negative (got %d)", o.BatchSize)
		}
		if start != "" {
			t, err := parseStart(start)
			if err != nil {
				return err
			}
			o.Start = t
		}
		if err := d.check(cmd, names, o, all); err != nil {
			return err
		} else if d.on {
			return a.runDistributed(cmd.Context(), names[0], o, d)
		}
		return a.withHost(cmd.Context(), func(h *host.Host) error {
			names, err := namesOrAll(cmd, h, names, all)
			if err != nil {
				return err
			}
			o.All = all
			return a.actionResults(h.Update(cmd.Context(), names, o))
		})
	})
	return cmd
}

func (a *app) clearCommand() *cobra.Command {
	var o host.ClearOptions
	cmd := &cobra.Command{
		Use:   "clear INDEX | VERSION",
		Short: "Remove all documents and keep the index",
		Args:  args(cobra.ExactArgs(1)),
	}
	cmd.Flags().BoolVar(&o.Older, "older", false, "clear every version older than the active one")
	cmd.RunE = run(func(cmd *cobra.Command, names []string) error {
		return a.withHost(cmd.Context(), func(h *host.Host) error {
			return a.actionResults(h.Clear(cmd.Context(), names[0], o))
		})
	})
	return cmd
}

func (a *app) dropCommand() *cobra.Command {
	var o host.DropOptions
	cmd := &cobra.Command{
		Use:   "drop VERSION | INDEX --older",
		Short: "Delete a version's index and soft-delete the version",
		Args:  args(cobra.ExactArgs(1)),
	}
	cmd.Flags().BoolVar(&o.Older, "older", false, "drop every version older than the active one")
	cmd.Flags().BoolVar(&o.Force, "force", false, "allow dropping the active version")
	cmd.Flags().BoolVar(&o.ESOnly, "es-only", false, "delete in the cluster only")
	cmd.RunE = run(func(cmd *cobra.Command, names []string) error {
		return a.withHost(cmd.Context(), func(h *host.Host) error {
			return a.actionResults(h.Drop(cmd.Context(), names[0], o))
		})
	})
	return cmd
}
