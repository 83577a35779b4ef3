package client_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/parlorhq/parlor/client"
	"github.com/parlorhq/parlor/codec"
	"github.com/parlorhq/parlor/engine"
	"github.com/parlorhq/parlor/internal/echo"
	"github.com/parlorhq/parlor/internal/testserver"
	"github.com/parlorhq/parlor/room"
)

// recvRoom returns the room's next event, failing after waitTimeout or
// when its Events closes.
func recvRoom(t *testing.T, r *client.Room) client.Event {
	t.Helper()
	select {
	case ev, ok := <-r.Events():
		if !ok {
			t.Fatalf("room %.8s: Events closed", r.Room)
		}
		return ev
	case <-time.After(waitTimeout):
		t.Fatalf("room %.8s: no event within %v", r.Room, waitTimeout)
	}
	panic("unreachable")
}

// waitClosed fails unless the room's Events closes (after the events
// still buffered) within waitTimeout.
func waitClosed(t *testing.T, r *client.Room) {
	t.Helper()
	deadline := time.After(waitTimeout)
	for {
		select {
		case _, ok := <-r.Events():
			if !ok {
				return
			}
		case <-deadline:
			t.Fatalf("room %.8s: Events still open after %v", r.Room, waitTimeout)
		}
	}
}

func saidText(t *testing.T, ev client.Event) string {
	t.Helper()
	var s echo.Said
	if err := ev.Decode(&s); err != nil {
		t.Fatalf("decode %s: %v", ev.Name, err)
	}
	return s.Text
}

// Each room's events arrive on its own Room, in order, and none on the
// client's channel.
func TestRoomEventsPerRoom(t *testing.T) {
	s := newServer(t, engine.Config{})
	alice := s.dialOpts(t, "alice", client.Options{RoomEvents: true})
	bob := s.dial(t, "bob")

	ra, err := alice.Join(ctx(t), echo.Kind, echo.JoinParams{Name: "a"})
	if err != nil {
		t.Fatal(err)
	}
	rb, err := alice.Join(ctx(t), echo.Kind, echo.JoinParams{Name: "b"})
	if err != nil {
		t.Fatal(err)
	}
	if ra.ID() != ra.Room || ra.Room == rb.Room {
		t.Fatalf("room ids %q %q (ID %q)", ra.Room, rb.Room, ra.ID())
	}
	for _, n := range []string{"a", "b"} {
		if _, err := bob.Join(ctx(t), echo.Kind, echo.JoinParams{Name: n}); err != nil {
			t.Fatal(err)
		}
	}
	for i := range 3 {
		say(t, bob, ra.Room, fmt.Sprint("a", i))
		say(t, bob, rb.Room, fmt.Sprint("b", i))
	}
	// Room b first: a's events wait in their own buffer meanwhile.
	for i := range 3 {
		if ev := recvRoom(t, rb); ev.Room != rb.Room || saidText(t, ev) != fmt.Sprint("b", i) || ev.Seq != uint64(i+1) {
			t.Fatalf("room b event %d: %+v", i, ev)
		}
	}
	for i := range 3 {
		if ev := recvRoom(t, ra); ev.Room != ra.Room || saidText(t, ev) != fmt.Sprint("a", i) || ev.Seq != uint64(i+1) {
			t.Fatalf("room a event %d: %+v", i, ev)
		}
	}
	if ra.LastSeq() != 3 || ra.LastEpoch() != ra.Epoch || string(ra.LastSnapshot()) != string(ra.Snapshot) {
		t.Fatalf("room a: last seq %d, epoch %q (join %q)", ra.LastSeq(), ra.LastEpoch(), ra.Epoch)
	}
	noEvent(t, alice)

	// Sending through the handle, and the client-wide channel for a
	// client without RoomEvents.
	if _, err := ra.Send(ctx(t), "say", echo.SayData{Text: "mine"}); err != nil {
		t.Fatal(err)
	}
	if ev := recvRoom(t, ra); saidText(t, ev) != "mine" || ev.Seq != 4 {
		t.Fatalf("own event: %+v", ev)
	}
	if ev := nextEvent(t, bob); ev.Room != ra.Room || ev.Seq != 1 {
		t.Fatalf("bob's first event: %+v", ev)
	}
}

