package room_test

import (
	"context"
	"errors"
	"testing"
	"testing/synctest"
	"time"

	"github.com/parlorhq/parlor/codec"
	"github.com/parlorhq/parlor/room"
)

// blockRoom keeps r's goroutine busy in a Do function until the returned
// release is called, so that later operations wait in the mailbox.
func blockRoom(t *testing.T, r *room.Room) (release func()) {
	t.Helper()
	started, unblock, errc := make(chan struct{}), make(chan struct{}), make(chan error, 1)
	go func() {
		errc <- r.Do(context.Background(), func() {
			close(started)
			<-unblock
		})
	}()
	<-started
	return func() {
		close(unblock)
		if err := <-errc; err != nil {
			t.Errorf("blocking Do: %v", err)
		}
	}
}

// broadcastProbe broadcasts a probe event from the room and returns its seq.
func broadcastProbe(t *testing.T, r *room.Room) uint64 {
	t.Helper()
	var seq uint64
	var err error
	do(t, r, func() { seq, err = r.Broadcast("probe", nil) })
	if err != nil {
		t.Fatalf("broadcast: %v", err)
	}
	return seq
}

// gotEvent reports whether s was delivered the event with seq.
func gotEvent(t *testing.T, s *fakeSession, seq uint64) bool {
	t.Helper()
	for _, f := range s.ofType(t, codec.TypeEvent) {
		if f.Seq == seq {
			return true
		}
	}
	return false
}

// TestRoomTimedOutJoinNeverRuns: a join whose context ends while it waits
// in the mailbox fails with the context's error and is then skipped: the
// user does not become a member, OnJoin never runs, and the session gets
// no frame. A member already in the room is unaffected.
func TestRoomTimedOutJoinNeverRuns(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h := &hooks{}
		r := startRoom(t, h, room.Config{})
		bob, alice := newSession("bob", "b1"), newSession("alice", "a1")
		mustJoin(t, r, bob, 1)
		release := blockRoom(t, r)

		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		if err := r.Join(ctx, alice, 2, nil); !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("join of a blocked room: %v, want %v", err, context.DeadlineExceeded)
		}
		release()

		var aliceIn, bobIn bool
		do(t, r, func() { aliceIn, bobIn = r.IsMember("alice"), r.IsMember("bob") })
		if aliceIn || !bobIn {
			t.Fatalf("after the timed-out join: alice member %v, bob member %v; want false, true", aliceIn, bobIn)
		}
		if n := h.count("join alice"); n != 0 {
			t.Fatalf("OnJoin ran %d times for the timed-out join", n)
		}
		seq := broadcastProbe(t, r)
		if got := alice.raw(); len(got) != 0 || alice.joinedCount() != 0 {
			t.Fatalf("alice got %d messages and %d RoomJoined calls, want none", len(got), alice.joinedCount())
		}
		if !gotEvent(t, bob, seq) {
			t.Fatalf("bob did not get the broadcast at seq %d", seq)
		}
	})
}

// TestRoomTimedOutLeaveNeverRuns: a leave whose context ends in the
// mailbox is skipped: the user stays a member, OnLeave never runs, and
// broadcasts still reach them.
func TestRoomTimedOutLeaveNeverRuns(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h := &hooks{}
		r := startRoom(t, h, room.Config{})
		bob, alice := newSession("bob", "b1"), newSession("alice", "a1")
		mustJoin(t, r, bob, 1)
		mustJoin(t, r, alice, 2)
		release := blockRoom(t, r)

		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		if err := r.Leave(ctx, alice); !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("leave of a blocked room: %v, want %v", err, context.DeadlineExceeded)
		}
		release()

		var aliceIn bool
		do(t, r, func() { aliceIn = r.IsMember("alice") })
		if !aliceIn {
			t.Fatal("alice left through a leave that timed out")
		}
		if n := h.count("leave alice left"); n != 0 {
			t.Fatalf("OnLeave ran %d times for the timed-out leave", n)
		}
		if left := alice.leftReasons(); len(left) != 0 {
			t.Fatalf("alice's session was told it left: %v", left)
		}
		seq := broadcastProbe(t, r)
		if !gotEvent(t, alice, seq) || !gotEvent(t, bob, seq) {
			t.Fatalf("the broadcast at seq %d did not reach both members", seq)
		}
	})
}

// TestRoomTimedOutDoNeverRuns: a Do whose context ends in the mailbox
// returns the context's error and its function never runs.
func TestRoomTimedOutDoNeverRuns(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		r := startRoom(t, &hooks{}, room.Config{})
		release := blockRoom(t, r)

		ran := false
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		if err := r.Do(ctx, func() { ran = true }); !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("Do on a blocked room: %v, want %v", err, context.DeadlineExceeded)
		}
		release()

		// Every operation queued before this one has been handled.
		var after bool
		do(t, r, func() { after = ran })
		if after {
			t.Fatal("the timed-out Do function ran")
		}
	})
}

// unnoticedCtx is a context whose Done channel never closes, whatever its
// Err says: a caller that has not yet noticed that its deadline passed.
type unnoticedCtx struct{ context.Context }

func (unnoticedCtx) Done() <-chan struct{} { return nil }

// TestRoomTakesExpiredOpAndFailsIt: an op that the room takes after its
// context ended is not run; its caller gets the context's error.
func TestRoomTakesExpiredOpAndFailsIt(t *testing.T) {
	h := &hooks{}
	r := startRoom(t, h, room.Config{})
	expired, cancel := context.WithDeadline(context.Background(), time.Now().Add(-time.Second))
	defer cancel()
	ctx := unnoticedCtx{expired}
	alice := newSession("alice", "a1")

	if err := r.Join(ctx, alice, 1, nil); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("join with an expired context: %v, want %v", err, context.DeadlineExceeded)
	}
	ran := false
	if err := r.Do(ctx, func() { ran = true }); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Do with an expired context: %v, want %v", err, context.DeadlineExceeded)
	}
	var aliceIn bool
	do(t, r, func() { aliceIn = r.IsMember("alice") })
	if aliceIn || ran || h.count("join alice") != 0 || len(alice.raw()) != 0 {
		t.Fatalf("expired ops ran: member %v, Do ran %v, OnJoin %d, frames %d",
			aliceIn, ran, h.count("join alice"), len(alice.raw()))
	}
}

// TestRoomJoinTakenOutlivesContext: once OnJoin has started, the join's
// result is what the room did even if the context ends meanwhile, and
// OnJoin sees that context in Join.Context.
func TestRoomJoinTakenOutlivesContext(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		var seen context.Context
		h := &hooks{join: func(_ *room.Room, j *room.Join) (any, error) {
			seen = j.Context
			<-j.Context.Done() // a slow store read that outlives the deadline
			return nil, nil
		}}
		r := startRoom(t, h, room.Config{})
		alice := newSession("alice", "a1")
		if err := r.Join(ctx, alice, 1, nil); err != nil {
			t.Fatalf("join whose OnJoin outlived its context: %v, want success", err)
		}
		if seen != ctx {
			t.Fatalf("OnJoin saw context %v, want the caller's", seen)
		}
		var aliceIn bool
		do(t, r, func() { aliceIn = r.IsMember("alice") })
		if !aliceIn || len(alice.ofType(t, codec.TypeJoined)) != 1 {
			t.Fatalf("alice member %v with frames %+v, want a member with one joined frame", aliceIn, alice.decoded(t))
		}
	})
}
