package clustertest

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/parlorhq/parlor/client"
	"github.com/parlorhq/parlor/client/chatclient"
	"github.com/parlorhq/parlor/cluster/lease"
	"github.com/parlorhq/parlor/engine"
	"github.com/parlorhq/parlor/internal/wstest"
)

// TestClusterMemberMissesBroadcasts: a member node cut off from NATS for
// a moment misses broadcasts of a room owned elsewhere; the next one it
// gets shows the gap in the seqs, and its sessions resume from before it
// (in place: the client joins the room again on the same connection), so
// the client sees every message once, in order.
func TestClusterMemberMissesBroadcasts(t *testing.T) {
	memberGap(t, nil)
}

// TestClusterMemberJoinShowsGap: a member node misses broadcasts (as from
// an owner killed with publications still in its NATS buffer), and before
// the room's next broadcast another session of that node joins the room.
// Its joined frame carries the room's seq, past what the node's attached
// session got; that session must resume from its last seq, not go on past
// the gap when the next broadcast follows the joined seq.
func TestClusterMemberJoinShowsGap(t *testing.T) {
	memberGap(t, func(b *node) {
		// A second session of bob on b joins: joined at seq 3.
		if _, err := chatclient.DM(ctx(t), b.dial("bob"), "alice"); err != nil {
			t.Fatal(err)
		}
	})
}

// TestClusterGapRejoinAsksOwnerFirst: after missed broadcasts, bob's
// session, b's only member of the DM, is moved in place; its rejoin must
// reach the owner while b's lease lookups fail, as they do while the
// lease bucket elects a new leader after a NATS server was lost (the
// usual cause of missed broadcasts). The owner that took the session out
// is kept as a hint, and the rejoin asks it first.
func TestClusterGapRejoinAsksOwnerFirst(t *testing.T) {
	var outage *leaseOutage
	opts := nodeOptions{wrap: func(c engine.Cluster) engine.Cluster {
		outage = &leaseOutage{Cluster: c}
		return outage
	}}
	memberGapWith(t, opts, func(*node) { outage.on.Store(true) })
	if outage.refused.Load() != 0 {
		t.Fatalf("b looked the room up %d times during the lease outage", outage.refused.Load())
	}
}

// leaseOutage is an engine.Cluster whose lease lookups fail while on is
// set, as while the lease bucket elects its leader.
type leaseOutage struct {
	engine.Cluster
	on      atomic.Bool
	refused atomic.Int32
}

// Acquire implements engine.Cluster.
func (c *leaseOutage) Acquire(ctx context.Context, room string, existing bool) (engine.RoomLease, error) {
	if c.on.Load() {
		c.refused.Add(1)
		return nil, lease.ErrUnavailable
	}
	return c.Cluster.Acquire(ctx, room, existing)
}

// memberGap runs a DM between alice on node a and bob on node b, cuts b
// off from NATS (shorter than the node timeout, so that nobody thinks it
// is gone) while alice sends two messages, brings it back, calls between
// (if set), and sends one more: bob's first session must see all four
// once, in order.
func memberGap(t *testing.T, between func(b *node)) {
	memberGapWith(t, nodeOptions{}, between)
}

// memberGapWith is memberGap with b started with bOpts.
func memberGapWith(t *testing.T, bOpts nodeOptions, between func(b *node)) {
	ns := StartServer(t)
	st := newStores()
	natsAddr := strings.TrimPrefix(ns.URL(), "nats://")
	link := wstest.StartProxy(t, natsAddr) // b's way to NATS, to cut
	a := startNode(t, "a", []string{ns.URL()}, st, nodeOptions{})
	b := startNode(t, "b", []string{"nats://" + link.Addr()}, st, bOpts)
	cvA, err := chatclient.DM(ctx(t), a.dial("alice"), "bob")
	if err != nil {
		t.Fatal(err)
	}
	var reconnects atomic.Int32
	bobOpts := fastReconnect()
	bobOpts.OnStateChange = func(sc client.StateChange) {
		if sc.State == client.StateReconnecting {
			reconnects.Add(1)
		}
	}
	cvB, err := chatclient.DM(ctx(t), b.srv.DialOptions("bob", bobOpts), "alice")
	if err != nil {
		t.Fatal(err)
	}
	send := func(text string) {
		t.Helper()
		if _, err := cvA.Send(ctx(t), text); err != nil {
			t.Fatal(err)
		}
	}
	send("m0")
	link.SetTarget("127.0.0.1:1")
	link.Cut()
	eventually(t, "b cut off", func() bool { return !b.nc.IsConnected() })
	send("m1")
	send("m2")
	link.SetTarget(natsAddr)
	eventually(t, "b back", func() bool { return b.nc.IsConnected() })
	// Its subscriptions are sent again on reconnect; a round trip makes
	// sure the server has them. The gap shows at the next broadcast.
	if err := b.nc.Flush(); err != nil {
		t.Fatal(err)
	}
	if between != nil {
		between(b)
	}
	send("m3")
	var got []string
	for len(got) < 4 {
		m, err := cvB.NextMessage(ctx(t))
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, fmt.Sprintf("%d:%s", m.Seq, m.Text))
	}
	if want := []string{"1:m0", "2:m1", "3:m2", "4:m3"}; !slices.Equal(got, want) {
		t.Fatalf("bob's first session saw %v, want %v", got, want)
	}
	if n := reconnects.Load(); n != 0 {
		t.Fatalf("bob's first client reconnected %d times: the gap should move the room in place", n)
	}
}
