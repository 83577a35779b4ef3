package cluster

import (
	"context"
	"errors"
	"time"

	"github.com/nats-io/nats.go"
	"go.uber.org/zap"

	"github.com/parlorhq/parlor/cluster/lease"
)

// Starting a node on a JetStream cluster that is still electing its
// leaders: the bucket is opened again until it works or the caller's
// context ends.
const (
	// startAttemptTimeout bounds one attempt to open the lease bucket, so
	// that a request lost during an election does not use up the
	// caller's whole context.
	startAttemptTimeout = 2 * time.Second
	// startRetryMin and startRetryMax bound the pause between attempts,
	// which doubles from the first to the second.
	startRetryMin = 50 * time.Millisecond
	startRetryMax = time.Second
)

// openLeases opens the node's lease manager, retrying the failures of an
// unavailable JetStream (lease.ErrUnavailable) until ctx ends.
func openLeases(ctx context.Context, nc *nats.Conn, cfg NodeConfig, log *zap.Logger) (*lease.Manager, error) {
	lcfg := lease.Config{
		Node: cfg.Name, Bucket: cfg.LeaseBucket, TTL: cfg.LeaseTTL, Replicas: cfg.LeaseReplicas, Logger: cfg.Logger,
	}
	pause := startRetryMin
	for attempt := 1; ; attempt++ {
		actx, cancel := context.WithTimeout(ctx, startAttemptTimeout)
		lm, err := lease.NewManager(actx, nc, lcfg)
		cancel()
		if err == nil {
			if attempt > 1 {
				log.Info("lease bucket open", zap.Int("attempts", attempt))
			}
			return lm, nil
		}
		if !errors.Is(err, lease.ErrUnavailable) || ctx.Err() != nil {
			return nil, err
		}
		log.Warn("lease bucket not available yet, trying again",
			zap.Int("attempt", attempt), zap.Duration("pause", pause), zap.Error(err))
		t := time.NewTimer(pause)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil, err
		case <-t.C:
		}
		pause = min(2*pause, startRetryMax)
	}
}
