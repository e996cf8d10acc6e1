package host

import (
	"encoding/json"
	"fmt"
	"math"
)

// DeployConfig tunes a deploy of a new version: its catch-up, its gate,
// and its retention. The health it waits for is Options.Health, as
// activate's. The zero value of each field
// means its default.
type DeployConfig struct {
	// CatchupThreshold ends the catch-up: passes of `since` reads are
	// repeated until one moves (indexes or deletes) fewer documents than
	// this. Default: 1000.
	CatchupThreshold int64
	// CatchupPasses bounds those passes; after the last one the deploy
	// goes on to the gate, which judges the result. Default: 10.
	CatchupPasses int
	// Gate is checked before the new version is activated.
	Gate GateConfig
	// Retain keeps the newest Retain versions of the index and drops the
	// older ones after a deploy; the active version and the one it
	// replaced are always kept. Default: 0, every version is kept.
	Retain int
}

// GateConfig is what a new version must pass before it is activated.
type GateConfig struct {
	// Tolerance is how far the version's document count may be from the
	// source's own count (sdk.Counter), as a fraction of the source's
	// count: 0 (the default) wants them equal, 0.01 allows 1%.
	Tolerance float64
	// Probes are queries that must each return at least their MinHits.
	Probes []Probe
}

// Probe is one query of the gate.
type Probe struct {
	// Name names the probe in messages; default: "probe N".
	Name string
	// Index is the base name of the index the probe checks; default:
	// every index deployed.
	Index string
	// Query is a JSON query clause, e.g. {"match":{"title":"alien"}}.
	Query json.RawMessage
	// MinHits is the fewest hits the query may return. Default: 1.
	MinHits int64
}

// Defaults of DeployConfig.
const (
	DefaultCatchupThreshold = 1000
	DefaultCatchupPasses    = 10
)

// withDefaults fills the zero fields with their defaults.
func (c DeployConfig) withDefaults() DeployConfig {
	if c.CatchupThreshold <= 0 {
		c.CatchupThreshold = DefaultCatchupThreshold
	}
	if c.CatchupPasses <= 0 {
		c.CatchupPasses = DefaultCatchupPasses
	}
	probes := make([]Probe, len(c.Gate.Probes))
	for i, p := range c.Gate.Probes {
		if p.Name == "" {
			p.Name = fmt.Sprintf("probe %d", i+1)
		}
		if p.MinHits <= 0 {
			p.MinHits = 1
		}
		probes[i] = p
	}
	c.Gate.Probes = probes
	return c
}

// DeployConfigError is a DeployConfig field that makes no sense. Key
// names it as the configuration file does ("deploy.gate.tolerance").
type DeployConfigError struct {
	Key    string
	Reason string
}

func (e *DeployConfigError) Error() string { return e.Key + " " + e.Reason }

// Check returns a *DeployConfigError for the first field that makes no
// sense; the config package reports it with the file and line.
func (c DeployConfig) Check() error {
	bad := func(key, format string, args ...any) error {
		return &DeployConfigError{Key: key, Reason: fmt.Sprintf(format, args...)}
	}
	switch {
	case c.CatchupThreshold < 0:
		return bad("deploy.catchup_threshold", "must not be negative (0 means the default, %d)", DefaultCatchupThreshold)
	case c.CatchupPasses < 0:
		return bad("deploy.catchup_passes", "must not be negative (0 means the default, %d)", DefaultCatchupPasses)
	case c.Retain < 0:
		return bad("deploy.retain", "must not be negative (0 keeps every version)")
	case math.IsNaN(c.Gate.Tolerance) || c.Gate.Tolerance < 0 || c.Gate.Tolerance >= 1:
		return bad("deploy.gate.tolerance", "is %v; use a fraction of the source's count from 0 up to (not including) 1, e.g. 0.001 for 0.1%%", c.Gate.Tolerance)
	}
	for i, p := range c.Gate.Probes {
		key := fmt.Sprintf("deploy.gate.probes[%d]", i)
		var q map[string]json.RawMessage
		if err := json.Unmarshal(p.Query, &q); err != nil || len(q) == 0 {
			return bad(key+".query", `must be a query object such as {"match":{"title":"alien"}}`)
		}
		if p.MinHits < 0 {
			return bad(key+".min_hits", "must not be negative")
		}
	}
	return nil
}
