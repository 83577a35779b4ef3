package cluster

import (
	"context"
	"strings"
	"time"

	"github.com/nats-io/nats.go"
)

// Heartbeats: every node publishes on parlor.node.<node> each
// HeartbeatInterval, and "bye" when it closes. A node watches the nodes
// whose rooms its sessions are in (NodeGone); one it has not heard from for
// NodeTimeout while its own connection was up, or that said bye, is gone.

const byeMessage = "bye"

func (n *Node) heartbeatSubject() string { return DefaultNodeSubjectPrefix + "." + n.cfg.Name }

// heartbeat publishes this node's heartbeats and checks the watched nodes.
func (n *Node) heartbeat() {
	defer close(n.done)
	t := time.NewTicker(n.cfg.HeartbeatInterval)
	defer t.Stop()
	wasUp := true
	for {
		select {
		case <-n.stop:
			return
		case <-t.C:
		}
		up := n.nc.IsConnected()
		if up {
			_ = n.nc.Publish(n.heartbeatSubject(), nil)
		}
		n.check(up, wasUp)
		wasUp = up
	}
}

// beat notes that this node's own heartbeat came back from NATS at now:
// it went out to the others. If the one before it (or the node's start,
// before the first) came back longer ago than silenceLimit, the other
// nodes may have believed this node gone meanwhile: Resurfaced's channel
// is closed. The heartbeats that come back measure what the others heard,
// where a publish that succeeds may still be lost: on a connection that
// died without a word, the client notices only at its next ping. n.mu is
// held.
func (n *Node) beat(now time.Time) {
	if now.Sub(n.lastBeat) >= n.silenceLimit() {
		n.log.Sugar().Infof("heard again after %v of silence: other nodes may have believed this node gone", now.Sub(n.lastBeat).Round(time.Millisecond))
		if n.resurfacedAt.IsZero() || now.Sub(n.resurfacedAt) > silenceSpan {
			n.silenceFrom = n.lastBeat.Add(-n.cfg.HeartbeatInterval)
		}
		n.resurfacedAt = now
		n.silences.Add(1)
		close(n.resurfaced)
		n.resurfaced = make(chan struct{})
	}
	n.lastBeat = now
	n.heardSelf = true
}

// silenceSpan is how soon after a silence ends another one counts as
// part of it (SilenceStart): a loss seen between the two is not passed
// over by the checks after the second even if the engine reads
// SilenceStart late.
const silenceSpan = time.Minute

// silenceLimit is the longest gap between two heartbeats of this node
// that no other node can have taken for its death. Another node believes
// it gone after NodeTimeout without a heartbeat, counted from the last it
// got, which may be the one before the last published (lost with the
// connection); so the limit leaves two intervals of margin, and is at
// least two intervals. It assumes every node of the cluster has the same
// NodeTimeout.
func (n *Node) silenceLimit() time.Duration {
	limit := n.cfg.NodeTimeout - 2*n.cfg.HeartbeatInterval
	return max(limit, 2*n.cfg.HeartbeatInterval)
}

// Resurfaced implements engine.Cluster: the channel is closed when a
// heartbeat of this node comes back from NATS after a silence other nodes
// may have taken for its death (beat). It needs the connection to get its
// own messages back, nats.go's default: on a connection made with
// nats.NoEcho the channel is never closed.
func (n *Node) Resurfaced() <-chan struct{} {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.resurfaced
}

// check declares gone the watched nodes silent for NodeTimeout. While this
// node is cut off from NATS it hears nobody and judges nobody; when it is
// back, every watched node gets a fresh NodeTimeout. A node that has not
// heard its own heartbeats for silenceLimit though connected is deaf (its
// reads stall: a starved process, a backlog on its connection, a pause
// it wakes from before its read loop does): it judges nobody either, for
// the others' silence may be its own, and every watched node gets a fresh
// NodeTimeout until it hears itself again.
func (n *Node) check(up, wasUp bool) {
	now := time.Now()
	n.mu.Lock()
	defer n.mu.Unlock()
	deaf := n.heardSelf && now.Sub(n.lastBeat) >= n.silenceLimit()
	for name, p := range n.peers {
		switch {
		case !up:
		case !wasUp, deaf:
			p.seen = now
		case now.Sub(p.seen) > n.cfg.NodeTimeout:
			n.log.Sugar().Infof("node %s silent for %v: gone", name, now.Sub(p.seen).Round(time.Millisecond))
			n.gone.Add(1)
			close(p.gone)
			delete(n.peers, name)
		}
	}
	n.sweepLinks(now)
}

