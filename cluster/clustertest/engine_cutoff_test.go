package clustertest

import (
	"errors"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/parlorhq/parlor/client"
	"github.com/parlorhq/parlor/client/chatclient"
	"github.com/parlorhq/parlor/codec"
	"github.com/parlorhq/parlor/internal/wstest"
)

// TestClusterCutOffNodeRefusesSends: while bob's node is cut off from NATS,
// his send to the DM that alice's node owns is refused unavailable (not
// held, not applied) and his session stays open; alice, a bystander on the
// owner, goes on. Once the node is back, bob's client, which rejoins moved
// rooms in place, is told the DM moved and joins it again on the same
// connection: it gets alice's message of the outage from the replay of
// that rejoin, without a send of its own and before anything else is
// broadcast in the DM, then her next one, and his next send is stored
// after them. carol, on the same node with reconnects off (so without the
// feature), is closed with 1012 instead.
func TestClusterCutOffNodeRefusesSends(t *testing.T) {
	ns := StartServer(t)
	st := newStores()
	natsAddr := strings.TrimPrefix(ns.URL(), "nats://")
	link := wstest.StartProxy(t, natsAddr) // b's way to NATS, to cut
	a := startNode(t, "a", []string{ns.URL()}, st, nodeOptions{})
	b := startNode(t, "b", []string{"nats://" + link.Addr()}, st, nodeOptions{})
	alice := a.dial("alice")
	cvA, err := chatclient.DM(ctx(t), alice, "bob")
	if err != nil {
		t.Fatal(err)
	}
	cvAC, err := chatclient.DM(ctx(t), alice, "carol")
	if err != nil {
		t.Fatal(err)
	}
	bob, reconnects := dialCounting(b, "bob")
	cvB, err := chatclient.DM(ctx(t), bob, "alice")
	if err != nil {
		t.Fatal(err)
	}
	carol := b.srv.DialOptions("carol", client.Options{Reconnect: client.ReconnectPolicy{Disabled: true}})
	cvC, err := chatclient.DM(ctx(t), carol, "alice")
	if err != nil {
		t.Fatal(err)
	}
	if !a.owns(cvA.ID()) || !a.owns(cvAC.ID()) {
		t.Fatal("the DMs do not run on alice's node")
	}
	if _, err := cvB.Send(ctx(t), "before"); err != nil {
		t.Fatal(err)
	}
	readMessages(t, cvB, 1)

	link.SetTarget("127.0.0.1:1")
	link.Cut()
	eventually(t, "b cut off", func() bool { return !b.nc.IsConnected() })
	for _, cv := range []*chatclient.Conversation{cvB, cvC} {
		_, err = cv.Send(ctx(t), "during")
		var ce *codec.Error
		if !errors.As(err, &ce) || ce.Code != codec.CodeUnavailable {
			t.Fatalf("a send while the node is cut off: %v, want code %s", err, codec.CodeUnavailable)
		}
	}
	if bob.State() != client.StateOpen || carol.State() != client.StateOpen {
		t.Fatalf("clients %v and %v while their node is cut off, want open", bob.State(), carol.State())
	}
	if _, err := cvA.Send(ctx(t), "alice meanwhile"); err != nil {
		t.Fatalf("alice, on the owner: %v", err)
	}

	link.SetTarget(natsAddr)
	eventually(t, "b back", func() bool { return b.nc.IsConnected() })
	// bob only listens, and nothing is broadcast in the DM until he has
	// alice's message of the outage: his client learns of the move from
	// the node alone, and the message comes from the replay of his rejoin.
	if got := readMessages(t, cvB, 1); !slices.Equal(got, []uint64{2}) {
		t.Fatalf("bob received seqs %v after the outage, want [2]: alice's message of the outage", got)
	}
	if _, err := cvA.Send(ctx(t), "alice after"); err != nil {
		t.Fatal(err)
	}
	if got := readMessages(t, cvB, 1); !slices.Equal(got, []uint64{3}) {
		t.Fatalf("bob received seq %v next, want [3]: alice's message after the outage", got)
	}
	wantRoomMovedClose(t, carol, "carol")
	m, err := cvB.Send(ctx(t), "bob after", client.WithClientMsgID("bob-after"))
	if err != nil {
		t.Fatal(err)
	}
	if m.Seq != 4 {
		t.Fatalf("bob's send after the outage stored at seq %d, want 4 (the refused send not stored)", m.Seq)
	}
	if n := reconnects.Load(); n != 0 {
		t.Fatalf("bob's client reconnected %d times, want 0: his DM moves in place", n)
	}
}

