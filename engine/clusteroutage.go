package engine

import (
	"sync"

	"github.com/parlorhq/parlor/codec"
)

// A node cut off from the other nodes (NATS down) cannot tell who owns a
// room, and its rooms stop as their leases end. Closing their sessions
// then would only make the clients reconnect to rejoins that cannot
// succeed before the cluster is back. So while the node is cut off, a
// session whose room stopped, or whose send to a remote room could not go
// out, stays open: its sends to that room are answered ErrClusterDown at
// once, never applied. When the node is connected again, those sessions
// are closed with CloseRoomMoved and resume where their rooms run next.

// ErrClusterDown: this node is cut off from the other nodes of its
// cluster, so the room cannot be served for now. Nothing was applied;
// retry once the cluster is back.
var ErrClusterDown = &codec.Error{Code: codec.CodeUnavailable, Message: "engine: cut off from the cluster, try again"}

// stalledRooms are the rooms that sessions of this node were in and that
// cannot be served until the node is connected again, by session.
type stalledRooms struct {
	mu      sync.Mutex
	m       map[*session]map[string]struct{}
	waiting bool // a resumeStalled goroutine waits for the cluster
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
// connected again, and makes sure s is then closed with CloseRoomMoved.
func (e *Engine) stall(s *session, id string) {
	st := &e.stalled
	st.mu.Lock()
	if st.m == nil {
		st.m = make(map[*session]map[string]struct{})
	}
	rooms := st.m[s]
	if rooms == nil {
		rooms = make(map[string]struct{})
		st.m[s] = rooms
	}
	rooms[id] = struct{}{}
	start := !st.waiting
	st.waiting = true
	st.mu.Unlock()
	if start {
		e.wg.Add(1)
		go e.resumeStalled()
	}
}

// resumeStalled waits until this node is connected again, then closes
// the stalled sessions with CloseRoomMoved.
func (e *Engine) resumeStalled() {
	defer e.wg.Done()
	select {
	case <-e.cluster.Connected():
	case <-e.ctx.Done():
	}
	st := &e.stalled
	st.mu.Lock()
	stalled := st.m
	st.m = nil
	st.waiting = false
	st.mu.Unlock()
	if e.ctx.Err() != nil {
		return // shutting down: every session is closed anyway
	}
	for s := range stalled {
		s.closeAfterFlush(CloseRoomMoved, "cluster back: room moved or unknown")
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
