package chat_test

import (
	"slices"
	"testing"
	"time"

	"github.com/parlorhq/parlor/chat"
)

// TestReadReceipts: a receipt is stored, pushed to the other members,
// never moves backwards, is clamped to the head, and is in later
// snapshots. Sending a message moves the sender's own receipt.
func TestReadReceipts(t *testing.T) {
	e := start(t, chat.Config{})
	alice, bob := e.dial("alice"), e.dial("bob")
	id, _ := alice.dm("bob")
	bob.dm("alice")
	for _, text := range []string{"1", "2", "3"} {
		alice.say(id, text)
	}
	var rep chat.ReadReply
	bob.request(id, chat.OpRead, chat.ReadRequest{Seq: 2}, &rep)
	var ev chat.ReadEvent
	alice.next(id, chat.EventRead, &ev)
	if rep.Seq != 2 || ev.User != "bob" || ev.Seq != 2 {
		t.Fatalf("reply %+v, event %+v", rep, ev)
	}
	bob.request(id, chat.OpRead, chat.ReadRequest{Seq: 1}, &rep)
	if rep.Seq != 2 {
		t.Fatalf("receipt moved back to %d", rep.Seq)
	}
	bob.request(id, chat.OpRead, chat.ReadRequest{Seq: 99}, &rep)
	if rep.Seq != 3 {
		t.Fatalf("receipt past the head: %d, want 3", rep.Seq)
	}
	// The refused move back sent no event: the next one is for seq 3.
	if alice.next(id, chat.EventRead, &ev); ev.Seq != 3 {
		t.Fatalf("alice got receipt %+v, want seq 3", ev)
	}
	_, snap := e.dial("alice").dm("bob")
	if snap.Reads["bob"] != 3 || snap.Reads["alice"] != 3 {
		t.Fatalf("snapshot reads %v", snap.Reads)
	}
}

// TestTypingExpires: a typing indicator reaches the others with its TTL
// and, without a refresh, expires on its own with a stop event.
func TestTypingExpires(t *testing.T) {
	e := start(t, chat.Config{TypingTTL: 100 * time.Millisecond, TypingThrottle: time.Millisecond})
	alice, bob := e.dial("alice"), e.dial("bob")
	id, _ := alice.dm("bob")
	bob.dm("alice")
	begin := time.Now()
	alice.request(id, chat.OpTyping, nil, nil)
	var ev chat.TypingEvent
	bob.next(id, chat.EventTyping, &ev)
	if ev.User != "alice" || !ev.Typing || ev.ExpiresIn != 100 {
		t.Fatalf("typing event %+v", ev)
	}
	bob.next(id, chat.EventTyping, &ev)
	if ev.User != "alice" || ev.Typing {
		t.Fatalf("second typing event %+v, want the stop", ev)
	}
	if d := time.Since(begin); d < 100*time.Millisecond {
		t.Fatalf("expired after %v, before its TTL", d)
	}
	// Sending a message stops the indicator at once.
	alice.request(id, chat.OpTyping, nil, nil)
	bob.next(id, chat.EventTyping, &ev)
	alice.say(id, "done typing")
	bob.nextMessage(id)
	if bob.next(id, chat.EventTyping, &ev); ev.Typing {
		t.Fatalf("after the message: %+v, want the stop", ev)
	}
}

// TestTypingThrottled: refreshes within TypingThrottle are not broadcast;
// an explicit stop is; a typist never gets their own indicator.
func TestTypingThrottled(t *testing.T) {
	e := start(t, chat.Config{TypingTTL: time.Hour, TypingThrottle: time.Hour})
	alice, bob := e.dial("alice"), e.dial("bob")
	id, _ := alice.dm("bob")
	bob.dm("alice")
	for range 3 {
		alice.request(id, chat.OpTyping, nil, nil)
	}
	alice.request(id, chat.OpTyping, chat.TypingRequest{Stop: true}, nil)
	var ev chat.TypingEvent
	bob.next(id, chat.EventTyping, &ev)
	if !ev.Typing {
		t.Fatalf("first event %+v", ev)
	}
	if bob.next(id, chat.EventTyping, &ev); ev.Typing {
		t.Fatalf("second event %+v, want the stop (refreshes are throttled)", ev)
	}
	// Alice's next non-presence event is her own message: she got no
	// typing events of her own.
	m := alice.say(id, "x")
	if got := alice.nextAny(id, chat.EventPresence); got.Name != chat.KindMessage || got.Seq != m.Seq {
		t.Fatalf("alice got %+v", got)
	}
}

