package room

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/parlorhq/parlor/codec"
)

// drainSession is a Session that keeps what it is delivered.
type drainSession struct {
	mu     sync.Mutex
	frames [][]byte
}

func (s *drainSession) ID() string     { return "s1" }
func (s *drainSession) UserID() string { return "u" }
func (s *drainSession) Deliver(frames []byte) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.frames = append(s.frames, frames)
	return true
}
func (s *drainSession) RoomJoined(*Room)            {}
func (s *drainSession) RoomLeft(*Room, LeaveReason) {}

// A draining room waits for an op that a poster counted before Drain set
// closing and had not posted yet (Send and call count first, then read
// closing): it runs that op before the members leave, instead of
// stopping with it on its way and refusing it with ErrClosed.
func TestDrainWaitsForCountedPost(t *testing.T) {
	r := New("r", "k", BaseHandler{}, Config{})
	r.Start()
	s := &drainSession{}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := r.Join(ctx, s, 1, nil); err != nil {
		t.Fatal(err)
	}

	r.queued.Add(1) // a poster between its count and its post
	r.Drain()
	select {
	case <-r.Done():
		t.Fatal("the room stopped with a counted op on its way")
	case <-time.After(50 * time.Millisecond):
	}
	r.mailbox <- &op{kind: opMessage, session: s, ref: 7, event: "e"}
	select {
	case <-r.Done():
	case <-time.After(5 * time.Second):
		t.Fatal("the room did not stop")
	}

	s.mu.Lock()
	defer s.mu.Unlock()
	var got []codec.Frame
	for _, raw := range s.frames {
		var f codec.Frame
		if err := codec.DecodeFrame(raw, &f); err != nil {
			t.Fatal(err)
		}
		got = append(got, f)
	}
	// joined, the reply to 7 (OnMessage's ErrUnknownEvent, not ErrClosed),
	// then the left frame.
	if len(got) != 3 || got[1].Type != codec.TypeReply || got[1].Ref != 7 ||
		got[1].Code != codec.AsError(ErrUnknownEvent).Code || got[2].Type != codec.TypeLeft {
		t.Fatalf("frames %+v, want joined, the op's reply, left", got)
	}
}

// A Shutdown that lands between the room loop's check of its state and
// its select may let the select take an op from the mailbox: step refuses
// that op (ErrClosed), as Shutdown refuses the rest, and stops the room.
func TestStepRefusesOpAfterShutdown(t *testing.T) {
	r := New("r", "k", BaseHandler{}, Config{Go: func(func()) {}})
	r.actor.Unlock() // as run does once OnCreate has run
	s := &drainSession{}
	r.state.Or(stateStopNow)
	r.queued.Add(1) // the op, as posted
	o := &op{kind: opMessage, session: s, ref: 9, event: "e"}
	if !r.step(evOp, o, nil) {
		t.Fatal("the room did not stop")
	}
	select {
	case <-r.Done():
	default:
		t.Fatal("the room is not done")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.frames) != 1 {
		t.Fatalf("%d frames, want the op's refusal", len(s.frames))
	}
	var f codec.Frame
	if err := codec.DecodeFrame(s.frames[0], &f); err != nil {
		t.Fatal(err)
	}
	if f.Type != codec.TypeReply || f.Ref != 9 || f.Code != codec.AsError(ErrClosed).Code {
		t.Fatalf("frame %+v, want op 9 refused ErrClosed", f)
	}
	if n := r.queued.Load(); n != 0 {
		t.Fatalf("%d ops still counted", n)
	}
}
