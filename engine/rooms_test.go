package engine_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/parlorhq/parlor/client"
	"github.com/parlorhq/parlor/codec"
	"github.com/parlorhq/parlor/engine"
	"github.com/parlorhq/parlor/internal/echo"
	"github.com/parlorhq/parlor/room"
)

// TestBroadcastReachesEverySession: a broadcast reaches every session of
// every member (alice has two tabs) with the same seq, and seqs increase
// by one.
func TestBroadcastReachesEverySession(t *testing.T) {
	env := newEnv(t, engine.Config{})
	tab1, tab2, bob := env.dial("alice"), env.dial("alice"), env.dial("bob")
	j1 := tab1.join(echo.Kind, echo.JoinParams{Name: "tabs"})
	j2 := tab2.join(echo.Kind, echo.JoinParams{Name: "tabs"})
	jb := bob.join(echo.Kind, echo.JoinParams{Name: "tabs"})
	if j1.Room != j2.Room || j1.Room != jb.Room {
		t.Fatalf("rooms differ: %s %s %s", j1.Room, j2.Room, jb.Room)
	}
	var snap echo.Snapshot
	if err := jb.Decode(&snap); err != nil || len(snap.Members) != 2 {
		t.Fatalf("bob's snapshot %+v (%v), want two members", snap, err)
	}

	const n = 20
	var seqs []uint64
	for i := range n {
		from := []*tclient{tab1, tab2, bob}[i%3]
		seqs = append(seqs, from.say(j1.Room, fmt.Sprint("msg ", i)))
	}
	for i, seq := range seqs {
		if want := jb.Seq + uint64(i) + 1; seq != want {
			t.Fatalf("broadcast %d got seq %d, want %d", i, seq, want)
		}
	}
	for _, c := range []*tclient{tab1, tab2, bob} {
		evs := c.waitEvents(j1.Room, "said", n)
		if len(evs) != n {
			t.Fatalf("%s/%s: %d events, want %d", c.UserID(), c.SessionID(), len(evs), n)
		}
		for i, ev := range evs {
			if ev.Seq != seqs[i] {
				t.Fatalf("%s/%s: event %d has seq %d, want %d", c.UserID(), c.SessionID(), i, ev.Seq, seqs[i])
			}
			s := decodeSaid(t, ev)
			if want := []string{"alice", "alice", "bob"}[i%3]; s.From != want || s.Text != fmt.Sprint("msg ", i) {
				t.Fatalf("%s: event %d is %+v", c.UserID(), i, s)
			}
		}
	}
	// A late joiner's joined seq is the head: it gets exactly what follows.
	late := env.dial("carol")
	jl := late.join(echo.Kind, echo.JoinParams{Name: "tabs"})
	if jl.Seq != seqs[n-1] {
		t.Fatalf("late joiner's seq %d, want %d", jl.Seq, seqs[n-1])
	}
	bob.say(j1.Room, "hi carol")
	if ev := late.waitEvents(j1.Room, "said", 1)[0]; ev.Seq != jl.Seq+1 {
		t.Fatalf("late joiner's first event has seq %d, want %d", ev.Seq, jl.Seq+1)
	}
}