// TestTypingToggleThrottled: starting and stopping over and over within
// TypingThrottle, or leaving and joining again, does not reset the
// throttle: the other member gets one "typing" and one "stopped", however
// many times the typist toggles.
func TestTypingToggleThrottled(t *testing.T) {
	e := start(t, chat.Config{TypingTTL: time.Hour, TypingThrottle: time.Hour})
	alice, bob := e.dial("alice"), e.dial("bob")
	id, _ := alice.dm("bob")
	bob.dm("alice")
	const toggles = 10
	for range toggles {
		alice.request(id, chat.OpTyping, nil, nil)
		alice.request(id, chat.OpTyping, chat.TypingRequest{Stop: true}, nil)
	}
	// Leaving and coming back does not reset it either.
	if err := alice.Leave(ctxT(t), id); err != nil {
		t.Fatal(err)
	}
	alice.dm("bob")
	alice.request(id, chat.OpTyping, nil, nil)
	alice.request(id, chat.OpTyping, chat.TypingRequest{Stop: true}, nil)
	m := alice.say(id, "done")
	var got []bool
	for {
		ev := bob.nextAny(id, chat.EventPresence)
		if ev.Name == chat.KindMessage {
			if ev.Seq != m.Seq {
				t.Fatalf("bob got message seq %d, want %d", ev.Seq, m.Seq)
			}
			break
		}
		var te chat.TypingEvent
		if ev.Name != chat.EventTyping || ev.Decode(&te) != nil || te.User != "alice" {
			t.Fatalf("bob got %s, want typing events of alice", ev.Name)
		}
		got = append(got, te.Typing)
	}
	if !slices.Equal(got, []bool{true, false}) {
		t.Fatalf("after %d toggles bob got typing events %v, want [true false]", toggles, got)
	}
	// Alice's throttle is hers: bob's indicator reaches her at once.
	bob.request(id, chat.OpTyping, nil, nil)
	var ev chat.TypingEvent
	if alice.next(id, chat.EventTyping, &ev); ev.User != "bob" || !ev.Typing {
		t.Fatalf("alice got %+v, want bob typing", ev)
	}
}

// TestTypingHeldBack: a start within the throttle after a stop is not
// lost: it is broadcast once the throttle has passed, if the user still
// types then.
func TestTypingHeldBack(t *testing.T) {
	e := start(t, chat.Config{TypingTTL: time.Hour, TypingThrottle: 200 * time.Millisecond})
	alice, bob := e.dial("alice"), e.dial("bob")
	id, _ := alice.dm("bob")
	bob.dm("alice")
	alice.request(id, chat.OpTyping, nil, nil)
	alice.request(id, chat.OpTyping, chat.TypingRequest{Stop: true}, nil)
	alice.request(id, chat.OpTyping, nil, nil)
	for i, want := range []bool{true, false, true} {
		var ev chat.TypingEvent
		if bob.next(id, chat.EventTyping, &ev); ev.Typing != want {
			t.Fatalf("typing event %d: %+v, want typing %v", i, ev, want)
		}
	}
}

// TestPresenceLastTab: a member is online from the first tab and goes
// offline only when the last tab closes.
func TestPresenceLastTab(t *testing.T) {
	e := start(t, chat.Config{})
	alice, tab1, tab2 := e.dial("alice"), e.dial("bob"), e.dial("bob")
	id, snap := alice.dm("bob")
	if !slices.Equal(snap.Online, []string{"alice"}) {
		t.Fatalf("online %v", snap.Online)
	}
	_, snap = tab1.dm("alice")
	if !slices.Equal(snap.Online, []string{"alice", "bob"}) {
		t.Fatalf("online %v", snap.Online)
	}
	var p chat.PresenceEvent
	if alice.next(id, chat.EventPresence, &p); p.User != "bob" || !p.Online {
		t.Fatalf("presence %+v", p)
	}
	tab2.dm("alice")
	_ = tab1.Close()
	e.waitSessions(id, "bob", 1)
	// Neither the second tab's join nor the first tab's close said
	// anything: the next event alice gets is bob's message.
	m := tab2.say(id, "still here")
	if got := alice.nextAny(id); got.Name != chat.KindMessage || got.Seq != m.Seq {
		t.Fatalf("alice got %s %+v, want bob's message", got.Name, got)
	}
	_ = tab2.Close()
	if alice.next(id, chat.EventPresence, &p); p.User != "bob" || p.Online {
		t.Fatalf("presence %+v, want bob offline", p)
	}
}
