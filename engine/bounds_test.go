package engine_test

// Tests of the per-connection and per-user bounds added with the
// connection policy: control-frame rate limits, connection eviction, rooms
// per user and request deadlines. Each ends by proving a bystander, another
// user, unaffected.

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"net"
	"net/http"
	"testing"
	"time"

	"github.com/parlorhq/parlor/codec"
	"github.com/parlorhq/parlor/engine"
	"github.com/parlorhq/parlor/internal/echo"
	"github.com/parlorhq/parlor/room"
)

// readPongsUntilClose reads server frames until a close frame or the end
// of the connection, counting pongs. It fails the test on timeout.
func readPongsUntilClose(t *testing.T, w *rawWS) (pongs int, closeCode uint16) {
	t.Helper()
	_ = w.conn.SetReadDeadline(time.Now().Add(waitTimeout))
	defer func() { _ = w.conn.SetReadDeadline(time.Time{}) }()
	for {
		op, p, err := w.readFrame()
		if err != nil {
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				t.Fatalf("no close after %d pongs: %v", pongs, err)
			}
			return pongs, 0
		}
		switch op {
		case opPong:
			pongs++
		case opClose:
			if len(p) >= 2 {
				return pongs, binary.BigEndian.Uint16(p)
			}
			return pongs, 1005
		}
	}
}

// TestPingFlood: WebSocket pings take tokens from the connection's rate
// limit like data frames. Pings past it get no pong, and a sustained ping
// flood closes the connection with 4029, while another user is served.
func TestPingFlood(t *testing.T) {
	const burst, strikes = 10, 5
	env := newEnv(t, engine.Config{RateLimit: 1, RateBurst: burst, RateStrikes: strikes})
	by := newBystander(env, "bob", "lobby")
	w, _ := rawDialHeader(t, env, "alice", nil)
	w.connect() // one token

	const flood = 200
	sent := 0
	for ; sent < flood; sent++ {
		if err := w.tryWriteFrame(opPing, []byte("p")); err != nil {
			break // the server has closed the connection
		}
	}
	pongs, code := readPongsUntilClose(t, w)
	if code != engine.CloseRateLimited {
		t.Fatalf("ping flood (%d pings sent): close %d, want %d", sent, code, engine.CloseRateLimited)
	}
	// The burst less the connect frame, and what refilled meanwhile at
	// one token a second: far fewer pongs than pings.
	if pongs == 0 || pongs > burst+2 {
		t.Fatalf("ping flood: %d pongs for %d pings, want 1..%d", pongs, sent, burst+2)
	}
	env.waitSessions(1)
	by.check()
}

// TestPingsUnderRateAnswered: pings within the rate limit are answered and
// cost the connection nothing.
func TestPingsUnderRateAnswered(t *testing.T) {
	env := newEnv(t, engine.Config{RateLimit: 1, RateBurst: 10, RateStrikes: 1})
	w, _ := rawDialHeader(t, env, "alice", nil)
	w.connect()
	for i := range 8 {
		w.writeFrame(opPing, []byte{byte(i)})
		_ = w.conn.SetReadDeadline(time.Now().Add(waitTimeout))
		op, p, err := w.readFrame()
		if err != nil || op != opPong || len(p) != 1 || p[0] != byte(i) {
			t.Fatalf("ping %d: opcode %#x %x, %v; want its pong", i, op, p, err)
		}
	}
	w.join(2, echo.Kind, echo.JoinParams{Name: "lobby"})
}

