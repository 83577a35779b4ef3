package engine_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/parlorhq/parlor/client"
	"github.com/parlorhq/parlor/codec"
	"github.com/parlorhq/parlor/engine"
	"github.com/parlorhq/parlor/room/roomtest"
	"go.uber.org/zap"
)

const (
	testCoalesce = time.Second
	testAway     = time.Minute
	testGrace    = 10 * time.Second
)

// presenceEnv is an engine whose rooms and presence run on a fake clock.
type presenceEnv struct {
	*testEnv
	clk     *roomtest.FakeClock
	barrier int
}

func newPresenceEnv(t *testing.T, cfg engine.Config) *presenceEnv {
	clk := roomtest.NewFakeClock(time.Time{})
	cfg.Room.Clock = clk
	cfg.PresenceCoalesce = testCoalesce
	cfg.PresenceAwayAfter = testAway
	cfg.PresenceGrace = testGrace
	cfg.NotifyBurst = 1000
	cfg.RateLimit = -1
	return &presenceEnv{testEnv: newEnv(t, cfg), clk: clk}
}

// watcher is a client that joined its user channel.
type watcher struct {
	*tclient
	ch string
}

func (env *presenceEnv) watcher(user string) *watcher {
	c := env.dial(user)
	return &watcher{tclient: c, ch: c.join(engine.UserKind, nil).Room}
}

// watch subscribes to users and returns the snapshot.
func (w *watcher) watch(users ...string) ([]engine.Presence, error) {
	rep, err := w.Send(testCtx(w.t), w.ch, engine.EventPresenceWatch, engine.PresenceUsers{Users: users})
	if err != nil {
		return nil, err
	}
	var st engine.PresenceStatuses
	if err := rep.Decode(&st); err != nil {
		w.t.Fatalf("decode statuses: %v", err)
	}
	return st.Statuses, nil
}

// changes returns, in order, the presence events w received so far, once
// every event the engine produced before the call has arrived: a
// notification sent now is a barrier behind them on the same stream.
func (env *presenceEnv) changes(w *watcher) []engine.Presence {
	env.t.Helper()
	env.barrier++
	if err := env.e.Notify(w.UserID(), "barrier", notice{N: env.barrier}); err != nil {
		env.t.Fatalf("barrier: %v", err)
	}
	n := env.barrier
	evs := w.waitUntil(fmt.Sprintf("barrier %d", n), func(evs []client.Event) bool {
		for _, ev := range filterEvents(evs, w.ch, "barrier") {
			var b notice
			if codec.UnmarshalData(ev.Data, &b) == nil && b.N == n {
				return true
			}
		}
		return false
	})
	var out []engine.Presence
	for _, ev := range filterEvents(evs, w.ch, engine.EventPresence) {
		var p engine.Presence
		if err := ev.Decode(&p); err != nil {
			env.t.Fatalf("decode presence: %v", err)
		}
		out = append(out, p)
	}
	return out
}

// wantChanges checks the presence events after the first skip ones.
func (env *presenceEnv) wantChanges(w *watcher, skip int, want ...engine.Status) []engine.Presence {
	env.t.Helper()
	got := env.changes(w)
	if len(got) < skip {
		env.t.Fatalf("%s: %d presence events, want more than %d", w.UserID(), len(got), skip)
	}
	got = got[skip:]
	ok := len(got) == len(want)
	for i := 0; ok && i < len(want); i++ {
		ok = got[i].Status == want[i]
	}
	if !ok {
		env.t.Fatalf("%s: presence events %+v, want statuses %v", w.UserID(), got, want)
	}
	return got
}

