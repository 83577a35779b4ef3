package room_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"runtime"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/parlorhq/parlor/codec"
	"github.com/parlorhq/parlor/room"
	"github.com/parlorhq/parlor/room/roomtest"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

const (
	testRoomID = "room-1"
	testKind   = "test"
	waitLimit  = 5 * time.Second
)

// fakeSession is a room.Session that records what the room gives it.
type fakeSession struct {
	id, user string

	mu     sync.Mutex
	frames [][]byte
	joined int
	left   []room.LeaveReason
}

func newSession(user, id string) *fakeSession { return &fakeSession{id: id, user: user} }

func (s *fakeSession) ID() string     { return s.id }
func (s *fakeSession) UserID() string { return s.user }

func (s *fakeSession) Deliver(frames []byte) bool {
	s.mu.Lock()
	s.frames = append(s.frames, frames)
	s.mu.Unlock()
	return true
}

func (s *fakeSession) RoomJoined(*room.Room) {
	s.mu.Lock()
	s.joined++
	s.mu.Unlock()
}

func (s *fakeSession) RoomLeft(_ *room.Room, reason room.LeaveReason) {
	s.mu.Lock()
	s.left = append(s.left, reason)
	s.mu.Unlock()
}

// raw returns the delivered messages, as delivered.
func (s *fakeSession) raw() [][]byte {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.frames)
}

func (s *fakeSession) leftReasons() []room.LeaveReason {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.left)
}

func (s *fakeSession) joinedCount() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.joined
}

func (s *fakeSession) clear() {
	s.mu.Lock()
	s.frames = nil
	s.mu.Unlock()
}

// decoded decodes every delivered message with codec.DecodeMessage.
func (s *fakeSession) decoded(t *testing.T) []codec.Frame {
	t.Helper()
	var out []codec.Frame
	for _, msg := range s.raw() {
		err := codec.DecodeMessage(msg, 0, func(f *codec.Frame) error {
			out = append(out, *f)
			return nil
		})
		if err != nil {
			t.Fatalf("session %s got an undecodable message %x: %v", s.id, msg, err)
		}
	}
	return out
}

// ofType returns the delivered frames of type typ.
func (s *fakeSession) ofType(t *testing.T, typ codec.Type) []codec.Frame {
	t.Helper()
	var out []codec.Frame
	for _, f := range s.decoded(t) {
		if f.Type == typ {
			out = append(out, f)
		}
	}
	return out
}

// reply returns the reply frame for ref, failing if there is not exactly one.
func (s *fakeSession) reply(t *testing.T, ref uint64) codec.Frame {
	t.Helper()
	var found []codec.Frame
	for _, f := range s.ofType(t, codec.TypeReply) {
		if f.Ref == ref {
			found = append(found, f)
		}
	}
	if len(found) != 1 {
		t.Fatalf("session %s: %d replies to ref %d, want 1 (frames: %+v)", s.id, len(found), ref, s.decoded(t))
	}
	return found[0]
}

// hooks is a room.Handler and room.Ticker whose behaviour each test sets,
// and which records the hook calls it gets.
type hooks struct {
	create  func(r *room.Room) error
	join    func(r *room.Room, j *room.Join) (any, error)
	message func(r *room.Room, m *room.Message) (any, error)
	leave   func(r *room.Room, user string, reason room.LeaveReason)
	dispose func(r *room.Room, reason room.DisposeReason)
	tick    func(r *room.Room, now time.Time)

	mu    sync.Mutex
	log   []string
	ticks atomic.Int64
}

func (h *hooks) record(format string, args ...any) {
	h.mu.Lock()
	h.log = append(h.log, fmt.Sprintf(format, args...))
	h.mu.Unlock()
}

func (h *hooks) calls() []string {
	h.mu.Lock()
	defer h.mu.Unlock()
	return slices.Clone(h.log)
}

func (h *hooks) count(call string) int {
	n := 0
	for _, c := range h.calls() {
		if c == call {
			n++
		}
	}
	return n
}

func (h *hooks) OnCreate(r *room.Room) error {
	h.record("create")
	if h.create != nil {
		return h.create(r)
	}
	return nil
}

func (h *hooks) OnJoin(r *room.Room, j *room.Join) (any, error) {
	h.record("join %s", j.User)
	if h.join != nil {
		return h.join(r, j)
	}
	return nil, nil
}

func (h *hooks) OnMessage(r *room.Room, m *room.Message) (any, error) {
	h.record("message %s %s", m.User, m.Event)
	if h.message != nil {
		return h.message(r, m)
	}
	return nil, room.ErrUnknownEvent
}

func (h *hooks) OnLeave(r *room.Room, user string, reason room.LeaveReason) {
	h.record("leave %s %s", user, reason)
	if h.leave != nil {
		h.leave(r, user, reason)
	}
}

func (h *hooks) OnDispose(r *room.Room, reason room.DisposeReason) {
	h.record("dispose %s", reason)
	if h.dispose != nil {
		h.dispose(r, reason)
	}
}

func (h *hooks) OnTick(r *room.Room, now time.Time) {
	h.ticks.Add(1)
	if h.tick != nil {
		h.tick(r, now)
	}
}

// startRoom starts a room with handler h; it is shut down when the test
// ends.
func startRoom(t *testing.T, h room.Handler, cfg room.Config) *room.Room {
	t.Helper()
	r := room.New(testRoomID, testKind, h, cfg)
	r.Start()
	t.Cleanup(func() {
		r.Shutdown()
		select {
		case <-r.Done():
		case <-time.After(waitLimit):
			t.Error("room did not stop")
		}
	})
	return r
}

func ctxT(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), waitLimit)
	t.Cleanup(cancel)
	return ctx
}

func mustJoin(t *testing.T, r *room.Room, s room.Session, ref uint64) {
	t.Helper()
	if err := r.Join(ctxT(t), s, ref, nil); err != nil {
		t.Fatalf("join %s: %v", s.ID(), err)
	}
}

// do runs fn on the room goroutine. Returning from do also means every
// mailbox operation queued before it has been processed.
func do(t *testing.T, r *room.Room, fn func()) {
	t.Helper()
	if err := r.Do(ctxT(t), fn); err != nil {
		t.Fatalf("Do: %v", err)
	}
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(waitLimit)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(time.Millisecond)
	}
}

func waitDone(t *testing.T, r *room.Room) {
	t.Helper()
	select {
	case <-r.Done():
	case <-time.After(waitLimit):
		t.Fatal("room did not stop")
	}
}

