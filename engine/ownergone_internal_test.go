package engine

import (
	"testing"
	"time"
)

// goneCluster is a gapCluster whose NodeGone says every node is gone at
// once, as after 1.5 s without heartbeats.
type goneCluster struct{ *gapCluster }

func (goneCluster) NodeGone(string) <-chan struct{} {
	ch := make(chan struct{})
	close(ch)
	return ch
}

// When this node believes a room's owner gone (its heartbeats missed for
// NodeTimeout) the owner may well be alive and keep the room: the member
// node and the owner judge each other on their own clocks, and an owner
// whose NATS connection was replaced in 1.5 – 2 s judged nobody while it
// was cut off. A session whose client rejoins in place is taken out of
// the room here (moveOut) and told it moved; if that client does not
// join the room again on this connection (it closes, or resumes on
// another node under a new session id), the owner must still hear that
// the session left, as it does for a session closed with 1012 (its close
// forwards a leave). Otherwise the owner keeps a member whose leave never
// comes: the room never goes idle, and the user stays present there.
func TestOwnerJudgedGoneIsToldOfTheLeave(t *testing.T) {
	env := newPingEnv(t, false)
	s := env.s
	s.connFlags.Store(connFlagConnected | connFlagRoomMoves)
	gc := &gapCluster{leaves: make(chan *ClusterLeave, 4)}
	rr := inRemoteRoom(env, gc, &remoteHandle{})
	env.e.cluster = goneCluster{gc}
	env.e.fanout = newClusterFanout(newPeerLinks(env.e.cluster, env.e.log, &env.e.wg), func(string, bool) {})
	env.e.watched = newShardedMap[struct{}]()
	env.e.remoteSessions = newShardedMap[*remoteSession]()
	env.e.userSubs = newShardedMap[*userSub]()
	rr.deliver(appendEnvelope(nil, envAttach, s.id, nil))

	env.e.watchNode("owner") // judged gone at once
	deadline := time.Now().Add(5 * time.Second)
	for s.remoteRoom("room") != nil {
		if time.Now().After(deadline) {
			t.Fatal("the session was not moved out of the gone owner's room")
		}
		time.Sleep(5 * time.Millisecond)
	}
	// The client does not rejoin on this connection: it closes.
	s.close(nil)

	select {
	case l := <-gc.leaves:
		if l.Room != "room" || l.Session != s.id || !l.Disconnected {
			t.Fatalf("leave %+v, want the session's, marked disconnected", l)
		}
	case <-time.After(time.Second):
		t.Fatal("the owner was never told that the session left: it keeps the membership")
	}
}