// TestLeaveAndDisconnect: after leaving, sends are forbidden; leaving runs
// OnLeave(left); closing one of two tabs runs nothing, closing the last
// runs OnLeave(disconnected).
func TestLeaveAndDisconnect(t *testing.T) {
	mod := newTestModule()
	env := newEnv(t, engine.Config{}, mod)
	alice := env.dial("alice")
	bob1, bob2 := env.dial("bob"), env.dial("bob")
	ja := alice.join(testKind, testParams{Name: "lobby"})
	bob1.join(testKind, testParams{Name: "lobby"})
	bob2.join(testKind, testParams{Name: "lobby"})
	id := ja.Room

	// Leave, then send.
	if err := alice.Leave(testCtx(t), id); err != nil {
		t.Fatalf("leave: %v", err)
	}
	if n := mod.log.count(hookRec{Room: id, Hook: "leave", User: "alice", Reason: string(room.LeaveLeft)}); n != 1 {
		t.Fatalf("%d OnLeave(alice, left) after the leave reply, want 1 (log %+v)", n, mod.log.all())
	}
	_, err := alice.Send(testCtx(t), id, "say", echo.SayData{Text: "still here?"})
	if code := codeOf(t, err); code != codec.CodeForbidden {
		t.Fatalf("send after leave: %q, want %q", code, codec.CodeForbidden)
	}
	if err := alice.Leave(testCtx(t), id); codeOf(t, err) != codec.CodeForbidden {
		t.Fatalf("second leave: %v, want forbidden", err)
	}
	bob1.say(id, "alice left")
	bob2.waitEvents(id, "said", 1)
	// A leave asked for is not notified with a left frame.
	for _, ev := range alice.snapshot() {
		if ev.Left {
			t.Fatalf("alice got a left notice for her own leave: %+v", ev)
		}
	}

	// Close one of bob's two tabs: bob is still a member.
	bob1.close()
	env.waitSessions(2)
	r, ok := env.e.Room(id)
	if !ok {
		t.Fatal("room gone")
	}
	// The disconnect was queued to the room before the session was
	// forgotten; a Do queued after it sees its effect.
	var sessions int
	var member bool
	if err := r.Do(testCtx(t), func() { sessions, member = r.SessionCount("bob"), r.IsMember("bob") }); err != nil {
		t.Fatal(err)
	}
	if sessions != 1 || !member {
		t.Fatalf("after closing one tab: bob member %v with %d sessions, want 1", member, sessions)
	}
	if n := mod.log.count(hookRec{Room: id, Hook: "leave", User: "bob"}); n != 0 {
		t.Fatalf("closing one of two tabs ran OnLeave for bob (%+v)", mod.log.all())
	}
	bob2.say(id, "one tab left")

	// Close the last tab.
	bob2.close()
	mod.log.wait(t, hookRec{Room: id, Hook: "leave", User: "bob", Reason: string(room.LeaveDisconnected)}, 1)
	if n := mod.log.count(hookRec{Room: id, Hook: "leave", User: "bob"}); n != 1 {
		t.Fatalf("%d OnLeave for bob, want 1 (%+v)", n, mod.log.all())
	}
}

