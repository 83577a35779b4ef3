package engine

import (
	"bytes"
	"encoding/binary"
	"sync"
	"unsafe"

	"go.uber.org/zap"
)

// The owner's way to the member nodes. Everything a room owned here sends
// to members on another node (its broadcasts, and envelopes for one remote
// session) goes to that node's link, and the link's writer sends what has
// queued as one batch, one Cluster.PublishNode, to that node. So a room
// operation that answers a remote member and broadcasts twice (a move: the
// mover's ack, then "moved" and "state") costs one NATS message per member
// node, not three, and the member node needs no subscription per room:
// it receives every batch for it on one subject (ClusterHandler.Receive).
//
// A batch is a sequence of items, in the order the rooms queued them:
//
//	uvarint(len(room)) | room | uvarint(len(payload)) | payload
//
// where payload is what a room topic carried before batches: a broadcast
// as it is, or an envelope (clusterenvelope.go). One link per member node
// and one writer at a time per link keep each room's items in order, and
// the owner's one NATS connection keeps the batches in order.

// peerBatchBytes is the size past which the writer cuts a batch: far below
// NATS's default 1 MiB message limit, so that a batch of many small items
// always fits. An item larger than it travels alone.
const peerBatchBytes = 64 << 10

// peerBacklog bounds the bytes a link holds for its writer. A room that
// finds its link that full waits for the writer, as it waited for NATS
// when it published itself: the backlog is flow control, not a queue that
// grows with a slow connection.
const peerBacklog = 8 << 20

// peerLink queues a room's items for one member node.
type peerLink struct {
	c    Cluster
	node string
	log  *zap.Logger
	wg   *sync.WaitGroup // the engine's: Shutdown waits for the writer

	mu      sync.Mutex
	drained sync.Cond // signalled when the writer took the backlog
	buf     []byte    // queued items, not yet taken by the writer
	spare   []byte    // the writer's last batch, reused for the next
	writing bool      // a writer goroutine runs
}

func newPeerLink(c Cluster, node string, log *zap.Logger, wg *sync.WaitGroup) *peerLink {
	p := &peerLink{c: c, node: node, log: log, wg: wg}
	p.drained.L = &p.mu
	return p
}

// push queues one broadcast of room.
func (p *peerLink) push(room string, payload []byte) {
	p.mu.Lock()
	p.waitRoomLocked()
	p.buf = appendPeerItemHead(p.buf, room, len(payload))
	p.buf = append(p.buf, payload...)
	p.startLocked()
	p.mu.Unlock()
}

// pushEnvelope queues an envelope of room for session sid, encoded in
// place (appendEnvelope).
func (p *peerLink) pushEnvelope(room string, kind byte, sid string, body []byte) {
	p.mu.Lock()
	p.waitRoomLocked()
	p.buf = appendPeerItemHead(p.buf, room, 3+len(sid)+len(body))
	p.buf = appendEnvelope(p.buf, kind, sid, body)
	p.startLocked()
	p.mu.Unlock()
}

// waitRoomLocked waits while the backlog is full. p.mu is held.
func (p *peerLink) waitRoomLocked() {
	for len(p.buf) >= peerBacklog && p.writing {
		p.drained.Wait()
	}
}

// startLocked starts the writer unless one runs. p.mu is held.
func (p *peerLink) startLocked() {
	if p.writing {
		return
	}
	p.writing = true
	p.wg.Add(1)
	go p.write()
}

// write sends the queued items until none is left, then returns. It runs
// after the pushes that started it have returned, as soon as the
// scheduler gets to it, so the items a room queued in one operation
// usually leave together.
func (p *peerLink) write() {
	defer p.wg.Done()
	for {
		p.mu.Lock()
		if len(p.buf) == 0 {
			p.writing = false
			p.mu.Unlock()
			return
		}
		batch := p.buf
		p.buf, p.spare = p.spare[:0], nil
		p.drained.Broadcast()
		p.mu.Unlock()

		p.send(batch)

		p.mu.Lock()
		if cap(batch) <= peerBacklog {
			p.spare = batch[:0]
		}
		p.mu.Unlock()
	}
}