// goid returns the current goroutine's id, parsed from its stack header.
func goid() uint64 {
	var buf [64]byte
	n := runtime.Stack(buf[:], false)
	fields := bytes.Fields(buf[:n])
	id, err := strconv.ParseUint(string(fields[1]), 10, 64)
	if err != nil {
		panic("cannot parse goroutine id: " + string(buf[:n]))
	}
	return id
}

func decodeData(t *testing.T, raw []byte, v any) {
	t.Helper()
	if err := codec.UnmarshalData(raw, v); err != nil {
		t.Fatalf("decode %x: %v", raw, err)
	}
}

func TestRoomOnCreateRunsFirstAndOnce(t *testing.T) {
	h := &hooks{}
	r := startRoom(t, h, room.Config{})
	a, b := newSession("alice", "a1"), newSession("bob", "b1")
	mustJoin(t, r, a, 1)
	mustJoin(t, r, b, 2)
	do(t, r, func() {})
	calls := h.calls()
	if len(calls) == 0 || calls[0] != "create" {
		t.Fatalf("first hook call = %v, want create", calls)
	}
	if n := h.count("create"); n != 1 {
		t.Fatalf("OnCreate ran %d times, want 1 (calls %v)", n, calls)
	}
}

// TestRoomOnCreateErrorWhileExiting: a join that comes while the room
// whose OnCreate failed is still running OnExit (it has begun to close,
// its done channel is not closed yet) gets the OnCreate error, not
// ErrClosed. TestRoomOnCreateErrorFailsJoin's first join came in that
// window once in 150 runs.
func TestRoomOnCreateErrorWhileExiting(t *testing.T) {
	refused := codec.Errorf(codec.CodeConflict, "no such game")
	exiting, release := make(chan struct{}), make(chan struct{})
	h := &hooks{create: func(*room.Room) error { return refused }}
	r := startRoom(t, h, room.Config{OnExit: func(*room.Room) {
		close(exiting)
		<-release
	}})
	defer close(release)
	select {
	case <-exiting:
	case <-ctxT(t).Done():
		t.Fatal("OnExit did not run after the OnCreate error")
	}
	if err := r.Join(ctxT(t), newSession("alice", "a1"), 1, nil); err != refused {
		t.Fatalf("Join during OnExit = %v, want the OnCreate error %v", err, refused)
	}
}

func TestRoomOnCreateErrorFailsJoin(t *testing.T) {
	refused := codec.Errorf(codec.CodeConflict, "no such game")
	var exited atomic.Int32
	h := &hooks{create: func(*room.Room) error { return refused }}
	r := startRoom(t, h, room.Config{OnExit: func(*room.Room) { exited.Add(1) }})
	s := newSession("alice", "a1")
	if err := r.Join(ctxT(t), s, 1, nil); err != refused {
		t.Fatalf("Join = %v, want the OnCreate error %v", err, refused)
	}
	waitDone(t, r)
	if err := r.Join(ctxT(t), s, 2, nil); err != refused {
		t.Fatalf("second Join = %v, want %v", err, refused)
	}
	if got := s.raw(); len(got) != 0 {
		t.Fatalf("session got frames from a room that never started: %x", got)
	}
	if n := h.count("join alice"); n != 0 {
		t.Fatalf("OnJoin ran %d times in a room whose OnCreate failed", n)
	}
	if n := h.count("dispose " + string(room.DisposeClosed)); n != 0 {
		t.Fatalf("OnDispose ran for a room whose OnCreate failed: %v", h.calls())
	}
	if exited.Load() != 1 {
		t.Fatalf("OnExit ran %d times, want 1", exited.Load())
	}
}

func TestRoomOnJoinRejects(t *testing.T) {
	private := codec.Errorf(codec.CodeForbidden, "private room")
	h := &hooks{join: func(_ *room.Room, j *room.Join) (any, error) {
		if j.User == "mallory" {
			return nil, private
		}
		return nil, nil
	}}
	r := startRoom(t, h, room.Config{})
	m := newSession("mallory", "m1")
	err := r.Join(ctxT(t), m, 1, nil)
	if err != private {
		t.Fatalf("Join = %v, want %v", err, private)
	}
	if ce := codec.AsError(err); ce.Code != codec.CodeForbidden {
		t.Fatalf("code = %s, want forbidden", ce.Code)
	}
	a := newSession("alice", "a1")
	mustJoin(t, r, a, 2)
	var member bool
	var members []string
	do(t, r, func() {
		member = r.IsMember("mallory")
		members = r.Members()
		if _, err := r.Broadcast("hello", nil); err != nil {
			t.Error(err)
		}
	})
	if member || slices.Contains(members, "mallory") {
		t.Fatalf("rejected user is a member: %v", members)
	}
	if got := m.raw(); len(got) != 0 {
		t.Fatalf("rejected session got frames: %+v", m.decoded(t))
	}
	if m.joinedCount() != 0 {
		t.Fatal("RoomJoined was called for a rejected session")
	}
	// A rejected session cannot send either.
	if err := r.Send(m, 3, "x", nil, ""); err != nil {
		t.Fatal(err)
	}
	do(t, r, func() {})
	if rep := m.reply(t, 3); rep.Code != codec.CodeForbidden {
		t.Fatalf("send from rejected session: code %q, want forbidden", rep.Code)
	}
}

func TestRoomJoinDeliversJoinedFrame(t *testing.T) {
	type snap struct {
		Members []string `msgpack:"members"`
		Seq     uint64   `msgpack:"seq"`
	}
	h := &hooks{
		create: func(r *room.Room) error { r.SetSeq(41); return nil },
		join: func(r *room.Room, j *room.Join) (any, error) {
			if j.User == "raw" {
				return []byte{0x2a}, nil // already-encoded msgpack 42
			}
			return snap{Members: append(r.Members(), j.User), Seq: r.Seq()}, nil
		},
	}
	r := startRoom(t, h, room.Config{})
	a := newSession("alice", "a1")
	mustJoin(t, r, a, 7)
	frames := a.decoded(t)
	if len(frames) != 1 {
		t.Fatalf("got %d frames, want 1 joined frame: %+v", len(frames), frames)
	}
	f := frames[0]
	if f.Type != codec.TypeJoined || f.Ref != 7 || f.Room != testRoomID || f.Seq != 41 {
		t.Fatalf("joined frame = %+v, want type joined, ref 7, room %s, seq 41", f, testRoomID)
	}
	var got snap
	decodeData(t, f.Snapshot, &got)
	if !slices.Equal(got.Members, []string{"alice"}) || got.Seq != 41 {
		t.Fatalf("snapshot = %+v", got)
	}
	if a.joinedCount() != 1 {
		t.Fatalf("RoomJoined called %d times, want 1", a.joinedCount())
	}

	do(t, r, func() { r.BroadcastRaw("tick", nil) })
	raw := newSession("raw", "r1")
	mustJoin(t, r, raw, 8)
	rf := raw.decoded(t)
	if len(rf) != 1 || rf[0].Seq != 42 || !bytes.Equal(rf[0].Snapshot, []byte{0x2a}) {
		t.Fatalf("joined frame after one broadcast = %+v, want seq 42 and raw snapshot 2a", rf)
	}
}

