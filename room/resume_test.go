package room_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/parlorhq/parlor/codec"
	"github.com/parlorhq/parlor/room"
	"github.com/parlorhq/parlor/room/roomtest"
)

// broadcastN broadcasts events e<from>..e<to> on the room goroutine.
func broadcastN(t *testing.T, r *room.Room, from, to int) {
	t.Helper()
	do(t, r, func() {
		for i := from; i <= to; i++ {
			if _, err := r.Broadcast(fmt.Sprintf("e%d", i), i); err != nil {
				t.Errorf("broadcast: %v", err)
			}
		}
	})
}

func epochOf(t *testing.T, r *room.Room) string {
	t.Helper()
	var e string
	do(t, r, func() { e = r.Epoch() })
	return e
}

// resumeJoin joins s from (epoch, since) and returns the joined frame and
// the ordered events that came after it.
func resumeJoin(t *testing.T, r *room.Room, s *fakeSession, ref uint64, epoch string, since uint64) (codec.Frame, []codec.Frame) {
	t.Helper()
	s.clear()
	if err := r.JoinFrom(ctxT(t), s, ref, nil, epoch, since); err != nil {
		t.Fatalf("JoinFrom: %v", err)
	}
	frames := s.decoded(t)
	if len(frames) == 0 || frames[0].Type != codec.TypeJoined {
		t.Fatalf("first frame after a join is %+v, want joined", frames)
	}
	var events []codec.Frame
	for _, f := range frames[1:] {
		if f.Type != codec.TypeEvent {
			t.Fatalf("unexpected frame after joined: %+v", f)
		}
		events = append(events, f)
	}
	return frames[0], events
}

// isNil reports an absent or msgpack-nil raw field.
func isNil(raw []byte) bool { return len(raw) == 0 || len(raw) == 1 && raw[0] == 0xc0 }

// checkReplay asserts that events are exactly seqs from..to, in order.
func checkReplay(t *testing.T, events []codec.Frame, from, to uint64) {
	t.Helper()
	if want := int(to - from + 1); len(events) != want {
		t.Fatalf("replayed %d events, want %d (%d..%d)", len(events), want, from, to)
	}
	for i, e := range events {
		seq := from + uint64(i)
		if e.Seq != seq || e.Event != fmt.Sprintf("e%d", seq) {
			t.Fatalf("replayed event %d is seq %d %q, want seq %d e%d", i, e.Seq, e.Event, seq, seq)
		}
	}
}

func TestResumeReplaysMissedEventsInOrder(t *testing.T) {
	h := &hooks{join: func(*room.Room, *room.Join) (any, error) { return "snapshot", nil }}
	r := startRoom(t, h, room.Config{})
	alice := newSession("alice", "a1")
	mustJoin(t, r, alice, 1)
	broadcastN(t, r, 1, 5)
	epoch := epochOf(t, r)
	if epoch == "" {
		t.Fatal("room has no epoch")
	}
	// A fresh join reports the epoch, not recovered, with the snapshot.
	fresh := newSession("bob", "b1")
	joined, events := resumeJoin(t, r, fresh, 2, "", 0)
	if joined.Epoch != epoch || joined.Recovered || joined.Seq != 5 || isNil(joined.Snapshot) || len(events) != 0 {
		t.Fatalf("fresh join: %+v, %d events", joined, len(events))
	}

	// alice's connection dropped after seq 2; she comes back on a new one.
	r.Disconnect(alice)
	broadcastN(t, r, 6, 8)
	back := newSession("alice", "a2")
	joined, events = resumeJoin(t, r, back, 3, epoch, 2)
	if !joined.Recovered || joined.Seq != 2 || !isNil(joined.Snapshot) || joined.Epoch != epoch {
		t.Fatalf("resumed joined = %+v, want recovered at seq 2 with no snapshot", joined)
	}
	checkReplay(t, events, 3, 8)

	// Live events continue right after the replay.
	back.clear()
	broadcastN(t, r, 9, 9)
	live := back.ofType(t, codec.TypeEvent)
	if len(live) != 1 || live[0].Seq != 9 {
		t.Fatalf("live events after resume: %+v", live)
	}
}

func TestResumeUpToDateReplaysNothing(t *testing.T) {
	r := startRoom(t, &hooks{}, room.Config{})
	s := newSession("alice", "a1")
	mustJoin(t, r, s, 1)
	broadcastN(t, r, 1, 3)
	joined, events := resumeJoin(t, r, newSession("alice", "a2"), 2, epochOf(t, r), 3)
	if !joined.Recovered || joined.Seq != 3 || len(events) != 0 {
		t.Fatalf("joined %+v with %d events, want recovered at 3 with none", joined, len(events))
	}
}

