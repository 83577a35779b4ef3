package engine

// ClusterStats is a point-in-time view of a node's cluster layer, for
// metrics (package metrics, Metrics.CountCluster); *cluster.Node returns
// it from Stats. The counts are totals since the node started.
type ClusterStats struct {
	// Connected: the node is connected to the cluster now (Cluster.Connected).
	Connected bool
	// Leases is the number of room leases the node holds now: the rooms
	// it owns.
	Leases int
	// LeasesLost counts leases that ended lost: another node took the
	// room, or a renewal found its key gone or expired (a stall, NATS
	// down). Each stops a room here; its members rejoin where it runs
	// next.
	LeasesLost uint64
	// Forwarded counts the requests this node sent to rooms' owners on
	// other nodes (joins, sends, leaves, membership checks);
	// ForwardUnreached, those that did not reach an owner: nobody serves
	// its subject (the node is gone), NATS was down, or a membership
	// check went unanswered. A join, send or leave that an owner took is
	// answered by the room's frames, so it is not counted, nor is one
	// whose owner took it late.
	Forwarded, ForwardUnreached uint64
	// BatchesPublished counts the batches of room events this node
	// published to other nodes; BatchesReceived, those it received.
	BatchesPublished, BatchesReceived uint64
	// BatchGaps counts the times a batch from another node arrived with
	// numbers skipped since the one before (batches lost on the way), or
	// numbered back (the sender dropped the link and numbers it again
	// from 1). The first batch heard on a link is not counted, whatever
	// its number: a node that starts hears the others' links midway. A
	// gap matters to the membership check after a silence (the owner's
	// memberships there move).
	BatchGaps uint64
	// Silences counts the times this node was heard again after a silence
	// that other nodes may have taken for its death (Cluster.Resurfaced).
	Silences uint64
	// NodesGone counts the times a node this node watched (one whose
	// rooms it holds members of) was believed gone: silent for the node
	// timeout, or said goodbye. A node watched again after it was gone
	// and still silent counts again.
	NodesGone uint64
}