func TestRoomBroadcastSeqAndSharedFrame(t *testing.T) {
	h := &hooks{}
	r := startRoom(t, h, room.Config{})
	a1, a2 := newSession("alice", "a1"), newSession("alice", "a2")
	b1, c1 := newSession("bob", "b1"), newSession("carol", "c1")
	all := []*fakeSession{a1, a2, b1, c1}
	for i, s := range all {
		mustJoin(t, r, s, uint64(i+1))
	}
	for _, s := range all {
		s.clear()
	}
	var seqs []uint64
	do(t, r, func() {
		if n := r.SessionCount("alice"); n != 2 {
			t.Errorf("SessionCount(alice) = %d, want 2", n)
		}
		for i := range 3 {
			seq, err := r.Broadcast("n", i)
			if err != nil {
				t.Error(err)
			}
			seqs = append(seqs, seq)
		}
	})
	if !slices.Equal(seqs, []uint64{1, 2, 3}) {
		t.Fatalf("seqs = %v, want [1 2 3]", seqs)
	}
	ref := a1.raw()
	if len(ref) != 3 {
		t.Fatalf("a1 got %d frames, want 3", len(ref))
	}
	for _, s := range all {
		got := s.raw()
		if len(got) != 3 {
			t.Fatalf("%s got %d frames, want 3", s.id, len(got))
		}
		for i := range got {
			if &got[i][0] != &ref[i][0] || len(got[i]) != len(ref[i]) {
				t.Errorf("%s frame %d is not the same encoded slice as a1's: encoded more than once", s.id, i)
			}
		}
		for i, f := range s.decoded(t) {
			var n int
			decodeData(t, f.Data, &n)
			if f.Type != codec.TypeEvent || f.Room != testRoomID || f.Seq != uint64(i+1) || f.Event != "n" || n != i {
				t.Errorf("%s frame %d = %+v (data %d), want event n seq %d data %d", s.id, i, f, n, i+1, i)
			}
		}
	}
}

func TestRoomBroadcastFromOnMessage(t *testing.T) {
	h := &hooks{message: func(r *room.Room, m *room.Message) (any, error) {
		var text string
		if err := codec.UnmarshalData(m.Data, &text); err != nil {
			return nil, err
		}
		seq, err := r.Broadcast("said", m.User+": "+text)
		return map[string]uint64{"seq": seq}, err
	}}
	r := startRoom(t, h, room.Config{})
	a1, a2, b := newSession("alice", "a1"), newSession("alice", "a2"), newSession("bob", "b1")
	for i, s := range []*fakeSession{a1, a2, b} {
		mustJoin(t, r, s, uint64(i+1))
	}
	data, _ := codec.MarshalData("hi")
	for i := range 3 {
		if err := r.Send(b, uint64(10+i), "say", data, ""); err != nil {
			t.Fatal(err)
		}
	}
	do(t, r, func() {})
	for _, s := range []*fakeSession{a1, a2, b} {
		evs := s.ofType(t, codec.TypeEvent)
		if len(evs) != 3 {
			t.Fatalf("%s got %d events, want 3 (both of alice's sessions must get them)", s.id, len(evs))
		}
		for i, ev := range evs {
			var text string
			decodeData(t, ev.Data, &text)
			if ev.Seq != uint64(i+1) || text != "bob: hi" {
				t.Errorf("%s event %d = seq %d %q", s.id, i, ev.Seq, text)
			}
		}
	}
	for i := range 3 {
		rep := b.reply(t, uint64(10+i))
		var got map[string]uint64
		decodeData(t, rep.Data, &got)
		if rep.Code != "" || got["seq"] != uint64(i+1) {
			t.Errorf("reply %d = %+v %v", i, rep, got)
		}
	}
	if len(a1.ofType(t, codec.TypeReply)) != 0 {
		t.Error("a non-sender got a reply")
	}
}

