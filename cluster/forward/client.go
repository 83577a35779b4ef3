// Package forward carries a member's join, send and leave from the node
// its session is on to the node that owns the room, over NATS
// request/reply, and the owner's answer back.
//
// Requests go to the owner node's own subjects, SubjectPrefix + "." +
// node + "." + op (parlor.fwd.<node>.join, .send, .leave), not to a room
// subject: the member's node looks the owner up in the lease bucket, and
// the owner's [Handler] checks that it still holds the lease before it
// acts, answering codec.CodeUnavailable if it does not. Bodies are msgpack
// arrays ([Join], [Send], [Leave], [Reply]).
//
// The package is transport only: what a request does is the [Handler]'s
// business.
package forward

import (
	"context"
	"errors"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/vmihailenco/msgpack/v5"

	"github.com/parlorhq/parlor/codec"
)

// DefaultTimeout bounds a forwarded request whose context has no
// deadline.
const DefaultTimeout = 2 * time.Second

// ClientConfig tunes a [Client].
type ClientConfig struct {
	// SubjectPrefix starts the request subjects; every node must use the
	// same. Empty means DefaultSubjectPrefix.
	SubjectPrefix string
	// Timeout bounds a request whose context has no deadline. Zero means
	// DefaultTimeout.
	Timeout time.Duration
}

// Client sends forwarded requests to room owners.
type Client struct {
	nc    *nats.Conn
	cfg   ClientConfig
	async asyncSends
}

// NewClient returns a client on nc, which the caller keeps and closes.
func NewClient(nc *nats.Conn, cfg ClientConfig) *Client {
	if cfg.SubjectPrefix == "" {
		cfg.SubjectPrefix = DefaultSubjectPrefix
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = DefaultTimeout
	}
	return &Client{nc: nc, cfg: cfg}
}

// Join forwards j to node, the room's owner. A reply with a code comes back
// as both the reply and its error (see Reply.Err).
func (c *Client) Join(ctx context.Context, node string, j *Join) (*Reply, error) {
	return c.do(ctx, node, OpJoin, j)
}

// Send forwards s to node, the room's owner.
func (c *Client) Send(ctx context.Context, node string, s *Send) (*Reply, error) {
	return c.do(ctx, node, OpSend, s)
}

// Close ends the client's inbox of SendAsync: the sends that await their
// answer get ErrUnavailable, and later ones fail with it. The NATS
// connection stays open.
func (c *Client) Close() { c.async.close() }

// Leave forwards l to node, the room's owner.
func (c *Client) Leave(ctx context.Context, node string, l *Leave) (*Reply, error) {
	return c.do(ctx, node, OpLeave, l)
}

// Check asks node, the owner of the rooms c lists, which of those
// memberships it still holds. An owner of an earlier version refuses the
// request (codec.CodeBadRequest).
func (c *Client) Check(ctx context.Context, node string, ck *Check) (*CheckAnswer, error) {
	r, err := c.do(ctx, node, OpCheck, ck)
	if err != nil {
		return nil, err
	}
	var a CheckAnswer
	if err := codec.UnmarshalData(r.Data, &a); err != nil {
		return nil, ErrBadReply
	}
	return &a, nil
}

// do makes one request. Transport failures map to the unavailable
// errors of this package; the owner's refusals keep their own code.
func (c *Client) do(ctx context.Context, node string, op Op, body any) (*Reply, error) {
	if err := checkNode(node); err != nil {
		return nil, err
	}
	data, err := msgpack.Marshal(body)
	if err != nil {
		return nil, err
	}
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, c.cfg.Timeout)
		defer cancel()
	}
	if !c.nc.IsConnected() {
		return nil, ErrUnavailable
	}
	msg, err := c.nc.RequestWithContext(ctx, subject(c.cfg.SubjectPrefix, node, op), data)
	switch {
	case err == nil:
	case errors.Is(err, nats.ErrNoResponders):
		return nil, ErrNoResponder
	case errors.Is(err, context.DeadlineExceeded), errors.Is(err, nats.ErrTimeout):
		return nil, ErrTimeout
	case errors.Is(err, context.Canceled):
		return nil, err
	case errors.Is(err, nats.ErrMaxPayload):
		return nil, ErrTooLarge
	default:
		return nil, errors.Join(ErrUnavailable, err)
	}
	var r Reply
	if err := codec.UnmarshalData(msg.Data, &r); err != nil || len(msg.Data) == 0 {
		return nil, ErrBadReply
	}
	return &r, r.Err()
}