// TestConnLimitEvictIdle: under the default policy, a user at
// MaxConnsPerUser who opens another connection gets it, and the user's
// connection with the oldest data message is closed with 4010. The user
// keeps exactly MaxConnsPerUser connections, and another user is served
// throughout.
func TestConnLimitEvictIdle(t *testing.T) {
	env := newEnv(t, engine.Config{MaxConnsPerUser: 2})
	by := newBystander(env, "bob", "lobby")

	a1 := env.dial("alice")
	j1 := a1.join(echo.Kind, echo.JoinParams{Name: "alices"})
	idle, _ := rawDialHeader(t, env, "alice", nil)
	idle.connect()
	a1.say(j1.Room, "a1 is active") // a1's last message is now newer than idle's

	a3 := env.dial("alice") // at the limit: idle makes room
	if res := idle.readClose(waitTimeout); res.closeCode != engine.CloseEvicted {
		t.Fatalf("idle connection: close %d %q, want %d", res.closeCode, res.reason, engine.CloseEvicted)
	}
	a1.say(j1.Room, "a1 still here")
	j3 := a3.join(echo.Kind, echo.JoinParams{Name: "alices"})
	a3.say(j3.Room, "a3 is active") // now a1 is the most idle

	a4 := env.dial("alice")
	if code := a1.closeCode(); code != engine.CloseEvicted {
		t.Fatalf("a1: close %d, want %d", code, engine.CloseEvicted)
	}
	a3.say(j3.Room, "a3 still here")
	a4.join(echo.Kind, echo.JoinParams{Name: "alices"})
	env.waitSessions(3) // bob, a3, a4
	by.check()
}

// TestConnLimitResume: a user at MaxConnsPerUser whose client resumes on
// a new connection, while the old one is still open (a network change),
// takes over its own old connection (4009), and no other connection of
// theirs is evicted, though another is more idle. A connection past the
// limit that never sends its connect frame evicts nobody; one that does
// evicts the most idle at its connect frame. While one waits for its
// connect frame, another one past the limit evicts at once.
func TestConnLimitResume(t *testing.T) {
	env := newEnv(t, engine.Config{MaxConnsPerUser: 2, HandshakeTimeout: 300 * time.Millisecond})
	by := newBystander(env, "bob", "lobby")
	alive := func(what string, w *rawWS) {
		t.Helper()
		w.writeFrame(opPing, []byte("?"))
		_ = w.conn.SetReadDeadline(time.Now().Add(waitTimeout))
		defer func() { _ = w.conn.SetReadDeadline(time.Time{}) }()
		for {
			op, p, err := w.readFrame()
			if err != nil {
				t.Fatalf("%s: %v, want it open", what, err)
			}
			if op == opClose {
				t.Fatalf("%s: closed with %d, want it open", what, binary.BigEndian.Uint16(p))
			}
			if op == opPong && string(p) == "?" {
				return
			}
		}
	}

	idle := env.rawDial("alice", nil)
	rawConnect(t, idle, "")
	active := env.rawDial("alice", nil)
	c := rawConnect(t, active, "")
	active.join(2, echo.Kind, echo.JoinParams{Name: "alices"}) // idle is now the most idle

	next := env.rawDial("alice", nil)
	if r := rawConnect(t, next, c.Token); !r.Resumed {
		t.Fatalf("the resume at the limit: %+v, want resumed", r)
	}
	if res := active.readClose(waitTimeout); res.closeCode != engine.CloseReplaced {
		t.Fatalf("the resumed connection closed with %d %q, want %d", res.closeCode, res.reason, engine.CloseReplaced)
	}
	alive("the most idle connection, after the resume", idle)
	next.join(2, echo.Kind, echo.JoinParams{Name: "alices"})
	env.waitSessions(3) // bob, idle, next

	// Never connected: closed at the handshake timeout, nobody evicted.
	silent := env.rawDial("alice", nil)
	if res := silent.readClose(waitTimeout); res.closeCode != engine.ClosePolicy {
		t.Fatalf("the connection with no connect frame closed with %d %q, want %d", res.closeCode, res.reason, engine.ClosePolicy)
	}
	alive("the most idle connection, after a silent one", idle)
	alive("the active connection, after a silent one", next)

	// Connected without a token: the most idle one makes room.
	fresh := env.rawDial("alice", nil)
	rawConnect(t, fresh, "")
	if res := idle.readClose(waitTimeout); res.closeCode != engine.CloseEvicted {
		t.Fatalf("the most idle connection closed with %d %q, want %d", res.closeCode, res.reason, engine.CloseEvicted)
	}
	fresh.join(2, echo.Kind, echo.JoinParams{Name: "alices"}) // next is now the most idle
	alive("the active connection", next)

	// Two past the limit at once: the second evicts at its upgrade.
	first := env.rawDial("alice", nil)
	second := env.rawDial("alice", nil)
	if res := next.readClose(waitTimeout); res.closeCode != engine.CloseEvicted {
		t.Fatalf("the most idle connection closed with %d %q, want %d at the second upgrade", res.closeCode, res.reason, engine.CloseEvicted)
	}
	rawConnect(t, first, "")
	if res := fresh.readClose(waitTimeout); res.closeCode != engine.CloseEvicted {
		t.Fatalf("the other connection closed with %d %q, want %d at the first one's connect", res.closeCode, res.reason, engine.CloseEvicted)
	}
	rawConnect(t, second, "")
	env.waitSessions(3) // bob, first, second
	by.check()
}

