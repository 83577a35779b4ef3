package engine

import (
	"encoding/binary"
	"time"

	"go.uber.org/zap"
)

// Presence on a cluster: each node evaluates a user's status from the
// user's sessions on that node (its view), as on a single node, and
// publishes its view on the user's topic whenever it changes. A node where
// somebody watches the user holds the user's topic and keeps the latest
// view of every other node; what its watchers see combines them with its
// own: online if any node says online, else away if any says away, else
// offline with the latest last-seen time; hidden if any node says hidden.
// A node that starts watching asks the others for their views. A node
// believed gone (Cluster.NodeGone) counts as offline from then on, with
// that moment as last seen. On the user topic:
//
//	userPresence    | len(node) | node | status | hidden | last seen (ms, 8 bytes)
//	userPresenceAsk | len(node) | node

const (
	userPresence byte = iota + 16
	userPresenceAsk
)

// nodeView is one node's view of a user's presence.
type nodeView struct {
	status   statusCode
	hidden   bool
	lastSeen int64 // Unix ms, for an offline status; 0 when unknown
	// hiddenAt is when hidden was last set on the node, Unix ms; 0 when
	// never (or from a node that does not stamp it).
	hiddenAt int64
}

// localView is this node's view of pe's user. pe.mu held.
func (pe *presenceEntry) localView() nodeView {
	v := nodeView{status: pe.status, hidden: pe.hidden, hiddenAt: pe.hiddenAt}
	if pe.status == codeOffline {
		v.lastSeen = pe.lastSeen()
	}
	return v
}

// combined is the user's status over every node this node knows of:
// its own view and the other nodes' latest. Hidden is the latest setting
// on any node (the greatest hiddenAt), so that a user hidden on one node
// and shown on another later is shown; settings stamped alike (views
// from nodes that do not stamp them) hide if any does. pe.mu held.
func (pe *presenceEntry) combined() nodeView {
	c := pe.localView()
	for _, v := range pe.remote {
		c.status = max(c.status, v.status)
		c.lastSeen = max(c.lastSeen, v.lastSeen)
		switch {
		case v.hiddenAt > c.hiddenAt:
			c.hidden, c.hiddenAt = v.hidden, v.hiddenAt
		case v.hiddenAt == c.hiddenAt:
			c.hidden = c.hidden || v.hidden
		}
	}
	if c.status != codeOffline {
		c.lastSeen = 0
	}
	return c
}

// publishView tells the other nodes this node's view of user.
func (p *presenceTracker) publishView(user string, v nodeView) {
	node := p.e.cluster.Node()
	b := make([]byte, 0, 2+len(node)+viewSize)
	b = append(b, userPresence, byte(len(node)))
	b = append(b, node...)
	hidden := byte(0)
	if v.hidden {
		hidden = 1
	}
	b = append(b, byte(v.status), hidden)
	b = binary.BigEndian.AppendUint64(b, uint64(v.lastSeen))
	if v.hiddenAt != 0 {
		// Without a setting here the view stays as nodes of an earlier
		// version read it.
		b = binary.BigEndian.AppendUint64(b, uint64(v.hiddenAt))
	}
	if err := p.e.cluster.PublishUser(user, b); err != nil {
		p.e.log.Debug("cluster presence publish", zap.String("user", user), zap.Error(err))
	}
}

// askViews asks the other nodes for their views of user; each node that
// has one publishes it.
func (p *presenceTracker) askViews(user string) {
	node := p.e.cluster.Node()
	b := append([]byte{userPresenceAsk, byte(len(node))}, node...)
	if err := p.e.cluster.PublishUser(user, b); err != nil {
		p.e.log.Debug("cluster presence ask", zap.String("user", user), zap.Error(err))
	}
}

// onPresenceMessage handles a presence message on user's topic. It runs
// on the topic's delivery goroutine and does not block.
func (p *presenceTracker) onPresenceMessage(user string, b []byte) {
	node, rest, ok := cutNodeHead(b)
	if !ok || node == "" || node == p.e.cluster.Node() {
		return
	}
	switch b[0] {
	case userPresenceAsk:
		p.answer(user)
	case userPresence:
		if len(rest) != viewSize && len(rest) != viewSizeUnstamped {
			return
		}
		if statusCode(rest[0]) > codeOnline {
			return
		}
		v := nodeView{status: statusCode(rest[0]), hidden: rest[1] == 1, lastSeen: int64(binary.BigEndian.Uint64(rest[2:]))}
		if len(rest) == viewSize {
			v.hiddenAt = int64(binary.BigEndian.Uint64(rest[10:]))
		}
		p.remoteView(user, node, v)
	}
}

// The size of a view after the node's name: status, hidden, last seen
// and hidden at; without hidden at from a node where the user's hidden
// status was never set, or from a node of an earlier version.
const (
	viewSize          = 18
	viewSizeUnstamped = 10
)

// answer publishes this node's view of user again, when it has one worth
// telling: sessions here, a status not yet offline, a last-seen time or a
// hidden status.
func (p *presenceTracker) answer(user string) {
	pe, ok := p.users.load(user)
	if !ok {
		return
	}
	p.publishSent(pe, false)
}

