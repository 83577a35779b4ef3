package chat_test

import (
	"path/filepath"
	"sync"
	"testing"

	"github.com/parlorhq/parlor/chat"
	"github.com/parlorhq/parlor/chat/boltstore"
	"github.com/parlorhq/parlor/codec"
	"github.com/parlorhq/parlor/room"
)

// recorder is a room.Session that keeps the frames delivered to it.
type recorder struct {
	id, user string
	mu       sync.Mutex
	frames   []codec.Frame
}

func (s *recorder) ID() string                            { return s.id }
func (s *recorder) UserID() string                        { return s.user }
func (s *recorder) RoomJoined(*room.Room)                 {}
func (s *recorder) RoomLeft(*room.Room, room.LeaveReason) {}
func (s *recorder) Deliver(b []byte) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	_ = codec.DecodeMessage(b, 0, func(f *codec.Frame) error {
		c := *f
		c.Snapshot = append([]byte(nil), f.Snapshot...)
		c.Data = append([]byte(nil), f.Data...)
		s.frames = append(s.frames, c)
		return nil
	})
	return true
}

// resume joins the running room id as user from (epoch, since) through a
// recorder and returns what it was sent.
func resume(e *env, id, user, epoch string, since uint64) []codec.Frame {
	e.t.Helper()
	r, ok := e.srv.Engine.Room(id)
	if !ok {
		e.t.Fatalf("room %s is not running", id)
	}
	rec := &recorder{id: "resume-" + user, user: user}
	params, _ := codec.MarshalData(chat.DMParams{With: "bob"})
	if err := r.JoinFrom(ctxT(e.t), rec, 7, params, epoch, since); err != nil {
		e.t.Fatalf("JoinFrom: %v", err)
	}
	// Leave again so that the recorder does not collect live events.
	if err := r.Leave(ctxT(e.t), rec); err != nil {
		e.t.Fatal(err)
	}
	rec.mu.Lock()
	defer rec.mu.Unlock()
	return rec.frames
}

// TestResumeAcrossRestartReplaysFromStore: a conversation keeps the
// store's epoch across a restart on the same file, so a client that
// resumes gets what it missed from the store, in order; a client of
// another store's epoch gets a snapshot instead.
func TestResumeAcrossRestartReplaysFromStore(t *testing.T) {
	path := filepath.Join(t.TempDir(), "chat.db")
	open := func() *boltstore.Store {
		st, err := boltstore.Open(path, boltstore.Options{})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = st.Close() })
		return st
	}
	st := open()
	epoch := st.Epoch()
	e := start(t, chat.Config{Store: st})
	alice := e.dial("alice")
	dm, _ := alice.dm("bob")
	var epochBefore string
	e.inRoom(dm, func(r *room.Room) { epochBefore = r.Epoch() })
	if epochBefore != epoch {
		t.Fatalf("room epoch %q, want the store's %q", epochBefore, epoch)
	}
	var sent []chat.Message
	for _, text := range []string{"one", "two", "three", "four"} {
		sent = append(sent, alice.say(dm, text))
	}
	e.srv.Stop()
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}

	e = start(t, chat.Config{Store: open()})
	alice = e.dial("alice")
	alice.dm("bob") // starts the room again
	frames := resume(e, dm, "alice", epoch, 1)
	if len(frames) != 4 || frames[0].Type != codec.TypeJoined {
		t.Fatalf("resume after restart sent %d frames: %+v", len(frames), frames)
	}
	if j := frames[0]; !j.Recovered || j.Seq != 1 || j.Epoch != epoch {
		t.Fatalf("joined after restart: %+v, want recovered at 1 in epoch %q", j, epoch)
	}
	for i, f := range frames[1:] {
		var m chat.Message
		if err := codec.UnmarshalData(f.Data, &m); err != nil {
			t.Fatal(err)
		}
		want := sent[i+1]
		if f.Type != codec.TypeEvent || f.Seq != want.Seq || f.Event != chat.KindMessage || m.ID != want.ID || m.Text != want.Text {
			t.Fatalf("replayed frame %d: %+v %+v, want %+v", i, f, m, want)
		}
	}

	// Another epoch (a lost store): not recovered, a snapshot instead.
	frames = resume(e, dm, "alice", "epoch-of-a-lost-store", 1)
	if len(frames) != 1 || frames[0].Recovered || frames[0].Seq != 4 {
		t.Fatalf("resume from another epoch: %+v", frames)
	}
}

// TestResumeBeyondReplayLimit: a client that missed more entries than
// ReplayLimit gets a snapshot, not a replay.
func TestResumeBeyondReplayLimit(t *testing.T) {
	st := chat.NewMemoryStore()
	e := start(t, chat.Config{Store: st, ReplayLimit: 2})
	alice := e.dial("alice")
	dm, _ := alice.dm("bob")
	for _, text := range []string{"one", "two", "three", "four"} {
		alice.say(dm, text)
	}
	// The room's own replay buffer holds these; empty it as a restart
	// would, by giving the room the same epoch again from a new value.
	e.inRoom(dm, func(r *room.Room) { r.SetEpoch("x"); r.SetEpoch(st.Epoch()) })
	if frames := resume(e, dm, "alice", st.Epoch(), 1); len(frames) != 1 || frames[0].Recovered {
		t.Fatalf("resume past the replay limit: %+v", frames)
	}
	frames := resume(e, dm, "alice", st.Epoch(), 2)
	if len(frames) != 3 || !frames[0].Recovered || frames[1].Seq != 3 || frames[2].Seq != 4 {
		t.Fatalf("resume within the replay limit: %+v", frames)
	}
}
