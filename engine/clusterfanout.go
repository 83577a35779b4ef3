package engine

import (
	"slices"
	"sync"
	"sync/atomic"

	"github.com/parlorhq/parlor/room"
)

// clusterFanout is the rooms' room.Fanout on a cluster node. A room runs
// only on its owner, so its broadcasts reach this node's sessions directly,
// in the same call as the room's unicast frames, and reach each other node
// that has a member attached through that node's link (clusterpeer.go),
// only while it has one. Remote sessions (*remoteSession) are not attached
// here: attaching one queues an envAttach envelope to its node, whose
// sessions get the broadcasts from then on.
//
// A room's sessions are attached while they are members, so a room with
// nothing attached has no members: idle, it stops after its idle TTL
// unless somebody joins. The fanout tells idle (roomIdle) when a room's
// last session is detached and when a session is attached to a room with
// none.
type clusterFanout struct {
	peers *peerLinks
	rooms *shardedMap[*ownedRoom]
	idle  func(roomID string, idle bool)
}

// ownedRoom is who gets one owned room's broadcasts: the sessions of this
// node and the links to the nodes with remote sessions attached, both read
// without locking.
type ownedRoom struct {
	mu     sync.Mutex
	local  atomic.Pointer[[]room.Session]
	links  atomic.Pointer[[]*peerLink]
	remote map[string]int // attached remote sessions by node; mu
}

func newClusterFanout(peers *peerLinks, idle func(roomID string, idle bool)) *clusterFanout {
	return &clusterFanout{peers: peers, rooms: newShardedMap[*ownedRoom](), idle: idle}
}

// Attach implements room.Fanout. A remote session's envAttach envelope is
// queued once the room map's shard and the room's entry are unlocked:
// queueing waits while its link's backlog is full, and that wait must not
// hold up the other rooms of the shard. It is still queued before any
// broadcast the session should get, since Attach and the room's
// broadcasts both run on the room's goroutine.
func (f *clusterFanout) Attach(roomID string, s room.Session) {
	first := false
	var attached *remoteSession
	f.rooms.update(roomID, func(m map[string]*ownedRoom) {
		or := m[roomID]
		if or == nil {
			or = &ownedRoom{}
			m[roomID] = or
			first = true
		}
		or.mu.Lock()
		defer or.mu.Unlock()
		if rs, ok := s.(*remoteSession); ok {
			if or.remote == nil {
				or.remote = make(map[string]int)
			}
			or.remote[rs.node]++
			if or.remote[rs.node] == 1 || !or.hasLinkLocked(rs.link) {
				// A node's first session, or one that came with a new
				// link to its node (the old one was dropped when the
				// node was thought gone, while its sessions here were
				// still counted): broadcasts follow the session's
				// envelopes on its link, in one order.
				or.relinkLocked(f.peers)
			}
			attached = rs
			return
		}
		var next []room.Session
		if p := or.local.Load(); p != nil {
			next = slices.Clone(*p)
		}
		next = append(next, s)
		or.local.Store(&next)
	})
	if attached != nil {
		attached.publish(envAttach, nil)
	}
	if first {
		f.idle(roomID, false)
	}
}

// Detach implements room.Fanout. A remote session's envLeft envelope
// follows from its RoomLeft.
func (f *clusterFanout) Detach(roomID string, s room.Session) {
	last := false
	f.rooms.update(roomID, func(m map[string]*ownedRoom) {
		or := m[roomID]
		if or == nil {
			return
		}
		or.mu.Lock()
		defer or.mu.Unlock()
		if rs, ok := s.(*remoteSession); ok {
			if or.remote[rs.node] > 0 {
				or.remote[rs.node]--
				if or.remote[rs.node] == 0 {
					delete(or.remote, rs.node)
					or.relinkLocked(f.peers)
				}
			}
		} else if p := or.local.Load(); p != nil {
			if i := slices.Index(*p, s); i >= 0 {
				next := slices.Delete(slices.Clone(*p), i, i+1)
				or.local.Store(&next)
			}
		}
		if p := or.local.Load(); (p == nil || len(*p) == 0) && len(or.remote) == 0 {
			delete(m, roomID)
			last = true
		}
	})
	if last {
		f.idle(roomID, true)
	}
}

// relinkLocked rebuilds the links from the nodes with remote sessions
// attached. or.mu is held.
func (or *ownedRoom) relinkLocked(peers *peerLinks) {
	links := make([]*peerLink, 0, len(or.remote))
	for node := range or.remote {
		links = append(links, peers.get(node))
	}
	or.links.Store(&links)
}

// hasLinkLocked reports whether the room's broadcasts go on link. or.mu
// is held.
func (or *ownedRoom) hasLinkLocked(link *peerLink) bool {
	p := or.links.Load()
	return p != nil && slices.Contains(*p, link)
}

// Publish implements room.Fanout.
func (f *clusterFanout) Publish(roomID string, frames []byte) {
	or, ok := f.rooms.load(roomID)
	if !ok {
		return
	}
	if p := or.local.Load(); p != nil {
		for _, s := range *p {
			s.Deliver(frames)
		}
	}
	if p := or.links.Load(); p != nil {
		for _, l := range *p {
			l.push(roomID, frames)
		}
	}
}