func TestPresenceOnlineAwayOffline(t *testing.T) {
	env := newPresenceEnv(t, engine.Config{})
	bob := env.watcher("bob")
	snap, err := bob.watch("alice")
	if err != nil || len(snap) != 1 || snap[0].User != "alice" || snap[0].Status != engine.StatusOffline || snap[0].LastSeen != 0 {
		t.Fatalf("snapshot %+v, %v; want alice offline, never seen", snap, err)
	}

	alice := env.dial("alice")
	env.clk.Advance(testCoalesce)
	env.wantChanges(bob, 0, engine.StatusOnline)

	// Idle for the away time: away. One data message: online again.
	env.clk.Advance(testAway)
	env.wantChanges(bob, 1, engine.StatusAway)
	alice.join(engine.UserKind, nil)
	env.clk.Advance(testCoalesce)
	env.wantChanges(bob, 2, engine.StatusOnline)

	// Gone: still online through the grace, then offline with last seen.
	alice.close()
	env.waitSessions(1)
	goneAt := env.clk.Now()
	env.clk.Advance(testGrace - time.Second)
	env.wantChanges(bob, 3)
	env.clk.Advance(time.Second)
	got := env.wantChanges(bob, 3, engine.StatusOffline)
	if got[0].LastSeen != goneAt.UnixMilli() {
		t.Fatalf("last seen %d, want %d", got[0].LastSeen, goneAt.UnixMilli())
	}
	if p, hidden := env.e.UserPresence("alice"); p.Status != engine.StatusOffline || hidden || p.LastSeen != goneAt.UnixMilli() {
		t.Fatalf("UserPresence %+v hidden %v", p, hidden)
	}
	snap, _ = bob.watch("alice")
	if snap[0].Status != engine.StatusOffline || snap[0].LastSeen != goneAt.UnixMilli() {
		t.Fatalf("snapshot after offline %+v", snap)
	}
}

// A reconnect within the grace shows no offline, and a user with many
// connections costs one event per change, however many connect or talk.
func TestPresenceNoFlickerAndCoalesced(t *testing.T) {
	env := newPresenceEnv(t, engine.Config{})
	bob := env.watcher("bob")
	if _, err := bob.watch("alice"); err != nil {
		t.Fatal(err)
	}
	tabs := make([]*tclient, 5)
	for i := range tabs {
		tabs[i] = env.dial("alice")
	}
	env.clk.Advance(testCoalesce)
	env.wantChanges(bob, 0, engine.StatusOnline)

	env.clk.Advance(testAway)
	env.wantChanges(bob, 1, engine.StatusAway)
	for _, tab := range tabs {
		tab.join(engine.UserKind, nil)
	}
	env.clk.Advance(testCoalesce)
	env.wantChanges(bob, 2, engine.StatusOnline)

	// Every tab drops, and one comes back within the grace.
	for _, tab := range tabs {
		tab.close()
	}
	env.waitSessions(1)
	env.clk.Advance(testGrace / 2)
	back := env.dial("alice")
	env.clk.Advance(testGrace)
	env.wantChanges(bob, 3)
	back.close()
	env.waitSessions(1)
	env.clk.Advance(testCoalesce + testGrace)
	env.wantChanges(bob, 3, engine.StatusOffline)
}

// Only the viewers the policy allows see a status, on subscription and on
// every change.
func TestPresencePolicyHidesFromStrangers(t *testing.T) {
	friends := map[[2]string]bool{{"bob", "alice"}: true}
	env := newPresenceEnv(t, engine.Config{
		PresencePolicy: func(_ context.Context, viewer, subject string) bool {
			return friends[[2]string{viewer, subject}]
		},
	})
	bob, mallory := env.watcher("bob"), env.watcher("mallory")
	for _, w := range []*watcher{bob, mallory} {
		if _, err := w.watch("alice"); err != nil {
			t.Fatal(err)
		}
	}
	alice := env.dial("alice")
	env.clk.Advance(testCoalesce)
	env.wantChanges(bob, 0, engine.StatusOnline)
	env.wantChanges(mallory, 0)
	snap, err := mallory.watch("alice")
	if err != nil || snap[0].Status != engine.StatusOffline || snap[0].LastSeen != 0 {
		t.Fatalf("stranger's snapshot %+v, %v; want offline", snap, err)
	}
	if snap, _ := bob.watch("alice"); snap[0].Status != engine.StatusOnline {
		t.Fatalf("friend's snapshot %+v", snap)
	}
	alice.close()
	env.waitSessions(2)
	env.clk.Advance(testCoalesce + testGrace)
	env.wantChanges(bob, 1, engine.StatusOffline)
	env.wantChanges(mallory, 0)
}

