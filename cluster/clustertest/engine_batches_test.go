package clustertest

import (
	"testing"

	"github.com/nats-io/nats-server/v2/server"

	"github.com/parlorhq/parlor/client/chatclient"
)

// subscriptionChanges is how many subscriptions the server has inserted
// and removed so far.
func subscriptionChanges(t *testing.T, ns *Server) uint64 {
	t.Helper()
	sz, err := ns.Subsz(&server.SubszOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return sz.NumInserts + sz.NumRemoves
}

// TestClusterRemoteRoomsNoSubscriptions: a member node receives the
// frames of the rooms it has sessions in on its own subject, subscribed
// once: joining, using and leaving a room owned by another node changes
// no subscription on the NATS server (each used to subscribe and
// unsubscribe the room's subject, interest that the servers of a NATS
// cluster pass to each other).
func TestClusterRemoteRoomsNoSubscriptions(t *testing.T) {
	ns := StartServer(t)
	st := newStores()
	a := startNode(t, "a", []string{ns.URL()}, st, nodeOptions{})
	b := startNode(t, "b", []string{ns.URL()}, st, nodeOptions{})
	cvA, err := chatclient.DM(ctx(t), a.dial("alice"), "bob")
	if err != nil {
		t.Fatal(err)
	}
	bob := b.dial("bob")
	cycle := func(text string) {
		t.Helper()
		cv, err := chatclient.DM(ctx(t), bob, "alice")
		if err != nil {
			t.Fatal(err)
		}
		if !a.owns(cv.ID()) || b.owns(cv.ID()) {
			t.Fatal("the conversation does not run on a only")
		}
		if _, err := cv.Send(ctx(t), text); err != nil {
			t.Fatal(err)
		}
		m, err := cvA.NextMessage(ctx(t))
		if err != nil || m.Text != text {
			t.Fatalf("alice got %+v, %v; want %q", m, err, text)
		}
		if err := bob.Leave(ctx(t), cv.ID()); err != nil {
			t.Fatal(err)
		}
	}
	cycle("warm-up") // the first forwarded request opens b's reply inbox
	before := subscriptionChanges(t, ns)
	for _, text := range []string{"one", "two", "three"} {
		cycle(text)
	}
	if n := subscriptionChanges(t, ns) - before; n != 0 {
		t.Fatalf("three joins, sends and leaves of a remote room changed %d subscriptions, want 0", n)
	}
}
