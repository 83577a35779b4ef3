package engine_test

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/parlorhq/parlor/client"
	"github.com/parlorhq/parlor/codec"
	"github.com/parlorhq/parlor/engine"
	"github.com/parlorhq/parlor/internal/echo"
	"github.com/parlorhq/parlor/internal/roomhold"
	"github.com/parlorhq/parlor/room"
)

// TestShutdownUnderLoad: with 50 clients in 5 rooms sending as fast as
// they can, Shutdown returns well within its deadline, every room runs
// OnLeave(shutdown) for each member and then OnDispose(shutdown), every
// client gets a left notice and then close 1001, and (checked by goleak in
// TestMain) no goroutine is left.
func TestShutdownUnderLoad(t *testing.T) {
	const rooms, perRoom = 5, 10
	mod := newTestModule()
	env := newEnv(t, engine.Config{RateLimit: -1}, mod)

	type member struct {
		c    *tclient
		room string
	}
	var members []member
	for r := range rooms {
		for i := range perRoom {
			c := env.dial(fmt.Sprintf("user-%d-%d", r, i))
			j := c.join(testKind, testParams{Name: fmt.Sprint("room-", r)})
			members = append(members, member{c, j.Room})
		}
	}

	var sent atomic.Int64
	var wg sync.WaitGroup
	for _, m := range members {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; ; i++ {
				ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
				_, err := m.c.Send(ctx, m.room, "say", echo.SayData{Text: fmt.Sprint(i)})
				cancel()
				if err == nil {
					sent.Add(1)
				}
				select {
				case <-m.c.Done():
					return
				default:
				}
			}
		}()
	}
	// Let the load build up.
	eventually(t, waitTimeout, "load", func() bool { return sent.Load() >= 500 })

	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	start := time.Now()
	err := env.e.Shutdown(ctx)
	took := time.Since(start)
	if err != nil {
		t.Fatalf("Shutdown: %v after %v", err, took)
	}
	t.Logf("Shutdown took %v with %d sends done", took, sent.Load())
	wg.Wait()

	if st := env.e.Stats(); st.Sessions != 0 || st.Rooms != 0 {
		t.Fatalf("after Shutdown: %+v", st)
	}
	for _, m := range members {
		if code := m.c.closeCode(); code != engine.CloseGoingAway {
			t.Errorf("%s closed with %d, want %d", m.c.UserID(), code, engine.CloseGoingAway)
		}
		evs := m.c.snapshot()
		var last client.Event
		for _, ev := range evs {
			if ev.Room == m.room {
				last = ev
			}
		}
		if !last.Left || last.Reason != string(room.LeaveShutdown) {
			t.Errorf("%s: last event of its room %+v, want a left notice with reason shutdown", m.c.UserID(), last)
		}
	}
	for r := range rooms {
		id := testRoomID(fmt.Sprint("room-", r))
		if n := mod.log.count(hookRec{Room: id, Hook: "leave", Reason: string(room.LeaveShutdown)}); n != perRoom {
			t.Errorf("room %d: %d OnLeave(shutdown), want %d", r, n, perRoom)
		}
		if n := mod.log.count(hookRec{Room: id, Hook: "leave"}); n != perRoom {
			t.Errorf("room %d: %d OnLeave in all, want %d", r, n, perRoom)
		}
		if n := mod.log.count(hookRec{Room: id, Hook: "dispose", Reason: string(room.DisposeShutdown)}); n != 1 {
			t.Errorf("room %d: %d OnDispose(shutdown), want 1", r, n)
		}
		// OnDispose ran last.
		recs := mod.log.all()
		var lastHook string
		for _, rec := range recs {
			if rec.Room == id {
				lastHook = rec.Hook
			}
		}
		if lastHook != "dispose" {
			t.Errorf("room %d: last hook %q, want dispose", r, lastHook)
		}
	}
	// Shutdown is idempotent.
	if err := env.e.Shutdown(context.Background()); err != nil {
		t.Fatalf("second Shutdown: %v", err)
	}
}

// TestShutdownDeadline: a room that will not stop makes Shutdown return
// its context's error at the deadline, not hang; once the room lets go,
// everything ends.
func TestShutdownDeadline(t *testing.T) {
	mod := newTestModule()
	mod.disposeGate = make(chan struct{})
	env := newEnv(t, engine.Config{}, mod)
	c := env.dial("alice")
	c.join(testKind, testParams{Name: "stuck"})

	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	err := env.e.Shutdown(ctx)
	close(mod.disposeGate)
	if err != context.DeadlineExceeded {
		t.Fatalf("Shutdown: %v, want %v", err, context.DeadlineExceeded)
	}
	// The connection was dropped at the deadline.
	c.waitClosed()
	// A later Shutdown waits for what is left and succeeds (the cleanup
	// checks it).
}