// publishSent publishes pe's view as last evaluated (pe.sent): always
// after a change, else only when it is worth telling. The publishes of
// one user's view run one at a time, each reading the view under the
// lock, so that the last to leave carries the latest: an answer that
// read an older view cannot go out after a newer one and leave it stale
// on the other nodes until its next change.
func (p *presenceTracker) publishSent(pe *presenceEntry, changed bool) {
	mu := &p.pubMu[shardIndex(pe.user, mapShards)]
	mu.Lock()
	defer mu.Unlock()
	pe.mu.Lock()
	v := pe.sent
	pe.mu.Unlock()
	if changed || v != (nodeView{}) {
		p.publishView(pe.user, v)
	}
}

// remoteView records node's view of user when somebody here watches the
// user, and evaluates the user's status again. A user hidden here whom
// node hid or showed later takes node's setting: a hidden status is held
// by the nodes of its latest setting only, so that one shown later
// elsewhere does not come back from a node that hid it before (answer).
func (p *presenceTracker) remoteView(user, node string, v nodeView) {
	pe, ok := p.users.load(user)
	if !ok {
		return
	}
	pe.mu.Lock()
	keep := !pe.dead && len(pe.watchers) > 0
	if keep {
		if pe.remote == nil {
			pe.remote = make(map[string]nodeView)
		}
		pe.remote[node] = v
	}
	superseded := !pe.dead && pe.hidden && v.hiddenAt > pe.hiddenAt
	if superseded {
		pe.hidden, pe.hiddenAt = v.hidden, v.hiddenAt
	}
	pe.mu.Unlock()
	if keep {
		p.watchNode(node)
	}
	if superseded {
		p.holdWhileHidden(pe)
	}
	if keep || superseded {
		p.schedule(pe)
	}
}

// holdWhileHidden holds pe's user topic while the user is hidden here,
// on a cluster, and lets it go once they are not: a node that hid a
// user then hears it when another node hides or shows them later
// (remoteView). Subscribing waits for NATS, so it runs on a goroutine of
// its own, off the room and delivery goroutines that change the setting.
// It reads the entry's state under the hold's lock, so that settings
// that cross leave the hold as the latest says.
func (p *presenceTracker) holdWhileHidden(pe *presenceEntry) {
	if p.e.cluster == nil || p.e.shutting.Load() {
		return
	}
	p.e.wg.Add(1)
	go func() {
		defer p.e.wg.Done()
		p.syncHiddenSub(pe.user)
	}()
}

// syncHiddenSub takes or lets go of the hold of holdWhileHidden, as the
// user's current entry says: an entry dropped since, and one created
// after it, may each have asked for a sync.
func (p *presenceTracker) syncHiddenSub(user string) {
	p.hiddenSubs.update(user, func(m map[string]*userSub) {
		want := false
		if pe, ok := p.users.load(user); ok {
			pe.mu.Lock()
			want = pe.hidden && !pe.dead
			pe.mu.Unlock()
		}
		us, held := m[user]
		switch {
		case want && !held:
			if us = p.e.holdUserSub(user); us != nil {
				m[user] = us
			}
		case !want && held:
			delete(m, user)
			p.e.releaseUserSub(us)
		}
	})
}

// watchNode makes sure that node's views turn offline when it is gone.
func (p *presenceTracker) watchNode(node string) {
	fresh := false
	p.nodes.update(node, func(m map[string]struct{}) {
		if _, ok := m[node]; !ok {
			m[node] = struct{}{}
			fresh = true
		}
	})
	if !fresh || p.e.shutting.Load() {
		return
	}
	gone := p.e.cluster.NodeGone(node)
	p.e.wg.Add(1)
	go func() {
		defer p.e.wg.Done()
		select {
		case <-gone:
		case <-p.e.ctx.Done():
			return
		}
		p.nodes.update(node, func(m map[string]struct{}) { delete(m, node) })
		p.nodeGone(node, p.clock.Now())
	}()
}

// resync runs when this node is heard again after a silence that the
// other nodes may have taken for its death (Engine.resurfaced): they
// then count its views offline, and it may have missed their changes.
// So it publishes again every view of its own worth telling (answer),
// and asks the others for theirs of every user watched here.
func (p *presenceTracker) resync() {
	for _, pe := range p.users.values() {
		pe.mu.Lock()
		dead, watched := pe.dead, len(pe.watchers) > 0
		pe.mu.Unlock()
		if dead {
			continue
		}
		p.publishSent(pe, false)
		if watched {
			p.askViews(pe.user)
		}
	}
}

// nodeGone turns node's views offline, last seen at, and evaluates the
// users it was a view of.
func (p *presenceTracker) nodeGone(node string, at time.Time) {
	for _, pe := range p.users.values() {
		pe.mu.Lock()
		v, ok := pe.remote[node]
		if ok && (v.status != codeOffline || v.hidden) {
			if v.status != codeOffline {
				v.status, v.lastSeen = codeOffline, at.UnixMilli()
			}
			// A hidden status lasts as long as the process that holds
			// it, as on one node: it ends with the node.
			v.hidden = false
			pe.remote[node] = v
		}
		pe.mu.Unlock()
		if ok {
			p.schedule(pe)
		}
	}
}