// TestConnLimitRefuse: under ConnLimitRefuse, a user at MaxConnsPerUser
// is refused with 429 before the upgrade, and no connection of theirs is
// closed; another user connects freely.
func TestConnLimitRefuse(t *testing.T) {
	env := newEnv(t, engine.Config{MaxConnsPerUser: 2, ConnLimitPolicy: engine.ConnLimitRefuse})
	by := newBystander(env, "bob", "lobby")
	a1 := env.dial("alice")
	a2 := env.dial("alice")
	for range 3 {
		if got := env.do(env.upgradeRequest("alice")); got != http.StatusTooManyRequests {
			t.Fatalf("connection past the limit: HTTP %d, want 429", got)
		}
	}
	for _, c := range []*tclient{a1, a2} {
		j := c.join(echo.Kind, echo.JoinParams{Name: "alices"})
		c.say(j.Room, "still open")
	}
	env.waitSessions(3)
	by.check()
}

// TestRoomsPerUserChurn: joining and leaving rooms keeps each new room
// alive for its idle TTL, counted against the user whose join created it,
// over all of that user's connections. Past MaxRoomsPerUser a join that
// would create a room is refused with limit_exceeded and creates nothing;
// joining a running room still works, other users still create rooms, and
// once the user's rooms close their slots are free again.
func TestRoomsPerUserChurn(t *testing.T) {
	const limit = 3
	env := newEnv(t, engine.Config{MaxRoomsPerUser: limit, Room: room.Config{IdleTTL: time.Minute}})
	by := newBystander(env, "bob", "lobby")
	a1, a2 := env.dial("alice"), env.dial("alice")
	conns := []*tclient{a1, a2}
	name := func(i int) string { return fmt.Sprint("alice-", i) }

	for i := range limit {
		c := conns[i%2]
		j := c.join(echo.Kind, echo.JoinParams{Name: name(i)})
		if err := c.Leave(testCtx(t), j.Room); err != nil {
			t.Fatalf("leave %s: %v", name(i), err)
		}
	}
	refused := func(i int) {
		t.Helper()
		for _, c := range conns {
			_, err := c.Join(testCtx(t), echo.Kind, echo.JoinParams{Name: name(i)})
			if code := codeOf(t, err); code != codec.CodeLimitExceeded {
				t.Fatalf("join %s past the limit: %q (%v), want %q", name(i), code, err, codec.CodeLimitExceeded)
			}
		}
		if _, ok := env.e.Room(echoRoomID(name(i))); ok {
			t.Fatalf("a refused join created room %s", name(i))
		}
	}
	refused(limit)

	// Running rooms can still be joined, and the connections still work.
	j0 := a1.join(echo.Kind, echo.JoinParams{Name: name(0)})
	a1.say(j0.Room, "rejoined")
	if err := a1.Leave(testCtx(t), j0.Room); err != nil {
		t.Fatal(err)
	}
	// Another user creates rooms as usual.
	carol := env.dial("carol")
	for i := range limit {
		carol.join(echo.Kind, echo.JoinParams{Name: fmt.Sprint("carol-", i)})
	}
	by.check()

	// Two of alice's rooms reach a short idle TTL and close; then alice
	// creates exactly two rooms more.
	for _, i := range []int{1, 2} {
		r, ok := env.e.Room(echoRoomID(name(i)))
		if !ok {
			t.Fatalf("room %s is gone before its idle TTL", name(i))
		}
		if err := r.Do(testCtx(t), func() { r.SetIdleTTL(20 * time.Millisecond) }); err != nil {
			t.Fatal(err)
		}
		<-r.Done()
	}
	for _, i := range []int{limit, limit + 1} {
		j := a2.join(echo.Kind, echo.JoinParams{Name: name(i)})
		a2.say(j.Room, "new room")
	}
	refused(limit + 2)
	by.check()
}

