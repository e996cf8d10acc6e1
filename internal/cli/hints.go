package cli

import (
	"errors"
	"fmt"

	"github.com/demhost/demhost/host"
)

// The host reports facts (typed errors, Result.Next); the CLI words what
// to do next in its own commands and flags. estest and other library
// callers get the facts alone.

// hint is the advice for err, "" when there is none.
func hint(err error) string {
	var deploy *host.DeployError
	if errors.As(err, &deploy) {
		return deployHint(deploy)
	}
	var (
		narrow  *host.CannotNarrowError
		active  *host.NoActiveVersionError
		none    *host.NoVersionError
		missing *host.MissingIndexError
		failed  *host.FailedVersionError
		dropped *host.DroppedVersionError
		same    *host.SameVersionError
		sick    *host.UnhealthyError
		refused *host.RefusedChangeError
		stale   *host.StalePlanError
	)
	switch {
	case errors.As(err, &narrow):
		return "pass --full to read everything"
	case errors.As(err, &active) && active.Latest == 0:
		return fmt.Sprintf("run `create %s` first", active.Index)
	case errors.As(err, &active):
		return fmt.Sprintf("run `activate %s` first, or name a version such as %s-%d", active.Index, active.Index, active.Latest)
	case errors.As(err, &none):
		return fmt.Sprintf("run `create %s` first", none.Index)
	case errors.As(err, &missing):
		return fmt.Sprintf("run `create %s --es-only` to recreate it", missing.Index)
	case errors.As(err, &failed):
		return fmt.Sprintf("create a new version with `create %s`", failed.Index)
	case errors.As(err, &dropped):
		return fmt.Sprintf("name a live version (see `list %s`), or create a new one with `create %s`", dropped.Index, dropped.Index)
	case errors.As(err, &same):
		return fmt.Sprintf("run `create %s --force` for a new version, or name another source with --from", same.Index)
	case errors.As(err, &sick):
		return fmt.Sprintf("bring back the missing nodes (or lower number_of_replicas) and run `activate %s` again, "+
			"or raise activate.wait_timeout, or set activate.wait_for_status: yellow to accept missing replicas",
			fmt.Sprintf("%s-%d", sick.Index, sick.Version))
	case errors.As(err, &refused):
		return fmt.Sprintf("%s keeps the schema it had; make the change with a new version instead: "+
			"`create %s --force`, `migrate %s`, `activate %s`", refused.Version, refused.Index, refused.Index, refused.Index)
	case errors.As(err, &stale):
		return fmt.Sprintf("run `plan %s` again and deploy what it says", stale.Index)
	case errors.Is(err, host.ErrActiveVersion):
		return "activate another version first, or use --force"
	}
	return ""
}

// deployHint is the advice for a deploy that stopped at a step: what its
// step's error needs, then the resume.
func deployHint(e *host.DeployError) string {
	resume := fmt.Sprintf("run `deploy %s --resume` to continue from the %s step", e.Index, e.Step)
	var gate *host.GateError
	if errors.As(e.Err, &gate) {
		return fmt.Sprintf("find why the source and %s-%d differ (or change deploy.gate in the config), then "+
			"run `deploy %s --resume`: it catches up and checks the gate again", e.Index, e.Version, e.Index)
	}
	if h := hint(e.Err); h != "" {
		return h + "; then " + resume
	}
	return resume
}

// withHint appends err's advice to its message.
func withHint(err error) error {
	if h := hint(err); h != "" {
		return &hinted{err: err, hint: h}
	}
	return err
}

type hinted struct {
	err  error
	hint string
}

func (h *hinted) Error() string { return h.err.Error() + "; " + h.hint }
func (h *hinted) Unwrap() error { return h.err }

// command words a step as a demhost command with its reason:
// "run `activate movies-2` to serve it".
func command(s *host.Step) string {
	if s == nil {
		return ""
	}
	c := s.Action + " " + s.Target
	if s.Resume {
		c += " --resume"
	}
	if s.From != "" {
		c += " --from " + s.From
	}
	out := "run `" + c + "`"
	if s.Why != "" {
		out += " " + s.Why
	}
	return out
}
