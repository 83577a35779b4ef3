package lease

import (
	"time"

	"go.uber.org/zap"
)

// Defaults for [Config].
const (
	// DefaultBucket is the JetStream KV bucket that holds the leases.
	DefaultBucket = "parlor_leases"
	// DefaultTTL is how long a lease lives after its last write. A room
	// whose owner died is free again after at most this long.
	DefaultTTL = 2 * time.Second
	// DefaultReplicas is the bucket's replica count on a single server;
	// a JetStream cluster should use 3.
	DefaultReplicas = 1
	// DefaultOpTimeout bounds each KV request.
	DefaultOpTimeout = time.Second
)

// Config tunes a [Manager]. Every node of a cluster must use the same
// Bucket and TTL: the bucket is created, or updated, with this node's.
type Config struct {
	// Node names this node in the leases it holds. It must be set and be
	// unique per process: a node that starts again under the name of a
	// dead one takes that one's leases over at once (see Acquire).
	Node string
	// Bucket names the KV bucket. Empty means DefaultBucket.
	Bucket string
	// TTL is the lease lifetime after each write; the bucket's max age.
	// Zero means DefaultTTL.
	TTL time.Duration
	// RenewInterval is the age at which the manager renews a lease it
	// holds: RenewInterval after its last write, checked every quarter
	// of it, so a lease is rewritten at most 1.25 RenewInterval after its
	// last write, and a room that runs for less than RenewInterval is
	// never renewed. Zero means TTL/3. A negative value turns automatic
	// renewal off: the caller calls Lease.Renew itself. A lease marked
	// idle (Lease.SetIdle) is renewed later, once its deadline is
	// RenewInterval or TTL/3 away, whichever is more, but never before a
	// busy lease would be: at 2/3 of the TTL by default. Each pass renews
	// the leases due nearest deadline first.
	RenewInterval time.Duration
	// Replicas is the bucket's replica count. Zero means DefaultReplicas.
	Replicas int
	// OpTimeout bounds each KV request the manager makes on its own
	// (renewals). Zero means DefaultOpTimeout.
	OpTimeout time.Duration
	// OnLost, when set, is called once for each lease that is lost (not
	// released), after its Done channel is closed. It runs on the
	// goroutine that found the loss and must not block.
	OnLost func(l *Lease)
	// Logger receives lost leases and failed renewals. Nil means no
	// logging.
	Logger *zap.Logger
}

func (c Config) withDefaults() Config {
	if c.Bucket == "" {
		c.Bucket = DefaultBucket
	}
	if c.TTL <= 0 {
		c.TTL = DefaultTTL
	}
	if c.RenewInterval == 0 {
		c.RenewInterval = c.TTL / 3
	}
	if c.Replicas <= 0 {
		c.Replicas = DefaultReplicas
	}
	if c.OpTimeout <= 0 {
		c.OpTimeout = DefaultOpTimeout
	}
	if c.Logger == nil {
		c.Logger = zap.NewNop()
	}
	return c
}
