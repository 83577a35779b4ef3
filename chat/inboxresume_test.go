package chat_test

import (
	"testing"

	"github.com/parlorhq/parlor/chat"
	"github.com/parlorhq/parlor/codec"
	"github.com/parlorhq/parlor/room"
)

// A user's connection drops, their inbox room stays (IdleTTL), someone
// writes to them meanwhile, and their client resumes the inbox with its
// epoch and seq. No update was broadcast while the inbox was closed, so
// the resume must bring a fresh snapshot that shows the change, not an
// empty replay that keeps the client's old list.
func TestInboxResumeAfterGap(t *testing.T) {
	e := start(t, chat.Config{})
	alice := e.dial("alice")
	bob := e.dial("bob")
	inboxID, _ := alice.inbox()
	var epoch string
	var seq uint64
	e.inRoom(inboxID, func(r *room.Room) { epoch, seq = r.Epoch(), r.Seq() })

	_ = alice.Close() // the inbox room keeps running
	e.waitSessions(inboxID, "alice", 0)
	dm, _ := bob.dm("alice")
	bob.say(dm, "are you there?")

	r, ok := e.srv.Engine.Room(inboxID)
	if !ok {
		t.Fatal("the inbox room stopped")
	}
	rec := &recorder{id: "resume-alice", user: "alice"}
	if err := r.JoinFrom(ctxT(t), rec, 7, nil, epoch, seq); err != nil {
		t.Fatalf("JoinFrom: %v", err)
	}
	if err := r.Leave(ctxT(t), rec); err != nil {
		t.Fatal(err)
	}
	rec.mu.Lock()
	frames := rec.frames
	rec.mu.Unlock()
	if len(frames) == 0 || frames[0].Type != codec.TypeJoined {
		t.Fatalf("frames %+v", frames)
	}
	if frames[0].Recovered {
		t.Fatalf("the resume recovered with %d events: the new DM is never shown", len(frames)-1)
	}
	var snap chat.InboxSnapshot
	if err := codec.UnmarshalData(frames[0].Snapshot, &snap); err != nil {
		t.Fatal(err)
	}
	for _, c := range snap.Conversations {
		if c.Room == dm && c.Unread == 1 {
			return
		}
	}
	t.Fatalf("the resumed inbox's snapshot %+v does not show the new DM with one unread", snap.Conversations)
}
