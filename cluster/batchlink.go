package cluster

import (
	"context"
	"math/rand/v2"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go"
)

// Batch links. Every batch a node publishes to another (PublishNode)
// carries, in its header LinkHeader, the publishing node's name, the
// node's incarnation (a random number drawn when the Node is built) and
// the batch's number on the link to that destination: 1, 2, 3 and so on.
// The receiving node notes, for each sender, the incarnation and the last
// number it got, and when it last saw a number skipped: a batch lost, as NATS
// core drops messages that no subscription is there to take (a
// connection being replaced) or that a slow subscriber cannot hold.
//
// A membership check after a silence (Check) uses it: an owner answers
// with the number of the last batch it had published to the asking node
// when it answered, and the asking node holds what the owner holds only
// once it has received that batch with none lost on the way. A frame
// without a seq (a reply, a direct event, a typing signal) lost in a
// silence leaves no other trace.
//
// A node of an earlier version ignores the header; one that sends none
// refuses checks (forward.OpCheck), so memberships with it move.

// LinkHeader is the NATS header of a batch that names its link and
// number: "<node> <incarnation, hex> <number>".
const LinkHeader = "Parlor-Link"

// linkWaitTick is how often a check looks again for the batch its owner
// named (awaitBatch).
const linkWaitTick = 2 * time.Millisecond

// linkIdle is how long a link to or from a node this node does not watch
// is kept without a batch (Node.sweepLinks).
const linkIdle = time.Minute

// linksOut numbers the batches this node publishes, by destination node.
// Every publish looks its link up: mu is read-locked for it, and locked
// only to add or drop a link.
type linksOut struct {
	incarnation uint64
	mu          sync.RWMutex
	links       map[string]*linkOut
}

// linkOut is this node's link to one node: PublishNode holds mu across
// numbering and publishing a batch, so the numbers go out in order, and
// reuses msg, whose subject and header alias subject and value.
type linkOut struct {
	mu      sync.Mutex
	sent    uint64       // the number of the last batch, 0 for none; guarded by mu
	used    atomic.Int64 // when the last batch was numbered, Unix ns (read by sweep)
	msg     nats.Msg
	subject []byte
	value   []byte
	values  [1]string // msg.Header[LinkHeader]
}

func newLinksOut() *linksOut {
	return &linksOut{incarnation: rand.Uint64(), links: make(map[string]*linkOut)}
}

// link returns the link to node, made on first use. The map holds the
// links that sweep keeps.
func (l *linksOut) link(node string) *linkOut {
	l.mu.RLock()
	lo := l.links[node]
	l.mu.RUnlock()
	if lo != nil {
		return lo
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	lo = l.links[node]
	if lo == nil {
		lo = &linkOut{}
		lo.msg.Header = nats.Header{LinkHeader: lo.values[:]}
		l.links[node] = lo
	}
	return lo
}

// last returns the number of the last batch to node, 0 for none.
// It waits for a publish under way: every batch up to the number
// returned has been handed to the NATS connection, so that a message this
// node publishes next (the check's answer) follows them on the wire.
func (l *linksOut) last(node string) uint64 {
	l.mu.RLock()
	lo := l.links[node]
	l.mu.RUnlock()
	if lo == nil {
		return 0
	}
	lo.mu.Lock()
	defer lo.mu.Unlock()
	return lo.sent
}

// sweep drops the links to nodes keep does not keep that carried no
// batch since before.
func (l *linksOut) sweep(keep func(node string) bool, before time.Time) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for node, lo := range l.links {
		if !keep(node) && lo.used.Load() < before.UnixNano() {
			delete(l.links, node)
		}
	}
}

// appendLinkValue appends the LinkHeader value of batch number n from
// node of incarnation inc.
func appendLinkValue(b []byte, node string, inc, n uint64) []byte {
	b = append(append(b, node...), ' ')
	b = strconv.AppendUint(b, inc, 16)
	b = append(b, ' ')
	return strconv.AppendUint(b, n, 10)
}