// TestShutdownLeavesSendsUnanswered: while the engine shuts down, a send
// to a room the session was taken out of by the shutdown, and one to a
// room that is stopping, get no answer (a client that resumes writes them
// again where the room runs next), never forbidden or unavailable; the
// connection is closed with 1001 once the rooms have stopped.
func TestShutdownLeavesSendsUnanswered(t *testing.T) {
	mod := newTestModule()
	mod.leaving = make(chan string, 2)
	mod.leaveGate = make(chan struct{})
	env := newEnv(t, engine.Config{}, mod)
	peers := map[string]*rawWS{}
	var roomID string
	for _, user := range []string{"alice", "bob"} {
		w := env.rawDial(user, nil)
		w.connect()
		roomID = w.join(1, testKind, testParams{Name: "deploy"}).Room
		peers[user] = w
	}

	done := make(chan error, 1)
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
		defer cancel()
		done <- env.e.Shutdown(ctx)
	}()
	// The room takes its members out one user at a time, and holds the
	// first one's OnLeave: that user is out of the room, the other is
	// still in it while it stops.
	out := <-mod.leaving
	say, err := codec.MarshalData(echo.SayData{Text: "during the deploy"})
	if err != nil {
		t.Fatal(err)
	}
	for user, w := range peers {
		w.send(codec.AppendSend(nil, 2, roomID, "say", say, user+"-1"))
		// A join is answered ErrShutdown, after the send was handled.
		w.send(codec.AppendJoin(nil, 3, testKind, nil, "", 0))
		res := w.readUntil(waitTimeout, func(f *codec.Frame) bool { return f.Ref == 3 })
		if f := res.last(t); f.Type != codec.TypeReply || f.Code != codec.CodeUnavailable {
			t.Fatalf("%s: join during the shutdown answered %+v, want unavailable", user, f)
		}
		for _, f := range res.frames {
			if f.Ref == 2 {
				t.Errorf("%s (out of the room: %v): the send was answered %+v", user, user == out, f)
			}
		}
	}
	close(mod.leaveGate)
	if err := <-done; err != nil {
		t.Fatalf("Shutdown: %v", err)
	}
	for user, w := range peers {
		res := w.readClose(waitTimeout)
		if res.closeCode != engine.CloseGoingAway {
			t.Errorf("%s: closed with %d, want %d", user, res.closeCode, engine.CloseGoingAway)
		}
		for _, f := range res.frames {
			if f.Ref == 2 {
				t.Errorf("%s: the send was answered %+v at the close", user, f)
			}
		}
	}
}

// TestShutdownRunsQueuedOps: the sends, the leave and the join waiting
// in a room's mailbox when the engine shuts down run and are answered
// before the members leave, not refused: alice's sends are acked and her
// leave done, carol joins and is then told the room shut down.
func TestShutdownRunsQueuedOps(t *testing.T) {
	mod := newTestModule()
	env := newEnv(t, engine.Config{}, mod)
	w := env.rawDial("alice", nil)
	w.connect()
	roomID := w.join(1, testKind, testParams{Name: "busy"}).Room
	r, ok := env.e.Room(roomID)
	if !ok {
		t.Fatal("the room does not run")
	}
	// The room goroutine runs a function that holds it until the
	// shutdown has begun; the requests below wait in its mailbox.
	release := roomhold.Hold(t, r)
	const queued = 5
	for i := range queued {
		say, err := codec.MarshalData(echo.SayData{Text: fmt.Sprint(i)})
		if err != nil {
			t.Fatal(err)
		}
		w.send(codec.AppendSend(nil, uint64(3+i), roomID, "say", say, fmt.Sprint("say-", i)))
	}
	w.send(codec.AppendLeave(nil, 20, roomID))
	carol := env.rawDial("carol", nil)
	carol.connect()
	params, err := codec.MarshalData(testParams{Name: "busy"})
	if err != nil {
		t.Fatal(err)
	}
	carol.send(codec.AppendJoin(nil, 1, testKind, params, "", 0))
	eventually(t, waitTimeout, "the requests in the mailbox", func() bool { return r.MailboxLen() == queued+2 })

	done := make(chan error, 1)
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
		defer cancel()
		done <- env.e.Shutdown(ctx)
	}()
	eventually(t, waitTimeout, "the shutdown", func() bool { return !env.e.Accepting() })
	time.Sleep(100 * time.Millisecond) // for the rooms to be told
	release()
	if err := <-done; err != nil {
		t.Fatalf("Shutdown: %v", err)
	}

	res := w.readClose(waitTimeout)
	if res.closeCode != engine.CloseGoingAway {
		t.Errorf("alice: closed with %d, want %d", res.closeCode, engine.CloseGoingAway)
	}
	answered := map[uint64]bool{}
	for _, f := range res.frames {
		switch {
		case f.Type == codec.TypeReply && f.Code != "":
			t.Errorf("alice: request %d refused: %s %s", f.Ref, f.Code, f.Message)
		case f.Type == codec.TypeReply:
			answered[f.Ref] = true
		case f.Type == codec.TypeLeft:
			t.Errorf("alice: left frame %+v after her own leave", f)
		}
	}
	for ref := uint64(3); ref < 3+queued; ref++ {
		if !answered[ref] {
			t.Errorf("alice: send %d was not answered", ref)
		}
	}
	// Her leave ran (below); its answer, which her reader writes once
	// the room has taken her out, may come after the close: a client
	// takes a leave unanswered at a close for done.
	if n := mod.log.count(hookRec{Room: roomID, Hook: "message", User: "alice"}); n != queued {
		t.Errorf("%d of alice's messages ran, want %d", n, queued)
	}
	if n := mod.log.count(hookRec{Room: roomID, Hook: "leave", User: "alice", Reason: string(room.LeaveLeft)}); n != 1 {
		t.Errorf("alice left %d times by her own leave, want once", n)
	}

	res = carol.readClose(waitTimeout)
	var got []string
	for _, f := range res.frames {
		switch f.Type {
		case codec.TypeJoined:
			got = append(got, "joined")
		case codec.TypeLeft:
			got = append(got, "left "+f.Reason)
		case codec.TypeReply:
			got = append(got, fmt.Sprintf("reply %d %s", f.Ref, f.Code))
		}
	}
	if want := []string{"joined", "left " + string(room.LeaveShutdown)}; !slices.Equal(got, want) {
		t.Errorf("carol got %v, want %v", got, want)
	}
}