func TestRoomOnLeaveOnLastSession(t *testing.T) {
	cases := []struct {
		reason room.LeaveReason
		notify bool // whether the sessions get a left frame
		remove func(t *testing.T, r *room.Room, s1, s2 *fakeSession)
	}{
		{room.LeaveLeft, false, func(t *testing.T, r *room.Room, s1, s2 *fakeSession) {
			if err := r.Leave(ctxT(t), s1); err != nil {
				t.Fatal(err)
			}
			if err := r.Leave(ctxT(t), s2); err != nil {
				t.Fatal(err)
			}
		}},
		{room.LeaveDisconnected, false, func(t *testing.T, r *room.Room, s1, s2 *fakeSession) {
			r.Disconnect(s1)
			r.Disconnect(s2)
		}},
		{room.LeaveKicked, true, func(t *testing.T, r *room.Room, _, _ *fakeSession) {
			do(t, r, func() { r.Kick("alice") })
		}},
		{room.LeaveShutdown, true, func(t *testing.T, r *room.Room, _, _ *fakeSession) {
			r.Shutdown()
			waitDone(t, r)
		}},
	}
	for _, c := range cases {
		t.Run(string(c.reason), func(t *testing.T) {
			h := &hooks{}
			r := startRoom(t, h, room.Config{})
			s1, s2 := newSession("alice", "a1"), newSession("alice", "a2")
			bob := newSession("bob", "b1")
			mustJoin(t, r, s1, 1)
			mustJoin(t, r, s2, 2)
			mustJoin(t, r, bob, 3)
			if c.reason == room.LeaveLeft || c.reason == room.LeaveDisconnected {
				// Removing one of two sessions is not a leave.
				if c.reason == room.LeaveLeft {
					if err := r.Leave(ctxT(t), s1); err != nil {
						t.Fatal(err)
					}
				} else {
					r.Disconnect(s1)
				}
				var member bool
				var n int
				do(t, r, func() { member, n = r.IsMember("alice"), r.SessionCount("alice") })
				if !member || n != 1 {
					t.Fatalf("after one of two sessions left: member %v, sessions %d", member, n)
				}
				if h.count("leave alice "+string(c.reason)) != 0 {
					t.Fatalf("OnLeave ran while alice still had a session: %v", h.calls())
				}
			}
			c.remove(t, r, s1, s2)
			if c.reason != room.LeaveShutdown {
				do(t, r, func() {
					if r.IsMember("alice") {
						t.Error("alice is still a member")
					}
					if !r.IsMember("bob") {
						t.Error("bob was removed too")
					}
				})
			}
			if n := h.count("leave alice " + string(c.reason)); n != 1 {
				t.Fatalf("OnLeave(alice, %s) ran %d times, want 1 (calls %v)", c.reason, n, h.calls())
			}
			for _, s := range []*fakeSession{s1, s2} {
				if got := s.leftReasons(); !slices.Equal(got, []room.LeaveReason{c.reason}) {
					t.Errorf("%s RoomLeft reasons = %v, want [%s]", s.id, got, c.reason)
				}
				lefts := s.ofType(t, codec.TypeLeft)
				if !c.notify {
					if len(lefts) != 0 {
						t.Errorf("%s got a left frame for a removal it asked for: %+v", s.id, lefts)
					}
					continue
				}
				if len(lefts) != 1 || lefts[0].Room != testRoomID || lefts[0].Reason != string(c.reason) {
					t.Errorf("%s left frames = %+v, want one with reason %s", s.id, lefts, c.reason)
				}
			}
		})
	}
}

func TestRoomSendToAndEphemeral(t *testing.T) {
	h := &hooks{}
	r := startRoom(t, h, room.Config{})
	a1, a2 := newSession("alice", "a1"), newSession("alice", "a2")
	b, c := newSession("bob", "b1"), newSession("carol", "c1")
	all := []*fakeSession{a1, a2, b, c}
	for i, s := range all {
		mustJoin(t, r, s, uint64(i+1))
	}
	for _, s := range all {
		s.clear()
	}
	var seqAfter, next uint64
	do(t, r, func() {
		if _, err := r.Broadcast("first", nil); err != nil {
			t.Error(err)
		}
		if err := r.SendTo("alice", "private", "for alice"); err != nil {
			t.Error(err)
		}
		if err := r.SendTo("nobody", "private", "lost"); err != nil {
			t.Error(err)
		}
		if err := r.BroadcastEphemeral("typing", "alice", "alice"); err != nil {
			t.Error(err)
		}
		if err := r.BroadcastEphemeral("cursor", 1); err != nil {
			t.Error(err)
		}
		seqAfter = r.Seq()
		next, _ = r.Broadcast("second", nil)
	})
	if seqAfter != 1 || next != 2 {
		t.Fatalf("seq after ephemeral events = %d, next broadcast = %d; want 1 and 2", seqAfter, next)
	}
	names := func(s *fakeSession) []string {
		var out []string
		for _, f := range s.ofType(t, codec.TypeEvent) {
			out = append(out, fmt.Sprintf("%s/%d", f.Event, f.Seq))
		}
		return out
	}
	want := map[*fakeSession][]string{
		a1: {"first/1", "private/0", "cursor/0", "second/2"},
		a2: {"first/1", "private/0", "cursor/0", "second/2"},
		b:  {"first/1", "typing/0", "cursor/0", "second/2"},
		c:  {"first/1", "typing/0", "cursor/0", "second/2"},
	}
	for s, w := range want {
		if got := names(s); !slices.Equal(got, w) {
			t.Errorf("%s events = %v, want %v", s.id, got, w)
		}
	}
}

func TestRoomSendFromNonMember(t *testing.T) {
	h := &hooks{message: func(*room.Room, *room.Message) (any, error) { return "ok", nil }}
	r := startRoom(t, h, room.Config{})
	member := newSession("alice", "a1")
	mustJoin(t, r, member, 1)
	// Same user, different session: still not joined through this one.
	other := newSession("alice", "a2")
	stranger := newSession("eve", "e1")
	for _, s := range []*fakeSession{other, stranger} {
		if err := r.Send(s, 9, "say", nil, ""); err != nil {
			t.Fatal(err)
		}
	}
	do(t, r, func() {})
	for _, s := range []*fakeSession{other, stranger} {
		rep := s.reply(t, 9)
		if rep.Code != codec.CodeForbidden {
			t.Errorf("%s: reply code %q, want forbidden", s.id, rep.Code)
		}
	}
	if n := h.count("message alice say") + h.count("message eve say"); n != 0 {
		t.Fatalf("OnMessage ran for a non-member: %v", h.calls())
	}
}

func TestRoomMailboxFullIsBusy(t *testing.T) {
	entered := make(chan struct{}, 8)
	release := make(chan struct{})
	h := &hooks{message: func(*room.Room, *room.Message) (any, error) {
		entered <- struct{}{}
		<-release
		return nil, nil
	}}
	r := startRoom(t, h, room.Config{MailboxSize: 2})
	s := newSession("alice", "a1")
	mustJoin(t, r, s, 1)
	if err := r.Send(s, 10, "block", nil, ""); err != nil {
		t.Fatal(err)
	}
	<-entered // the room goroutine is now stuck in OnMessage
	for ref := uint64(11); ref <= 12; ref++ {
		if err := r.Send(s, ref, "block", nil, ""); err != nil {
			t.Fatalf("send %d with room in the mailbox: %v", ref, err)
		}
	}
	if err := r.Send(s, 13, "block", nil, ""); err != room.ErrBusy {
		t.Fatalf("send to a full mailbox = %v, want ErrBusy", err)
	}
	if ce := codec.AsError(room.ErrBusy); ce.Code != codec.CodeUnavailable {
		t.Fatalf("ErrBusy code = %s", ce.Code)
	}
	close(release)
	do(t, r, func() {})
	for ref := uint64(10); ref <= 12; ref++ {
		if rep := s.reply(t, ref); rep.Code != "" {
			t.Errorf("ref %d: code %q", ref, rep.Code)
		}
	}
	for _, f := range s.ofType(t, codec.TypeReply) {
		if f.Ref == 13 {
			t.Error("the room answered a send it refused")
		}
	}
}

