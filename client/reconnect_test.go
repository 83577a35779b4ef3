package client_test

// Reconnect and resume against a real engine on loopback.

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/parlorhq/parlor/client"
	"github.com/parlorhq/parlor/engine"
	"github.com/parlorhq/parlor/internal/echo"
	"github.com/parlorhq/parlor/internal/testserver"
	"github.com/parlorhq/parlor/internal/wstest"
	"github.com/parlorhq/parlor/room"
)

// countModule is a module of kind "count" whose one room counts how many
// times each client message id was applied. "add" applies at once;
// "hold" tells held, waits for release, then applies. Each application
// broadcasts an ordered "added" event and replies with the total.
type countModule struct {
	held    chan struct{}
	release chan struct{}

	mu      sync.Mutex
	applied map[string]int
	total   int
}

func newCountModule() *countModule {
	return &countModule{held: make(chan struct{}, 8), release: make(chan struct{}), applied: make(map[string]int)}
}

func (m *countModule) Kind() string { return "count" }

func (m *countModule) Resolve(_ context.Context, req *room.ResolveRequest) (string, error) {
	return req.KeyedID("counter"), nil
}

func (m *countModule) NewHandler(string) room.Handler { return &countHandler{m: m} }

func (m *countModule) counts() (map[string]int, int) {
	m.mu.Lock()
	defer m.mu.Unlock()
	cp := make(map[string]int, len(m.applied))
	for k, v := range m.applied {
		cp[k] = v
	}
	return cp, m.total
}

type countHandler struct {
	room.BaseHandler
	m *countModule
}

func (h *countHandler) OnMessage(r *room.Room, msg *room.Message) (any, error) {
	switch msg.Event {
	case "hold":
		h.m.held <- struct{}{}
		<-h.m.release
	case "add":
	default:
		return nil, room.ErrUnknownEvent
	}
	h.m.mu.Lock()
	h.m.applied[msg.ClientMsgID]++
	h.m.total++
	n := h.m.total
	h.m.mu.Unlock()
	if _, err := r.Broadcast("added", n); err != nil {
		return nil, err
	}
	return n, nil
}

// dialTS dials a testserver as user with opts and closes the client when
// the test ends.
func dialTS(t *testing.T, url string, opts client.Options) *client.Client {
	t.Helper()
	c, err := client.Dial(ctx(t), url, opts)
	if err != nil {
		t.Fatalf("Dial %s: %v", url, err)
	}
	t.Cleanup(func() { _ = c.Close() })
	return c
}

// say sends an echo "say" and waits for the reply.
func say(t *testing.T, c *client.Client, room, text string) {
	t.Helper()
	if _, err := c.Send(ctx(t), room, "say", echo.SayData{Text: text}); err != nil {
		t.Fatalf("say %q: %v", text, err)
	}
}

// expectSaid reads the next events and checks that they are "said" events
// with consecutive seqs from first, carrying texts.
func expectSaid(t *testing.T, c *client.Client, room string, first uint64, texts ...string) {
	t.Helper()
	for i, text := range texts {
		ev := nextEvent(t, c)
		var s echo.Said
		if ev.Room != room || ev.Name != "said" || ev.Decode(&s) != nil || s.Text != text || ev.Seq != first+uint64(i) {
			t.Fatalf("event %d: %+v (%+v), want said %q seq %d", i, ev, s, text, first+uint64(i))
		}
	}
}

