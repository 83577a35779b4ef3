package userchannel_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/parlorhq/parlor/client"
	"github.com/parlorhq/parlor/client/userchannel"
	"github.com/parlorhq/parlor/codec"
	"github.com/parlorhq/parlor/engine"
	"github.com/parlorhq/parlor/parlortest"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func ctx(t *testing.T) context.Context {
	c, cancel := context.WithTimeout(context.Background(), parlortest.Timeout)
	t.Cleanup(cancel)
	return c
}

// start serves an engine (which registers the user kind itself) whose
// presence changes quickly: statuses are published every 10 ms, and a
// user is offline 50 ms after their last session closed.
func start(t *testing.T, cfg engine.Config) *parlortest.Server {
	cfg.PresenceCoalesce = 10 * time.Millisecond
	cfg.PresenceGrace = 50 * time.Millisecond
	return parlortest.Start(t, parlortest.Config{Engine: cfg})
}

// gate holds a client's reconnects until the test opens it.
type gate struct{ open chan struct{} }

func newGate() *gate { return &gate{open: make(chan struct{})} }

// header lets the first attempt through and waits for the gate on later ones.
func (g *gate) header() func(context.Context) (http.Header, error) {
	first := true
	return func(ctx context.Context) (http.Header, error) {
		if first {
			first = false
			return nil, nil
		}
		select {
		case <-g.open:
			return nil, nil
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
}

func dial(t *testing.T, srv *parlortest.Server, user string, g *gate) *client.Client {
	opts := client.Options{Reconnect: client.ReconnectPolicy{MinDelay: time.Millisecond, MaxDelay: 5 * time.Millisecond}}
	if g != nil {
		opts.HeaderFunc = g.header()
	}
	return srv.DialOptions(user, opts)
}

func join(t *testing.T, c *client.Client) *userchannel.Channel {
	t.Helper()
	ch, err := userchannel.Join(ctx(t), c)
	if err != nil {
		t.Fatalf("join the user channel: %v", err)
	}
	return ch
}

// nextPresence returns the next presence update of ch, skipping other events.
func nextPresence(t *testing.T, ch *userchannel.Channel) userchannel.Presence {
	t.Helper()
	for {
		u, err := ch.Next(ctx(t))
		if err != nil {
			t.Fatalf("next: %v", err)
		}
		if u.Presence != nil {
			return *u.Presence
		}
	}
}

// waitStatus waits for a presence update of user with status st.
func waitStatus(t *testing.T, ch *userchannel.Channel, user string, st userchannel.Status) userchannel.Presence {
	t.Helper()
	for {
		if p := nextPresence(t, ch); p.User == user && p.Status == st {
			return p
		}
	}
}

func TestWatchStatusesAndChanges(t *testing.T) {
	srv := start(t, engine.Config{})
	alice := join(t, dial(t, srv, "alice", nil))
	if got, want := alice.Room.ID(), srv.Engine.UserChannelID("alice"); got != want {
		t.Fatalf("channel id %s, want %s", got, want)
	}

	st, err := alice.Watch(ctx(t), "bob", "carol")
	if err != nil {
		t.Fatal(err)
	}
	want := []userchannel.Presence{{User: "bob", Status: userchannel.Offline}, {User: "carol", Status: userchannel.Offline}}
	if fmt.Sprint(st) != fmt.Sprint(want) {
		t.Fatalf("watch: %+v, want %+v", st, want)
	}

	bob := dial(t, srv, "bob", nil)
	waitStatus(t, alice, "bob", userchannel.Online)
	_ = bob.Close()
	p := waitStatus(t, alice, "bob", userchannel.Offline)
	if p.LastSeenMS == 0 || time.Since(p.LastSeen()) > time.Minute {
		t.Fatalf("offline bob's last seen %d, want the close time", p.LastSeenMS)
	}

	if err := alice.Unwatch(ctx(t), "bob"); err != nil {
		t.Fatal(err)
	}
	if got := alice.Watching(); fmt.Sprint(got) != "[carol]" {
		t.Fatalf("watching %v, want [carol]", got)
	}
	dial(t, srv, "bob", nil)
	dial(t, srv, "carol", nil)
	if p := nextPresence(t, alice); p.User != "carol" || p.Status != userchannel.Online {
		t.Fatalf("after unwatching bob: %+v, want carol online only", p)
	}
}

func TestHide(t *testing.T) {
	srv := start(t, engine.Config{})
	alice := join(t, dial(t, srv, "alice", nil))
	bob := join(t, dial(t, srv, "bob", nil))
	st, err := alice.Watch(ctx(t), "bob")
	if err != nil {
		t.Fatal(err)
	}
	if st[0].Status != userchannel.Online { // bob's first status is published after a coalescing window
		waitStatus(t, alice, "bob", userchannel.Online)
	}
	if err := bob.Hide(ctx(t), true); err != nil {
		t.Fatal(err)
	}
	waitStatus(t, alice, "bob", userchannel.Offline)
	if _, hidden := srv.Engine.UserPresence("bob"); !hidden || !bob.Hidden() {
		t.Fatal("bob is not hidden")
	}
	if err := bob.Hide(ctx(t), false); err != nil {
		t.Fatal(err)
	}
	waitStatus(t, alice, "bob", userchannel.Online)
}

func TestWatchLimitLeavesOthersAlone(t *testing.T) {
	srv := start(t, engine.Config{MaxPresenceWatch: 2})
	alice := join(t, dial(t, srv, "alice", nil))
	carol := join(t, dial(t, srv, "carol", nil))
	if _, err := alice.Watch(ctx(t), "u1", "u2"); err != nil {
		t.Fatal(err)
	}
	_, err := alice.Watch(ctx(t), "u3")
	var ce *codec.Error
	if !errors.As(err, &ce) || ce.Code != codec.CodeLimitExceeded {
		t.Fatalf("watch past the bound: %v, want limit_exceeded", err)
	}
	if got := alice.Watching(); fmt.Sprint(got) != "[u1 u2]" {
		t.Fatalf("watching %v after a refusal, want [u1 u2]", got)
	}
	if _, err := alice.Watch(ctx(t), ""); !errors.As(err, &ce) || ce.Code != codec.CodeBadRequest {
		t.Fatalf("watch of an empty id: %v, want bad_request", err)
	}
	// A bystander watches as before.
	if st, err := carol.Watch(ctx(t), "u1", "u2"); err != nil || len(st) != 2 {
		t.Fatalf("carol's watch: %+v, %v", st, err)
	}
}

func TestNotificationsResumeAndRewatch(t *testing.T) {
	srv := start(t, engine.Config{})
	g := newGate()
	c := dial(t, srv, "alice", g)
	alice := join(t, c)
	if err := srv.Engine.Notify("alice", "turn", map[string]string{"match": "m1"}); err != nil {
		t.Fatal(err)
	}
	u, err := alice.Next(ctx(t))
	if err != nil || u.Event.Name != "turn" || u.Event.Seq == 0 {
		t.Fatalf("first notification: %+v, %v", u.Event, err)
	}
	if _, err := alice.Watch(ctx(t), "bob", "carol"); err != nil {
		t.Fatal(err)
	}
	if err := alice.Unwatch(ctx(t), "carol"); err != nil {
		t.Fatal(err)
	}
	if err := alice.Hide(ctx(t), true); err != nil {
		t.Fatal(err)
	}
	dial(t, srv, "bob", nil)
	waitStatus(t, alice, "bob", userchannel.Online)

	// Cut alice's connection and notify her while she is away.
	if n := srv.Engine.DisconnectUser("alice", 4000, "restart"); n != 1 {
		t.Fatalf("closed %d connections, want 1", n)
	}
	if err := srv.Engine.Notify("alice", "turn", map[string]string{"match": "m2"}); err != nil {
		t.Fatalf("notify while away: %v", err)
	}
	close(g.open)

	u, err = alice.Next(ctx(t))
	if err != nil || u.Event.Name != client.EventResumed {
		t.Fatalf("after the reconnect: %+v, %v; want %s", u.Event, err, client.EventResumed)
	}
	if fmt.Sprint(u.Statuses) != fmt.Sprint([]userchannel.Presence{{User: "bob", Status: userchannel.Online}}) {
		t.Fatalf("re-watched statuses %+v, want bob online only", u.Statuses)
	}
	u, err = alice.Next(ctx(t))
	var note map[string]string
	if err != nil || u.Event.Name != "turn" || u.Event.Decode(&note) != nil || note["match"] != "m2" {
		t.Fatalf("replayed notification: %+v, %v", u.Event, err)
	}
	if _, hidden := srv.Engine.UserPresence("alice"); !hidden {
		t.Fatal("alice is not hidden after the reconnect")
	}
}

func TestRejoinInNewEpochWatchesAgain(t *testing.T) {
	srv := start(t, engine.Config{})
	g := newGate()
	c := dial(t, srv, "alice", g)
	alice := join(t, c)
	if _, err := alice.Watch(ctx(t), "bob"); err != nil {
		t.Fatal(err)
	}
	epoch := alice.Room.LastEpoch()

	// While alice is away, her channel stops: the server forgets her
	// watches with it.
	srv.Engine.DisconnectUser("alice", 4000, "restart")
	if err := srv.Engine.CloseRoom(ctx(t), srv.Engine.UserChannelID("alice")); err != nil {
		t.Fatal(err)
	}
	close(g.open)

	u, err := alice.Next(ctx(t))
	if err != nil || u.Event.Name != client.EventRejoined {
		t.Fatalf("after the reconnect: %+v, %v; want %s", u.Event, err, client.EventRejoined)
	}
	if alice.Room.LastEpoch() == epoch {
		t.Fatal("the channel kept its epoch")
	}
	if len(u.Statuses) != 1 || u.Statuses[0].User != "bob" {
		t.Fatalf("re-watched statuses %+v, want bob", u.Statuses)
	}
	// Only the new watch can tell alice about bob now.
	dial(t, srv, "bob", nil)
	waitStatus(t, alice, "bob", userchannel.Online)
}

func TestAnotherUsersChannelIsOutOfReach(t *testing.T) {
	srv := start(t, engine.Config{})
	alice := join(t, dial(t, srv, "alice", nil))
	mallory := dial(t, srv, "mallory", nil)
	_, err := mallory.Send(ctx(t), alice.Room.ID(), userchannel.OpHide, map[string]bool{"hidden": true})
	var ce *codec.Error
	if !errors.As(err, &ce) || ce.Code != codec.CodeForbidden {
		t.Fatalf("send to alice's channel: %v, want forbidden", err)
	}
	if _, hidden := srv.Engine.UserPresence("alice"); hidden {
		t.Fatal("mallory hid alice")
	}
}

// The client's names and statuses are the engine's.
func TestNamesMatchTheEngine(t *testing.T) {
	for _, c := range [][2]string{
		{userchannel.Kind, engine.UserKind},
		{userchannel.EventPresence, engine.EventPresence},
		{userchannel.OpWatch, engine.EventPresenceWatch},
		{userchannel.OpUnwatch, engine.EventPresenceUnwatch},
		{userchannel.OpHide, engine.EventPresenceHide},
		{string(userchannel.Online), string(engine.StatusOnline)},
		{string(userchannel.Away), string(engine.StatusAway)},
		{string(userchannel.Offline), string(engine.StatusOffline)},
	} {
		if c[0] != c[1] {
			t.Errorf("client %q, engine %q", c[0], c[1])
		}
	}
	raw, err := codec.MarshalData(&engine.Presence{User: "bob", Status: engine.StatusOffline, LastSeen: 1700000000000})
	if err != nil {
		t.Fatal(err)
	}
	var p userchannel.Presence
	if err := codec.UnmarshalData(raw, &p); err != nil || p.User != "bob" || p.Status != userchannel.Offline || p.LastSeenMS != 1700000000000 {
		t.Fatalf("decoded %+v, %v", p, err)
	}
}