func TestRoomOnMessagePanicRecovered(t *testing.T) {
	h := &hooks{message: func(_ *room.Room, m *room.Message) (any, error) {
		if m.Event == "boom" {
			panic("kaboom")
		}
		return "fine", nil
	}}
	r := startRoom(t, h, room.Config{})
	s := newSession("alice", "a1")
	mustJoin(t, r, s, 1)
	if err := r.Send(s, 2, "boom", nil, ""); err != nil {
		t.Fatal(err)
	}
	if err := r.Send(s, 3, "ok", nil, ""); err != nil {
		t.Fatal(err)
	}
	do(t, r, func() {})
	if rep := s.reply(t, 2); rep.Code != codec.CodeInternal {
		t.Fatalf("reply to the panicking send: code %q, want internal", rep.Code)
	}
	rep := s.reply(t, 3)
	var got string
	decodeData(t, rep.Data, &got)
	if rep.Code != "" || got != "fine" {
		t.Fatalf("next message after a panic: %+v %q", rep, got)
	}
}

func TestRoomHookPanicsRecovered(t *testing.T) {
	t.Run("OnCreate", func(t *testing.T) {
		h := &hooks{create: func(*room.Room) error { panic("create") }}
		r := startRoom(t, h, room.Config{})
		if err := r.Join(ctxT(t), newSession("alice", "a1"), 1, nil); err != room.ErrPanic {
			t.Fatalf("Join = %v, want ErrPanic", err)
		}
		waitDone(t, r)
	})
	t.Run("OnJoin", func(t *testing.T) {
		h := &hooks{join: func(_ *room.Room, j *room.Join) (any, error) {
			if j.User == "alice" {
				panic("join")
			}
			return nil, nil
		}}
		r := startRoom(t, h, room.Config{})
		a := newSession("alice", "a1")
		if err := r.Join(ctxT(t), a, 1, nil); err != room.ErrPanic {
			t.Fatalf("Join = %v, want ErrPanic", err)
		}
		mustJoin(t, r, newSession("bob", "b1"), 2)
		do(t, r, func() {
			if r.IsMember("alice") {
				t.Error("a join whose OnJoin panicked made a member")
			}
		})
		if len(a.raw()) != 0 {
			t.Error("session got a frame from a panicking join")
		}
	})
	t.Run("snapshot encoding", func(t *testing.T) {
		h := &hooks{join: func(*room.Room, *room.Join) (any, error) { return make(chan int), nil }}
		r := startRoom(t, h, room.Config{})
		if err := r.Join(ctxT(t), newSession("alice", "a1"), 1, nil); err != room.ErrPanic {
			t.Fatalf("Join with an unencodable snapshot = %v, want ErrPanic", err)
		}
	})
	t.Run("OnLeave", func(t *testing.T) {
		h := &hooks{leave: func(*room.Room, string, room.LeaveReason) { panic("leave") }}
		r := startRoom(t, h, room.Config{})
		a := newSession("alice", "a1")
		mustJoin(t, r, a, 1)
		if err := r.Leave(ctxT(t), a); err != nil {
			t.Fatal(err)
		}
		mustJoin(t, r, newSession("bob", "b1"), 2)
		do(t, r, func() {
			if r.IsMember("alice") || !r.IsMember("bob") {
				t.Errorf("members after a panicking OnLeave: %v", r.Members())
			}
		})
	})
	t.Run("OnTick", func(t *testing.T) {
		h := &hooks{
			create: func(r *room.Room) error { r.SetTick(time.Millisecond); return nil },
			tick:   func(*room.Room, time.Time) { panic("tick") },
		}
		r := startRoom(t, h, room.Config{})
		waitFor(t, "ticks after a panicking tick", func() bool { return h.ticks.Load() >= 3 })
		do(t, r, func() {})
	})
	t.Run("timer", func(t *testing.T) {
		h := &hooks{}
		r := startRoom(t, h, room.Config{})
		fired := make(chan struct{})
		do(t, r, func() {
			r.After(time.Millisecond, func() { panic("timer") })
			r.After(5*time.Millisecond, func() { close(fired) })
		})
		select {
		case <-fired:
		case <-time.After(waitLimit):
			t.Fatal("timer after a panicking timer did not run")
		}
		do(t, r, func() {})
	})
	t.Run("Do", func(t *testing.T) {
		h := &hooks{}
		r := startRoom(t, h, room.Config{})
		if err := r.Do(ctxT(t), func() { panic("do") }); err != nil {
			t.Fatalf("Do with a panicking fn = %v", err)
		}
		do(t, r, func() {})
	})
	t.Run("OnDispose", func(t *testing.T) {
		var exited atomic.Bool
		h := &hooks{dispose: func(*room.Room, room.DisposeReason) { panic("dispose") }}
		r := startRoom(t, h, room.Config{OnExit: func(*room.Room) { exited.Store(true) }})
		mustJoin(t, r, newSession("alice", "a1"), 1)
		r.Shutdown()
		waitDone(t, r)
		if !exited.Load() {
			t.Fatal("OnExit did not run after a panicking OnDispose")
		}
	})
}

// TestRoomTimersOnRoomGoroutine mutates unsynchronized handler state from
// messages, timers and Do; the race detector proves they never overlap,
// and goroutine ids prove they all run on the room goroutine.
func TestRoomTimersOnRoomGoroutine(t *testing.T) {
	var roomG uint64 // written in OnCreate, read on the room goroutine only
	var n int        // plain int on purpose
	var wrongG atomic.Int32
	check := func() {
		if goid() != roomG {
			wrongG.Add(1)
		}
	}
	h := &hooks{
		create: func(*room.Room) error { roomG = goid(); return nil },
		message: func(*room.Room, *room.Message) (any, error) {
			check()
			n++
			return nil, nil
		},
	}
	r := startRoom(t, h, room.Config{})
	s := newSession("alice", "a1")
	mustJoin(t, r, s, 1)
	const timers, msgs = 100, 100
	do(t, r, func() {
		check()
		for i := range timers {
			r.After(time.Duration(i%10)*time.Millisecond, func() { check(); n++ })
		}
	})
	var wg sync.WaitGroup
	wg.Go(func() {
		for i := range msgs {
			for r.Send(s, uint64(i+2), "inc", nil, "") == room.ErrBusy {
				runtime.Gosched()
			}
		}
	})
	wg.Wait()
	waitFor(t, "every timer and message", func() bool {
		var got int
		do(t, r, func() { got = n })
		return got == timers+msgs
	})
	if wrongG.Load() != 0 {
		t.Fatalf("%d calls ran off the room goroutine", wrongG.Load())
	}
}

