package client_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/parlorhq/parlor/client"
	"github.com/parlorhq/parlor/codec"
)

// TestFakeRoomMovedRejoinsInPlace: a left frame with reason moved makes
// the client join that room again on the same connection, from its epoch
// and last seq; the room's unanswered send goes out again after the
// rejoin with its client message id, followed by a send made during the
// move, and a late answer to the first writing is ignored. Another room
// and the connection are not touched.
func TestFakeRoomMovedRejoinsInPlace(t *testing.T) {
	fs := newFakeServer(t)
	log := newStateLog(false)
	c, fc := dialFake(t, fs, client.Options{Reconnect: fast, OnStateChange: log.record})
	if f := fc.handshakeFrame(); f.Features&codec.FeatureRoomMoves == 0 {
		t.Fatalf("connect announces features %#x, want the room-moves bit", f.Features)
	}
	joinFake(t, c, fc, "r1", 3, "e1")
	joinFake(t, c, fc, "r2", 0, "e2")
	fc.send(event("r1", 4, "a"))
	expectEvents(t, c, "r1/4:a")

	first := async(func() (client.Reply, error) { return c.Send(ctx(t), "r1", "s1", "s1") })
	s1 := fc.expect(codec.TypeSend)
	fc.send(codec.AppendLeft(nil, "r1", codec.LeftMoved))
	j := fc.expect(codec.TypeJoin)
	if j.Epoch != "e1" || j.Seq != 4 {
		t.Fatalf("rejoin after the move presents epoch %q since %d, want e1 since 4", j.Epoch, j.Seq)
	}
	// The other room is not waiting for anything.
	other := async(func() (client.Reply, error) { return c.Send(ctx(t), "r2", "o", nil) })
	o := fc.expect(codec.TypeSend)
	if o.Room != "r2" {
		t.Fatalf("a send to r2 during r1's move went to %q", o.Room)
	}
	fc.send(codec.AppendReply(nil, o.Ref, "", "", nil))
	if _, err := await(t, other); err != nil {
		t.Fatal(err)
	}
	// A send made during the move waits for the rejoin.
	second := async(func() (client.Reply, error) { return c.Send(ctx(t), "r1", "s2", "s2") })
	select {
	case f := <-fc.frames:
		t.Fatalf("a %s frame to %q before r1's rejoin was answered", f.Type, f.Room)
	case <-time.After(50 * time.Millisecond):
	}
	// The old node's answer to the first writing comes late: ignored.
	fc.send(codec.AppendReply(nil, s1.Ref, codec.CodeUnavailable, "room owner unreachable", nil))
	fc.send(codec.AppendJoined(nil, j.Ref, "r1", 4, nil, "e1", true), event("r1", 5, "b"))
	again := fc.expect(codec.TypeSend)
	if again.Event != "s1" || again.ClientMsgID != s1.ClientMsgID || again.Ref == s1.Ref {
		t.Fatalf("resend %+v, want s1 with client message id %q under a new ref", again, s1.ClientMsgID)
	}
	next := fc.expect(codec.TypeSend)
	if next.Event != "s2" {
		t.Fatalf("after the resend: %+v, want s2", next)
	}
	fc.send(codec.AppendReply(nil, again.Ref, "", "", mustData(t, "ok1")), codec.AppendReply(nil, next.Ref, "", "", mustData(t, "ok2")))
	for i, ch := range []<-chan outcome[client.Reply]{first, second} {
		rep, err := await(t, ch)
		var got string
		if err != nil || rep.Decode(&got) != nil || got != "ok"+itoa(uint64(i+1)) {
			t.Fatalf("send %d: %q, %v", i+1, got, err)
		}
	}
	expectEvents(t, c, "r1/5:b")
	if n := log.count(client.StateReconnecting); n != 0 {
		t.Fatalf("the client reconnected %d times for a room move", n)
	}
}

