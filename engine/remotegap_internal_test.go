package engine

import (
	"testing"

	"github.com/parlorhq/parlor/codec"
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
