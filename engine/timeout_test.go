package engine_test

import (
	"context"
	"testing"
	"time"

	"github.com/parlorhq/parlor/codec"
	"github.com/parlorhq/parlor/engine"
	"github.com/parlorhq/parlor/internal/echo"
	"github.com/parlorhq/parlor/room"
)

// timeoutJoinTimeout is the JoinTimeout of these tests: short, since each
// test waits it out once.
const timeoutJoinTimeout = 200 * time.Millisecond

// blockEngineRoom keeps the room with id busy in a Do function until the
// returned release is called, so that joins and leaves wait in its
// mailbox.
func blockEngineRoom(t *testing.T, env *testEnv, id string) (r *room.Room, release func()) {
	t.Helper()
	r, ok := env.e.Room(id)
	if !ok {
		t.Fatalf("room %.8s is not running", id)
	}
	started, unblock, errc := make(chan struct{}), make(chan struct{}), make(chan error, 1)
	go func() {
		errc <- r.Do(context.Background(), func() {
			close(started)
			<-unblock
		})
	}()
	<-started
	return r, func() {
		close(unblock)
		if err := <-errc; err != nil {
			t.Errorf("blocking Do: %v", err)
		}
	}
}

// isMember asks room r whether user is a member.
func isMember(t *testing.T, r *room.Room, user string) bool {
	t.Helper()
	var in bool
	if err := r.Do(testCtx(t), func() { in = r.IsMember(user) }); err != nil {
		t.Fatalf("Do: %v", err)
	}
	return in
}

// firstSaid waits for c's first said event in room id and returns its text.
func firstSaid(t *testing.T, c *tclient, id string) string {
	t.Helper()
	return decodeSaid(t, c.waitEvents(id, "said", 1)[0]).Text
}

// TestTimedOutJoinDoesNotJoin: a join that times out while the room is
// busy is answered unavailable, and when the room is free again the user
// is not a member: it gets none of the room's events, and its connection
// is not joined to the room. The member already there is unaffected.
func TestTimedOutJoinDoesNotJoin(t *testing.T) {
	env := newEnv(t, engine.Config{JoinTimeout: timeoutJoinTimeout})
	params := echo.JoinParams{Name: "busy"}
	id := echoRoomID("busy")
	bob := env.dial("bob")
	bob.join(echo.Kind, params)
	alice := env.dial("alice")

	r, release := blockEngineRoom(t, env, id)
	_, err := alice.Join(testCtx(t), echo.Kind, params)
	if code := codeOf(t, err); code != codec.CodeUnavailable {
		t.Fatalf("join of a busy room: %v, want unavailable", err)
	}
	release()

	if isMember(t, r, "alice") || !isMember(t, r, "bob") {
		t.Fatal("after the timed-out join alice is a member, or bob is not")
	}
	bob.say(id, "while alice is out")
	_, err = alice.Send(testCtx(t), id, "say", echo.SayData{Text: "hi"})
	if code := codeOf(t, err); code != engine.ErrNotJoined.Code {
		t.Fatalf("alice's send after the timed-out join: %v, want %s", err, engine.ErrNotJoined.Code)
	}
	// Alice's first event from the room is one sent after she really
	// joined: the timed-out join delivered nothing.
	alice.join(echo.Kind, params)
	bob.say(id, "after alice joined")
	if got := firstSaid(t, alice, id); got != "after alice joined" {
		t.Fatalf("alice's first event is %q, want the one after her join", got)
	}
	if got := firstSaid(t, bob, id); got != "while alice is out" {
		t.Fatalf("bob's first event is %q", got)
	}
}

// TestTimedOutLeaveDoesNotLeave: a leave that times out while the room is
// busy is answered unavailable, and the user stays a member and keeps
// getting the room's events.
func TestTimedOutLeaveDoesNotLeave(t *testing.T) {
	env := newEnv(t, engine.Config{JoinTimeout: timeoutJoinTimeout})
	params := echo.JoinParams{Name: "busy"}
	id := echoRoomID("busy")
	bob, alice := env.dial("bob"), env.dial("alice")
	bob.join(echo.Kind, params)
	alice.join(echo.Kind, params)

	r, release := blockEngineRoom(t, env, id)
	err := alice.Leave(testCtx(t), id)
	if code := codeOf(t, err); code != codec.CodeUnavailable {
		t.Fatalf("leave of a busy room: %v, want unavailable", err)
	}
	release()

	if !isMember(t, r, "alice") {
		t.Fatal("alice left through a leave that timed out")
	}
	bob.say(id, "still here?")
	if got := firstSaid(t, alice, id); got != "still here?" {
		t.Fatalf("alice's first event is %q", got)
	}
	for _, ev := range alice.snapshot() {
		if ev.Left {
			t.Fatalf("alice was told she left: %+v", ev)
		}
	}
	if err := alice.Leave(testCtx(t), id); err != nil {
		t.Fatalf("leave of a free room: %v", err)
	}
}
