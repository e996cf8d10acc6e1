package cli

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/demhost/demhost/host"
)

// ExitPlanChanges is plan's exit code with --exit-code when applying the
// plan would change something (in place or a new version), like
// terraform plan -detailed-exitcode's 2, which is taken by usage errors here.
const ExitPlanChanges = 3

func (a *app) planCommand() *cobra.Command {
	var all, exitCode bool
	cmd := &cobra.Command{
		Use:   "plan [INDEX...] | --all",
		Short: "Show what applying each plugin's current schema would do: no change, in place, or a new version",
		Long: `plan compares each index's schema from its plugin with the schema of its
active version (and the active index's mapping in the cluster) and says, for
each index, what deploy would do, without doing it:

  no change     the active version has the schema already;
  in place      every change can be applied to the active index by the
                engine (new fields and sub-fields, ignore_above, dynamic
                settings such as refresh_interval or number_of_replicas...);
  new version   at least one change cannot (a type or analyzer change, a
                shard count or other static setting, a removed field), or
                the index has no active version: a new version must be
                created and filled.

Exit codes: 0 when the plan was made (whatever it says), 1 when it could
not be made, 2 on a usage or configuration error. With --exit-code: 0 when
nothing would change, 3 when something would.`,
		Args: args(cobra.ArbitraryArgs),
	}
	cmd.Flags().BoolVar(&all, "all", false, "plan every index the plugins provide")
	cmd.Flags().BoolVar(&exitCode, "exit-code", false, fmt.Sprintf("exit %d when applying the plan would change something, 0 when not (for CI)", ExitPlanChanges))
	cmd.RunE = run(func(cmd *cobra.Command, names []string) error {
		return a.withHost(cmd.Context(), func(h *host.Host) error {
			names, err := namesOrAll(cmd, h, names, all)
			if err != nil {
				return err
			}
			plans, err := h.Plan(cmd.Context(), names, false)
			if err != nil {
				return err
			}
			if err := a.printPlans(plans); err != nil {
				return err
			}
			for _, p := range plans {
				if exitCode && p.Kind != host.PlanNoChange {
					a.exitCode = ExitPlanChanges
				}
			}
			return nil
		})
	})
	return cmd
}

// planJSON is one index's plan in -o json, as README's "JSON output"
// documents it.
type planJSON struct {
	Index      string       `json:"index"`
	Plan       string       `json:"plan"` // no_change, in_place or new_version
	Active     string       `json:"active,omitempty"`
	ActiveHash string       `json:"active_hash,omitempty"`
	Latest     string       `json:"latest,omitempty"`
	Hash       string       `json:"hash"`
	Source     string       `json:"source"`
	Changes    []changeJSON `json:"changes"`
}

type changeJSON struct {
	Path   string `json:"path"`
	What   string `json:"what"`
	From   string `json:"from,omitempty"`
	To     string `json:"to,omitempty"`
	Needs  string `json:"needs"` // in_place or new_version
	Reason string `json:"reason"`
}

// printPlans prints plans: in a table, one row per change, or as JSON.
func (a *app) printPlans(plans []host.IndexPlan) error {
	if a.output == "json" {
		out := make([]planJSON, 0, len(plans))
		for _, p := range plans {
			kind, _ := p.Kind.MarshalText()
			j := planJSON{Index: p.Index, Plan: string(kind), Active: p.ActiveName, ActiveHash: p.ActiveHash,
				Hash: p.Hash, Source: p.Source, Changes: []changeJSON{}}
			if p.Latest > 0 {
				j.Latest = target(p.Index, p.Latest)
			}
			for _, c := range p.Changes {
				j.Changes = append(j.Changes, changeJSON{Path: c.Path, What: c.What, From: c.From, To: c.To,
					Needs: needs(c, "in_place", "new_version"), Reason: c.Reason})
			}
			out = append(out, j)
		}
		return writeJSON(a.stdout, out)
	}
	var rows [][]string
	counts := map[host.PlanKind]int{}
	for _, p := range plans {
		counts[p.Kind]++
		first := []string{p.Index, dash(p.ActiveName), p.Kind.String()}
		if len(p.Changes) == 0 {
			rows = append(rows, append(first, "-", "-", "-", "-"))
			continue
		}
		for i, c := range p.Changes {
			lead := first
			if i > 0 {
				lead = []string{"", "", ""}
			}
			rows = append(rows, append(lead, c.Path, changeText(c), needs(c, "in place", "new version"), c.Reason))
		}
	}
	if err := table(a.stdout, []string{"INDEX", "ACTIVE", "PLAN", "PATH", "CHANGE", "NEEDS", "REASON"}, rows); err != nil {
		return err
	}
	var sum []string
	for _, k := range []host.PlanKind{host.PlanNoChange, host.PlanInPlace, host.PlanNewVersion} {
		if counts[k] > 0 {
			sum = append(sum, strconv.Itoa(counts[k])+" "+k.String())
		}
	}
	if len(sum) > 0 {
		next := "nothing to deploy"
		if counts[host.PlanInPlace]+counts[host.PlanNewVersion] > 0 {
			next = "demhost deploy applies it"
		}
		_, err := fmt.Fprintf(a.stdout, "\nplan: %s; %s\n", strings.Join(sum, ", "), next)
		return err
	}
	return nil
}

func needs(c host.Change, inPlace, newVersion string) string {
	if c.Breaking {
		return newVersion
	}
	return inPlace
}

// changeText is one change in a few words: "new field keyword",
// "type text → keyword", "ignore_above 256 → 1024".
func changeText(c host.Change) string {
	switch {
	case strings.HasPrefix(c.What, "new "):
		return strings.TrimSpace(c.What + " " + c.To)
	case strings.HasPrefix(c.What, "removed "):
		return c.What + " (" + dash(c.From) + ")"
	case c.From == "" && c.To == "":
		return c.What
	}
	from, to := c.From, c.To
	if from == "" {
		from = "(unset)"
	}
	if to == "" {
		to = "(unset)"
	}
	return c.What + " " + from + " → " + to
}