// TestBatchedMessage: connect, join and sends batched in one WebSocket
// message are handled in order.
func TestBatchedMessage(t *testing.T) {
	env := newEnv(t, engine.Config{})
	bob := env.dial("bob")
	jb := bob.join(echo.Kind, echo.JoinParams{Name: "batch"})

	w := env.rawDial("alice", nil)
	params, _ := codec.MarshalData(echo.JoinParams{Name: "batch"})
	msg := codec.AppendConnect(nil, 1, "batcher", "")
	msg = codec.AppendJoin(msg, 2, echo.Kind, params, "", 0)
	for i, text := range []string{"one", "two", "three"} {
		data, _ := codec.MarshalData(echo.SayData{Text: text})
		// The room id is known in advance: it is keyed by the secret.
		msg = codec.AppendSend(msg, uint64(3+i), jb.Room, "say", data, "")
	}
	msg = codec.AppendLeave(msg, 6, jb.Room)
	w.send(msg)
	res := w.readUntil(waitTimeout, func(f *codec.Frame) bool { return f.Type == codec.TypeReply && f.Ref == 6 })

	type step struct {
		typ  codec.Type
		ref  uint64
		seq  uint64
		text string
	}
	want := []step{
		{codec.TypeConnected, 1, 0, ""},
		{codec.TypeJoined, 2, jb.Seq, ""},
		{codec.TypeEvent, 0, jb.Seq + 1, "one"},
		{codec.TypeReply, 3, 0, ""},
		{codec.TypeEvent, 0, jb.Seq + 2, "two"},
		{codec.TypeReply, 4, 0, ""},
		{codec.TypeEvent, 0, jb.Seq + 3, "three"},
		{codec.TypeReply, 5, 0, ""},
		{codec.TypeReply, 6, 0, ""},
	}
	if len(res.frames) != len(want) {
		t.Fatalf("got %d frames %+v, want %d", len(res.frames), res.frames, len(want))
	}
	for i, f := range res.frames {
		w := want[i]
		got := step{typ: f.Type, ref: f.Ref, seq: f.Seq}
		if f.Type == codec.TypeEvent {
			var s echo.Said
			if err := codec.UnmarshalData(f.Data, &s); err != nil {
				t.Fatal(err)
			}
			got.text = s.Text
			if s.From != "alice" {
				t.Errorf("frame %d from %q", i, s.From)
			}
		}
		if got != w {
			t.Errorf("frame %d: %+v, want %+v", i, got, w)
		}
		if f.Type == codec.TypeReply && f.Code != "" {
			t.Errorf("frame %d: reply with error %s: %s", i, f.Code, f.Message)
		}
		if f.Type == codec.TypeJoined && f.Room != jb.Room {
			t.Errorf("joined %s, want %s", f.Room, jb.Room)
		}
	}
	evs := bob.waitEvents(jb.Room, "said", 3)
	for i, text := range []string{"one", "two", "three"} {
		if s := decodeSaid(t, evs[i]); s.Text != text || s.From != "alice" {
			t.Errorf("bob's event %d: %+v", i, s)
		}
	}
}

// TestRoomIdleDisposal: an empty room is disposed after Room.IdleTTL, and a
// later join creates a fresh one.
func TestRoomIdleDisposal(t *testing.T) {
	mod := newTestModule()
	env := newEnv(t, engine.Config{Room: room.Config{IdleTTL: 50 * time.Millisecond}}, mod) // 50ms
	alice, bob := env.dial("alice"), env.dial("bob")
	id := testRoomID("idle")

	ja := alice.join(testKind, testParams{Name: "idle"})
	bob.join(testKind, testParams{Name: "idle"})
	alice.say(ja.Room, "one")
	alice.say(ja.Room, "two")
	if err := alice.Leave(testCtx(t), id); err != nil {
		t.Fatal(err)
	}
	// One member left: the room stays.
	if n := mod.log.count(hookRec{Room: id, Hook: "dispose"}); n != 0 {
		t.Fatalf("disposed with a member left")
	}
	bob.close()
	mod.log.wait(t, hookRec{Room: id, Hook: "dispose", Reason: string(room.DisposeIdle)}, 1)
	eventually(t, waitTimeout, "no rooms", func() bool { return env.e.Stats().Rooms == 0 })
	if _, ok := env.e.Room(id); ok {
		t.Fatal("disposed room still registered")
	}
	if n := mod.log.count(hookRec{Room: id, Hook: "create"}); n != 1 {
		t.Fatalf("%d OnCreate, want 1", n)
	}

	// Rejoining creates a fresh room: OnCreate again, seq from zero.
	j := alice.join(testKind, testParams{Name: "idle"})
	if j.Room != id || j.Seq != 0 {
		t.Fatalf("rejoined %s at seq %d, want %s at 0", j.Room, j.Seq, id)
	}
	if n := mod.log.count(hookRec{Room: id, Hook: "create"}); n != 2 {
		t.Fatalf("%d OnCreate, want 2", n)
	}
	if seq := alice.say(j.Room, "fresh"); seq != 1 {
		t.Fatalf("first broadcast of the fresh room has seq %d, want 1", seq)
	}
	if st := env.e.Stats(); st.Rooms != 1 {
		t.Fatalf("stats %+v, want 1 room", st)
	}
	if err := alice.Leave(testCtx(t), id); err != nil {
		t.Fatal(err)
	}
	// Joining an emptied room, over and over, around its idle timer, never
	// loses a join to a room being disposed.
	for i := range 30 {
		c := env.dial("bob")
		if j := c.join(testKind, testParams{Name: "idle"}); j.Room != id {
			t.Fatalf("join %d: room %s", i, j.Room)
		}
		if i%3 == 0 {
			time.Sleep(40 * time.Millisecond) // let some idle timers come close
		}
		c.close()
	}
}