func TestResumeNotRecovered(t *testing.T) {
	ageClock := roomtest.NewFakeClock(time.Time{})
	snapshot := func(*room.Room, *room.Join) (any, error) { return "state", nil }
	cases := []struct {
		name  string
		cfg   room.Config
		setup func(t *testing.T, r *room.Room) (epoch string, since uint64)
	}{
		{"another epoch", room.Config{}, func(t *testing.T, r *room.Room) (string, uint64) {
			broadcastN(t, r, 1, 4)
			return "some-other-epoch", 2
		}},
		{"since ahead of the room", room.Config{}, func(t *testing.T, r *room.Room) (string, uint64) {
			broadcastN(t, r, 1, 4)
			return epochOf(t, r), 9
		}},
		{"more missed than the event bound", room.Config{ReplayEvents: 3}, func(t *testing.T, r *room.Room) (string, uint64) {
			broadcastN(t, r, 1, 10)
			return epochOf(t, r), 6 // needs 7..10: four events, three kept
		}},
		{"more missed than the byte bound", room.Config{ReplayBytes: 40}, func(t *testing.T, r *room.Room) (string, uint64) {
			broadcastN(t, r, 1, 10) // each frame is about 15 bytes
			return epochOf(t, r), 2
		}},
		{"replay buffer disabled", room.Config{ReplayEvents: -1}, func(t *testing.T, r *room.Room) (string, uint64) {
			broadcastN(t, r, 1, 2)
			return epochOf(t, r), 1
		}},
		{"events older than the age bound", room.Config{ReplayAge: 30 * time.Second, Clock: ageClock}, func(t *testing.T, r *room.Room) (string, uint64) {
			broadcastN(t, r, 1, 3)
			ageClock.Advance(31 * time.Second) // let the buffered events age out
			return epochOf(t, r), 1
		}},
		{"seq moved by SetSeq", room.Config{}, func(t *testing.T, r *room.Room) (string, uint64) {
			broadcastN(t, r, 1, 3)
			do(t, r, func() { r.SetSeq(20) })
			broadcastN(t, r, 21, 21)
			return epochOf(t, r), 2
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := startRoom(t, &hooks{join: snapshot}, tc.cfg)
			mustJoin(t, r, newSession("bob", "b1"), 1)
			epoch, since := tc.setup(t, r)
			var seq uint64
			do(t, r, func() { seq = r.Seq() })
			joined, events := resumeJoin(t, r, newSession("alice", "a1"), 2, epoch, since)
			if joined.Recovered || joined.Seq != seq || isNil(joined.Snapshot) || len(events) != 0 {
				t.Fatalf("joined %+v with %d events, want not recovered at seq %d with a snapshot", joined, len(events), seq)
			}
		})
	}
}

func TestResumeWithinBoundsAfterWrap(t *testing.T) {
	r := startRoom(t, &hooks{}, room.Config{ReplayEvents: 4})
	mustJoin(t, r, newSession("bob", "b1"), 1)
	broadcastN(t, r, 1, 11) // the ring wrapped several times
	joined, events := resumeJoin(t, r, newSession("alice", "a1"), 2, epochOf(t, r), 7)
	if !joined.Recovered {
		t.Fatalf("joined %+v, want recovered", joined)
	}
	checkReplay(t, events, 8, 11)
}

// replayer is a handler with a durable stream: it keeps every event it
// broadcast and replays them.
type replayer struct {
	hooks
	log      []string
	refuse   bool
	replayed int
}

func (h *replayer) Replay(r *room.Room, since uint64, emit func(uint64, string, []byte)) bool {
	h.replayed++
	if h.refuse {
		return false
	}
	for seq := since + 1; seq <= uint64(len(h.log)); seq++ {
		raw, _ := codec.MarshalData(int(seq))
		emit(seq, h.log[seq-1], raw)
	}
	return true
}

func TestResumeFromReplayer(t *testing.T) {
	h := &replayer{}
	h.create = func(r *room.Room) error {
		r.SetEpoch("durable-epoch")
		h.log = []string{"e1", "e2", "e3", "e4", "e5"} // a stream restored from storage
		r.SetSeq(5)
		return nil
	}
	r := startRoom(t, h, room.Config{})
	if got := epochOf(t, r); got != "durable-epoch" {
		t.Fatalf("epoch %q, want the one set in OnCreate", got)
	}
	joined, events := resumeJoin(t, r, newSession("alice", "a1"), 1, "durable-epoch", 2)
	if !joined.Recovered || joined.Seq != 2 {
		t.Fatalf("joined %+v, want recovered from the replayer", joined)
	}
	checkReplay(t, events, 3, 5)

	var calls int
	do(t, r, func() { h.refuse = true; calls = h.replayed })
	joined, events = resumeJoin(t, r, newSession("carol", "c1"), 2, "durable-epoch", 1)
	if joined.Recovered || joined.Seq != 5 || len(events) != 0 {
		t.Fatalf("joined %+v with %d events, want not recovered when the replayer refuses", joined, len(events))
	}
	do(t, r, func() { calls = h.replayed - calls })
	if calls != 1 {
		t.Fatalf("Replay called %d times for the second resume, want 1", calls)
	}
}