// TestClusterCutOffLocalRoomMovesInPlace: a DM that runs on dave's node
// stops while the node is cut off from NATS for longer than its lease
// (nobody can renew it). dave's session stays open meanwhile, his sends
// refused unavailable; once the node is back he is told the DM moved,
// joins it again on the same connection, and his next send is stored
// after his earlier one.
func TestClusterCutOffLocalRoomMovesInPlace(t *testing.T) {
	ns := StartServer(t)
	st := newStores()
	natsAddr := strings.TrimPrefix(ns.URL(), "nats://")
	link := wstest.StartProxy(t, natsAddr)
	startNode(t, "a", []string{ns.URL()}, st, nodeOptions{})
	b := startNode(t, "b", []string{"nats://" + link.Addr()}, st, nodeOptions{})
	dave, reconnects := dialCounting(b, "dave")
	cv, err := chatclient.DM(ctx(t), dave, "erin")
	if err != nil {
		t.Fatal(err)
	}
	if !b.owns(cv.ID()) {
		t.Fatal("dave's DM does not run on his node")
	}
	if _, err := cv.Send(ctx(t), "before"); err != nil {
		t.Fatal(err)
	}

	link.SetTarget("127.0.0.1:1")
	link.Cut()
	eventually(t, "b cut off", func() bool { return !b.nc.IsConnected() })
	eventually(t, "the DM stopped on the cut-off node (its lease ended)", func() bool { return !b.owns(cv.ID()) })
	_, err = cv.Send(ctx(t), "during")
	var ce *codec.Error
	if !errors.As(err, &ce) || ce.Code != codec.CodeUnavailable {
		t.Fatalf("dave's send while his node is cut off: %v, want code %s", err, codec.CodeUnavailable)
	}

	link.SetTarget(natsAddr)
	eventually(t, "b back", func() bool { return b.nc.IsConnected() })
	var last uint64
	eventually(t, "dave's send after the node is back", func() bool {
		m, err := cv.Send(ctx(t), "after", client.WithClientMsgID("dave-after"))
		last = m.Seq
		return err == nil
	})
	if last != 2 {
		t.Fatalf("dave's send after the outage stored at seq %d, want 2", last)
	}
	if n := reconnects.Load(); n != 0 {
		t.Fatalf("dave's client reconnected %d times, want 0: his DM moves in place", n)
	}
}

// dialCounting connects user to n with the tests' client options and
// counts the client's reconnects.
func dialCounting(n *node, user string) (*client.Client, *atomic.Int32) {
	var reconnects atomic.Int32
	opts := fastReconnect()
	opts.OnStateChange = func(sc client.StateChange) {
		if sc.State == client.StateReconnecting {
			reconnects.Add(1)
		}
	}
	return n.srv.DialOptions(user, opts), &reconnects
}

// TestClusterSilentNodeListenersMoveInPlace: frank and gina, on node b,
// only listen to their DMs with alice, which alice's node owns. b is cut
// off from NATS for longer than the node timeout, so a believes it gone
// and takes their sessions out of the DMs; the left envelopes that say
// so are lost on the way to b. Once b is heard again, frank's client
// (which rejoins rooms in place) is told his DM moved and joins it again
// on the same connection: he gets alice's messages of and after the
// outage. gina's client (reconnects off) is closed with 1012. Without
// this, both would stay connected and get nothing more from their DMs.
func TestClusterSilentNodeListenersMoveInPlace(t *testing.T) {
	ns := StartServer(t)
	st := newStores()
	natsAddr := strings.TrimPrefix(ns.URL(), "nats://")
	link := wstest.StartProxy(t, natsAddr)
	a := startNode(t, "a", []string{ns.URL()}, st, nodeOptions{})
	b := startNode(t, "b", []string{"nats://" + link.Addr()}, st, nodeOptions{})
	alice := a.dial("alice")
	cvAF, err := chatclient.DM(ctx(t), alice, "frank")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := chatclient.DM(ctx(t), alice, "gina"); err != nil {
		t.Fatal(err)
	}
	frank, reconnects := dialCounting(b, "frank")
	cvF, err := chatclient.DM(ctx(t), frank, "alice")
	if err != nil {
		t.Fatal(err)
	}
	gina := b.srv.DialOptions("gina", client.Options{Reconnect: client.ReconnectPolicy{Disabled: true}})
	if _, err := chatclient.DM(ctx(t), gina, "alice"); err != nil {
		t.Fatal(err)
	}
	if !a.owns(cvAF.ID()) {
		t.Fatal("frank's DM does not run on alice's node")
	}
	if _, err := cvAF.Send(ctx(t), "before"); err != nil {
		t.Fatal(err)
	}
	readMessages(t, cvF, 1)

	gone := a.cluster.NodeGone("b")
	link.SetTarget("127.0.0.1:1")
	link.Cut()
	select {
	case <-gone:
	case <-time.After(15 * time.Second):
		t.Fatal("b, cut off, is not gone for a")
	}
	if _, err := cvAF.Send(ctx(t), "meanwhile"); err != nil {
		t.Fatal(err)
	}
	link.SetTarget(natsAddr)
	eventually(t, "b back", func() bool { return b.nc.IsConnected() })
	if _, err := cvAF.Send(ctx(t), "after"); err != nil {
		t.Fatal(err)
	}
	if got := readMessages(t, cvF, 2); !slices.Equal(got, []uint64{2, 3}) {
		t.Fatalf("frank received seqs %v after the outage, want [2 3]", got)
	}
	if n := reconnects.Load(); n != 0 {
		t.Fatalf("frank's client reconnected %d times, want 0: his DM moves in place", n)
	}
	wantRoomMovedClose(t, gina, "gina")
}