// sweepLinks drops the batch links to and from nodes this node does not
// watch and that have carried no batch for linkIdle: nodes gone, most
// likely. A link dropped this way that carries a batch again counts as
// a loss on its receiver's side (numbered from 1, or first heard past 1),
// which only moves memberships a check would otherwise have held. n.mu
// is held.
func (n *Node) sweepLinks(now time.Time) {
	watched := func(node string) bool { return n.peers[node] != nil }
	n.out.sweep(watched, now.Add(-linkIdle))
	n.in.sweep(watched, now.Add(-linkIdle))
}

// heard handles a heartbeat or a bye, this node's own among them.
func (n *Node) heard(m *nats.Msg) {
	name := strings.TrimPrefix(m.Subject, DefaultNodeSubjectPrefix+".")
	n.mu.Lock()
	defer n.mu.Unlock()
	if name == n.cfg.Name {
		if string(m.Data) != byeMessage {
			n.beat(time.Now())
		}
		return
	}
	p := n.peers[name]
	if p == nil {
		return
	}
	if string(m.Data) == byeMessage {
		n.gone.Add(1)
		close(p.gone)
		delete(n.peers, name)
		return
	}
	p.seen = time.Now()
}

// NodeGone implements engine.Cluster: the channel is closed once node
// said bye or stayed silent for NodeTimeout.
func (n *Node) NodeGone(node string) <-chan struct{} {
	n.mu.Lock()
	defer n.mu.Unlock()
	p := n.peers[node]
	if p == nil {
		p = &peer{seen: time.Now(), gone: make(chan struct{})}
		n.peers[node] = p
	}
	return p.gone
}

// connectedNow is the channel Connected returns while the node is
// connected: closed once and for all.
var connectedNow = func() chan struct{} {
	c := make(chan struct{})
	close(c)
	return c
}()

// leaseCheckAge is how long the lease bucket may go without answering
// this node (a renewal, an acquisition) before the heartbeat asks it
// (lease.Manager.Check), so that a node holding no lease notices within
// about a second that its cluster cannot give rooms owners.
const leaseCheckAge = time.Second

// watchLeases runs beside the heartbeat, each HeartbeatInterval while
// the NATS connection is up: it asks the lease bucket whether it answers
// when it has been silent for leaseCheckAge or failed last (each Check
// bounded by the lease manager's OpTimeout, so that the heartbeats never
// wait for it), and wakes the Connected waiters once the node is
// connected again.
func (n *Node) watchLeases() {
	defer close(n.leaseDone)
	t := time.NewTicker(n.cfg.HeartbeatInterval)
	defer t.Stop()
	for {
		select {
		case <-n.stop:
			return
		case <-t.C:
		}
		if !n.nc.IsConnected() {
			continue
		}
		if !n.leases.Reachable() || time.Since(n.leases.LastReached()) > leaseCheckAge {
			if n.leases.Check(context.Background()) != nil {
				continue
			}
		}
		n.mu.Lock()
		if n.upWait != nil {
			close(n.upWait)
			n.upWait = nil
		}
		n.mu.Unlock()
	}
}

// Connected implements engine.Cluster: the node is connected while its
// NATS connection is up and the lease bucket answers (a JetStream cluster
// without its quorum takes no lease). The channel is closed at once while
// it is, else within about a HeartbeatInterval of its return.
func (n *Node) Connected() <-chan struct{} {
	if n.nc.IsConnected() && n.leases.Reachable() {
		return connectedNow
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.upWait == nil {
		n.upWait = make(chan struct{})
	}
	return n.upWait
}
