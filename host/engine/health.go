package engine

import (
	"context"
	"net/http"
	"time"

	"github.com/elastic/go-elasticsearch/v8/esapi"
	"github.com/opensearch-project/opensearch-go/v4/opensearchapi"
)

// This file asks the cluster how an index's shards are doing: Health,
// which waits on the server (_cluster/health with wait_for_status) until
// the index reaches a status or a timeout ends.

// HealthStatus is the health of an index: Green (every shard copy is
// assigned and started), Yellow (every primary is, some replica is not) or
// Red (some primary is not).
type HealthStatus string

// The three statuses, best first.
const (
	Green  HealthStatus = "green"
	Yellow HealthStatus = "yellow"
	Red    HealthStatus = "red"
)

// rank orders the statuses; an unknown one ranks below Red.
func (s HealthStatus) rank() int {
	switch s {
	case Green:
		return 3
	case Yellow:
		return 2
	case Red:
		return 1
	}
	return 0
}

// AtLeast reports whether s is as good as want: Green is at least Yellow,
// which is at least Red.
func (s HealthStatus) AtLeast(want HealthStatus) bool { return s.rank() >= want.rank() }

// Health is what the cluster says of one index's shards. The shard counts
// are the index's own; the node counts are the cluster's.
type Health struct {
	Status HealthStatus
	// TimedOut is true when the status waited for was not reached within
	// the timeout; Status is then the one reached.
	TimedOut bool
	// Nodes and DataNodes are the nodes in the cluster now.
	Nodes     int
	DataNodes int
	// ActivePrimaryShards and ActiveShards (primaries and replicas) are
	// started; the rest are relocating, initializing or unassigned.
	ActivePrimaryShards int
	ActiveShards        int
	RelocatingShards    int
	InitializingShards  int
	UnassignedShards    int
	// DelayedUnassignedShards are unassigned replicas whose allocation
	// waits for a node that left to come back
	// (index.unassigned.node_left.delayed_timeout).
	DelayedUnassignedShards int
}

// healthWaitChunk bounds one request of a health wait: a longer wait is
// several requests, so that no proxy or load balancer in between cuts a
// request that is silent for minutes, and a cancelled ctx ends it soon.
const healthWaitChunk = 30 * time.Second

// healthClient is the part of client that asks for an index's health.
type healthClient interface {
	// clusterHealth is GET _cluster/health/<index>, with wait_for_status
	// when want is set, and timeout wait. It answers 408, with the health
	// as body, when the wait ends before the status is reached.
	clusterHealth(ctx context.Context, index string, want HealthStatus, wait time.Duration) raw
}

func (a *adapter) Health(ctx context.Context, index string, want HealthStatus, timeout time.Duration) (Health, error) {
	const op = "health"
	if err := checkExplicit(op, index); err != nil {
		return Health{}, err
	}
	if want != Green && want != Yellow {
		return Health{}, &Error{Op: op, Index: index, Reason: "wait for green or yellow, not " + string(want), Err: ErrRejected}
	}
	// The cluster reads a missing index as red and waits the whole timeout:
	// ask first, to say it is missing at once.
	if ok, err := a.Exists(ctx, index); err != nil {
		return Health{}, err
	} else if !ok {
		return Health{}, &Error{Op: op, Index: index, Status: http.StatusNotFound, Err: ErrNotFound}
	}
	deadline := time.Now().Add(timeout)
	for {
		wait := min(max(time.Until(deadline), 0), healthWaitChunk)
		h, err := a.healthOnce(ctx, index, want, wait)
		if err != nil || !h.TimedOut || time.Until(deadline) <= 0 {
			return h, err
		}
	}
}

// healthOnce is one health request that waits up to wait on the server.
// The request's own bound is the adapter's timeout on top of the wait.
func (a *adapter) healthOnce(ctx context.Context, index string, want HealthStatus, wait time.Duration) (Health, error) {
	ctx, cancel := context.WithTimeout(ctx, wait+a.timeout)
	defer cancel()
	w := a.roundTrip(ctx, func(ctx context.Context) raw { return a.c.clusterHealth(ctx, index, want, wait) })
	if w.err == nil && w.status == http.StatusRequestTimeout {
		w.status = http.StatusOK // the wait ended first; the body is the health reached
	}
	if w.err == nil && w.body == nil && w.status == 0 {
		w.err = errNoAnswer
	}
	r, err := readReply(ctx, "health", index, w.status, w.body, w.err)
	if err != nil {
		return Health{}, err
	}
	var hb healthBody
	op := r.op
	if err := decode(r, &hb); err != nil {
		return Health{}, err
	}
	if hb.Status.rank() == 0 {
		return Health{}, &Error{Op: op, Index: index, Reason: "the answer has no status", Err: ErrUnavailable}
	}
	return Health{
		Status: hb.Status, TimedOut: hb.TimedOut || !hb.Status.AtLeast(want),
		Nodes: hb.Nodes, DataNodes: hb.DataNodes,
		ActivePrimaryShards: hb.ActivePrimary, ActiveShards: hb.Active,
		RelocatingShards: hb.Relocating, InitializingShards: hb.Initializing,
		UnassignedShards: hb.Unassigned, DelayedUnassignedShards: hb.Delayed,
	}, nil
}

// healthBody is the answer of _cluster/health, alike for both vendors.
type healthBody struct {
	Status        HealthStatus `json:"status"`
	TimedOut      bool         `json:"timed_out"`
	Nodes         int          `json:"number_of_nodes"`
	DataNodes     int          `json:"number_of_data_nodes"`
	ActivePrimary int          `json:"active_primary_shards"`
	Active        int          `json:"active_shards"`
	Relocating    int          `json:"relocating_shards"`
	Initializing  int          `json:"initializing_shards"`
	Unassigned    int          `json:"unassigned_shards"`
	Delayed       int          `json:"delayed_unassigned_shards"`
}

func (e esClient) clusterHealth(ctx context.Context, index string, want HealthStatus, wait time.Duration) raw {
	return esRaw(esapi.ClusterHealthRequest{Index: []string{index}, WaitForStatus: string(want),
		Timeout: max(wait, time.Millisecond)}.Do(ctx, e.c))
}

func (o osClient) clusterHealth(ctx context.Context, index string, want HealthStatus, wait time.Duration) raw {
	return o.do(ctx, opensearchapi.ClusterHealthReq{Indices: []string{index},
		Params: opensearchapi.ClusterHealthParams{WaitForStatus: string(want), Timeout: max(wait, time.Millisecond)}})
}