// A hidden user looks offline, with no last seen, to every watcher.
func TestPresenceHidden(t *testing.T) {
	env := newPresenceEnv(t, engine.Config{})
	bob := env.watcher("bob")
	if _, err := bob.watch("alice"); err != nil {
		t.Fatal(err)
	}
	alice := env.watcher("alice")
	env.clk.Advance(testCoalesce)
	env.wantChanges(bob, 0, engine.StatusOnline)

	if _, err := alice.Send(testCtx(t), alice.ch, engine.EventPresenceHide, engine.PresenceHide{Hidden: true}); err != nil {
		t.Fatalf("hide: %v", err)
	}
	env.clk.Advance(testCoalesce)
	got := env.wantChanges(bob, 1, engine.StatusOffline)
	if got[0].LastSeen != 0 {
		t.Fatalf("hidden user shows last seen %d", got[0].LastSeen)
	}
	if snap, _ := bob.watch("alice"); snap[0].Status != engine.StatusOffline {
		t.Fatalf("snapshot of a hidden user %+v", snap)
	}
	if p, hidden := env.e.UserPresence("alice"); p.Status != engine.StatusOnline || !hidden {
		t.Fatalf("UserPresence %+v hidden %v, want online and hidden", p, hidden)
	}
	// Activity while hidden tells nobody anything.
	env.clk.Advance(testAway)
	alice.join(engine.UserKind, nil)
	env.clk.Advance(testCoalesce)
	env.wantChanges(bob, 2)

	env.e.SetPresenceHidden("alice", false)
	env.clk.Advance(testCoalesce)
	env.wantChanges(bob, 2, engine.StatusOnline)
}

// The watch list is bounded per user, over all their sessions, and a
// refused watch changes nothing for anyone else.
func TestPresenceWatchLimit(t *testing.T) {
	env := newPresenceEnv(t, engine.Config{MaxPresenceWatch: 3})
	bob := env.watcher("bob")
	if _, err := bob.watch("a", "b", "c", "d"); codeOf(t, err) != codec.CodeLimitExceeded {
		t.Fatalf("watching 4: %v, want limit_exceeded", err)
	}
	if _, err := bob.watch("a", "b", "a"); err != nil {
		t.Fatalf("watching 2 (one twice): %v", err)
	}
	if _, err := bob.watch("b", "c"); err != nil {
		t.Fatalf("watching a 3rd: %v", err)
	}
	tab2 := &watcher{tclient: env.dial("bob")}
	tab2.ch = tab2.join(engine.UserKind, nil).Room
	if _, err := tab2.watch("d"); codeOf(t, err) != codec.CodeLimitExceeded {
		t.Fatalf("second tab watching a 4th: %v, want limit_exceeded", err)
	}
	if _, err := bob.watch(""); codeOf(t, err) != codec.CodeBadRequest {
		t.Fatalf("watching an empty id: %v, want bad_request", err)
	}
	if _, err := bob.Send(testCtx(t), bob.ch, engine.EventPresenceUnwatch, engine.PresenceUsers{Users: []string{"c"}}); err != nil {
		t.Fatalf("unwatch: %v", err)
	}
	env.clk.Advance(time.Second) // the burst of PresenceWatchRate is spent
	if _, err := tab2.watch("d"); err != nil {
		t.Fatalf("watching after an unwatch: %v", err)
	}

	// A bystander watches freely and sees changes.
	carol := env.watcher("carol")
	if _, err := carol.watch("a", "b", "d"); err != nil {
		t.Fatalf("bystander's watch: %v", err)
	}
	env.dial("d")
	env.clk.Advance(testCoalesce)
	env.wantChanges(carol, 0, engine.StatusOnline)
	env.wantChanges(bob, 0, engine.StatusOnline)
}

// The users one user starts watching are rate limited
// (PresenceWatchRate, with a burst of MaxPresenceWatch), so that a client
// that watches and unwatches in a loop cannot make the server subscribe
// and ask without end; users watched already do not count, a refused
// watch applies nothing, and the allowance comes back with time.
func TestPresenceWatchRate(t *testing.T) {
	env := newPresenceEnv(t, engine.Config{MaxPresenceWatch: 4, PresenceWatchRate: 2})
	bob := env.watcher("bob")
	if _, err := bob.watch("a", "b", "c", "d"); err != nil {
		t.Fatalf("watching 4, the burst: %v", err)
	}
	if _, err := bob.watch("a", "b"); err != nil {
		t.Fatalf("watching 2 watched already: %v", err)
	}
	unwatch := func(users ...string) {
		t.Helper()
		if _, err := bob.Send(testCtx(t), bob.ch, engine.EventPresenceUnwatch, engine.PresenceUsers{Users: users}); err != nil {
			t.Fatalf("unwatch: %v", err)
		}
	}
	unwatch("a", "b", "c", "d")
	if _, err := bob.watch("e"); codeOf(t, err) != codec.CodeRateLimited {
		t.Fatalf("watching a 5th user at once: %v, want rate_limited", err)
	}
	env.clk.Advance(time.Second) // 2 more
	if _, err := bob.watch("e", "f", "g"); codeOf(t, err) != codec.CodeRateLimited {
		t.Fatalf("watching 3 after a second: %v, want rate_limited", err)
	}
	st, err := bob.watch("e", "f")
	if err != nil {
		t.Fatalf("watching 2 after a second: %v", err)
	}
	if len(st) != 2 {
		t.Fatalf("snapshot of %d users, want 2", len(st))
	}
	// The refused watch of e, f and g applied nothing: g was not watched.
	unwatch("e", "f")
	env.clk.Advance(time.Second)
	if _, err := bob.watch("g", "h"); err != nil {
		t.Fatalf("watching 2 more a second later: %v", err)
	}
}

