package natsbroker

import (
	"context"
	"time"
)

// readyTimeout bounds Ready's round trip when ctx has no deadline of its
// own (nats.go's FlushWithContext needs one).
const readyTimeout = 2 * time.Second

// Ready implements engine.BrokerReadiness: it returns nil while the NATS
// connection is up and answers a round trip within ctx (or readyTimeout),
// and ErrUnavailable otherwise (closed, reconnecting, or the server not
// answering), so that engine.Ready and the /readyz probe report a node cut
// off from NATS.
func (b *Broker) Ready(ctx context.Context) error {
	if b.closed.Load() || !b.nc.IsConnected() {
		return ErrUnavailable
	}
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, readyTimeout)
		defer cancel()
	}
	if err := b.nc.FlushWithContext(ctx); err != nil {
		return ErrUnavailable
	}
	return nil
}
