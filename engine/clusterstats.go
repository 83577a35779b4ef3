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
	// LeasesLost counts leases that ended without being released: taken
	// over, or not renewed in time (a stall, NATS down). Each stops a
	// room here; its members rejoin where it runs next.
	LeasesLost uint64
	// Forwarded counts the requests this node sent to rooms' owners on
	// other nodes (joins, sends, leaves, membership checks);
	// ForwardUnanswered, those that got no answer: the owner did not
	// answer in time, nobody serves its subject, or NATS was down.
	Forwarded, ForwardUnanswered uint64
	// BatchesPublished counts the batches of room events this node
	// published to other nodes; BatchesReceived, those it received.
	BatchesPublished, BatchesReceived uint64
	// BatchGaps counts the times a batch from another node arrived with
	// numbers skipped since the one before (batches lost on the way), or
	// was the first heard from a sender past its first number.
	BatchGaps uint64
	// Silences counts the times this node was heard again after a silence
	// that other nodes may have taken for its death (Cluster.Resurfaced).
	Silences uint64
	// NodesGone counts the times another node was believed gone: silent
	// for the node timeout, or said goodbye.
	NodesGone uint64
}
