package engine

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/parlorhq/parlor/room/roomtest"
	"go.uber.org/zap"
)

// newTestTracker is a presence tracker on a fake clock, with no sockets:
// what it tests is the tracker's map of entries.
func newTestTracker(t *testing.T, cfg Config) (*presenceTracker, *roomtest.FakeClock) {
	t.Helper()
	clk := roomtest.NewFakeClock(time.Time{})
	cfg.Logger = zap.NewNop()
	cfg.Room.Clock = clk
	e := &Engine{cfg: cfg.withDefaults()}
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
	p, clk := newTestTracker(t, Config{})
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
	if pe := p.live("carol"); pe != carol || pe.conns != 1 || pe.status != codeOnline {
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
	p, clk := newTestTracker(t, Config{})
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

// stop returns only once the evaluation in flight is done: no
// PresencePolicy call or log line comes after Shutdown, and no timer
// is armed again.
func TestPresenceStopWaitsForEvaluation(t *testing.T) {
	entered := make(chan struct{}, 1)
	release := make(chan struct{})
	var returned, after atomic.Bool
	var stopped, armed atomic.Bool
	p, clk := newTestTracker(t, Config{PresencePolicy: func(context.Context, string, string) bool {
		if stopped.Load() {
			after.Store(true)
		}
		if armed.Load() {
			select {
			case entered <- struct{}{}:
				<-release
				returned.Store(true)
			default:
			}
		}
		return true
	}})
	p.watch(context.Background(), "alice", "bob")
	armed.Store(true) // from now on, the first policy call blocks
	alice := p.connect("alice")
	advanced := make(chan struct{})
	go func() {
		defer close(advanced)
		clk.Advance(p.e.cfg.PresenceCoalesce) // evaluates: alice online, fan-out to bob
	}()
	<-entered
	done := make(chan struct{})
	var early bool
	go func() {
		defer close(done)
		p.stop()
		early = !returned.Load()
		stopped.Store(true)
	}()
	// Give stop every chance to return early, as it did when it only
	// disarmed timers; it must instead wait for the policy.
	time.Sleep(50 * time.Millisecond)
	close(release)
	<-done
	<-advanced
	if early {
		t.Fatal("stop returned while the evaluation was still in PresencePolicy")
	}
	p.disconnect(alice)
	p.setHidden("alice", true)
	if n := clk.Pending(); n != 0 {
		t.Fatalf("%d timers armed after stop", n)
	}
	clk.Advance(time.Hour)
	if after.Load() {
		t.Fatal("PresencePolicy called after stop")
	}
}

// Across nodes, hidden is the latest setting on any node (the greatest
// stamp): a user hidden here and shown on another node later is shown,
// and hidden again by a later setting anywhere. Views without a stamp
// (from nodes of an earlier version, or where the setting was never
// made) hide if any of them does, and any stamped setting overrides them.
func TestPresenceHiddenLatestSettingWins(t *testing.T) {
	for _, tc := range []struct {
		name   string
		local  nodeView
		remote []nodeView
		hidden bool
	}{
		{"hidden here, shown elsewhere later", nodeView{hidden: true, hiddenAt: 100}, []nodeView{{hiddenAt: 200}}, false},
		{"shown here, hidden elsewhere later", nodeView{hiddenAt: 100}, []nodeView{{hidden: true, hiddenAt: 200}}, true},
		{"hidden elsewhere, shown elsewhere later", nodeView{}, []nodeView{{hidden: true, hiddenAt: 100}, {hiddenAt: 300}}, false},
		{"unstamped hidden, nothing stamped", nodeView{}, []nodeView{{hidden: true}}, true},
		{"unstamped hidden, shown with a stamp", nodeView{}, []nodeView{{hidden: true}, {hiddenAt: 50}}, false},
		{"never set", nodeView{}, []nodeView{{}, {}}, false},
	} {
		pe := &presenceEntry{hidden: tc.local.hidden, hiddenAt: tc.local.hiddenAt, remote: map[string]nodeView{}}
		for i, v := range tc.remote {
			pe.remote[string(rune('b'+i))] = v
		}
		if got := pe.combined().hidden; got != tc.hidden {
			t.Errorf("%s: hidden %v, want %v", tc.name, got, tc.hidden)
		}
	}
}

// viewCluster is the part of a Cluster that presence publishes to: it
// records each view this node publishes, in the order the publishes
// leave, and holds the publish numbered hold (from 1) until release is
// closed.
type viewCluster struct {
	Cluster
	hold    int
	entered chan struct{}
	release chan struct{}

	mu    sync.Mutex
	calls int
	views []nodeView
}

func (c *viewCluster) Node() string { return "a" }

func (c *viewCluster) PublishUser(_ string, b []byte) error {
	c.mu.Lock()
	c.calls++
	n := c.calls
	c.mu.Unlock()
	if n == c.hold {
		close(c.entered)
		<-c.release
	}
	if b[0] != userPresence {
		return nil
	}
	rest := b[2+int(b[1]):]
	c.mu.Lock()
	c.views = append(c.views, nodeView{status: statusCode(rest[0]), hidden: rest[1] == 1})
	c.mu.Unlock()
	return nil
}

func (c *viewCluster) published() []nodeView {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]nodeView(nil), c.views...)
}

// An answer to another node's ask that read this node's view before a
// change cannot go out after the change's publish: the other nodes would
// keep the older view until the user's next change.
func TestPresenceAnswerNotAfterNewerView(t *testing.T) {
	p, clk := newTestTracker(t, Config{})
	vc := &viewCluster{hold: 2, entered: make(chan struct{}), release: make(chan struct{})}
	p.e.cluster = vc
	alice := p.connect("alice")
	clk.Advance(p.e.cfg.PresenceCoalesce) // publish 1: online
	if got := vc.published(); len(got) != 1 || got[0].status != codeOnline {
		t.Fatalf("published %+v, want alice online", got)
	}

	answered := make(chan struct{})
	go func() {
		defer close(answered)
		p.answer("alice") // publish 2, held: online
	}()
	<-vc.entered
	evaluated := make(chan struct{})
	go func() {
		defer close(evaluated)
		clk.Advance(p.e.cfg.PresenceAwayAfter) // alice away: publish 3
	}()
	for deadline := time.Now().Add(5 * time.Second); ; {
		alice.mu.Lock()
		away := alice.sent.status == codeAway
		alice.mu.Unlock()
		if away {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("alice never evaluated away")
		}
		time.Sleep(time.Millisecond)
	}
	// Give the change's publish every chance to overtake the held answer,
	// as it did when the answer published a view read before it.
	time.Sleep(50 * time.Millisecond)
	close(vc.release)
	<-answered
	<-evaluated
	got := vc.published()
	if len(got) < 3 || got[len(got)-1].status != codeAway {
		t.Fatalf("published %+v: the last view must be alice away", got)
	}
}
