package cluster

import (
	"errors"
	"sync"
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

// batchSubjects holds the buffers PublishNode builds subjects in.
var batchSubjects = sync.Pool{New: func() any { b := make([]byte, 0, 64); return &b }}

// PublishNode implements engine.Cluster: batch goes to
// parlor.rooms.<node>, in order with this node's other publishes. It
// returns natsbroker.ErrUnavailable while NATS cannot be reached and
// natsbroker.ErrTooLarge for a batch over the server's limit.
func (n *Node) PublishNode(node string, batch []byte) error {
	if !token.Plain(node) {
		return ErrBadNodeName
	}
	if !n.nc.IsConnected() {
		return natsbroker.ErrUnavailable
	}
	// nats.go copies the subject before Publish returns: it may alias a
	// pooled buffer, so a publish allocates no subject.
	bp := batchSubjects.Get().(*[]byte)
	buf := append(append(append((*bp)[:0], DefaultRoomsSubjectPrefix...), '.'), node...)
	err := n.nc.Publish(unsafe.String(&buf[0], len(buf)), batch)
	*bp = buf
	batchSubjects.Put(bp)
	switch {
	case err == nil:
		return nil
	case errors.Is(err, nats.ErrMaxPayload):
		return natsbroker.ErrTooLarge
	default:
		return errors.Join(natsbroker.ErrUnavailable, err)
	}
}

// receiveBatches subscribes this node's rooms subject, handing each batch
// to h on the subscription's one goroutine, in arrival order.
func (n *Node) receiveBatches(h engine.ClusterHandler) (*nats.Subscription, error) {
	return n.nc.Subscribe(DefaultRoomsSubjectPrefix+"."+n.cfg.Name, func(m *nats.Msg) { h.Receive(m.Data) })
}
