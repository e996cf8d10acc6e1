package host

import "github.com/demhost/demhost/host/engine"

// When a node of a multi-node cluster dies mid-load, the documents bound
// for its shards fail for a while: the coordinating node answers 503
// (unavailable_shards_exception, "primary shard is not active") once the
// bulk request's wait for the shard ends, or a transport error while it
// tries to reach the lost node, until a replica is promoted or the node
// comes back. Those documents are not broken. The indexer resends them on
// their own, as it does 429s, for as long as the cluster keeps accepting
// documents within BulkConfig.BackpressureTimeout, and never counts them
// as failed.

// transientTypes are the engine error types of an item that fails
// because of the cluster's state, not because of the document, whatever
// its status.
var transientTypes = map[string]bool{
	"unavailable_shards_exception":            true,
	"no_shard_available_action_exception":     true,
	"primary_missing_action_exception":        true,
	"retry_on_primary_exception":              true,
	"shard_not_in_primary_mode_exception":     true,
	"illegal_index_shard_state_exception":     true,
	"index_shard_closed_exception":            true,
	"already_closed_exception":                true,
	"node_closed_exception":                   true,
	"node_disconnected_exception":             true,
	"node_not_connected_exception":            true,
	"connect_transport_exception":             true,
	"send_request_transport_exception":        true,
	"receive_timeout_transport_exception":     true,
	"not_master_exception":                    true,
	"not_cluster_manager_exception":           true,
	"process_cluster_event_timeout_exception": true,
}

// retryable says whether a failed item is resent rather than counted as
// failed: a 429 (back-pressure), or a failure of the cluster's state (any
// 503, or one of transientTypes).
func retryable(f engine.BulkItemFailure) bool {
	return f.Status == 429 || unavailable(f)
}

// unavailable says whether a failed item met a shard or node that was not
// there: a 503, or one of transientTypes.
func unavailable(f engine.BulkItemFailure) bool {
	return f.Status == 503 || transientTypes[f.Type]
}
