package engine

import (
	"maps"
	"sync"

	"github.com/parlorhq/parlor/codec"
)

// A node cut off from the other nodes (NATS down) cannot tell who owns a
// room, and its rooms stop as their leases end. Closing their sessions
// then would only make the clients reconnect to rejoins that cannot
// succeed before the cluster is back. So while the node is cut off, a
// session whose room stopped, or whose send to a remote room could not go
// out, stays open: its sends to that room are answered ErrClusterDown at
// once, never applied. When the node is connected again, those rooms
// moved for those sessions (moved): their rooms may have moved meanwhile
// in ways the node cannot tell, and their clients join them again where
// they run next.

// ErrClusterDown: this node is cut off from the other nodes of its
// cluster, so the room cannot be served for now. Nothing was applied;
// retry once the cluster is back.
var ErrClusterDown = &codec.Error{Code: codec.CodeUnavailable, Message: "engine: cut off from the cluster, try again"}

// stalledRooms are the rooms that sessions of this node were in and that
// cannot be served until the node is connected again, by session, each
// with the number of the stall that noted it.
type stalledRooms struct {
	mu      sync.Mutex
	m       map[*session]map[string]uint64
	n       uint64 // stalls noted so far
	waiting bool   // a resumeStalled goroutine waits for the cluster
}

// clusterUp reports whether this node is connected to the cluster now.
func (e *Engine) clusterUp() bool {
	select {
	case <-e.cluster.Connected():
		return true
	default:
		return false
	}
}

// stall notes that s's room id cannot be served until this node is
// connected again, and makes sure s is then told the room moved.
func (e *Engine) stall(s *session, id string) {
	st := &e.stalled
	st.mu.Lock()
	if st.m == nil {
		st.m = make(map[*session]map[string]uint64)
	}
	rooms := st.m[s]
	if rooms == nil {
		rooms = make(map[string]uint64)
		st.m[s] = rooms
	}
	st.n++
	rooms[id] = st.n
	start := !st.waiting
	st.waiting = true
	st.mu.Unlock()
	if start {
		e.wg.Add(1)
		go e.resumeStalled()
	}
}

// resumeStalled waits until this node is connected again, then tells the
// stalled sessions that their stalled rooms moved: a session whose client
// rejoins rooms in place gets them back one by one (resumeRoom), any
// other is closed with CloseRoomMoved. A session's rooms stay noted
// until it has been told, so that its sends to them are answered
// ErrClusterDown until then, never ErrNotJoined ahead of its left frame.
func (e *Engine) resumeStalled() {
	defer e.wg.Done()
	select {
	case <-e.cluster.Connected():
	case <-e.ctx.Done():
	}
	st := &e.stalled
	st.mu.Lock()
	st.waiting = false
	stalled := make(map[*session]map[string]uint64, len(st.m))
	for s, rooms := range st.m {
		stalled[s] = maps.Clone(rooms)
	}
	st.mu.Unlock()
	if e.ctx.Err() != nil {
		return // shutting down: every session is closed anyway
	}
	for s, rooms := range stalled {
		if s.movesInPlace() {
			for id := range rooms {
				s.resumeRoom(id)
			}
		} else {
			s.closeAfterFlush(CloseRoomMoved, "cluster back: room moved or unknown")
		}
		st.mu.Lock()
		if now := st.m[s]; now != nil {
			for id, n := range rooms {
				if now[id] == n { // not stalled again since
					delete(now, id)
				}
			}
			if len(now) == 0 {
				delete(st.m, s)
			}
		}
		st.mu.Unlock()
	}
}

// resumeRoom tells s, whose client rejoins rooms in place, that room id,
// which stalled while this node was cut off, moved. If s still holds its
// membership there (its send could not go out), the owner may have lost
// the room or this node may have missed its broadcasts: it leaves as
// after a gap (leaveForGap), so that the owner lets go of the membership
// before the rejoin. If it holds none, it is told at once, unless it is
// in a room of that id on this node again.
func (s *session) resumeRoom(id string) {
	s.roomsMu.Lock()
	h := s.remote[id]
	here := s.roomIndex(id) >= 0
	s.roomsMu.Unlock()
	switch {
	case h != nil:
		s.leaveForGap(h.rr)
	case !here:
		s.moved(id, "cluster back: room moved or unknown")
	}
}

// notJoinedErr is the error for a send to id, a room s is not in:
// ErrClusterDown if the room stalled while this node is cut off,
// ErrNotJoined otherwise.
func (s *session) notJoinedErr(id string) error {
	if s.e.cluster == nil {
		return ErrNotJoined
	}
	st := &s.e.stalled
	st.mu.Lock()
	_, stalled := st.m[s][id]
	st.mu.Unlock()
	if stalled {
		return ErrClusterDown
	}
	return ErrNotJoined
}

// unstall forgets s, which closed.
func (e *Engine) unstall(s *session) {
	st := &e.stalled
	st.mu.Lock()
	delete(st.m, s)
	st.mu.Unlock()
}

// watchResurfaced waits for this node to be heard again after a silence
// that the other nodes may have taken for its death (Cluster.Resurfaced),
// and moves its sessions' remote rooms each time (resurfaced), until the
// engine stops.
func (e *Engine) watchResurfaced() {
	defer e.wg.Done()
	for {
		select {
		case <-e.cluster.Resurfaced():
		case <-e.ctx.Done():
			return
		}
		e.resurfaced()
	}
}

// resurfaced runs when this node is heard again after a silence long
// enough for the other nodes to have believed it gone. Those nodes then
// took its sessions out of their rooms (as disconnected), and the left
// envelopes that said so went to a node that could not get them: a
// session that still counts itself in a room owned elsewhere may never
// get another event of it. So every such membership ends. A session whose
// client rejoins rooms in place leaves each of those rooms on its owner
// (leaveForGap: an owner that dropped the membership refuses the leave,
// one that kept it takes it, and the client is told the room moved either
// way); those rooms are not stalled any more. Any other session in such
// a room is closed with CloseRoomMoved.
func (e *Engine) resurfaced() {
	for _, s := range e.sessions.values() {
		s.roomsMu.Lock()
		var rooms []*remoteRoom
		for _, h := range s.remote {
			rooms = append(rooms, h.rr)
		}
		s.roomsMu.Unlock()
		if len(rooms) == 0 {
			continue
		}
		if !s.movesInPlace() {
			s.closeAfterFlush(CloseRoomMoved, "node heard again after a silence: rooms moved or unknown")
			continue
		}
		e.stalled.forget(s, rooms)
		for _, rr := range rooms {
			s.leaveForGap(rr)
		}
	}
}

// forget takes rooms out of s's stalled rooms: s is told about them now.
func (st *stalledRooms) forget(s *session, rooms []*remoteRoom) {
	st.mu.Lock()
	defer st.mu.Unlock()
	stalled := st.m[s]
	for _, rr := range rooms {
		delete(stalled, rr.id)
	}
	if stalled != nil && len(stalled) == 0 {
		delete(st.m, s)
	}
}
