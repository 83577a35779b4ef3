package cluster

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/vmihailenco/msgpack/v5"
	"go.uber.org/zap"

	"github.com/parlorhq/parlor/cluster/forward"
	"github.com/parlorhq/parlor/cluster/internal/token"
	"github.com/parlorhq/parlor/codec"
	"github.com/parlorhq/parlor/engine"
)

// Room signals (parlor.sig.<room>): the node that runs a room and listens
// on it (engine.Engine.Listen, the user channel) subscribes to the room's
// signal subject while the room runs there. A post is a plain publish; an
// ask is a NATS request answered with a forward.Reply that holds only a
// code and a message. One node at a time runs a room, so an ask has one
// responder or none; none is engine.ErrNoListener at once.

// DefaultSignalSubjectPrefix starts the room signal subjects
// (parlor.sig.<room>).
const DefaultSignalSubjectPrefix = "parlor.sig"

func signalSubject(room string) string { return DefaultSignalSubjectPrefix + "." + token.For(room) }

// PostRoom implements engine.Cluster: it publishes payload to the node
// listening on room, if any.
func (n *Node) PostRoom(room string, payload []byte) error {
	if !n.nc.IsConnected() {
		return forward.ErrUnavailable
	}
	if err := n.nc.Publish(signalSubject(room), payload); err != nil {
		if errors.Is(err, nats.ErrMaxPayload) {
			return forward.ErrTooLarge // no retry makes it fit
		}
		return errors.Join(forward.ErrUnavailable, err)
	}
	return nil
}

// AskRoom implements engine.Cluster: a request to the node listening on
// room, bounded by ctx or, without a deadline, by
// NodeConfig.ForwardTimeout. When ctx ends first, its error is returned,
// as on one node; the ForwardTimeout's end is forward.ErrTimeout.
func (n *Node) AskRoom(ctx context.Context, room string, payload []byte) error {
	caller := ctx
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, n.forwardTimeout())
		defer cancel()
	}
	if !n.nc.IsConnected() {
		return forward.ErrUnavailable
	}
	msg, err := n.nc.RequestWithContext(ctx, signalSubject(room), payload)
	switch {
	case err == nil:
	case errors.Is(err, nats.ErrNoResponders):
		return engine.ErrNoListener
	case caller.Err() != nil:
		return caller.Err()
	case errors.Is(err, context.DeadlineExceeded), errors.Is(err, nats.ErrTimeout):
		return forward.ErrTimeout
	case errors.Is(err, context.Canceled):
		return err
	case errors.Is(err, nats.ErrMaxPayload):
		return forward.ErrTooLarge
	default:
		return errors.Join(forward.ErrUnavailable, err)
	}
	var r forward.Reply
	if len(msg.Data) == 0 || codec.UnmarshalData(msg.Data, &r) != nil {
		return forward.ErrBadReply
	}
	return r.Err()
}

// ListenRoom implements engine.Cluster.
func (n *Node) ListenRoom(room string, fn func(payload []byte, done func(error))) (func(), error) {
	sub, err := n.nc.Subscribe(signalSubject(room), func(m *nats.Msg) {
		fn(m.Data, n.signalResponder(m))
	})
	if err != nil {
		return nil, errors.Join(forward.ErrUnavailable, err)
	}
	if n.nc.IsConnected() {
		// The server knows the subscription before the room reads its
		// state, so nothing signalled after that read is missed. Should
		// the flush fail, the subscription still goes out with the
		// connection's next writes.
		_ = n.nc.FlushTimeout(n.forwardTimeout())
	}
	var once sync.Once
	return func() { once.Do(func() { _ = sub.Unsubscribe() }) }, nil
}

// signalResponder answers m once, if it is a request.
func (n *Node) signalResponder(m *nats.Msg) func(error) {
	var once sync.Once
	return func(err error) {
		once.Do(func() {
			if m.Reply == "" {
				return
			}
			r := &forward.Reply{}
			if err != nil {
				r = forward.ErrorReply(err)
			}
			data, merr := msgpack.Marshal(r)
			if merr == nil {
				merr = m.Respond(data)
			}
			if merr != nil {
				n.log.Warn("cluster: answer a room signal", zap.Error(merr))
			}
		})
	}
}

// forwardTimeout is NodeConfig.ForwardTimeout or its default.
func (n *Node) forwardTimeout() time.Duration {
	if n.cfg.ForwardTimeout > 0 {
		return n.cfg.ForwardTimeout
	}
	return forward.DefaultTimeout
}
