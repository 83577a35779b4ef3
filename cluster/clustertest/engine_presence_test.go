package clustertest

import (
	"context"
	"strings"
	"testing"
	"time"

	"go.uber.org/zap/zaptest"

	"github.com/parlorhq/parlor/client/userchannel"
	"github.com/parlorhq/parlor/cluster"
	"github.com/parlorhq/parlor/engine"
	"github.com/parlorhq/parlor/internal/wstest"
	"github.com/parlorhq/parlor/parlortest"
)

// startPresenceNode starts a node with a short presence grace and a
// policy that hides everybody from eve.
func startPresenceNode(t testing.TB, name string, urls []string) *node {
	t.Helper()
	return startPresenceNodeGrace(t, name, urls, 200*time.Millisecond)
}

// startPresenceNodeGrace is startPresenceNode with a presence grace of
// grace.
func startPresenceNodeGrace(t testing.TB, name string, urls []string, grace time.Duration) *node {
	t.Helper()
	nc := dial(t, name, urls...)
	c, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	cn, err := cluster.NewNode(c, nc, cluster.NodeConfig{Name: name, Logger: zaptest.NewLogger(t).Named(name)})
	if err != nil {
		t.Fatalf("node %s: %v", name, err)
	}
	t.Cleanup(func() { _ = cn.Close() })
	srv := parlortest.Start(t, parlortest.Config{Engine: engine.Config{
		Cluster:          cn,
		Logger:           zaptest.NewLogger(t).Named(name),
		PresenceGrace:    grace,
		PresenceCoalesce: 20 * time.Millisecond,
		PresencePolicy:   func(_ context.Context, viewer, _ string) bool { return viewer != "eve" },
	}})
	return &node{t: t, name: name, nc: nc, cluster: cn, srv: srv}
}

// nextPresence reads ch's updates until a presence change of user has
// status want.
func nextPresence(t testing.TB, ch *userchannel.Channel, user string, want userchannel.Status) userchannel.Presence {
	t.Helper()
	c := ctx(t)
	for {
		u, err := ch.Next(c)
		if err != nil {
			t.Fatalf("waiting for %s %s: %v", user, want, err)
		}
		if u.Presence != nil && u.Presence.User == user && u.Presence.Status == want {
			return *u.Presence
		}
	}
}

// watch joins user's channel on n and watches subject there; it returns
// the channel and subject's status in the watch's reply.
func watch(t testing.TB, n *node, user, subject string) (*userchannel.Channel, userchannel.Status) {
	t.Helper()
	ch, err := userchannel.Join(ctx(t), n.dial(user))
	if err != nil {
		t.Fatal(err)
	}
	st, err := ch.Watch(ctx(t), subject)
	if err != nil {
		t.Fatal(err)
	}
	return ch, st[0].Status
}

// A user's status combines their sessions on every node: watchers on
// another node see them come online, stay online while one node still
// holds a session, go offline when the last one closes, and go offline
// when the node that held their last session dies. The policy applies to
// the combined status.
func TestClusterPresenceAcrossNodes(t *testing.T) {
	ns := StartServer(t)
	a := startPresenceNode(t, "a", []string{ns.URL()})
	b := startPresenceNode(t, "b", []string{ns.URL()})
	c := startPresenceNode(t, "c", []string{ns.URL()})

	wendy, st := watch(t, a, "wendy", "alice")
	if st != userchannel.Offline {
		t.Fatalf("alice before connecting: %s", st)
	}

	// alice connects on b, then on c too.
	onB := b.dial("alice")
	nextPresence(t, wendy, "alice", userchannel.Online)
	onC := c.dial("alice")
	if _, err := userchannel.Join(ctx(t), onC); err != nil {
		t.Fatal(err) // c's view is online once this session has spoken
	}

	// The policy hides alice from eve, though she is online elsewhere.
	eve, err := userchannel.Join(ctx(t), a.dial("eve"))
	if err != nil {
		t.Fatal(err)
	}
	if st, err := eve.Watch(ctx(t), "alice"); err != nil || st[0].Status != userchannel.Offline {
		t.Fatalf("eve's view of alice: %+v, %v; want offline", st, err)
	}

	// Her session on b closes: b's view turns offline after the grace,
	// c's is still online, so a's watchers see her online. A new watcher
	// on b, where nobody watched her, asks the other nodes and learns
	// c's view.
	_ = onB.Close()
	eventually(t, "b's view of alice offline", func() bool {
		p, _ := b.srv.Engine.UserPresence("alice")
		return p.Status == engine.StatusOffline
	})
	ann, st := watch(t, b, "ann", "alice")
	if st != userchannel.Online {
		nextPresence(t, ann, "alice", userchannel.Online)
	}
	if p, _ := a.srv.Engine.UserPresence("alice"); p.Status != engine.StatusOnline {
		t.Fatalf("a's view of alice after b's session closed: %+v, want online", p)
	}

	// c dies with alice's last session on it: a counts c's view
	// offline once c is gone, with a last-seen time.
	before := time.Now().Add(-time.Second)
	c.kill()
	p := nextPresence(t, wendy, "alice", userchannel.Offline)
	if p.LastSeen().Before(before) {
		t.Fatalf("alice offline, last seen %v, want after %v", p.LastSeen(), before)
	}
	nextPresence(t, ann, "alice", userchannel.Offline)

	// She comes back on b: online again everywhere she is watched. She
	// hides from her channel there: offline with no last seen on a, until
	// she shows herself again.
	self, err := userchannel.Join(ctx(t), b.dial("alice"))
	if err != nil {
		t.Fatal(err)
	}
	nextPresence(t, wendy, "alice", userchannel.Online)
	if err := self.Hide(ctx(t), true); err != nil {
		t.Fatal(err)
	}
	if p := nextPresence(t, wendy, "alice", userchannel.Offline); p.LastSeenMS != 0 {
		t.Fatalf("hidden alice shows last seen %v", p.LastSeen())
	}
	if err := self.Hide(ctx(t), false); err != nil {
		t.Fatal(err)
	}
	nextPresence(t, wendy, "alice", userchannel.Online)
}

