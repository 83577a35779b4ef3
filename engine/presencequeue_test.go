package engine

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"
	"time"
)

func statusOf(pe *presenceEntry) Status {
	pe.mu.Lock()
	defer pe.mu.Unlock()
	return pe.status.status()
}

// Evaluations scheduled by many users, and the changes they lead to
// (away after PresenceAwayAfter), wait behind one timer, and each is still
// evaluated when its own time has come, not before.
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
	clk.Advance(window - window/2)
	for i, pe := range first {
		if s := statusOf(pe); s != StatusOnline {
			t.Fatalf("a%d: %s after its window, want online", i, s)
		}
	}
	for i, pe := range second {
		if s := statusOf(pe); s != StatusOffline {
			t.Fatalf("b%d: %s before its window passed, want not yet evaluated (offline)", i, s)
		}
	}
	clk.Advance(window / 2)
	for i, pe := range second {
		if s := statusOf(pe); s != StatusOnline {
			t.Fatalf("b%d: %s after its window, want online", i, s)
		}
	}
	// Each user's next possible change (away) is queued too: still one
	// timer, and each turns away at its own time.
	if n := clk.Pending(); n != 1 {
		t.Fatalf("%d timers for 150 away deadlines, want 1", n)
	}
	away := p.e.cfg.PresenceAwayAfter
	clk.Advance(away - window - window/2) // the a users' deadline
	for i, pe := range first {
		if s := statusOf(pe); s != StatusAway {
			t.Fatalf("a%d: %s after PresenceAwayAfter, want away", i, s)
		}
	}
	for i, pe := range second {
		if s := statusOf(pe); s != StatusOnline {
			t.Fatalf("b%d: %s before its PresenceAwayAfter, want online", i, s)
		}
	}
	clk.Advance(window / 2)
	for i, pe := range second {
		if s := statusOf(pe); s != StatusAway {
			t.Fatalf("b%d: %s after PresenceAwayAfter, want away", i, s)
		}
	}
	if n := clk.Pending(); n != 0 {
		t.Fatalf("%d timers with nothing queued, want 0", n)
	}
}

// An entry evaluated early (here by a touch of an away user) leaves the
// queue where it was, and a bystander's deadline is kept.
func TestPresenceQueueEarlyEvaluation(t *testing.T) {
	p, clk := newTestTracker(t, Config{})
	window, away := p.e.cfg.PresenceCoalesce, p.e.cfg.PresenceAwayAfter
	alice := p.connect("alice")
	clk.Advance(time.Second)
	bob := p.connect("bob")         // bystander: due a second after alice
	clk.Advance(away - time.Second) // alice's deadline
	if statusOf(alice) != StatusAway || statusOf(bob) != StatusOnline {
		t.Fatalf("alice %s, bob %s; want away and online", statusOf(alice), statusOf(bob))
	}
	p.touch(alice)
	clk.Advance(window)
	if s := statusOf(alice); s != StatusOnline {
		t.Fatalf("alice %s after a touch, want online", s)
	}
	clk.Advance(time.Second - window)
	if s := statusOf(bob); s != StatusAway {
		t.Fatalf("bystander bob %s at his deadline, want away", s)
	}
	if s := statusOf(alice); s != StatusOnline {
		t.Fatalf("alice %s before her new deadline, want online", s)
	}
}

// A watched user's evaluation, with its fan-out (policy calls, the
// watchers' mailboxes), runs apart from the queue: a policy that blocks
// holds up no other user's evaluation.
func TestPresenceQueueWatchedApart(t *testing.T) {
	entered := make(chan struct{})
	release := make(chan struct{})
	var blocking atomic.Bool
	p, clk := newTestTracker(t, Config{PresencePolicy: func(_ context.Context, _, subject string) bool {
		if subject == "bob" && blocking.CompareAndSwap(true, false) {
			close(entered)
			<-release
		}
		return true
	}})
	p.watch(context.Background(), "bob", "alice")
	blocking.Store(true)
	bob := p.connect("bob") // first in the queue
	others := make([]*presenceEntry, 10)
	for i := range others {
		others[i] = p.connect(fmt.Sprintf("a%d", i))
	}
	advanced := make(chan struct{})
	go func() {
		defer close(advanced)
		clk.Advance(p.e.cfg.PresenceCoalesce)
	}()
	<-entered // bob's fan-out is stuck in the policy
	for i, pe := range others {
		if s := statusOf(pe); s != StatusOnline {
			t.Errorf("a%d: %s while bob's fan-out waits, want online", i, s)
		}
	}
	close(release)
	<-advanced
	bob.mu.Lock()
	defer bob.mu.Unlock()
	if bob.status != codeOnline || bob.published.status != codeOnline {
		t.Fatalf("bob: status %s, published %s after the window, want online", bob.status.status(), bob.published.status.status())
	}
}
