package engine

import (
	"context"
	"fmt"
	"testing"
)

// Evaluations scheduled by many users wait behind one timer, and each is
// still evaluated when its own window has passed, not before.
func TestPresenceQueueOneTimer(t *testing.T) {
	p, clk := newTestTracker(t, Config{})
	window := p.e.cfg.PresenceCoalesce
	first := make([]*presenceEntry, 100)
	for i := range first {
		first[i] = p.connect(fmt.Sprintf("a%d", i))
	}
	if n := clk.Pending(); n != 1 {
		t.Fatalf("%d timers for 100 scheduled evaluations, want 1", n)
	}
	clk.Advance(window / 2)
	second := make([]*presenceEntry, 50)
	for i := range second {
		second[i] = p.connect(fmt.Sprintf("b%d", i))
	}
	if n := clk.Pending(); n != 1 {
		t.Fatalf("%d timers for 150 scheduled evaluations, want 1", n)
	}
	status := func(pe *presenceEntry) Status {
		pe.mu.Lock()
		defer pe.mu.Unlock()
		return pe.status
	}
	clk.Advance(window - window/2)
	for i, pe := range first {
		if s := status(pe); s != StatusOnline {
			t.Fatalf("a%d: %s after its window, want online", i, s)
		}
	}
	for i, pe := range second {
		if s := status(pe); s != StatusOffline {
			t.Fatalf("b%d: %s before its window passed, want not yet evaluated (offline)", i, s)
		}
	}
	clk.Advance(window / 2)
	for i, pe := range second {
		if s := status(pe); s != StatusOnline {
			t.Fatalf("b%d: %s after its window, want online", i, s)
		}
	}
	// Each user now has the timer of their next possible change (away);
	// the queue's own is disarmed, being empty.
	if n := clk.Pending(); n != len(first)+len(second) {
		t.Fatalf("%d timers, want %d: one away timer per user and none for the empty queue", n, len(first)+len(second))
	}
}

// A watched user's evaluation keeps a timer of its own, so that its
// fan-out (policy calls, the watchers' mailboxes) holds up nobody else's;
// the unwatched users' evaluations share the queue's.
func TestPresenceQueueWatchedOwnTimer(t *testing.T) {
	p, clk := newTestTracker(t, Config{})
	p.watch(context.Background(), "bob", "alice")
	bob := p.connect("bob")
	for i := range 10 {
		p.connect(fmt.Sprintf("a%d", i))
	}
	if n := clk.Pending(); n != 2 {
		t.Fatalf("%d timers, want 2: bob's own and the queue's", n)
	}
	clk.Advance(p.e.cfg.PresenceCoalesce)
	bob.mu.Lock()
	defer bob.mu.Unlock()
	if bob.status != StatusOnline || bob.published.Status != StatusOnline {
		t.Fatalf("bob: status %s, published %s after the window, want online", bob.status, bob.published.Status)
	}
}
