package host

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/demhost/demhost/host/engine"
	"github.com/demhost/demhost/registry"
)

// Before an alias moves onto a version, the version's index should hold
// every copy of its shards: right after a load its replicas are still
// being built (the load ran without them), and on a cluster that lost a
// node some copies are missing. Readers sent to it then lean on fewer
// copies, and one more lost node loses documents. So activate (and
// deploy) wait for the index's health first, bounded by a timeout, and
// leave the alias where it is when the health is not reached.

// The values of HealthConfig.WaitForStatus.
const (
	// WaitAuto waits for green when the cluster has enough data nodes to
	// place every replica of the index (more data nodes than replicas),
	// and for yellow when it cannot: a single development node never
	// turns an index with a replica green.
	WaitAuto = "auto"
	// WaitGreen waits until every shard copy is started.
	WaitGreen = "green"
	// WaitYellow waits until every primary shard is started.
	WaitYellow = "yellow"
	// WaitNone does not wait.
	WaitNone = "none"
)

// WaitStatuses are the accepted values of HealthConfig.WaitForStatus.
var WaitStatuses = []string{WaitAuto, WaitGreen, WaitYellow, WaitNone}

// DefaultHealthTimeout bounds the wait for health unless configured.
const DefaultHealthTimeout = 5 * time.Minute

// HealthConfig says what health an index must reach before activate moves
// its alias onto it. The zero value means WaitAuto within 5m.
type HealthConfig struct {
	// WaitForStatus is one of WaitStatuses. Default: WaitAuto.
	WaitForStatus string
	// Timeout bounds the wait. Default: DefaultHealthTimeout (5m).
	Timeout time.Duration
}

// withDefaults fills the zero fields and checks the status.
func (c HealthConfig) withDefaults() (HealthConfig, error) {
	if c.WaitForStatus == "" {
		c.WaitForStatus = WaitAuto
	}
	if c.Timeout <= 0 {
		c.Timeout = DefaultHealthTimeout
	}
	if err := checkWaitStatus(c.WaitForStatus); err != nil {
		return c, err
	}
	return c, nil
}

func checkWaitStatus(s string) error {
	for _, w := range WaitStatuses {
		if s == w {
			return nil
		}
	}
	return fmt.Errorf("health: wait for status %q: want one of %v", s, WaitStatuses)
}

// UnhealthyError is returned when a version's index did not reach the
// health waited for within the timeout; the alias was not moved.
type UnhealthyError struct {
	Index    string // base name
	Version  int
	Physical string
	Want     engine.HealthStatus
	Timeout  time.Duration
	Health   engine.Health // what the cluster said last
}

func (e *UnhealthyError) Error() string {
	h := e.Health
	msg := fmt.Sprintf("%s (index %s) is %s, not %s, after waiting %s", label(e.Index, e.Version), e.Physical,
		h.Status, e.Want, e.Timeout)
	total := h.ActiveShards + h.RelocatingShards + h.InitializingShards + h.UnassignedShards
	msg += fmt.Sprintf(": %d of %d shard copies started", h.ActiveShards, total)
	if h.InitializingShards > 0 {
		msg += fmt.Sprintf(", %d initializing", h.InitializingShards)
	}
	if h.UnassignedShards > 0 {
		msg += fmt.Sprintf(", %d unassigned", h.UnassignedShards)
		if h.DelayedUnassignedShards > 0 {
			msg += fmt.Sprintf(" (%d waiting for a node that left)", h.DelayedUnassignedShards)
		}
	}
	msg += fmt.Sprintf(", on %d data node(s); its alias was not moved", h.DataNodes)
	return msg
}

// waitHealth waits for version v's index to reach want (one of
// WaitStatuses) within timeout, logging on a what it waits for and what
// it found, and returns the status reached. WaitNone returns "" at once.
// Not reaching the status is an *UnhealthyError; the caller then leaves
// the alias where it is.
func (h *Host) waitHealth(ctx context.Context, a *action, v registry.Version, want string, timeout time.Duration) (engine.HealthStatus, error) {
	if err := checkWaitStatus(want); err != nil {
		return "", err
	}
	if want == WaitNone {
		a.logf(ctx, "not waiting for the health of %s (wait for status: none)", v.Name)
		return "", nil
	}
	status, err := h.healthGoal(ctx, a, v, want)
	if err != nil {
		return "", err
	}
	began := time.Now()
	if h.opts.OnWait != nil && timeout > 0 {
		// Tell the user only when the index is not there yet.
		now, err := h.eng.Health(ctx, v.Name, status, 0)
		if err == nil && now.TimedOut {
			h.opts.OnWait(fmt.Sprintf("waiting up to %s for %s to be %s (it is %s: %d active, %d initializing, %d unassigned shard copies; activate.wait_for_status sets what to wait for)",
				timeout, v.Label(), status, now.Status, now.ActiveShards, now.InitializingShards, now.UnassignedShards))
		}
	}
	got, err := h.eng.Health(ctx, v.Name, status, timeout)
	if err != nil {
		return "", fmt.Errorf("wait for %s to be %s: %w", v.Name, status, err)
	}
	if got.TimedOut {
		a.logf(ctx, "%s is %s after waiting %s for %s: %d active, %d initializing, %d unassigned shard copies on %d data node(s)",
			v.Name, got.Status, timeout, status, got.ActiveShards, got.InitializingShards, got.UnassignedShards, got.DataNodes)
		return got.Status, &UnhealthyError{Index: v.Index, Version: v.Number, Physical: v.Name, Want: status,
			Timeout: timeout, Health: got}
	}
	a.logf(ctx, "%s is %s (waited %s for %s)", v.Name, got.Status, time.Since(began).Round(time.Millisecond), status)
	return got.Status, nil
}

// healthGoal turns want into the status to wait for. For WaitAuto it
// compares the index's replicas with the cluster's data nodes now.
func (h *Host) healthGoal(ctx context.Context, a *action, v registry.Version, want string) (engine.HealthStatus, error) {
	switch want {
	case WaitGreen:
		return engine.Green, nil
	case WaitYellow:
		return engine.Yellow, nil
	}
	now, err := h.eng.Health(ctx, v.Name, engine.Yellow, 0)
	if err != nil {
		return "", fmt.Errorf("read the health of %s: %w", v.Name, err)
	}
	set, err := h.eng.GetSettings(ctx, v.Name)
	if err != nil {
		return "", fmt.Errorf("read settings of %s: %w", v.Name, err)
	}
	replicas, err := replicasOf(set)
	if err != nil {
		return "", fmt.Errorf("read settings of %s: %w", v.Name, err)
	}
	if replicas >= now.DataNodes {
		a.logf(ctx, "%s has %d replica(s) and the cluster %d data node(s), so it cannot be green: waiting for yellow",
			v.Name, replicas, now.DataNodes)
		return engine.Yellow, nil
	}
	return engine.Green, nil
}

// replicasOf reads index.number_of_replicas from flat settings. An
// auto_expand_replicas index places as many as the nodes allow, so for
// the health goal it asks no more than what fits: 0.
func replicasOf(set map[string]string) (int, error) {
	if ae := set["index.auto_expand_replicas"]; ae != "" && ae != "false" {
		return 0, nil
	}
	s, ok := set["index.number_of_replicas"]
	if !ok {
		return 1, nil // the engines' default
	}
	n, err := strconv.Atoi(s)
	if err != nil {
		return 0, errors.New("index.number_of_replicas is not a number: " + s)
	}
	return n, nil
}
