package clustertest

import (
	"testing"
	"time"

	"github.com/parlorhq/parlor/client/chatclient"
	"github.com/parlorhq/parlor/engine"
)

// On a cluster node an empty room stops after DefaultClusterIdleTTL and
// lets its lease lapse (no write: its key still names the node), and
// another node's join has it handed over and runs it at once, while the
// user channels keep the longer room.DefaultIdleTTL for their
// notifications.
func TestClusterEmptyRoomStopsSoon(t *testing.T) {
	ns := StartServer(t)
	st := newStores()
	a := startNode(t, "a", []string{ns.URL()}, st, nodeOptions{})
	b := startNode(t, "b", []string{ns.URL()}, st, nodeOptions{})

	// alice's user channel runs on a, then she closes its connection.
	uid := idleUserChannel(t, a)

	alice := a.dial("alice")
	cv, err := chatclient.DM(ctx(t), alice, "bob")
	if err != nil {
		t.Fatal(err)
	}
	id := cv.ID()
	if !a.owns(id) {
		t.Fatal("the DM does not run on a")
	}
	if err := alice.Leave(ctx(t), id); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the empty DM to stop on a", func() bool { return !a.owns(id) })
	if owner, _, err := a.cluster.Leases().Owner(ctx(t), id); err != nil || owner != "a" {
		t.Fatalf("the stopped DM's lease names %q (%v), want a: lapsed, not deleted", owner, err)
	}

	// a hands the lapsed lease over: bob's join on b runs the room there.
	cvB, err := chatclient.DM(ctx(t), b.dial("bob"), "alice")
	if err != nil {
		t.Fatal(err)
	}
	if cvB.ID() != id || !b.owns(id) || a.owns(id) {
		t.Fatalf("the DM runs on a: %v, on b: %v; want b only", a.owns(id), b.owns(id))
	}

	// The user channel, empty for longer than the DM was, still runs.
	time.Sleep(2 * engine.DefaultClusterIdleTTL)
	if !a.owns(uid) {
		t.Fatal("alice's empty user channel stopped within the rooms' cluster idle TTL")
	}
}

// A room whose members left soon after it started (a finished match, a
// conversation closed at once) stops after DefaultClusterIdleTTL with its
// lease as its create wrote it: idle, the lease is renewed only near its
// deadline (2/3 of the TTL old), which the room's idle second does not
// reach, whereas a busy lease is renewed at 1/3 of the TTL. An idle room
// that lives longer (alice's user channel, room.DefaultIdleTTL) is still
// renewed, and keeps running past the TTL. The lease TTL is 2.4 s: a
// lease renewed as a busy one (0.8 – 1 s old) is written before the DM
// stops (1 s after its leave), an idle one (1.6 s old) is not, with 0.6 s
// to spare for a slow machine where the default TTL leaves 0.33 s.
func TestClusterIdleRoomNotRenewed(t *testing.T) {
	const ttl = 2400 * time.Millisecond
	ns := StartServer(t)
	st := newStores()
	a := startNode(t, "a", []string{ns.URL()}, st, nodeOptions{leaseTTL: ttl})
	// alice's user channel runs on a, idle once its connection closed.
	uid := idleUserChannel(t, a)

	alice := a.dial("alice")
	cv, err := chatclient.DM(ctx(t), alice, "bob")
	if err != nil {
		t.Fatal(err)
	}
	id := cv.ID()
	_, created, err := a.cluster.Leases().Owner(ctx(t), id)
	if err != nil {
		t.Fatal(err)
	}
	if err := alice.Leave(ctx(t), id); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the empty DM to stop on a", func() bool { return !a.owns(id) })
	owner, rev, err := a.cluster.Leases().Owner(ctx(t), id)
	if err != nil || owner != "a" {
		t.Fatalf("the stopped DM's lease names %q (%v), want a: lapsed", owner, err)
	}
	if rev != created {
		t.Errorf("the DM's lease was written again while it was idle (revision %d, created at %d)", rev, created)
	}

	_ = alice.Close()
	_, chanRev, err := a.cluster.Leases().Owner(ctx(t), uid)
	if err != nil {
		t.Fatal(err)
	}
	time.Sleep(ttl + ttl/2)
	_, later, err := a.cluster.Leases().Owner(ctx(t), uid)
	if err != nil || later == chanRev || !a.owns(uid) {
		t.Fatalf("alice's idle user channel: revision %d then %d (%v), running %v; want renewed and running",
			chanRev, later, err, a.owns(uid))
	}
}

// idleUserChannel starts alice's user channel on node a through a
// connection of its own, closes that connection, and returns the
// channel's room id: the channel stays, idle.
func idleUserChannel(t *testing.T, a *node) string {
	t.Helper()
	onA, _ := wsConnect(t, a, "alice", "")
	if _, err := onA.Join(2, engine.UserKind, nil); err != nil {
		t.Fatal(err)
	}
	uid := a.srv.Engine.UserChannelID("alice")
	if !a.owns(uid) {
		t.Fatal("alice's user channel does not run on a")
	}
	_ = onA.Close()
	return uid
}