// send publishes batch, cut at item boundaries into pieces of at most
// peerBatchBytes (an item larger than that alone).
func (p *peerLink) send(batch []byte) {
	for len(batch) > 0 {
		n := 0
		for n < len(batch) {
			size, ok := peerItemSize(batch[n:])
			if !ok {
				p.log.Error("cluster: malformed batch item", zap.String("node", p.node))
				return
			}
			if n > 0 && n+size > peerBatchBytes {
				break
			}
			n += size
		}
		if err := p.c.PublishNode(p.node, batch[:n]); err != nil {
			p.log.Warn("cluster publish to a member node", zap.String("node", p.node), zap.Error(err))
		}
		batch = batch[n:]
	}
}

// appendPeerItemHead appends an item's header: room and the length of
// the payload that follows.
func appendPeerItemHead(dst []byte, room string, payloadLen int) []byte {
	dst = binary.AppendUvarint(dst, uint64(len(room)))
	dst = append(dst, room...)
	return binary.AppendUvarint(dst, uint64(payloadLen))
}

// peerItemSize returns the size of the item at the start of b.
func peerItemSize(b []byte) (int, bool) {
	_, _, rest, ok := nextPeerItem(b)
	return len(b) - len(rest), ok
}

// nextPeerItem splits the first item off b: its room (aliasing b) and
// payload, and what follows. ok is false when b does not start with a
// whole item.
func nextPeerItem(b []byte) (room, payload, rest []byte, ok bool) {
	n, k := binary.Uvarint(b)
	if k <= 0 || n > uint64(len(b)-k) {
		return nil, nil, nil, false
	}
	room, b = b[k:k+int(n)], b[k+int(n):]
	n, k = binary.Uvarint(b)
	if k <= 0 || n > uint64(len(b)-k) {
		return nil, nil, nil, false
	}
	return room, b[k : k+int(n)], b[k+int(n):], true
}

// receiveBatch hands each item of a batch from another node to this
// node's remote room it names; items of rooms this node has no session
// in any more are dropped. It runs on the cluster's one delivery
// goroutine for batches (ClusterHandler.Receive).
func (e *Engine) receiveBatch(batch []byte) {
	for len(batch) > 0 {
		room, payload, rest, ok := nextPeerItem(batch)
		if !ok {
			e.log.Warn("cluster: malformed batch from another node")
			return
		}
		batch = rest
		if len(room) == 0 {
			continue
		}
		// The map lookup does not keep the key: no copy of the room id.
		if rr, ok := e.remotes.load(unsafe.String(&room[0], len(room))); ok {
			// The sessions keep what they are handed until it is
			// written: a copy, not a slice of the whole batch.
			rr.deliver(bytes.Clone(payload))
		}
	}
}

// peerLinks are the owner's links, one per member node.
type peerLinks struct {
	c     Cluster
	log   *zap.Logger
	wg    *sync.WaitGroup
	links *shardedMap[*peerLink]
}

func newPeerLinks(c Cluster, log *zap.Logger, wg *sync.WaitGroup) *peerLinks {
	return &peerLinks{c: c, log: log, wg: wg, links: newShardedMap[*peerLink]()}
}

// peers returns the owner's links to the member nodes. Cluster nodes
// only.
func (e *Engine) peers() *peerLinks { return e.fanout.(*clusterFanout).peers }

// get returns the link to node, creating it.
func (l *peerLinks) get(node string) *peerLink {
	if p, ok := l.links.load(node); ok {
		return p
	}
	var p *peerLink
	l.links.update(node, func(m map[string]*peerLink) {
		if p = m[node]; p == nil {
			p = newPeerLink(l.c, node, l.log, l.wg)
			m[node] = p
		}
	})
	return p
}

// drop forgets the link to node, which is gone. A room still holding it
// queues to it in vain until its remote sessions there are gone too.
func (l *peerLinks) drop(node string) {
	l.links.update(node, func(m map[string]*peerLink) { delete(m, node) })
}
