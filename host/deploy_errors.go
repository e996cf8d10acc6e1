package host

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// GateError is returned by Deploy when a new version fails its gate: its
// document count is too far from the source's, or probe queries returned
// too few hits. Every check that failed is in Checks. The old version
// stays active.
type GateError struct {
	Index   string
	Version int
	Active  int // the version that stays active; 0 when none
	Checks  []GateCheck
}

// GateCheck is one check of the gate, with its figures.
type GateCheck struct {
	Gate  string // "count" or "probe"
	Probe string // the probe's name, for Gate "probe"
	// Got is the version's count (or the probe's hits); Want is the
	// source's count (or the probe's minimum hits).
	Got, Want int64
	// Tolerance is the configured fraction, and Allowed the difference it
	// allows, for Gate "count".
	Tolerance float64
	Allowed   int64
}

// passed says whether the check holds.
func (c GateCheck) passed() bool {
	if c.Gate == "probe" {
		return c.Got >= c.Want
	}
	return c.Got-c.Want <= c.Allowed && c.Want-c.Got <= c.Allowed
}

// String names the gate and its figures: "gate count: 4,999 in the index,
// 5,000 in the source, tolerance 0".
func (c GateCheck) String() string {
	if c.Gate == "probe" {
		return fmt.Sprintf("gate probe %q: %s hits, at least %s wanted", c.Probe, thousands(c.Got), thousands(c.Want))
	}
	tol := strconv.FormatFloat(c.Tolerance, 'f', -1, 64)
	if c.Tolerance > 0 {
		tol += fmt.Sprintf(" (%s documents)", thousands(c.Allowed))
	}
	return fmt.Sprintf("gate count: %s in the index, %s in the source, tolerance %s", thousands(c.Got), thousands(c.Want), tol)
}

func (e *GateError) Error() string {
	checks := make([]string, len(e.Checks))
	for i, c := range e.Checks {
		checks[i] = c.String()
	}
	s := fmt.Sprintf("%s failed the %s", label(e.Index, e.Version), strings.Join(checks, "; and the "))
	if e.Active != 0 {
		s += fmt.Sprintf("; %s stays active", label(e.Index, e.Active))
	}
	return s
}

// DeployError is returned by Deploy when a step of a new version's deploy
// failed or was interrupted: `deploy --resume` continues from Step. It
// wraps the step's error (a *GateError, ErrInterrupted...).
type DeployError struct {
	Index   string
	Version int    // the new version; 0 when it was not created
	Step    string // one of the Step constants
	Active  int    // the active version; 0 when none
	Err     error
}

func (e *DeployError) Error() string {
	var ge *GateError
	if errors.As(e.Err, &ge) {
		return e.Err.Error() // it names the version and what stays active
	}
	s := fmt.Sprintf("deploy of %s stopped at its %s step: %v", target(e.Index, e.Version), e.Step, e.Err)
	if e.Active != 0 && e.Active != e.Version {
		s += fmt.Sprintf("; %s is active", label(e.Index, e.Active))
	}
	return s
}

func (e *DeployError) Unwrap() error { return e.Err }