func TestRoomTimerStop(t *testing.T) {
	clk := roomtest.NewFakeClock(time.Time{})
	h := &hooks{}
	r := startRoom(t, h, room.Config{Clock: clk, IdleTTL: 24 * time.Hour})
	var cancelled, fired bool // room goroutine only
	var first, second bool
	var tm *room.Timer
	do(t, r, func() {
		stopped := r.After(20*time.Millisecond, func() { cancelled = true })
		first, second = stopped.Stop(), stopped.Stop()
		tm = r.After(time.Millisecond, func() { fired = true })
	})
	if !first || second {
		t.Fatalf("Stop of a pending timer = %v then %v, want true then false", first, second)
	}
	clk.Advance(time.Minute)
	do(t, r, func() {
		if !fired || cancelled {
			t.Errorf("after the deadlines: live timer ran %v, stopped timer ran %v", fired, cancelled)
		}
		if tm.Stop() {
			t.Error("Stop of a fired timer reported it pending")
		}
	})

	// Timers of a stopped room never run, and its clock timers are
	// disarmed.
	var late atomic.Bool
	do(t, r, func() { r.After(20*time.Millisecond, func() { late.Store(true) }) })
	r.Shutdown()
	waitDone(t, r)
	clk.Advance(time.Minute)
	if late.Load() || clk.Pending() != 0 {
		t.Fatalf("after the room stopped: timer ran %v, %d clock timers armed", late.Load(), clk.Pending())
	}
}

// TestRoomTimersFollowTheClock drives Room.After with a fake clock: a
// timer runs when the clock reaches its deadline and not before, and it
// has run by the time Advance returns.
func TestRoomTimersFollowTheClock(t *testing.T) {
	clk := roomtest.NewFakeClock(time.Time{})
	start := clk.Now()
	var ran []string // room goroutine only
	r := startRoom(t, &hooks{}, room.Config{Clock: clk, IdleTTL: 24 * time.Hour})
	at := func(name string) func() {
		return func() { ran = append(ran, name+"@"+r.Now().Sub(start).String()) }
	}
	do(t, r, func() {
		r.After(2*time.Second, at("b"))
		r.After(time.Second, at("a"))
		r.After(0, at("now")) // runs after this Do, without the clock
	})
	check := func(want ...string) {
		t.Helper()
		var got []string
		do(t, r, func() { got = slices.Clone(ran) })
		if !slices.Equal(got, want) {
			t.Fatalf("timers ran %v, want %v", got, want)
		}
	}
	check("now@0s")
	clk.Advance(999 * time.Millisecond)
	check("now@0s")
	clk.Advance(time.Millisecond)
	check("now@0s", "a@1s")
	clk.Advance(5 * time.Second)
	check("now@0s", "a@1s", "b@2s")
}

func TestRoomSetTick(t *testing.T) {
	clk := roomtest.NewFakeClock(time.Time{})
	start := clk.Now()
	var at []time.Duration // room goroutine only
	h := &hooks{
		create: func(r *room.Room) error { r.SetTick(2 * time.Second); return nil },
		tick:   func(_ *room.Room, now time.Time) { at = append(at, now.Sub(start)) },
	}
	r := startRoom(t, h, room.Config{Clock: clk, IdleTTL: 24 * time.Hour})
	do(t, r, func() {}) // OnCreate has armed the first tick
	ticks := func() []time.Duration {
		var got []time.Duration
		do(t, r, func() { got = slices.Clone(at) })
		return got
	}
	clk.Advance(7 * time.Second)
	if got, want := ticks(), []time.Duration{2 * time.Second, 4 * time.Second, 6 * time.Second}; !slices.Equal(got, want) {
		t.Fatalf("ticks at %v, want %v", got, want)
	}
	do(t, r, func() { r.SetTick(0) })
	clk.Advance(time.Minute)
	if n := len(ticks()); n != 3 {
		t.Fatalf("OnTick ran %d more times after SetTick(0)", n-3)
	}
	// Ticking can start again, from any hook, at a new rate.
	do(t, r, func() { r.SetTick(time.Second) })
	clk.Advance(2 * time.Second)
	if got := ticks(); len(got) != 5 || got[4]-got[3] != time.Second {
		t.Fatalf("ticks after restarting at 1s: %v", got)
	}
}

func TestRoomIdleDisposal(t *testing.T) {
	clk := roomtest.NewFakeClock(time.Time{})
	var exited atomic.Int32
	var disposedFirst atomic.Bool
	h := &hooks{}
	r := startRoom(t, h, room.Config{
		Clock:   clk,
		IdleTTL: 30 * time.Second,
		OnExit: func(r *room.Room) {
			disposedFirst.Store(h.count("dispose idle") == 1)
			exited.Add(1)
		},
	})
	a := newSession("alice", "a1")
	mustJoin(t, r, a, 1)
	if err := r.Leave(ctxT(t), a); err != nil {
		t.Fatal(err)
	}
	clk.Advance(30*time.Second - time.Nanosecond)
	do(t, r, func() {})
	if h.count("dispose idle") != 0 {
		t.Fatal("room disposed before IdleTTL")
	}
	clk.Advance(time.Nanosecond)
	waitDone(t, r)
	calls := h.calls()
	if !slices.Equal(calls[len(calls)-2:], []string{"leave alice left", "dispose idle"}) {
		t.Fatalf("calls = %v, want ... leave alice left, dispose idle", calls)
	}
	if exited.Load() != 1 || !disposedFirst.Load() {
		t.Fatalf("OnExit ran %d times (after OnDispose: %v), want once after", exited.Load(), disposedFirst.Load())
	}
	if err := r.Join(ctxT(t), a, 2, nil); err != room.ErrClosed {
		t.Fatalf("Join to a disposed room = %v, want ErrClosed", err)
	}
}