// A room that the application does not read drops events beyond
// RoomBuffer and says so with one gap notice, while the client's other
// room and another member of the same room get every event.
func TestRoomBufferGap(t *testing.T) {
	const limit, burst = 4, 20
	s := newServer(t, engine.Config{})
	alice := s.dialOpts(t, "alice", client.Options{RoomEvents: true, RoomBuffer: limit})
	carol := s.dialOpts(t, "carol", client.Options{RoomEvents: true})
	bob := s.dial(t, "bob")

	slow, err := alice.Join(ctx(t), echo.Kind, echo.JoinParams{Name: "busy"})
	if err != nil {
		t.Fatal(err)
	}
	quiet, err := alice.Join(ctx(t), echo.Kind, echo.JoinParams{Name: "quiet"})
	if err != nil {
		t.Fatal(err)
	}
	carolBusy, err := carol.Join(ctx(t), echo.Kind, echo.JoinParams{Name: "busy"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := bob.Join(ctx(t), echo.Kind, echo.JoinParams{Name: "busy"}); err != nil {
		t.Fatal(err)
	}
	if _, err := bob.Join(ctx(t), echo.Kind, echo.JoinParams{Name: "quiet"}); err != nil {
		t.Fatal(err)
	}

	for i := range burst {
		say(t, bob, slow.Room, fmt.Sprint("burst ", i))
	}
	// The quiet room's event follows the burst on alice's connection, so
	// once it is read, the whole burst has reached the busy room's buffer.
	say(t, bob, quiet.Room, "hello")
	if ev := recvRoom(t, quiet); saidText(t, ev) != "hello" {
		t.Fatalf("quiet room: %+v", ev)
	}
	// carol, in the same room with room to spare, gets every event.
	var carolGot []uint64
	for len(carolGot) < burst {
		ev := recvRoom(t, carolBusy)
		if ev.Name != "said" {
			t.Fatalf("carol got %+v", ev)
		}
		carolGot = append(carolGot, ev.Seq)
	}
	if want := seqs(1, burst); !slices.Equal(carolGot, want) {
		t.Fatalf("carol got seqs %v, want %v", carolGot, want)
	}

	// The busy room: the first events in order, then one gap notice for
	// the rest. The delivery goroutine may hold one event beyond the
	// buffer.
	var got []uint64
	var gap client.Event
	for gap.Name == "" {
		ev := recvRoom(t, slow)
		switch ev.Name {
		case "said":
			got = append(got, ev.Seq)
		case client.EventGap:
			gap = ev
		default:
			t.Fatalf("busy room: %+v", ev)
		}
	}
	if n := len(got); n < limit || n > limit+1 || !slices.Equal(got, seqs(1, n)) {
		t.Fatalf("delivered seqs %v before the gap, want 1..%d or 1..%d", got, limit, limit+1)
	}
	if gap.Room != slow.Room || gap.Seq != burst || gap.Dropped != burst-len(got) {
		t.Fatalf("gap %+v after %d events, want seq %d and %d dropped", gap, len(got), burst, burst-len(got))
	}
	// Delivery goes on after the gap.
	say(t, bob, slow.Room, "after")
	if ev := recvRoom(t, slow); ev.Seq != burst+1 || saidText(t, ev) != "after" {
		t.Fatalf("after the gap: %+v", ev)
	}
}

func seqs(from, to int) []uint64 {
	var s []uint64
	for i := from; i <= to; i++ {
		s = append(s, uint64(i))
	}
	return s
}

// WithHandler calls the handler with the room's events in order, and
// WithRoomEvents gives one room its own channel on a client whose other
// rooms share Events.
func TestRoomHandlerAndJoinOption(t *testing.T) {
	s := newServer(t, engine.Config{})
	alice := s.dial(t, "alice")
	bob := s.dial(t, "bob")

	var mu sync.Mutex
	var handled []string
	got := make(chan struct{}, 16)
	hr, err := alice.Join(ctx(t), echo.Kind, echo.JoinParams{Name: "h"}, client.WithHandler(func(ev client.Event) {
		var said echo.Said
		if err := ev.Decode(&said); err != nil {
			said.Text = err.Error()
		}
		mu.Lock()
		handled = append(handled, said.Text)
		mu.Unlock()
		got <- struct{}{}
	}))
	if err != nil {
		t.Fatal(err)
	}
	if hr.Events() != nil {
		t.Fatal("a room with a handler has an Events channel")
	}
	own, err := alice.Join(ctx(t), echo.Kind, echo.JoinParams{Name: "own"}, client.WithRoomEvents())
	if err != nil {
		t.Fatal(err)
	}
	shared, err := alice.Join(ctx(t), echo.Kind, echo.JoinParams{Name: "shared"})
	if err != nil {
		t.Fatal(err)
	}
	if shared.Events() != nil || shared.Done() != nil {
		t.Fatal("a room without per-room delivery has an Events channel")
	}
	for _, n := range []string{"h", "own", "shared"} {
		if _, err := bob.Join(ctx(t), echo.Kind, echo.JoinParams{Name: n}); err != nil {
			t.Fatal(err)
		}
	}
	for i := range 3 {
		say(t, bob, hr.Room, fmt.Sprint("h", i))
	}
	say(t, bob, own.Room, "own")
	say(t, bob, shared.Room, "shared")
	for range 3 {
		select {
		case <-got:
		case <-time.After(waitTimeout):
			t.Fatal("the handler was not called")
		}
	}
	mu.Lock()
	if !slices.Equal(handled, []string{"h0", "h1", "h2"}) {
		t.Fatalf("handled %v", handled)
	}
	mu.Unlock()
	if ev := recvRoom(t, own); saidText(t, ev) != "own" {
		t.Fatalf("own room: %+v", ev)
	}
	if ev := nextEvent(t, alice); ev.Room != shared.Room || saidText(t, ev) != "shared" {
		t.Fatalf("client channel: %+v", ev)
	}
}

// Leave closes the room's Events after the events before it; Close
// closes the others; a second join of the same room takes it over.
func TestRoomEventsClose(t *testing.T) {
	s := newServer(t, engine.Config{})
	alice := s.dialOpts(t, "alice", client.Options{RoomEvents: true})

	r1, err := alice.Join(ctx(t), echo.Kind, echo.JoinParams{Name: "one"})
	if err != nil {
		t.Fatal(err)
	}
	say(t, alice, r1.Room, "before leaving")
	if err := r1.Leave(ctx(t)); err != nil {
		t.Fatal(err)
	}
	if ev := recvRoom(t, r1); saidText(t, ev) != "before leaving" {
		t.Fatalf("before the leave: %+v", ev)
	}
	waitClosed(t, r1)
	if _, err := r1.Send(ctx(t), "say", echo.SayData{Text: "gone"}); err == nil {
		t.Fatal("send after leaving succeeded")
	}

	r2, err := alice.Join(ctx(t), echo.Kind, echo.JoinParams{Name: "two"})
	if err != nil {
		t.Fatal(err)
	}
	again, err := alice.Join(ctx(t), echo.Kind, echo.JoinParams{Name: "two"})
	if err != nil {
		t.Fatal(err)
	}
	waitClosed(t, r2)
	say(t, alice, again.Room, "to the new handle")
	if ev := recvRoom(t, again); saidText(t, ev) != "to the new handle" {
		t.Fatalf("second join: %+v", ev)
	}

	_ = alice.Close()
	waitClosed(t, again)
	select {
	case <-again.Done():
	default:
		t.Fatal("Done still open after Close")
	}
}

// A kick ends the room's delivery with the left notice.
func TestRoomLeftNotice(t *testing.T) {
	s := newServer(t, engine.Config{})
	alice := s.dialOpts(t, "alice", client.Options{RoomEvents: true})
	r, err := alice.Join(ctx(t), echo.Kind, echo.JoinParams{Name: "k"})
	if err != nil {
		t.Fatal(err)
	}
	rm, ok := s.e.Room(r.Room)
	if !ok {
		t.Fatal("room not found")
	}
	if err := rm.Do(ctx(t), func() { rm.Kick("alice") }); err != nil {
		t.Fatal(err)
	}
	if ev := recvRoom(t, r); !ev.Left || ev.Reason != "kicked" {
		t.Fatalf("left notice: %+v", ev)
	}
	waitClosed(t, r)
}

// HeaderFunc is called for every connection: a reconnect presents a fresh
// token, and a token the server saw once is never sent again.
func TestHeaderFuncFreshTokenOnReconnect(t *testing.T) {
	var mu sync.Mutex
	used := map[string]bool{}
	var seen []string
	s := newServer(t, engine.Config{Authenticate: func(r *http.Request) (string, error) {
		tok := r.Header.Get("Authorization")
		mu.Lock()
		defer mu.Unlock()
		seen = append(seen, tok)
		if tok == "" || used[tok] {
			return "", errors.New("token reused or missing")
		}
		used[tok] = true
		return "alice", nil
	}})
	var issued int
	c, err := client.Dial(ctx(t), s.url, client.Options{
		Header: http.Header{"Authorization": {"Bearer stale"}},
		HeaderFunc: func(context.Context) (http.Header, error) {
			mu.Lock()
			defer mu.Unlock()
			issued++
			return http.Header{"Authorization": {fmt.Sprintf("Bearer tok-%d", issued)}}, nil
		},
		Reconnect: client.ReconnectPolicy{MinDelay: time.Millisecond, MaxDelay: 10 * time.Millisecond},
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close() })
	r, err := c.Join(ctx(t), echo.Kind, echo.JoinParams{Name: "t"})
	if err != nil {
		t.Fatal(err)
	}
	if !client.DropConnection(c) {
		t.Fatal("no connection to drop")
	}
	// The send waits for the reconnect, which must authenticate afresh.
	if _, err := r.Send(ctx(t), "say", echo.SayData{Text: "back"}); err != nil {
		t.Fatalf("send after reconnect: %v", err)
	}
	mu.Lock()
	defer mu.Unlock()
	if !slices.Equal(seen, []string{"Bearer tok-1", "Bearer tok-2"}) {
		t.Fatalf("tokens presented %q, want tok-1 then tok-2", seen)
	}
}

// A HeaderFunc error fails Dial with it; on a reconnect it is a failed
// attempt, tried again.
func TestHeaderFuncError(t *testing.T) {
	s := newServer(t, engine.Config{})
	errNoToken := errors.New("token service down")
	_, err := client.Dial(ctx(t), s.url, client.Options{
		HeaderFunc: func(context.Context) (http.Header, error) { return nil, errNoToken },
	})
	if !errors.Is(err, errNoToken) {
		t.Fatalf("Dial: %v, want the HeaderFunc's error", err)
	}

	var mu sync.Mutex
	calls := 0
	log := newStateLog(false)
	c, err := client.Dial(ctx(t), s.url, client.Options{
		HeaderFunc: func(context.Context) (http.Header, error) {
			mu.Lock()
			defer mu.Unlock()
			calls++
			if calls == 2 {
				return nil, errNoToken // the first reconnect attempt
			}
			return http.Header{"X-User": {"alice"}}, nil
		},
		Reconnect:     client.ReconnectPolicy{MinDelay: time.Millisecond, MaxDelay: 10 * time.Millisecond},
		OnStateChange: log.record,
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close() })
	client.DropConnection(c)
	if sc := log.wait(t, client.StateReconnecting); sc.Attempt != 1 {
		t.Fatalf("first reconnecting: %+v", sc)
	}
	for {
		sc := log.wait(t, client.StateOpen)
		if sc.Attempt > 0 {
			if sc.Attempt != 2 {
				t.Fatalf("reopened on attempt %d, want 2", sc.Attempt)
			}
			break
		}
	}
	var failed bool
	log.mu.Lock()
	for _, sc := range log.all {
		if sc.State == client.StateReconnecting && errors.Is(sc.Err, errNoToken) {
			failed = true
		}
	}
	log.mu.Unlock()
	if !failed {
		t.Fatal("no reconnect attempt failed with the HeaderFunc's error")
	}
}

// After a reconnect the server could not replay, the room's notice
// EventRejoined replaces the events still buffered (its snapshot includes
// them), and the room's accessors follow the new join.
func TestRoomRejoinedReplacesBuffer(t *testing.T) {
	s := testserver.Start(t, engine.Config{Room: room.Config{ReplayEvents: -1}}, echo.Module{})
	log := newStateLog(true)
	alice := dialTS(t, s.URL("alice"), client.Options{Reconnect: fast, OnStateChange: log.record, RoomEvents: true})
	bob := s.Dial("bob")
	r, err := alice.Join(ctx(t), echo.Kind, echo.JoinParams{Name: "lobby"})
	if err != nil {
		t.Fatal(err)
	}
	unreadFour(t, alice, bob, r)
	if r.LastSeq() != 4 {
		t.Fatalf("last seq %d, want 4", r.LastSeq())
	}

	client.DropConnection(alice)
	log.wait(t, client.StateReconnecting)
	say(t, bob, r.Room, "m5")
	log.release(t)
	log.wait(t, client.StateOpen)
	say(t, bob, r.Room, "m6")

	// The delivery goroutine may already hold m1; nothing else comes
	// before the notice.
	ev := recvRoom(t, r)
	if ev.Name == "said" {
		if saidText(t, ev) != "m1" {
			t.Fatalf("before the notice: %+v", ev)
		}
		ev = recvRoom(t, r)
	}
	var snap echo.Snapshot
	if ev.Name != client.EventRejoined || ev.Seq != 5 || ev.Decode(&snap) != nil || snap.Count != 5 {
		t.Fatalf("notice %+v (snapshot %+v), want %s at seq 5", ev, snap, client.EventRejoined)
	}
	if ev := recvRoom(t, r); ev.Seq != 6 || saidText(t, ev) != "m6" {
		t.Fatalf("after the notice: %+v", ev)
	}
	if r.LastSeq() != 6 || r.LastEpoch() == "" {
		t.Fatalf("accessors: seq %d epoch %q", r.LastSeq(), r.LastEpoch())
	}
	var last echo.Snapshot
	if err := codec.UnmarshalData(r.LastSnapshot(), &last); err != nil || last.Count != 5 {
		t.Fatalf("LastSnapshot %+v (%v), want the rejoin's", last, err)
	}
}

// A notice is never dropped: an EventResumed that comes to a room whose
// buffer is full is added after what it holds, not counted in a gap.
// alice's room holds 2 events; four fill it (the delivery goroutine holds
// the first, the fourth is a gap), then a reconnect that recovers the
// room pushes the notice.
func TestRoomResumedNoticeOnFullBuffer(t *testing.T) {
	s := testserver.Start(t, engine.Config{}, echo.Module{})
	log := newStateLog(true)
	alice := dialTS(t, s.URL("alice"), client.Options{Reconnect: fast, OnStateChange: log.record, RoomEvents: true, RoomBuffer: 2})
	bob := s.Dial("bob")
	r, err := alice.Join(ctx(t), echo.Kind, echo.JoinParams{Name: "lobby"}, client.WithResumeNotices())
	if err != nil {
		t.Fatal(err)
	}
	unreadFour(t, alice, bob, r)

	client.DropConnection(alice)
	log.wait(t, client.StateReconnecting)
	log.release(t)
	log.wait(t, client.StateOpen)

	var got []string
	for {
		ev := recvRoom(t, r)
		got = append(got, ev.Name)
		if ev.Name == client.EventResumed {
			if ev.Seq != 4 {
				t.Fatalf("resume notice at seq %d, want 4", ev.Seq)
			}
			return
		}
		if len(got) > 5 {
			t.Fatalf("no %s notice in %v", client.EventResumed, got)
		}
	}
}

// unreadFour has bob join alice's room r and say m1 to m3, then alice say
// m4. The room broadcasts m4 before it replies to her send, so all four
// are in her room's delivery, unread, when it returns.
func unreadFour(t *testing.T, alice, bob *client.Client, r *client.Room) {
	t.Helper()
	if _, err := bob.Join(ctx(t), echo.Kind, echo.JoinParams{Name: "lobby"}); err != nil {
		t.Fatal(err)
	}
	for _, text := range []string{"m1", "m2", "m3"} {
		say(t, bob, r.Room, text)
	}
	say(t, alice, r.Room, "m4")
}

// A client whose rooms deliver on their own Room never makes the Events
// buffer; a client that asks for Events gets it with its full capacity,
// and after Close it is closed either way.
func TestEventsBufferMadeOnFirstUse(t *testing.T) {
	s := newServer(t, engine.Config{})
	t.Run("room events", func(t *testing.T) {
		alice := s.dialOpts(t, "alice", client.Options{RoomEvents: true})
		bob := s.dial(t, "bob")
		ra, err := alice.Join(ctx(t), echo.Kind, echo.JoinParams{Name: "lazy"})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := bob.Join(ctx(t), echo.Kind, echo.JoinParams{Name: "lazy"}); err != nil {
			t.Fatal(err)
		}
		say(t, bob, ra.Room, "hi")
		if ev := recvRoom(t, ra); saidText(t, ev) != "hi" {
			t.Fatalf("room event %+v", ev)
		}
		if made, _ := client.EventsBuffered(alice); made {
			t.Fatal("the Events buffer was made for a client that never used it")
		}
		if err := alice.Close(); err != nil {
			t.Fatal(err)
		}
		if evs := drainUntilClosed(t, alice); len(evs) != 0 {
			t.Fatalf("Events after Close: %+v", evs)
		}
	})
	t.Run("client events", func(t *testing.T) {
		carol := s.dialOpts(t, "carol", client.Options{EventBuffer: 7})
		if made, _ := client.EventsBuffered(carol); made {
			t.Fatal("the Events buffer was made before any event")
		}
		j, err := carol.Join(ctx(t), echo.Kind, echo.JoinParams{Name: "eager"})
		if err != nil {
			t.Fatal(err)
		}
		say(t, carol, j.Room, "one")
		if ev := nextEvent(t, carol); saidText(t, ev) != "one" {
			t.Fatalf("event %+v", ev)
		}
		if made, n := client.EventsBuffered(carol); !made || n != 7 {
			t.Fatalf("Events buffer made %v with capacity %d, want 7", made, n)
		}
		if c := cap(carol.Events()); c != 7 {
			t.Fatalf("cap(Events()) %d, want 7", c)
		}
	})
}