// TestRejectedJoinDoesNotLeakRooms: a join rejected by the room (OnJoin
// fails) may have created the room; it must still be disposed when idle,
// or every rejected join would leak a room.
func TestRejectedJoinDoesNotLeakRooms(t *testing.T) {
	mod := newTestModule()
	env := newEnv(t, engine.Config{Room: room.Config{IdleTTL: 50 * time.Millisecond}}, mod) // 50ms
	c := env.dial("mallory")
	for i := range 10 {
		_, err := c.Join(testCtx(t), testKind, testParams{Name: fmt.Sprint("nope-", i), Panic: "join"})
		if err == nil {
			t.Fatal("join succeeded")
		}
	}
	mod.log.wait(t, hookRec{Hook: "dispose", Reason: string(room.DisposeIdle)}, 10)
	eventually(t, waitTimeout, "no rooms", func() bool { return env.e.Stats().Rooms == 0 })

	// The same with an immediate disposal (negative TTL).
	mod2 := newTestModule()
	env2 := newEnv(t, engine.Config{Room: room.Config{IdleTTL: -1}}, mod2)
	c2 := env2.dial("mallory")
	if _, err := c2.Join(context.Background(), testKind, testParams{Name: "nope", Panic: "join"}); err == nil {
		t.Fatal("join succeeded")
	}
	eventually(t, waitTimeout, "no rooms", func() bool { return env2.e.Stats().Rooms == 0 })
}

// TestJoinWhileRoomDisposes: a join that arrives while its room is being
// disposed (here, an idle room whose OnDispose is slow) lands in a fresh
// room once the old one is gone, instead of failing.
func TestJoinWhileRoomDisposes(t *testing.T) {
	mod := newTestModule()
	mod.disposing = make(chan string, 4)
	mod.disposeGate = make(chan struct{})
	env := newEnv(t, engine.Config{Room: room.Config{IdleTTL: 20 * time.Millisecond}}, mod)
	alice, bob := env.dial("alice"), env.dial("bob")
	id := testRoomID("slow-dispose")
	alice.join(testKind, testParams{Name: "slow-dispose"})
	if err := alice.Leave(testCtx(t), id); err != nil {
		t.Fatal(err)
	}
	select {
	case <-mod.disposing:
	case <-time.After(waitTimeout):
		close(mod.disposeGate)
		t.Fatal("the idle room was not disposed")
	}
	// OnDispose is now blocked: the room is stopping but still registered.
	type result struct {
		j   *client.Joined
		err error
	}
	done := make(chan result, 1)
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
		defer cancel()
		j, err := bob.Join(ctx, testKind, testParams{Name: "slow-dispose"})
		done <- result{j, err}
	}()
	// The join reaches the stopping room, and must not complete while
	// that room is still there.
	select {
	case res := <-done:
		close(mod.disposeGate)
		t.Fatalf("join returned while the old room was still disposing: %+v, %v", res.j, res.err)
	case <-time.After(50 * time.Millisecond):
	}
	close(mod.disposeGate)
	res := <-done
	if res.err != nil {
		t.Fatalf("join during disposal: %v", res.err)
	}
	if res.j.Room != id || res.j.Seq != 0 {
		t.Fatalf("joined %s at seq %d, want a fresh %s", res.j.Room, res.j.Seq, id)
	}
	if n := mod.log.count(hookRec{Room: id, Hook: "create"}); n != 2 {
		t.Fatalf("%d OnCreate, want 2", n)
	}
	bob.say(id, "fresh")
	bob.waitEvents(id, "said", 1)
}