func TestRoomIdleCancelledByRejoin(t *testing.T) {
	clk := roomtest.NewFakeClock(time.Time{})
	h := &hooks{}
	r := startRoom(t, h, room.Config{Clock: clk, IdleTTL: 80 * time.Second})
	a := newSession("alice", "a1")
	mustJoin(t, r, a, 1)
	if err := r.Leave(ctxT(t), a); err != nil {
		t.Fatal(err)
	}
	mustJoin(t, r, a, 2)
	clk.Advance(time.Hour)
	do(t, r, func() {})
	if h.count("dispose idle") != 0 {
		t.Fatal("room disposed although a member rejoined within IdleTTL")
	}
	// Empty again: the timer is armed afresh.
	r.Disconnect(a)
	do(t, r, func() {})
	clk.Advance(80 * time.Second)
	waitDone(t, r)
	if h.count("dispose idle") != 1 {
		t.Fatalf("calls = %v, want dispose idle", h.calls())
	}
}

// A room whose first join was refused has never had a member; it must
// still go away after IdleTTL instead of running forever.
func TestRoomIdleDisposalWithoutMembers(t *testing.T) {
	h := &hooks{join: func(*room.Room, *room.Join) (any, error) {
		return nil, codec.Errorf(codec.CodeForbidden, "no")
	}}
	r := startRoom(t, h, room.Config{IdleTTL: 20 * time.Millisecond})
	if err := r.Join(ctxT(t), newSession("alice", "a1"), 1, nil); err == nil {
		t.Fatal("join accepted")
	}
	waitDone(t, r)
	if h.count("dispose idle") != 1 {
		t.Fatalf("calls = %v, want dispose idle", h.calls())
	}
}

func TestRoomNegativeIdleTTLDisposesAtOnce(t *testing.T) {
	h := &hooks{}
	r := startRoom(t, h, room.Config{IdleTTL: -1})
	a := newSession("alice", "a1")
	mustJoin(t, r, a, 1)
	r.Disconnect(a)
	waitDone(t, r)
	if h.count("dispose idle") != 1 {
		t.Fatalf("calls = %v, want dispose idle", h.calls())
	}
}

func TestRoomCloseFromHook(t *testing.T) {
	h := &hooks{message: func(r *room.Room, m *room.Message) (any, error) {
		r.Close()
		return "bye", nil
	}}
	r := startRoom(t, h, room.Config{})
	a, b := newSession("alice", "a1"), newSession("bob", "b1")
	mustJoin(t, r, a, 1)
	mustJoin(t, r, b, 2)
	if err := r.Send(a, 3, "end", nil, ""); err != nil {
		t.Fatal(err)
	}
	waitDone(t, r)
	rep := a.reply(t, 3)
	var got string
	decodeData(t, rep.Data, &got)
	if got != "bye" {
		t.Fatalf("reply of the closing hook = %+v", rep)
	}
	for _, s := range []*fakeSession{a, b} {
		frames := s.decoded(t)
		last := frames[len(frames)-1]
		if last.Type != codec.TypeLeft || last.Reason != string(room.LeaveClosed) {
			t.Errorf("%s last frame = %+v, want left closed", s.id, last)
		}
		if got := s.leftReasons(); !slices.Equal(got, []room.LeaveReason{room.LeaveClosed}) {
			t.Errorf("%s RoomLeft = %v", s.id, got)
		}
		if h.count("leave "+s.user+" closed") != 1 {
			t.Errorf("OnLeave(%s, closed) missing: %v", s.user, h.calls())
		}
	}
	calls := h.calls()
	if calls[len(calls)-1] != "dispose closed" {
		t.Fatalf("calls = %v, want dispose closed last", calls)
	}
	if err := r.Send(a, 4, "x", nil, ""); err != room.ErrClosed {
		t.Fatalf("Send to a closed room = %v, want ErrClosed", err)
	}
}

func TestRoomDoRunsOnRoomGoroutine(t *testing.T) {
	var roomG atomic.Uint64
	h := &hooks{create: func(*room.Room) error { roomG.Store(goid()); return nil }}
	r := startRoom(t, h, room.Config{})
	var got uint64
	do(t, r, func() { got = goid() })
	if got != roomG.Load() || got == goid() {
		t.Fatalf("Do ran on goroutine %d; room goroutine %d, caller %d", got, roomG.Load(), goid())
	}
}

func TestRoomStoppedReturnsErrClosed(t *testing.T) {
	h := &hooks{}
	r := startRoom(t, h, room.Config{})
	s := newSession("alice", "a1")
	mustJoin(t, r, s, 1)
	r.Shutdown()
	r.Shutdown() // idempotent
	waitDone(t, r)
	ctx := ctxT(t)
	if err := r.Join(ctx, s, 2, nil); err != room.ErrClosed {
		t.Errorf("Join = %v, want ErrClosed", err)
	}
	if err := r.Leave(ctx, s); err != room.ErrClosed {
		t.Errorf("Leave = %v, want ErrClosed", err)
	}
	if err := r.Do(ctx, func() { t.Error("Do ran on a stopped room") }); err != room.ErrClosed {
		t.Errorf("Do = %v, want ErrClosed", err)
	}
	if err := r.Send(s, 3, "x", nil, ""); err != room.ErrClosed {
		t.Errorf("Send = %v, want ErrClosed", err)
	}
	r.Disconnect(s) // must not block
	if !errors.Is(room.ErrClosed, &codec.Error{Code: codec.CodeUnavailable}) {
		t.Error("ErrClosed is not an unavailable error")
	}
	calls := h.calls()
	if calls[len(calls)-1] != "dispose shutdown" {
		t.Fatalf("calls = %v, want dispose shutdown last", calls)
	}
}

func TestRoomSetSeqNeverBackwards(t *testing.T) {
	h := &hooks{}
	r := startRoom(t, h, room.Config{})
	do(t, r, func() {
		r.SetSeq(10)
		if r.Seq() != 10 {
			t.Errorf("Seq = %d after SetSeq(10)", r.Seq())
		}
		r.SetSeq(3)
		if r.Seq() != 10 {
			t.Errorf("SetSeq(3) moved seq back to %d", r.Seq())
		}
		if seq, _ := r.Broadcast("x", nil); seq != 11 {
			t.Errorf("broadcast after SetSeq(10) got seq %d, want 11", seq)
		}
		r.SetSeq(11)
		if seq := r.BroadcastRaw("x", nil); seq != 12 {
			t.Errorf("BroadcastRaw seq %d, want 12", seq)
		}
	})
}

// recordingFanout is a room.Fanout that records what the room asks of it.
type recordingFanout struct {
	mu    sync.Mutex
	calls []string
	pub   [][]byte
}