// TestRequestTimeoutReplies: a join or a leave that waits in a busy room's
// mailbox past JoinTimeout is answered unavailable with the engine's
// timeout error, and users in other rooms are served meanwhile.
func TestRequestTimeoutReplies(t *testing.T) {
	env := newEnv(t, engine.Config{JoinTimeout: 100 * time.Millisecond})
	by := newBystander(env, "bob", "lobby")
	alice := env.dial("alice")
	j := alice.join(echo.Kind, echo.JoinParams{Name: "busy"})
	r, ok := env.e.Room(j.Room)
	if !ok {
		t.Fatal("no room")
	}
	gate, started := make(chan struct{}), make(chan struct{})
	go func() { _ = r.Do(context.Background(), func() { close(started); <-gate }) }()
	<-started
	defer close(gate)

	wantErr := func(what string, err error, want *codec.Error) {
		t.Helper()
		var ce *codec.Error
		if !errors.As(err, &ce) || ce.Code != want.Code || ce.Message != want.Message {
			t.Fatalf("%s: %v, want %v", what, err, want)
		}
	}
	err := alice.Leave(testCtx(t), j.Room)
	wantErr("leave of a busy room", err, engine.ErrLeaveTimeout)
	carol := env.dial("carol")
	_, err = carol.Join(testCtx(t), echo.Kind, echo.JoinParams{Name: "busy"})
	wantErr("join of a busy room", err, engine.ErrJoinTimeout)
	by.check()
}

// TestJoinTimedOutInFullMailboxNotApplied: a join that times out while it
// waits for room in a full mailbox is answered unavailable and is never
// applied, not even once the room catches up.
func TestJoinTimedOutInFullMailboxNotApplied(t *testing.T) {
	env := newEnv(t, engine.Config{JoinTimeout: 100 * time.Millisecond, Room: room.Config{MailboxSize: 1}})
	by := newBystander(env, "bob", "lobby")
	alice := env.dial("alice")
	j := alice.join(echo.Kind, echo.JoinParams{Name: "busy"})
	r, _ := env.e.Room(j.Room)
	gate, started := make(chan struct{}), make(chan struct{})
	go func() { _ = r.Do(context.Background(), func() { close(started); <-gate }) }()
	<-started
	released := false
	release := func() {
		if !released {
			released = true
			close(gate)
		}
	}
	defer release()

	// Fill the one-slot mailbox: a send is queued, and the next is busy.
	full := false
	for i := 0; i < 3 && !full; i++ {
		ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
		_, err := alice.Send(ctx, j.Room, "say", echo.SayData{Text: "queued"})
		cancel()
		var ce *codec.Error
		full = errors.As(err, &ce) && ce.Code == codec.CodeUnavailable
	}
	if !full {
		t.Fatal("the mailbox never filled up")
	}

	carol := env.dial("carol")
	_, err := carol.Join(testCtx(t), echo.Kind, echo.JoinParams{Name: "busy"})
	var ce *codec.Error
	if !errors.As(err, &ce) || ce.Message != engine.ErrJoinTimeout.Message {
		t.Fatalf("join of a room with a full mailbox: %v, want %v", err, engine.ErrJoinTimeout)
	}
	release()
	var members []string
	if err := r.Do(testCtx(t), func() { members = r.Members() }); err != nil {
		t.Fatal(err)
	}
	for _, m := range members {
		if m == "carol" {
			t.Fatalf("the timed-out join was applied: members %v", members)
		}
	}
	if j2 := carol.join(echo.Kind, echo.JoinParams{Name: "busy"}); j2.Room != j.Room {
		t.Fatalf("carol joined %s, want %s", j2.Room, j.Room)
	}
	by.check()
}
