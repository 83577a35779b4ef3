package cluster

import (
	"errors"
	"time"
	"unsafe"

	"github.com/nats-io/nats.go"

	"github.com/parlorhq/parlor/cluster/internal/token"
	"github.com/parlorhq/parlor/cluster/natsbroker"
	"github.com/parlorhq/parlor/engine"
)

// DefaultRoomsSubjectPrefix starts the subjects that carry the rooms'
// frames to a member node (parlor.rooms.<node>): the batches of
// engine.Cluster.PublishNode. Each node subscribes to its own subject
// once, whatever rooms it has members in.
const DefaultRoomsSubjectPrefix = "parlor.rooms"

// ErrBadNodeName: a batch was addressed to a node name that is not of the
// plain form (forward.ErrBadNode); no node can have it.
var ErrBadNodeName = errors.New("cluster: node name not usable in a subject")

// PublishNode implements engine.Cluster: batch goes to
// parlor.rooms.<node>, in order with this node's other publishes,
// numbered on this node's link to node (LinkHeader). It returns
// natsbroker.ErrUnavailable while NATS cannot be reached and
// natsbroker.ErrTooLarge for a batch over the server's limit. A batch
// not published keeps its number: the receiver sees it lost.
func (n *Node) PublishNode(node string, batch []byte) error {
	if !token.Plain(node) {
		return ErrBadNodeName
	}
	lo := n.out.link(node)
	lo.mu.Lock()
	lo.sent++
	num := lo.sent
	lo.used.Store(time.Now().UnixNano())
	if !n.nc.IsConnected() {
		lo.mu.Unlock()
		return natsbroker.ErrUnavailable
	}
	// nats.go copies the subject and the header before PublishMsg
	// returns: they alias the link's buffers, so a publish allocates
	// neither.
	lo.subject = append(append(append(lo.subject[:0], DefaultRoomsSubjectPrefix...), '.'), node...)
	lo.value = appendLinkValue(lo.value[:0], n.cfg.Name, n.out.incarnation, num)
	lo.values[0] = unsafe.String(&lo.value[0], len(lo.value))
	lo.msg.Subject = unsafe.String(&lo.subject[0], len(lo.subject))
	lo.msg.Data = batch
	err := n.nc.PublishMsg(&lo.msg)
	lo.msg.Data = nil
	lo.mu.Unlock()
	switch {
	case err == nil:
		n.published.Add(1)
		return nil
	case errors.Is(err, nats.ErrMaxPayload):
		return natsbroker.ErrTooLarge
	default:
		return errors.Join(natsbroker.ErrUnavailable, err)
	}
}

// receiveBatches subscribes this node's rooms subject, handing each batch
// to h on the subscription's one goroutine, in arrival order, and then
// noting its number (linksIn).
func (n *Node) receiveBatches(h engine.ClusterHandler) (*nats.Subscription, error) {
	return n.nc.Subscribe(DefaultRoomsSubjectPrefix+"."+n.cfg.Name, func(m *nats.Msg) {
		h.Receive(m.Data)
		n.in.received(m.Header.Get(LinkHeader))
		n.handled.Add(1)
	})
}