// Hiding is a user's latest setting on any node: a user hidden by the
// host on one node and shown on another later is shown everywhere, also
// to watchers who start watching afterwards, and hidden again when any
// node hides them again. The node that hid them first drops its hidden
// status once another node's later setting reaches it.
func TestClusterPresenceHiddenLatestWins(t *testing.T) {
	ns := StartServer(t)
	a := startPresenceNode(t, "a", []string{ns.URL()})
	b := startPresenceNode(t, "b", []string{ns.URL()})
	c := startPresenceNode(t, "c", []string{ns.URL()})

	wendy, _ := watch(t, a, "wendy", "alice")

	// alice connects on b, where the host hides her.
	onB := b.dial("alice")
	nextPresence(t, wendy, "alice", userchannel.Online)
	b.srv.Engine.SetPresenceHidden("alice", true)
	nextPresence(t, wendy, "alice", userchannel.Offline)

	// She leaves b and comes back on c, still hidden there: nothing on c
	// says otherwise.
	_ = onB.Close()
	if _, err := userchannel.Join(ctx(t), c.dial("alice")); err != nil {
		t.Fatal(err)
	}
	time.Sleep(300 * time.Millisecond) // past the grace and the coalescing
	if p, hidden := a.srv.Engine.UserPresence("alice"); p.Status != engine.StatusOnline || !hidden {
		t.Fatalf("a's view of alice on c, hidden on b: %+v hidden %v, want online and hidden", p, hidden)
	}

	// The host shows her on c: watchers see her online, b drops its
	// hidden status, and a new watcher on b sees her online too.
	c.srv.Engine.SetPresenceHidden("alice", false)
	nextPresence(t, wendy, "alice", userchannel.Online)
	eventually(t, "b's hidden status of alice dropped", func() bool {
		_, hidden := b.srv.Engine.UserPresence("alice")
		return !hidden
	})
	ann, st := watch(t, b, "ann", "alice")
	if st != userchannel.Online {
		nextPresence(t, ann, "alice", userchannel.Online)
	}

	// b hides her again, though her session is on c: the latest setting
	// wins for every watcher.
	b.srv.Engine.SetPresenceHidden("alice", true)
	nextPresence(t, wendy, "alice", userchannel.Offline)
	nextPresence(t, ann, "alice", userchannel.Offline)
}

// A node cut off from NATS for longer than the node timeout is taken for
// gone, and its views of its users count offline elsewhere. Once it is
// heard again it shares its views again: a watcher on another node sees
// the user online again, though nothing changed on the cut-off node.
func TestClusterPresenceAfterSilence(t *testing.T) {
	ns := StartServer(t)
	natsAddr := strings.TrimPrefix(ns.URL(), "nats://")
	link := wstest.StartProxy(t, natsAddr)
	a := startPresenceNode(t, "a", []string{ns.URL()})
	b := startPresenceNode(t, "b", []string{"nats://" + link.Addr()})

	wendy, _ := watch(t, a, "wendy", "alice")
	b.dial("alice")
	nextPresence(t, wendy, "alice", userchannel.Online)

	gone := a.cluster.NodeGone("b")
	resurfaced := b.cluster.Resurfaced()
	link.SetTarget("127.0.0.1:1")
	link.Cut()
	select {
	case <-gone:
	case <-time.After(10 * time.Second):
		t.Fatal("a never took b for gone")
	}
	nextPresence(t, wendy, "alice", userchannel.Offline)
	link.SetTarget(natsAddr)
	select {
	case <-resurfaced:
	case <-time.After(10 * time.Second):
		t.Fatal("b never resurfaced")
	}
	nextPresence(t, wendy, "alice", userchannel.Online)
}

// A node that listens to a user again publishes its view of them, so
// that the asks it missed while it did not listen are answered. Alice's
// only session, on b, closes: b's view stays online for the grace, but
// b no longer listens to her subject, so wendy, who starts watching her
// from a then, is told offline. Alice comes back to b within the grace,
// where her view stays online: nothing changed to publish. Wendy must
// still see her online.
func TestClusterPresenceBackWithinGrace(t *testing.T) {
	ns := StartServer(t)
	a := startPresenceNodeGrace(t, "a", []string{ns.URL()}, 30*time.Second)
	b := startPresenceNodeGrace(t, "b", []string{ns.URL()}, 30*time.Second)

	first := b.dial("alice")
	eventually(t, "alice online on b", func() bool {
		p, _ := b.srv.Engine.UserPresence("alice")
		return p.Status == engine.StatusOnline
	})
	_ = first.Close()
	eventually(t, "alice's session on b closed", func() bool { return b.srv.Engine.Stats().Sessions == 0 })
	if p, _ := b.srv.Engine.UserPresence("alice"); p.Status != engine.StatusOnline {
		t.Fatalf("b's view of alice is %s within the grace, want online", p.Status)
	}

	wendy, st := watch(t, a, "wendy", "alice")
	if st != userchannel.Offline {
		t.Fatalf("wendy's watch on a says alice is %s, want offline: b does not listen to her", st)
	}
	b.dial("alice")
	nextPresence(t, wendy, "alice", userchannel.Online)
}
