package cluster

import (
	"errors"
	"time"

	"go.uber.org/zap"

	"github.com/parlorhq/parlor/cluster/forward"
)

// Defaults of NodeConfig.
const (
	// DefaultHeartbeatInterval is how often a node says it is alive.
	DefaultHeartbeatInterval = 250 * time.Millisecond
	// DefaultNodeTimeout is how long a node may stay silent before the
	// others close their sessions in its rooms (CloseRoomMoved) so that
	// they resume on the rooms' next owners.
	DefaultNodeTimeout = 1500 * time.Millisecond
	// DefaultUserSubjectPrefix starts the per-user subjects
	// (parlor.user.<user>): takeovers and notifications.
	DefaultUserSubjectPrefix = "parlor.user"
	// DefaultNodeSubjectPrefix starts the heartbeat subjects
	// (parlor.node.<node>).
	DefaultNodeSubjectPrefix = "parlor.node"
)

// NodeConfig configures a [Node]. Every node of a cluster must use the
// same lease bucket, lease TTL and subject prefixes; the zero values are
// the same everywhere.
type NodeConfig struct {
	// Name names this node: the owner in leases, the middle token of its
	// forwarding subjects. It must be unique per process (for example the
	// host and a random suffix) and of the plain form of forward.ErrBadNode.
	// Required.
	Name string
	// LeaseTTL is how long a room's lease lives after its last renewal:
	// the longest a room stays unserved after its owner died. Zero means
	// lease.DefaultTTL (2 s), which with DefaultNodeTimeout keeps a room's
	// failover within about 3 s.
	LeaseTTL time.Duration
	// LeaseReplicas is the lease bucket's replica count. Zero means 1; use
	// 3 on a three-server JetStream cluster.
	LeaseReplicas int
	// LeaseBucket names the lease bucket. Empty means lease.DefaultBucket.
	LeaseBucket string
	// ForwardTimeout bounds a forwarded request. Zero means
	// forward.DefaultTimeout (2 s).
	ForwardTimeout time.Duration
	// HeartbeatInterval is how often the node publishes that it is alive.
	// Zero means DefaultHeartbeatInterval.
	HeartbeatInterval time.Duration
	// NodeTimeout is how long another node may stay silent before this
	// node believes it gone (Node.NodeGone). Zero means
	// DefaultNodeTimeout, or six HeartbeatIntervals if that is longer;
	// NewNode refuses one under three (ErrLiveness). Every node of a cluster should use the same:
	// a node that was silent for nearly that long itself takes the
	// others to have believed it gone (Node.Resurfaced).
	NodeTimeout time.Duration
	// Logger receives the node's warnings. Nil means no logging.
	Logger *zap.Logger
}

func (c NodeConfig) withDefaults() NodeConfig {
	if c.HeartbeatInterval <= 0 {
		c.HeartbeatInterval = DefaultHeartbeatInterval
	}
	if c.NodeTimeout <= 0 {
		// The defaults' ratio for a longer interval: a node is not
		// believed gone between two of its heartbeats.
		c.NodeTimeout = max(DefaultNodeTimeout, defaultBeatsPerTimeout*c.HeartbeatInterval)
	}
	if c.ForwardTimeout <= 0 {
		c.ForwardTimeout = forward.DefaultTimeout
	}
	if c.Logger == nil {
		c.Logger = zap.NewNop()
	}
	return c
}

// The heartbeats a NodeTimeout spans: at the defaults, and at least
// (NewNode refuses fewer, ErrLiveness), so that one or two heartbeats
// late or lost do not make a live node look gone.
const (
	defaultBeatsPerTimeout = 6
	minBeatsPerTimeout     = 3
)

// ErrLiveness is returned by NewNode for a NodeTimeout shorter than
// three HeartbeatIntervals.
var ErrLiveness = errors.New("cluster: NodeTimeout too short for HeartbeatInterval")
