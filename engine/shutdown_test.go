package engine_test

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/parlorhq/parlor/client"
	"github.com/parlorhq/parlor/engine"
	"github.com/parlorhq/parlor/internal/echo"
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
