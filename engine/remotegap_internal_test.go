package engine

import (
	"slices"
	"testing"

	"github.com/parlorhq/parlor/codec"
	"github.com/parlorhq/parlor/room"
)

// An event replayed to a joining session of a member node, past the last
// broadcast the node got, shows that the node missed that broadcast: the
// sessions already attached there are closed with CloseRoomMoved, to
// resume from the last seq they saw, as for a joined frame past it. An
// event the node already had changes nothing.
func TestReplayPastLastBroadcastShowsGap(t *testing.T) {
	for _, tc := range []struct {
		name   string
		frame  []byte
		closed bool
		last   uint64
	}{
		{"replayed event the node had", codec.AppendEvent(nil, "room", 5, "say", nil), false, 5},
		{"replayed event past it", codec.AppendEvent(nil, "room", 6, "say", nil), true, 6},
		{"joined frame past it", codec.AppendJoined(nil, 1, "room", 9, nil, "e", false), true, 9},
	} {
		t.Run(tc.name, func(t *testing.T) {
			env := newPingEnv(t, true)
			attached := env.s
			rr := &remoteRoom{e: env.e, id: "room"}
			rr.attached.Store(&[]*session{attached})
			rr.lastSeq, rr.seqKnown = 5, true
			joining := &session{} // the session the frame was sent to
			rr.noteSeq(tc.frame, joining)
			if got := attached.closeSent.Load() == uint32(CloseRoomMoved); got != tc.closed {
				t.Errorf("attached session closed with 1012: %v, want %v", got, tc.closed)
			}
			if rr.lastSeq != tc.last {
				t.Errorf("last seq %d, want %d", rr.lastSeq, tc.last)
			}
		})
	}
}

// A left envelope for a session whose join is pending belongs to the
// membership that join replaces (a join undone after its timeout, then
// tried again at once): it leaves the session in the remote room, where
// the pending join's joined frame will find it. It used to take the
// session out, so that joined frame was dropped (and, with the rule that
// an open session the owner disconnected resumes, closed it with 1012).
func TestLeftForReplacedJoinIgnored(t *testing.T) {
	env := newPingEnv(t, true)
	s := env.s
	env.e.remotes = newShardedMap[*remoteRoom]()
	rr := env.e.enterRemote("room", s) // the join tried again, under way
	rr.awaitJoined(s.id, 1)
	rr.deliver(appendEnvelope(nil, envLeft, s.id, []byte(room.LeaveDisconnected)))
	rr.mu.Lock()
	member := rr.members[s.id] == s
	rr.mu.Unlock()
	if !member {
		t.Fatal("the left of the replaced membership took the joining session out of the remote room")
	}
	// Once the join is answered, a left is the session's own.
	rr.joined(s.id, 1)
	rr.deliver(appendEnvelope(nil, envLeft, s.id, []byte(room.LeaveDisconnected)))
	rr.mu.Lock()
	member = rr.members[s.id] == s
	rr.mu.Unlock()
	if member {
		t.Fatal("a left after the join was answered kept the session in the remote room")
	}
}

// A left envelope that ends a session's membership while another join of
// it waits (a member kicked while it joins again) takes the session off
// the room's broadcasts at once, and is kept for joinRemote: if the join
// does not get in, the session is out of the room. It used to be
// ignored as the left of a replaced membership, so a kicked member whose
// second join the owner then refused kept getting the room's broadcasts
// for as long as another session of its node was in the room. A joined
// frame of the waiting join attaches the session again, and the left
// no longer counts.
func TestLeftWhileJoiningDetaches(t *testing.T) {
	for _, joinGetsIn := range []bool{false, true} {
		env := newPingEnv(t, true)
		s := env.s
		env.e.remotes = newShardedMap[*remoteRoom]()
		rr := env.e.enterRemote("room", s) // a member already
		rr.attached.Store(&[]*session{s})
		ch := rr.awaitJoined(s.id, 2) // and joining again
		rr.deliver(appendEnvelope(nil, envLeft, s.id, []byte(room.LeaveKicked)))
		if a := rr.attached.Load(); a != nil && slices.Contains(*a, s) {
			t.Fatal("a member kicked while joining again still gets the room's broadcasts")
		}
		if joinGetsIn {
			joined := codec.AppendJoined(nil, 2, "room", 1, nil, "e", false)
			rr.deliver(appendEnvelope(nil, envFrames, s.id, joined))
			if a := rr.attached.Load(); a == nil || !slices.Contains(*a, s) {
				t.Fatal("the joined frame of the waiting join did not attach the session again")
			}
		}
		reason, left := rr.stopAwaiting(s.id, ch)
		if left != !joinGetsIn || (left && reason != room.LeaveKicked) {
			t.Fatalf("join got in %v: the wait kept left %v (%q)", joinGetsIn, left, reason)
		}
	}
}

// The joined frame of an earlier join of a session (one the node answered
// with a refusal or a timeout, which the owner took after all) does not
// answer the session's later join: only the frame with that join's ref
// does. It used to, and the client, which ignores a joined frame for a
// ref it no longer waits for, then waited for its join's answer until its
// own timeout, holding its sends to the room.
func TestStaleJoinedFrameDoesNotAnswerLaterJoin(t *testing.T) {
	env := newPingEnv(t, true)
	s := env.s
	env.e.remotes = newShardedMap[*remoteRoom]()
	rr := env.e.enterRemote("room", s)
	ch := rr.awaitJoined(s.id, 2)
	rr.deliver(appendEnvelope(nil, envFrames, s.id, codec.AppendJoined(nil, 1, "room", 5, nil, "e", true)))
	select {
	case <-ch:
		t.Fatal("the joined frame of ref 1 answered the join of ref 2")
	default:
	}
	rr.deliver(appendEnvelope(nil, envFrames, s.id, codec.AppendJoined(nil, 2, "room", 5, nil, "e", true)))
	select {
	case <-ch:
	default:
		t.Fatal("the joined frame of ref 2 did not answer its join")
	}
}