func (f *recordingFanout) Attach(roomID string, s room.Session) {
	f.mu.Lock()
	f.calls = append(f.calls, "attach "+s.ID())
	f.mu.Unlock()
}

func (f *recordingFanout) Detach(roomID string, s room.Session) {
	f.mu.Lock()
	f.calls = append(f.calls, "detach "+s.ID())
	f.mu.Unlock()
}

func (f *recordingFanout) Publish(roomID string, frames []byte) {
	f.mu.Lock()
	f.calls = append(f.calls, "publish "+roomID)
	f.pub = append(f.pub, frames)
	f.mu.Unlock()
}

func TestRoomUsesFanout(t *testing.T) {
	fan := &recordingFanout{}
	r := startRoom(t, &hooks{}, room.Config{Fanout: fan})
	a, b := newSession("alice", "a1"), newSession("bob", "b1")
	mustJoin(t, r, a, 1)
	mustJoin(t, r, b, 2)
	a.clear()
	do(t, r, func() { r.BroadcastRaw("x", nil) })
	if err := r.Leave(ctxT(t), a); err != nil {
		t.Fatal(err)
	}
	fan.mu.Lock()
	calls := slices.Clone(fan.calls)
	pub := slices.Clone(fan.pub)
	fan.mu.Unlock()
	want := []string{"attach a1", "attach b1", "publish " + testRoomID, "detach a1"}
	if !slices.Equal(calls, want) {
		t.Fatalf("fanout calls = %v, want %v", calls, want)
	}
	if len(a.raw()) != 0 {
		t.Fatal("with a Fanout, the room delivered a broadcast directly")
	}
	var f codec.Frame
	if err := codec.DecodeFrame(pub[0], &f); err != nil || f.Type != codec.TypeEvent || f.Seq != 1 {
		t.Fatalf("published frame %+v, %v", f, err)
	}
}

func TestRoomSetIdleTTL(t *testing.T) {
	clk := roomtest.NewFakeClock(time.Time{})
	// The room starts with a one-hour TTL and shortens it from OnCreate.
	h := &hooks{create: func(r *room.Room) error {
		if r.IdleTTL() != time.Hour {
			return fmt.Errorf("IdleTTL() = %v, want the configured 1h", r.IdleTTL())
		}
		r.SetIdleTTL(20 * time.Second)
		return nil
	}}
	r := startRoom(t, h, room.Config{Clock: clk, IdleTTL: time.Hour})
	a := newSession("alice", "a1")
	mustJoin(t, r, a, 1)
	if err := r.Leave(ctxT(t), a); err != nil {
		t.Fatal(err)
	}
	clk.Advance(20 * time.Second)
	waitDone(t, r)
	if h.count("dispose idle") != 1 {
		t.Fatalf("calls = %v, want an idle dispose after the shortened TTL", h.calls())
	}

	// Lengthening a pending idle timer re-arms it: the room survives the
	// old deadline and a member can come back.
	h2 := &hooks{}
	r2 := startRoom(t, h2, room.Config{Clock: clk, IdleTTL: 300 * time.Second})
	b := newSession("bob", "b1")
	mustJoin(t, r2, b, 1)
	if err := r2.Leave(ctxT(t), b); err != nil {
		t.Fatal(err)
	}
	do(t, r2, func() { r2.SetIdleTTL(time.Hour) })
	clk.Advance(10 * time.Minute)
	do(t, r2, func() {})
	if h2.count("dispose idle") != 0 {
		t.Fatal("room disposed at its old TTL after SetIdleTTL lengthened it")
	}
	mustJoin(t, r2, b, 2)

	// Zero disposes an empty room at once.
	do(t, r2, func() {})
	if err := r2.Leave(ctxT(t), b); err != nil {
		t.Fatal(err)
	}
	do(t, r2, func() { r2.SetIdleTTL(0) })
	waitDone(t, r2)
}

// valueFanout is a room.Fanout that records the Session values it is
// given, to tell two values of one session apart.
type valueFanout struct {
	mu       sync.Mutex
	attached []room.Session
	detached []room.Session
}

func (f *valueFanout) Attach(_ string, s room.Session) {
	f.mu.Lock()
	f.attached = append(f.attached, s)
	f.mu.Unlock()
}

func (f *valueFanout) Detach(_ string, s room.Session) {
	f.mu.Lock()
	f.detached = append(f.detached, s)
	f.mu.Unlock()
}

func (f *valueFanout) Publish(string, []byte) {}

// TestRoomRejoinThroughAnotherValue: a session that joins again through
// another Session value with its id (as a cluster owner's view of a
// member on another node is made anew when its link to that node is)
// stays one membership, held by the new value: the broadcasts move to
// it, and the old one is dropped without a left. A leave or disconnect
// that names the old value then ends the membership as the room holds
// it, detaching the new value.
func TestRoomRejoinThroughAnotherValue(t *testing.T) {
	fan := &valueFanout{}
	r := startRoom(t, &hooks{}, room.Config{Fanout: fan})
	old, next := newSession("alice", "a1"), newSession("alice", "a1")
	mustJoin(t, r, old, 1)
	mustJoin(t, r, next, 2)
	if next.joinedCount() != 1 || len(old.leftReasons()) != 0 {
		t.Fatalf("the new value joined %d times, the old one left %v; want 1 and none", next.joinedCount(), old.leftReasons())
	}
	fan.mu.Lock()
	attached, detached := slices.Clone(fan.attached), slices.Clone(fan.detached)
	fan.mu.Unlock()
	if !slices.Equal(attached, []room.Session{old, next}) || !slices.Equal(detached, []room.Session{old}) {
		t.Fatalf("fanout: attached %v, detached %v; want both, then the old one detached", attached, detached)
	}
	if err := r.Leave(ctxT(t), old); err != nil {
		t.Fatal(err)
	}
	var member bool
	do(t, r, func() { member = r.IsMember("alice") })
	if member {
		t.Fatal("alice is still a member after the leave")
	}
	if got := next.leftReasons(); !slices.Equal(got, []room.LeaveReason{room.LeaveLeft}) || len(old.leftReasons()) != 0 {
		t.Fatalf("left: the new value %v, the old one %v; want the new one told", got, old.leftReasons())
	}
	fan.mu.Lock()
	detached = slices.Clone(fan.detached)
	fan.mu.Unlock()
	if !slices.Equal(detached, []room.Session{old, next}) {
		t.Fatalf("fanout detached %v, want the new value detached at the leave", detached)
	}
}
