package engine

import (
	"maps"
	"sync"
	"time"

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
// cannot be served until the node is connected again, by session and
// room id.
type stalledRooms struct {
	mu      sync.Mutex
	m       map[*session]map[string]stalledRoom
	n       uint64 // stalls noted so far
	waiting bool   // a resumeStalled goroutine waits for the cluster
}

// stalledRoom is one room of a session that stalled.
type stalledRoom struct {
	n uint64 // the number of the stall that noted it
	// h is the membership whose send could not go out, nil for a room
	// that stopped (the session is out of it).
	h *remoteHandle
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
// connected again, and makes sure s is then told the room moved. h is
// s's membership of the room when it holds one still (its send could
// not go out), else nil.
func (e *Engine) stall(s *session, id string, h *remoteHandle) {
	st := &e.stalled
	st.mu.Lock()
	if st.m == nil {
		st.m = make(map[*session]map[string]stalledRoom)
	}
	rooms := st.m[s]
	if rooms == nil {
		rooms = make(map[string]stalledRoom)
		st.m[s] = rooms
	}
	st.n++
	rooms[id] = stalledRoom{n: st.n, h: h}
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
	stalled := make(map[*session]map[string]stalledRoom, len(st.m))
	for s, rooms := range st.m {
		stalled[s] = maps.Clone(rooms)
	}
	st.mu.Unlock()
	for s, rooms := range stalled {
		if e.ctx.Err() != nil || e.shutting.Load() {
			return // shutting down: every session is closed anyway
		}
		if s.movesInPlace() {
			for id, r := range rooms {
				s.resumeRoom(id, r.h)
			}
		} else {
			s.closeAfterFlush(CloseRoomMoved, "cluster back: room moved or unknown")
		}
		st.mu.Lock()
		if now := st.m[s]; now != nil {
			for id, r := range rooms {
				if now[id].n == r.n { // not stalled again since
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
// which stalled while this node was cut off, moved. If s held its
// membership h there still (its send could not go out), the owner may
// have lost the room or this node may have missed its broadcasts: it
// leaves as after a gap (leaveForGap), so that the owner lets go of the
// membership before the rejoin, unless h ended meanwhile (the client was
// told then). If it held none, it is told at once, unless it is in the
// room again, or joining it.
func (s *session) resumeRoom(id string, h *remoteHandle) {
	if h != nil {
		s.leaveForGap(h.rr, h)
		return
	}
	if !s.inRoom(id) {
		s.moved(id, "cluster back: room moved or unknown")
	}
}

// inRoom reports whether s is in the room id, on this node or another,
// or joining it on another.
func (s *session) inRoom(id string) bool {
	s.roomsMu.Lock()
	in := s.roomIndex(id) >= 0 || s.remote[id] != nil
	s.roomsMu.Unlock()
	if in || s.e.remotes == nil {
		return in
	}
	rr, ok := s.e.remotes.load(id)
	if !ok {
		return false
	}
	rr.mu.Lock()
	defer rr.mu.Unlock()
	return rr.members[s.id] == s
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
// engine stops. It takes the next signal's channel before it acts on one,
// so that a silence that ends while it acts is not missed.
func (e *Engine) watchResurfaced() {
	defer e.wg.Done()
	next := e.cluster.Resurfaced()
	for {
		select {
		case <-next:
		case <-e.ctx.Done():
			return
		}
		next = e.cluster.Resurfaced()
		var since time.Time
		if c, ok := e.cluster.(ClusterChecker); ok {
			since = c.SilenceStart()
		}
		e.resurfaced(since)
	}
}

// resurfaced runs when this node is heard again after a silence long
// enough for the other nodes to have believed it gone. Those nodes may
// then have taken its sessions out of their rooms (as disconnected), and
// the left envelopes that said so went to a node that could not get them:
// a session that still counts itself in a room owned elsewhere may never
// get another event of it. So the owners are asked which memberships they
// still hold, and every other one ends (checkOwners); since is when the
// silence began. The other nodes may also have counted this node's
// presence views offline, and this node missed their changes: presence
// is shared again (presenceTracker.resync).
func (e *Engine) resurfaced(since time.Time) {
	e.presence.resync()
	var ms []membership
	for _, s := range e.sessions.values() {
		s.roomsMu.Lock()
		for _, h := range s.remote {
			ms = append(ms, membership{s, h})
		}
		s.roomsMu.Unlock()
	}
	if len(ms) > 0 {
		e.checkOwners(ms, since)
	}
}

// forget takes room h out of s's stalled rooms: s is told about it now.
func (st *stalledRooms) forget(s *session, h *remoteHandle) {
	st.mu.Lock()
	defer st.mu.Unlock()
	stalled := st.m[s]
	delete(stalled, h.rr.id)
	if stalled != nil && len(stalled) == 0 {
		delete(st.m, s)
	}
}
