package engine

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/parlorhq/parlor/room"
	"github.com/parlorhq/parlor/room/roomtest"
	"go.uber.org/zap"
)

// newTestTracker is a presence tracker on a fake clock, with no sockets:
// what it tests is the tracker's map of entries.
func newTestTracker(t *testing.T) (*presenceTracker, *roomtest.FakeClock) {
	t.Helper()
	clk := roomtest.NewFakeClock(time.Time{})
	e := &Engine{cfg: Config{Logger: zap.NewNop(), Room: room.Config{Clock: clk}}.withDefaults()}
	e.log = zap.NewNop()
	e.ctx, e.cancel = context.WithCancel(context.Background())
	t.Cleanup(e.cancel)
	e.userChans = newShardedMap[*userHandler]()
	p := newPresenceTracker(e)
	t.Cleanup(p.stop)
	return p, clk
}

// live returns user's entry if the tracker holds one.
func (p *presenceTracker) live(user string) *presenceEntry {
	pe, _ := p.users.load(user)
	return pe
}

// An entry is dropped once its user is offline and nobody watches them; a
// watched, hidden or connected user keeps theirs, and a bystander's entry
// is untouched by another user's being dropped.
func TestPresenceEntriesFreedWhenOffline(t *testing.T) {
	p, clk := newTestTracker(t)
	grace := p.e.cfg.PresenceGrace + p.e.cfg.PresenceCoalesce

	alice := p.connect("alice")
	carol := p.connect("carol") // bystander: stays connected
	p.watch(context.Background(), "dave", "carol")
	clk.Advance(p.e.cfg.PresenceCoalesce)
	p.disconnect(alice)
	clk.Advance(grace)
	if pe := p.live("alice"); pe != nil {
		t.Fatalf("alice offline and unwatched, entry kept: %+v", pe.published)
	}
	if v, hidden := p.get("alice"); v != (Presence{User: "alice", Status: StatusOffline}) || hidden {
		t.Fatalf("dropped alice reads %+v hidden %v, want offline with no last seen", v, hidden)
	}
	if pe := p.live("carol"); pe != carol || pe.conns != 1 || pe.status != StatusOnline {
		t.Fatalf("bystander carol's entry changed: %v", pe)
	}
	if p.live("dave") == nil {
		t.Fatal("watched dave's entry dropped while carol watches him")
	}

	// Watched: kept with its last seen until the last watcher leaves.
	bob := p.connect("bob")
	p.watch(context.Background(), "bob", "carol")
	clk.Advance(p.e.cfg.PresenceCoalesce)
	p.disconnect(bob)
	clk.Advance(grace)
	if v, _ := p.get("bob"); v.Status != StatusOffline || v.LastSeen == 0 {
		t.Fatalf("watched bob reads %+v, want offline with a last seen", v)
	}
	p.unwatch("bob", "carol")
	p.unwatch("dave", "carol")
	if p.live("bob") != nil || p.live("dave") != nil {
		t.Fatal("entries kept after their last watcher left")
	}

	// Hidden: kept while hidden, dropped once shown again.
	p.setHidden("erin", true)
	clk.Advance(grace)
	if p.live("erin") == nil {
		t.Fatal("hidden erin's entry dropped: her choice would be lost")
	}
	p.setHidden("erin", false)
	clk.Advance(grace)
	if p.live("erin") != nil {
		t.Fatal("erin shown again and offline, entry kept")
	}
	if n := p.users.len(); n != 1 {
		t.Fatalf("%d entries left, want carol's alone", n)
	}
}

// A session's count and a watcher are recorded on the entry in the map,
// never on one that another user's unwatch has just dropped. The race
// needs an unwatch to land between the lookup and the record, so this
// loop only makes it likely: the old code failed it within a few
// thousand rounds.
func TestPresenceConnectRacesUnwatch(t *testing.T) {
	p, clk := newTestTracker(t)
	for i := 0; i < 5000; i++ {
		var pe *presenceEntry
		var wg sync.WaitGroup
		wg.Add(2)
		go func() {
			defer wg.Done()
			pe = p.connect("alice")
		}()
		go func() {
			defer wg.Done()
			p.watch(context.Background(), "alice", "bob")
			p.unwatch("alice", "bob")
		}()
		wg.Wait()
		got := p.live("alice")
		if got != pe {
			t.Fatalf("round %d: alice's session counted on a dropped entry", i)
		}
		got.mu.Lock()
		conns, dead := got.conns, got.dead
		got.mu.Unlock()
		if conns != 1 || dead {
			t.Fatalf("round %d: alice's entry has %d sessions, dead %v", i, conns, dead)
		}
		p.disconnect(pe)
		clk.Advance(p.e.cfg.PresenceCoalesce)
		if p.live("alice") != nil {
			t.Fatalf("round %d: alice's entry kept after she left unseen", i)
		}
	}
}