// TestFakeRoomMovedUnavailable: a rejoin after a move refused with
// unavailable (the server's node is cut off from its cluster) is tried again on
// the same connection, and fails the sends waiting for it; the next
// rejoin that succeeds lets new sends through.
func TestFakeRoomMovedUnavailable(t *testing.T) {
	c, fc, j, waiting := movedWithSend(t)
	fc.send(codec.AppendReply(nil, j.Ref, codec.CodeUnavailable, "no owner yet", nil))
	var ce *codec.Error
	if _, err := await(t, waiting); !errors.As(err, &ce) || ce.Code != codec.CodeUnavailable {
		t.Fatalf("a send waiting for the rejoin: %v, want the unavailable refusal", err)
	}
	j = fc.expect(codec.TypeJoin)
	if j.Epoch != "e1" {
		t.Fatalf("second rejoin presents epoch %q", j.Epoch)
	}
	fc.send(codec.AppendJoined(nil, j.Ref, "r1", 0, nil, "e1", true))
	ch := async(func() (client.Reply, error) { return c.Send(ctx(t), "r1", "y", nil) })
	f := fc.expect(codec.TypeSend)
	fc.send(codec.AppendReply(nil, f.Ref, "", "", nil))
	if _, err := await(t, ch); err != nil {
		t.Fatal(err)
	}
}

// TestFakeNoRoomMovesWithoutReconnect: a client that does not reconnect
// does not announce room moves, so a server closes it instead.
func TestFakeNoRoomMovesWithoutReconnect(t *testing.T) {
	fs := newFakeServer(t)
	_, fc := dialFake(t, fs, client.Options{Reconnect: client.ReconnectPolicy{Disabled: true}})
	if f := fc.handshakeFrame(); f.Features != 0 {
		t.Fatalf("connect announces features %#x without reconnects", f.Features)
	}
}

// TestFakeRoomMovedAgainAtRejoin: a room that moves again right after its
// rejoin was answered (the joined frame and the next left frame in one
// message) is joined once more, and the send that waited for the first
// rejoin is answered by its writing after the second: if it went out in
// between (to a room the connection was out of again), the server's
// refusal of that writing is ignored.
func TestFakeRoomMovedAgainAtRejoin(t *testing.T) {
	for range 20 {
		c, fc, j, waiting := movedWithSend(t)
		fc.send(codec.AppendJoined(nil, j.Ref, "r1", 0, nil, "e1", true), codec.AppendLeft(nil, "r1", codec.LeftMoved))
		f := fc.next()
		cmid := ""
		if f.Type == codec.TypeSend {
			// Written before the second move reached the client.
			cmid = f.ClientMsgID
			fc.send(codec.AppendReply(nil, f.Ref, codec.CodeForbidden, "not in the room", nil))
			f = fc.next()
		}
		if f.Type != codec.TypeJoin || f.Epoch != "e1" {
			t.Fatalf("after the second move: %+v, want a rejoin with epoch e1", f)
		}
		fc.send(codec.AppendJoined(nil, f.Ref, "r1", 0, nil, "e1", true))
		s := fc.expect(codec.TypeSend)
		if cmid != "" && s.ClientMsgID != cmid {
			t.Fatalf("the send again with client message id %q, want %q", s.ClientMsgID, cmid)
		}
		fc.send(codec.AppendReply(nil, s.Ref, "", "", nil))
		if _, err := await(t, waiting); err != nil {
			t.Fatal(err)
		}
		_ = c.Close()
	}
}

// movedWithSend joins r1 on a fake server, moves it, reads the client's
// rejoin j, and makes a send to r1 that waits for that rejoin.
func movedWithSend(t *testing.T) (*client.Client, *fakeConn, codec.Frame, <-chan outcome[client.Reply]) {
	t.Helper()
	fs := newFakeServer(t)
	c, fc := dialFake(t, fs, client.Options{Reconnect: fast})
	joinFake(t, c, fc, "r1", 0, "e1")
	fc.send(codec.AppendLeft(nil, "r1", codec.LeftMoved))
	j := fc.expect(codec.TypeJoin)
	waiting := async(func() (client.Reply, error) { return c.Send(ctx(t), "r1", "x", nil) })
	time.Sleep(20 * time.Millisecond) // queued behind the rejoin
	return c, fc, j, waiting
}