// TestReconnectAfterServerSideKill: every connection is cut between the
// client and the server; the client reconnects through the same address,
// resumes with its token, joins its room again and carries on.
func TestReconnectAfterServerSideKill(t *testing.T) {
	s := testserver.Start(t, engine.Config{}, echo.Module{})
	p := wstest.StartProxy(t, s.HTTP.Listener.Addr().String())
	log := newStateLog(false)
	alice := dialTS(t, viaProxy(p, s, "alice"), client.Options{Reconnect: fast, OnStateChange: log.record})
	bob := s.Dial("bob")
	j, err := alice.Join(ctx(t), echo.Kind, echo.JoinParams{Name: "lobby"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := bob.Join(ctx(t), echo.Kind, echo.JoinParams{Name: "lobby"}); err != nil {
		t.Fatal(err)
	}
	say(t, bob, j.Room, "before")
	expectSaid(t, alice, j.Room, 1, "before")
	first := alice.SessionID()

	p.Cut()
	log.wait(t, client.StateReconnecting)
	if sc := log.wait(t, client.StateOpen); !sc.Resumed {
		t.Fatalf("open after reconnect: %+v, want resumed", sc)
	}
	if alice.SessionID() == first || alice.Err() != nil || p.Accepted() != 2 {
		t.Fatalf("session %q (was %q), err %v, %d proxied connections", alice.SessionID(), first, alice.Err(), p.Accepted())
	}
	// Back in the room: it gets bob's events and may send there.
	say(t, bob, j.Room, "after")
	expectSaid(t, alice, j.Room, 2, "after")
	say(t, alice, j.Room, "me too")
	expectSaid(t, alice, j.Room, 3, "me too")
	// The cut connection does not linger on the server.
	deadline := time.Now().Add(waitTimeout)
	for s.Engine.Stats().Sessions != 2 {
		if time.Now().After(deadline) {
			t.Fatalf("%d sessions on the server, want 2 (the cut one is gone)", s.Engine.Stats().Sessions)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// TestResumeReplaysMissedEvents: events sent while the client was away
// are replayed after the rejoin, with no gap, no duplicate and no rejoin
// notice, followed by live events.
func TestResumeReplaysMissedEvents(t *testing.T) {
	s := testserver.Start(t, engine.Config{}, echo.Module{})
	log := newStateLog(true)
	alice := dialTS(t, s.URL("alice"), client.Options{Reconnect: fast, OnStateChange: log.record})
	bob := s.Dial("bob")
	j, err := alice.Join(ctx(t), echo.Kind, echo.JoinParams{Name: "lobby"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := bob.Join(ctx(t), echo.Kind, echo.JoinParams{Name: "lobby"}); err != nil {
		t.Fatal(err)
	}
	for _, text := range []string{"m1", "m2", "m3"} {
		say(t, bob, j.Room, text)
	}
	expectSaid(t, alice, j.Room, 1, "m1", "m2", "m3")

	client.DropConnection(alice)
	log.wait(t, client.StateReconnecting) // alice waits at the gate
	for _, text := range []string{"m4", "m5", "m6", "m7", "m8"} {
		say(t, bob, j.Room, text) // applied while alice is away
	}
	log.release(t)
	if sc := log.wait(t, client.StateOpen); !sc.Resumed {
		t.Fatalf("open after reconnect: %+v, want resumed", sc)
	}
	say(t, bob, j.Room, "m9")
	// Exactly the missed events, then the live one: a rejoin notice, a
	// repeat or a hole would show here.
	expectSaid(t, alice, j.Room, 4, "m4", "m5", "m6", "m7", "m8", "m9")
}

// TestRejoinNoticeWithoutReplay: when the server cannot replay, the
// client delivers EventRejoined with the fresh snapshot and seq.
func TestRejoinNoticeWithoutReplay(t *testing.T) {
	s := testserver.Start(t, engine.Config{Room: room.Config{ReplayEvents: -1}}, echo.Module{})
	log := newStateLog(true)
	alice := dialTS(t, s.URL("alice"), client.Options{Reconnect: fast, OnStateChange: log.record})
	bob := s.Dial("bob")
	j, err := alice.Join(ctx(t), echo.Kind, echo.JoinParams{Name: "lobby"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := bob.Join(ctx(t), echo.Kind, echo.JoinParams{Name: "lobby"}); err != nil {
		t.Fatal(err)
	}
	say(t, bob, j.Room, "m1")
	expectSaid(t, alice, j.Room, 1, "m1")

	client.DropConnection(alice)
	log.wait(t, client.StateReconnecting)
	say(t, bob, j.Room, "m2")
	say(t, bob, j.Room, "m3")
	log.release(t)
	log.wait(t, client.StateOpen)

	ev := nextEvent(t, alice)
	var snap echo.Snapshot
	if ev.Name != client.EventRejoined || ev.Room != j.Room || ev.Seq != 3 || ev.Decode(&snap) != nil || snap.Count != 3 {
		t.Fatalf("event %+v (snapshot %+v), want %s at seq 3 with count 3", ev, snap, client.EventRejoined)
	}
	say(t, bob, j.Room, "m4")
	expectSaid(t, alice, j.Room, 4, "m4")
}

// TestUnackedSendAppliedOnce: a send the room applied but whose reply was
// lost with the connection is resent with the same client message id
// after the reconnect; the room answers it with the first reply and does
// not apply it again, and the original Send returns that reply.
func TestUnackedSendAppliedOnce(t *testing.T) {
	mod := newCountModule()
	s := testserver.Start(t, engine.Config{}, mod)
	log := newStateLog(false)
	alice := dialTS(t, s.URL("alice"), client.Options{Reconnect: fast, OnStateChange: log.record})
	j, err := alice.Join(ctx(t), "count", nil)
	if err != nil {
		t.Fatal(err)
	}
	held := async(func() (client.Reply, error) { return alice.Send(ctx(t), j.Room, "hold", nil) })
	select {
	case <-mod.held:
	case <-ctx(t).Done():
		t.Fatal("the room never got the send")
	}
	client.DropConnection(alice) // the reply can no longer reach alice
	log.wait(t, client.StateReconnecting)
	close(mod.release) // the room applies it now, for a connection that is gone

	rep, err := await(t, held)
	var n int
	if err != nil || rep.Decode(&n) != nil || n != 1 {
		t.Fatalf("held Send: %d, %v; want the first reply, 1", n, err)
	}
	if sc := log.wait(t, client.StateOpen); !sc.Resumed {
		t.Fatalf("open %+v, want resumed", sc)
	}
	rep, err = alice.Send(ctx(t), j.Room, "add", nil)
	if err != nil || rep.Decode(&n) != nil || n != 2 {
		t.Fatalf("next Send: %d, %v; want 2", n, err)
	}
	applied, total := mod.counts()
	if total != 2 || len(applied) != 2 {
		t.Fatalf("applied %v (total %d), want two ids applied once each", applied, total)
	}
	for id, k := range applied {
		if id == "" || k != 1 {
			t.Fatalf("applied %v, want two non-empty ids applied once each", applied)
		}
	}
	// Alice sees each application once, the first one replayed or live.
	for want := 1; want <= 2; want++ {
		ev := nextEvent(t, alice)
		var got int
		if ev.Name != "added" || ev.Seq != uint64(want) || ev.Decode(&got) != nil || got != want {
			t.Fatalf("event %+v (%d), want added seq %d", ev, got, want)
		}
	}
}

// TestNoReconnectWhenReplaced: a connection presenting this client's
// resume token replaces it; the server closes it with 4009 and the client
// ends instead of reconnecting.
func TestNoReconnectWhenReplaced(t *testing.T) {
	s := testserver.Start(t, engine.Config{}, echo.Module{})
	log := newStateLog(false)
	old := dialTS(t, s.URL("alice"), client.Options{Reconnect: fast, OnStateChange: log.record})
	token := client.ResumeToken(old)
	if token == "" {
		t.Fatal("no resume token")
	}
	log2 := newStateLog(false)
	dialTS(t, s.URL("alice"), client.WithResumeToken(client.Options{OnStateChange: log2.record}, token))
	if sc := log2.wait(t, client.StateOpen); !sc.Resumed {
		t.Fatalf("the replacement is not resumed: %+v", sc)
	}
	var ce *client.CloseError
	if err := waitDone(t, old); !errors.As(err, &ce) || ce.Code != engine.CloseReplaced {
		t.Fatalf("Err %v, want close %d", err, engine.CloseReplaced)
	}
	log.wait(t, client.StateClosed)
	if n := log.count(client.StateReconnecting); n != 0 {
		t.Fatalf("%d reconnecting states after 4009", n)
	}

	// Another user's token does not resume anything.
	log3 := newStateLog(false)
	dialTS(t, s.URL("bob"), client.WithResumeToken(client.Options{OnStateChange: log3.record}, token))
	if sc := log3.wait(t, client.StateOpen); sc.Resumed {
		t.Fatal("bob resumed alice's session")
	}
}

// TestNoReconnectWhenEvicted: a user at the connection limit opens one
// more connection; the server closes this client's idle one with 4010 and
// the client ends instead of reconnecting, which would evict the newer
// connection in turn.
func TestNoReconnectWhenEvicted(t *testing.T) {
	s := testserver.Start(t, engine.Config{MaxConnsPerUser: 1}, echo.Module{})
	log := newStateLog(false)
	old := dialTS(t, s.URL("alice"), client.Options{Reconnect: fast, OnStateChange: log.record})
	newer := dialTS(t, s.URL("alice"), client.Options{Reconnect: fast})
	var ce *client.CloseError
	if err := waitDone(t, old); !errors.As(err, &ce) || ce.Code != engine.CloseEvicted {
		t.Fatalf("Err %v, want close %d", err, engine.CloseEvicted)
	}
	log.wait(t, client.StateClosed)
	if n := log.count(client.StateReconnecting); n != 0 {
		t.Fatalf("%d reconnecting states after 4010", n)
	}
	if _, err := newer.Join(ctx(t), echo.Kind, echo.JoinParams{Name: "x"}); err != nil {
		t.Fatalf("the newer connection: %v", err)
	}
}

// TestNoReconnectWhenSignedOut: the host signs the user out everywhere
// (engine.DisconnectUser with 4011); the client ends instead of
// reconnecting, and another user's client stays connected.
func TestNoReconnectWhenSignedOut(t *testing.T) {
	s := testserver.Start(t, engine.Config{}, echo.Module{})
	log := newStateLog(false)
	alice := dialTS(t, s.URL("alice"), client.Options{Reconnect: fast, OnStateChange: log.record})
	bob := dialTS(t, s.URL("bob"), client.Options{Reconnect: fast})
	if n := s.Engine.DisconnectUser("alice", engine.CloseSignedOut, "signed out"); n != 1 {
		t.Fatalf("DisconnectUser closed %d", n)
	}
	var ce *client.CloseError
	if err := waitDone(t, alice); !errors.As(err, &ce) || ce.Code != engine.CloseSignedOut {
		t.Fatalf("Err %v, want close %d", err, engine.CloseSignedOut)
	}
	log.wait(t, client.StateClosed)
	if n := log.count(client.StateReconnecting); n != 0 {
		t.Fatalf("%d reconnecting states after 4011", n)
	}
	if _, err := bob.Join(ctx(t), echo.Kind, echo.JoinParams{Name: "x"}); err != nil {
		t.Fatalf("bob: %v", err)
	}
}

// TestNoReconnectAfterProtocolViolation: a malformed message gets 1007
// from the server, and the client ends.
func TestNoReconnectAfterProtocolViolation(t *testing.T) {
	s := testserver.Start(t, engine.Config{}, echo.Module{})
	log := newStateLog(false)
	c := dialTS(t, s.URL("alice"), client.Options{Reconnect: fast, OnStateChange: log.record})
	if err := c.WriteRaw([]byte{0xc1}); err != nil {
		t.Fatal(err)
	}
	var ce *client.CloseError
	if err := waitDone(t, c); !errors.As(err, &ce) || ce.Code != engine.CloseMalformed {
		t.Fatalf("Err %v, want close %d", err, engine.CloseMalformed)
	}
	log.wait(t, client.StateClosed)
	if n := log.count(client.StateReconnecting); n != 0 {
		t.Fatalf("%d reconnecting states after 1007", n)
	}
	if _, err := c.Join(ctx(t), echo.Kind, echo.JoinParams{Name: "x"}); !errors.As(err, &ce) {
		t.Fatalf("Join after the end: %v", err)
	}
}

// TestReconnectRefusedUnauthorized: a reconnect whose upgrade is refused
// with 401 (the credentials expired) ends the client.
func TestReconnectRefusedUnauthorized(t *testing.T) {
	var mu sync.Mutex
	banned := false
	s := testserver.Start(t, engine.Config{Authenticate: func(r *http.Request) (string, error) {
		mu.Lock()
		defer mu.Unlock()
		if banned {
			return "", errors.New("expired")
		}
		return r.URL.Query().Get("user"), nil
	}}, echo.Module{})
	c := dialTS(t, s.URL("alice"), client.Options{Reconnect: fast})
	mu.Lock()
	banned = true
	mu.Unlock()
	client.DropConnection(c)
	var ue *client.UpgradeError
	if err := waitDone(t, c); !errors.As(err, &ue) || ue.StatusCode != http.StatusUnauthorized {
		t.Fatalf("Err %v, want an UpgradeError 401", err)
	}
}

// TestServerRestartRejoins: the server shuts down (left notice, then
// 1001) and another one takes its address. The client keeps trying,
// a send made meanwhile waits, and once connected the client joins the
// room again: a new room incarnation, so it gets EventRejoined with the
// fresh snapshot, and then the send goes out.
func TestServerRestartRejoins(t *testing.T) {
	s1 := testserver.Start(t, engine.Config{}, echo.Module{})
	p := wstest.StartProxy(t, s1.HTTP.Listener.Addr().String())
	log := newStateLog(false)
	c := dialTS(t, viaProxy(p, s1, "alice"), client.Options{Reconnect: fast, OnStateChange: log.record})
	j, err := c.Join(ctx(t), echo.Kind, echo.JoinParams{Name: "x"})
	if err != nil {
		t.Fatal(err)
	}
	say(t, c, j.Room, "m1")
	expectSaid(t, c, j.Room, 1, "m1")
	s1.Stop()
	ev := nextEvent(t, c)
	if !ev.Left || ev.Reason != "shutdown" || ev.Room != j.Room {
		t.Fatalf("event %+v, want left(shutdown)", ev)
	}
	sc := log.wait(t, client.StateReconnecting)
	var ce *client.CloseError
	if !errors.As(sc.Err, &ce) || ce.Code != engine.CloseGoingAway {
		t.Fatalf("reconnecting %+v, want after 1001", sc)
	}
	short, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if _, err := c.Send(short, j.Room, "say", echo.SayData{Text: "lost"}); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Send while the server is down: %v", err)
	}
	waiting := async(func() (client.Reply, error) { return c.Send(ctx(t), j.Room, "say", echo.SayData{Text: "m2"}) })
	log.wait(t, client.StateReconnecting) // a failed attempt on the dead address
	if c.Err() != nil {
		t.Fatalf("the client gave up: %v", c.Err())
	}

	s2 := testserver.Start(t, engine.Config{}, echo.Module{})
	p.SetTarget(s2.HTTP.Listener.Addr().String())
	log.wait(t, client.StateOpen)
	ev = nextEvent(t, c)
	var snap echo.Snapshot
	if ev.Name != client.EventRejoined || ev.Room != j.Room || ev.Seq != 0 || ev.Decode(&snap) != nil || snap.Count != 0 {
		t.Fatalf("event %+v (%+v), want %s with the new room's snapshot", ev, snap, client.EventRejoined)
	}
	if _, err := await(t, waiting); err != nil {
		t.Fatalf("Send made while the server was down: %v", err)
	}
	expectSaid(t, c, j.Room, 1, "m2")
}

// TestTooLargeSendNotResentForever: a send over the server's read limit
// gets its connection closed (1009, or a reset while it is written). It
// fails instead of being resent on every new connection, and the client
// carries on.
func TestTooLargeSendNotResentForever(t *testing.T) {
	s := testserver.Start(t, engine.Config{ReadLimit: 4 << 10}, echo.Module{})
	log := newStateLog(false)
	c := dialTS(t, s.URL("alice"), client.Options{Reconnect: fast, OnStateChange: log.record})
	j, err := c.Join(ctx(t), echo.Kind, echo.JoinParams{Name: "x"})
	if err != nil {
		t.Fatal(err)
	}
	big := echo.SayData{Text: strings.Repeat("x", 8<<10)}
	_, err = c.Send(ctx(t), j.Room, "say", big)
	if err == nil || errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("too large Send: %v, want the connection's loss", err)
	}
	t.Logf("too large Send: %v", err)
	if c.Err() != nil {
		t.Fatalf("the client ended: %v", c.Err())
	}
	say(t, c, j.Room, "small")
	expectSaid(t, c, j.Room, 1, "small")
	if n := log.count(client.StateReconnecting); n < 1 || n > 3 {
		t.Fatalf("%d reconnects, want 1 to 3", n)
	}
}