// Changes of a user's hidden status through presence.hide are bounded
// per user; a hide that asks for the status the user has costs nothing,
// and a refused one leaves the status as it was.
func TestPresenceHideRate(t *testing.T) {
	env := newPresenceEnv(t, engine.Config{PresenceHideRate: 2})
	alice := env.watcher("alice")
	hide := func(hidden bool) error {
		t.Helper()
		_, err := alice.Send(testCtx(t), alice.ch, engine.EventPresenceHide, engine.PresenceHide{Hidden: hidden})
		return err
	}
	for i := range engine.PresenceHideBurst {
		if err := hide(i%2 == 0); err != nil {
			t.Fatalf("change %d of the burst: %v", i+1, err)
		}
	}
	// Hidden now (the burst is odd). Asking for it again is free.
	for range 3 {
		if err := hide(true); err != nil {
			t.Fatalf("hiding a hidden user: %v", err)
		}
	}
	if err := hide(false); codeOf(t, err) != codec.CodeRateLimited {
		t.Fatalf("a change past the burst: %v, want rate_limited", err)
	}
	if _, hidden := env.e.UserPresence("alice"); !hidden {
		t.Fatal("the refused change showed alice")
	}
	// A bystander's changes are bounded on their own.
	bob := env.watcher("bob")
	if _, err := bob.Send(testCtx(t), bob.ch, engine.EventPresenceHide, engine.PresenceHide{Hidden: true}); err != nil {
		t.Fatalf("bob hides while alice is limited: %v", err)
	}
	if _, hidden := env.e.UserPresence("bob"); !hidden {
		t.Fatal("bob's hide was not applied")
	}
	env.clk.Advance(time.Second) // 2 more
	if err := hide(false); err != nil {
		t.Fatalf("a change a second later: %v", err)
	}
	if err := hide(true); err != nil {
		t.Fatalf("the second change a second later: %v", err)
	}
	if err := hide(false); codeOf(t, err) != codec.CodeRateLimited {
		t.Fatalf("a third change within that second: %v, want rate_limited", err)
	}
	if _, hidden := env.e.UserPresence("alice"); !hidden {
		t.Fatal("the refused change showed alice")
	}
	// The host's SetPresenceHidden is not bounded.
	env.e.SetPresenceHidden("alice", false)
	if _, hidden := env.e.UserPresence("alice"); hidden {
		t.Fatal("SetPresenceHidden did not show alice")
	}
}

// A policy that panics refuses, and the engine carries on.
func TestPresencePolicyPanicRefuses(t *testing.T) {
	env := newPresenceEnv(t, engine.Config{
		Logger: zap.NewNop(),
		PresencePolicy: func(_ context.Context, viewer, _ string) bool {
			if viewer == "mallory" {
				panic("policy bug")
			}
			return true
		},
	})
	bob, mallory := env.watcher("bob"), env.watcher("mallory")
	env.dial("alice")
	env.clk.Advance(testCoalesce)
	for _, w := range []*watcher{bob, mallory} {
		if _, err := w.watch("alice"); err != nil {
			t.Fatal(err)
		}
	}
	if snap, _ := mallory.watch("alice"); snap[0].Status != engine.StatusOffline {
		t.Fatalf("snapshot through a panicking policy %+v", snap)
	}
	env.clk.Advance(testAway)
	env.wantChanges(bob, 0, engine.StatusAway)
	env.wantChanges(mallory, 0)
}