func TestResumeReplayerGapIsNotRecovered(t *testing.T) {
	h := &replayer{}
	h.create = func(r *room.Room) error {
		h.log = []string{"e1", "e2", "e3"}
		r.SetSeq(4) // the stream claims one event more than the replayer has
		return nil
	}
	r := startRoom(t, h, room.Config{})
	joined, events := resumeJoin(t, r, newSession("alice", "a1"), 1, epochOf(t, r), 1)
	if joined.Recovered || len(events) != 0 {
		t.Fatalf("joined %+v with %d events, want not recovered with a gap", joined, len(events))
	}
}

func TestResentSendIsAppliedOnce(t *testing.T) {
	applied := 0
	h := &hooks{message: func(r *room.Room, m *room.Message) (any, error) {
		if m.Event == "fail" {
			return nil, &codec.Error{Code: "nope", Message: "refused"}
		}
		applied++
		seq, _ := r.Broadcast("applied", applied)
		return map[string]any{"n": applied, "seq": seq}, nil
	}}
	r := startRoom(t, h, room.Config{DedupEntries: 2})
	s := newSession("alice", "a1")
	mustJoin(t, r, s, 1)
	send := func(ref uint64, event, cmid string) codec.Frame {
		t.Helper()
		if err := r.Send(s, ref, event, nil, cmid); err != nil {
			t.Fatal(err)
		}
		do(t, r, func() {})
		return s.reply(t, ref)
	}
	first := send(10, "go", "m1")
	again := send(11, "go", "m1")
	if first.Code != "" || again.Code != "" || string(first.Data) != string(again.Data) {
		t.Fatalf("resend reply %+v, first %+v: want the same success", again, first)
	}
	if applied != 1 {
		t.Fatalf("applied %d times, want 1", applied)
	}
	// Another user with the same id is another send.
	bob := newSession("bob", "b1")
	mustJoin(t, r, bob, 2)
	if err := r.Send(bob, 12, "go", nil, "m1"); err != nil {
		t.Fatal(err)
	}
	do(t, r, func() {})
	if bob.reply(t, 12).Code != "" || applied != 2 {
		t.Fatalf("bob's send with alice's id: applied %d, want 2", applied)
	}
	// A failed send is not remembered: its retry runs again.
	if f := send(13, "fail", "m2"); f.Code != "nope" {
		t.Fatalf("failing send: %+v", f)
	}
	if f := send(14, "go", "m2"); f.Code != "" || applied != 3 {
		t.Fatalf("retry of a failed send: %+v, applied %d, want 3", f, applied)
	}
	// Sends without an id are never deduplicated.
	send(15, "go", "")
	send(16, "go", "")
	if applied != 5 {
		t.Fatalf("applied %d, want 5", applied)
	}
	// The cache holds two ids: m1 (bob's), m2 are newer than alice's m1,
	// which was forgotten, so her third resend runs again.
	send(17, "go", "m1")
	if applied != 6 {
		t.Fatalf("applied %d after the id was evicted, want 6", applied)
	}
}

func TestDedupBoundedByBytes(t *testing.T) {
	applied := map[string]int{}
	h := &hooks{message: func(r *room.Room, m *room.Message) (any, error) {
		applied[m.ClientMsgID]++
		if m.Event == "big" {
			// An encoded reply of 300 bytes: bin16 of 297 bytes.
			return append([]byte{0xc5, 0x01, 0x29}, make([]byte, 297)...), nil
		}
		return []byte{0xc3}, nil // true: one byte
	}}
	r := startRoom(t, h, room.Config{DedupBytes: 200})
	s := newSession("alice", "a1")
	mustJoin(t, r, s, 1)
	ref := uint64(10)
	send := func(event, cmid string) {
		t.Helper()
		ref++
		if err := r.Send(s, ref, event, nil, cmid); err != nil {
			t.Fatal(err)
		}
		do(t, r, func() {})
		if f := s.reply(t, ref); f.Code != "" {
			t.Fatalf("%s %s: %+v", event, cmid, f)
		}
	}
	// A reply larger than the bound is not kept: its resend runs again.
	send("big", "b1")
	send("big", "b1")
	// Small replies are kept until their bytes pass the bound: 200 of
	// them fit, the 201st pushes out the oldest.
	for i := range 201 {
		send("small", fmt.Sprintf("s%d", i))
	}
	send("small", "s200")
	send("small", "s1")
	send("small", "s0")
	do(t, r, func() {
		if applied["b1"] != 2 || applied["s200"] != 1 || applied["s1"] != 1 || applied["s0"] != 2 {
			t.Errorf("applied %d, %d, %d, %d times (b1, s200, s1, s0), want 2, 1, 1, 2",
				applied["b1"], applied["s200"], applied["s1"], applied["s0"])
		}
	})
}