// TestFakeAbandonedLeaveEndsRoom: a leave whose caller gave up before
// the server answered still ends the room when the answer comes: the
// room's delivery ends and it is not joined again, whether the server
// took the leave or, the room having moved meanwhile (the client does
// not rejoin a room it is leaving), answers that the connection is not in
// it.
func TestFakeAbandonedLeaveEndsRoom(t *testing.T) {
	for _, moved := range []bool{false, true} {
		name := "taken"
		if moved {
			name = "moved meanwhile"
		}
		t.Run(name, func(t *testing.T) {
			fs := newFakeServer(t)
			c, fc := dialFake(t, fs, client.Options{Reconnect: fast, RoomEvents: true})
			ch := async(func() (*client.Joined, error) { return c.Join(ctx(t), "k", nil) })
			j := fc.expect(codec.TypeJoin)
			fc.send(codec.AppendJoined(nil, j.Ref, "r1", 0, nil, "e1", false))
			room, err := await(t, ch)
			if err != nil {
				t.Fatal(err)
			}
			short, cancel := context.WithCancel(context.Background())
			left := async(func() (struct{}, error) { return struct{}{}, c.Leave(short, "r1") })
			l := fc.expect(codec.TypeLeave)
			cancel()
			if _, err := await(t, left); !errors.Is(err, context.Canceled) {
				t.Fatalf("Leave: %v, want Canceled", err)
			}
			if moved {
				fc.send(codec.AppendLeft(nil, "r1", codec.LeftMoved))
				fc.send(codec.AppendReply(nil, l.Ref, codec.CodeForbidden, "not joined", nil))
			} else {
				fc.send(codec.AppendReply(nil, l.Ref, "", "", nil))
			}
			select {
			case <-room.Done():
			case <-time.After(5 * time.Second):
				t.Fatal("the room's delivery did not end after the late answer to its leave")
			}
			select {
			case f := <-fc.frames:
				t.Fatalf("a %s frame after the abandoned leave's answer, want none", f.Type)
			case <-time.After(50 * time.Millisecond):
			}
		})
	}
}

// TestFakeRoomMovedWhileLeaving: a room that moves while its leave is on
// its way is not joined again, so its sends written before the move,
// which the server leaves to a resend after a rejoin, fail at once. If
// the server then refuses the leave (the room is kept), the room is
// joined again on the same connection after all.
func TestFakeRoomMovedWhileLeaving(t *testing.T) {
	fs := newFakeServer(t)
	c, fc := dialFake(t, fs, client.Options{Reconnect: fast})
	joinFake(t, c, fc, "r1", 3, "e1")
	sent := async(func() (client.Reply, error) { return c.Send(ctx(t), "r1", "s1", "s1") })
	fc.expect(codec.TypeSend)
	left := async(func() (struct{}, error) { return struct{}{}, c.Leave(ctx(t), "r1") })
	l := fc.expect(codec.TypeLeave)
	fc.send(codec.AppendLeft(nil, "r1", codec.LeftMoved))
	var ce *codec.Error
	if _, err := await(t, sent); !errors.As(err, &ce) || ce.Code != codec.CodeUnavailable {
		t.Fatalf("a send written before the move of a room being left: %v, want code unavailable", err)
	}
	fc.send(codec.AppendReply(nil, l.Ref, codec.CodeRateLimited, "slow down", nil))
	if _, err := await(t, left); !errors.As(err, &ce) || ce.Code != codec.CodeRateLimited {
		t.Fatalf("Leave: %v, want rate_limited", err)
	}
	j := fc.expect(codec.TypeJoin)
	if j.Epoch != "e1" || j.Seq != 3 {
		t.Fatalf("rejoin after the refused leave presents epoch %q since %d, want e1 since 3", j.Epoch, j.Seq)
	}
}

// TestFakeGiveUpWhileEventsFull: a moved room whose rejoin is refused
// rate_limited until the client gives it up tells the application on
// Events, from the move's own goroutine. When the application does not
// read Events (full) and the connection then ends for good (4011), the
// client closes Events without a send on the closed channel: the notice
// that could not be delivered is dropped, and the process goes on.
func TestFakeGiveUpWhileEventsFull(t *testing.T) {
	fs := newFakeServer(t)
	c, fc := dialFake(t, fs, client.Options{Reconnect: fast, EventBuffer: 1})
	joinFake(t, c, fc, "r1", 3, "e1")
	fc.send(event("r1", 4, "a")) // fills Events: never read
	fc.send(codec.AppendLeft(nil, "r1", codec.LeftMoved))
	for range 6 { // the first rejoin and five more
		j := fc.expect(codec.TypeJoin)
		fc.send(codec.AppendReply(nil, j.Ref, codec.CodeRateLimited, "slow down", nil))
	}
	time.Sleep(50 * time.Millisecond) // the give-up notice waits for room on Events
	fc.closeWith(4011)
	select {
	case <-c.Done():
	case <-time.After(5 * time.Second):
		t.Fatal("the client did not end after 4011")
	}
	n := 0
	for range c.Events() {
		n++
	}
	if n < 1 || n > 2 {
		t.Fatalf("%d events read after the end, want the first event, and the give-up notice at most", n)
	}
}