// parseLinkValue parses a LinkHeader value.
func parseLinkValue(v string) (node string, inc, n uint64, ok bool) {
	node, rest, ok1 := strings.Cut(v, " ")
	incs, ns, ok2 := strings.Cut(rest, " ")
	if !ok1 || !ok2 || node == "" {
		return "", 0, 0, false
	}
	inc, err1 := strconv.ParseUint(incs, 16, 64)
	n, err2 := strconv.ParseUint(ns, 10, 64)
	if err1 != nil || err2 != nil || n == 0 {
		return "", 0, 0, false
	}
	return node, inc, n, true
}

// linkIn is what this node got of one sender's link.
type linkIn struct {
	incarnation uint64
	last        uint64    // the number of the last batch received
	lostAt      time.Time // when a skipped number was last seen; zero for never
	at          time.Time // when the last batch was received
}

// linksIn records the batches this node received, by sender. The map
// holds the links that sweep keeps.
type linksIn struct {
	mu    sync.Mutex
	links map[string]*linkIn
	gaps  uint64 // losses noted (engine.ClusterStats.BatchGaps)
}

func newLinksIn() *linksIn { return &linksIn{links: make(map[string]*linkIn)} }

// received notes a batch's LinkHeader value; a batch without one (a node
// of an earlier version) is not counted.
func (l *linksIn) received(v string) {
	node, inc, n, ok := parseLinkValue(v)
	if !ok {
		return
	}
	now := time.Now()
	l.mu.Lock()
	defer l.mu.Unlock()
	in := l.links[node]
	if in != nil {
		in.at = now
	}
	switch {
	case in == nil || in.incarnation != inc:
		// A new link (the sender, or this node, started again, or it
		// was forgotten): batches before n were lost, or went to an
		// earlier run of this node. Either way a check after a silence
		// that began before now does not hold across them.
		fresh := linkIn{incarnation: inc, last: n, at: now}
		if n != 1 {
			fresh.lostAt = now
			if in != nil {
				l.gaps++ // a known sender's new run: its first batches were lost
			}
		}
		if in == nil {
			l.links[node] = &fresh
		} else {
			*in = fresh
		}
	case n == in.last+1:
		in.last = n
	default:
		// Skipped, or back to an earlier number (the sender forgot the
		// link and numbers from 1 again): count it lost either way, and
		// go on from n.
		in.lostAt = now
		in.last = n
		l.gaps++
	}
}

// gapCount returns the losses noted so far.
func (l *linksIn) gapCount() uint64 {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.gaps
}

// sweep drops the links from nodes keep does not keep that carried no
// batch since before.
func (l *linksIn) sweep(keep func(node string) bool, before time.Time) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for node, in := range l.links {
		if !keep(node) && in.at.Before(before) {
			delete(l.links, node)
		}
	}
}

// state returns what this node has of node's link.
func (l *linksIn) state(node string) linkIn {
	l.mu.Lock()
	defer l.mu.Unlock()
	if in := l.links[node]; in != nil {
		return *in
	}
	return linkIn{}
}

// awaitBatch waits until batch n of node's link of incarnation inc has
// been received, and reports whether it was with no loss seen after
// since; it gives up when such a loss is seen or ctx ends. n == 0, the
// owner published nothing here, is met at once unless this node got
// batches of that incarnation: then the owner forgot the link (sweep),
// and what it sent before is not known to have arrived.
//
// drained, if not nil, reports whether every batch the connection had
// read when the answer came has been handed over (received). The owner's answer
// follows batch n on the wire (linksOut.last), so once the answer is in
// and the batches are drained, a batch n not received is lost: the wait
// ends then rather than with ctx. A wire that does not keep that order
// only ends a wait early, never holds.
func (l *linksIn) awaitBatch(ctx context.Context, node string, inc, n uint64, since time.Time, drained func() bool) bool {
	t := time.NewTicker(linkWaitTick)
	defer t.Stop()
	for {
		dry := drained != nil && drained() // before the state: what it saw is in it
		in := l.state(node)
		switch {
		case in.lostAt.After(since):
			return false
		case n == 0:
			return in.incarnation != inc || in.last == 0
		case in.incarnation == inc && in.last >= n:
			return true
		case dry:
			return false // batch n came before the answer, or never
		}
		select {
		case <-t.C:
		case <-ctx.Done():
			return false
		}
	}
}
