package clustertest

import (
	"errors"
	"fmt"
	"testing"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/parlorhq/parlor/cluster/forward"
	"github.com/parlorhq/parlor/cluster/lease"
	"github.com/parlorhq/parlor/cluster/natsbroker"
)

// TestThreeNodeCluster runs the broker, the leases (replicas 3) and
// forwarding on a real three-server JetStream cluster, with each Parlor
// node on its own server, then loses one server.
func TestThreeNodeCluster(t *testing.T) {
	servers := StartCluster(t, 3)
	ncA := dial(t, "a", servers[0].URL())
	ncB := dial(t, "b", servers[1].URL())
	ncC := dial(t, "c", servers[2].URL())

	// Leases, replicated on all three servers.
	cfg := func(node string) lease.Config { return lease.Config{Node: node, Replicas: 3} }
	la := newManager(t, ncA, cfg("a"))
	lb := newManager(t, ncB, cfg("b"))
	lc := newManager(t, ncC, cfg("c"))
	js, err := jetstream.New(ncA)
	if err != nil {
		t.Fatal(err)
	}
	stream, err := js.Stream(ctxT(t), "KV_"+lease.DefaultBucket)
	if err != nil {
		t.Fatal(err)
	}
	if info := stream.CachedInfo(); info.Config.Replicas != 3 || info.Cluster == nil || len(info.Cluster.Replicas) != 2 {
		t.Fatalf("lease bucket replicas: config %d, cluster %+v", info.Config.Replicas, info.Cluster)
	}
	checkRace(t, la, lb, "ab", 10)
	checkRace(t, lb, lc, "bc", 10)

	// Events published on one server reach subscribers on the others.
	pub := natsbroker.New(ncA, natsbroker.Config{})
	subB := natsbroker.New(ncB, natsbroker.Config{})
	subC := natsbroker.New(ncC, natsbroker.Config{})
	room := "4e07408562bedb8b60ce05c1decfe3ad16b72230967de01f640b7e4729b49fce"
	var onB, onC collector
	for _, s := range []struct {
		b   *natsbroker.Broker
		col *collector
	}{{subB, &onB}, {subC, &onC}} {
		unsub, err := s.b.Subscribe(room, s.col.fn)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(unsub)
	}
	waitDelivery(t, pub, room, &onB, &onC)
	startC := onC.len()
	checkSequence(t, pub, room, &onB, 300)
	eventually(t, "delivery on c", func() bool { return onC.len() >= startC+300 })
	got := onC.strings()[startC:]
	if len(got) != 300 {
		t.Fatalf("c got %d payloads, want 300", len(got))
	}
	for i, p := range got {
		if p != fmt.Sprint(i) {
			t.Fatalf("payload %d on c is %q", i, p)
		}
	}

	// A member on server 0 forwards to the owner on server 1.
	o := serveOwner(t, ncB, "b")
	servers[0].WaitInterest(t, "parlor.fwd.b.join")
	checkRoundTrip(t, forward.NewClient(ncA, forward.ClientConfig{}), o, "b")

	// One server of three goes away: the others keep a quorum, c
	// reconnects to one of them, and everything goes on.
	servers[2].Stop()
	eventually(t, "c reconnects elsewhere", func() bool { return ncC.IsConnected() })
	if err := ncC.Flush(); err != nil {
		t.Fatal(err)
	}
	waitDelivery(t, pub, room, &onB, &onC)
	checkRace(t, lb, la, "after", 5)
	l, err := lc.Acquire(ctxT(t), "after-loss")
	if err != nil {
		t.Fatalf("Acquire after losing a server: %v", err)
	}
	if err := l.Release(ctxT(t)); err != nil {
		t.Fatalf("Release after losing a server: %v", err)
	}
	if _, err := la.Acquire(ctxT(t), "after-loss"); err != nil {
		t.Fatalf("Acquire after Release: %v", err)
	}
	checkSequence(t, pub, room, &onC, 100)
	if errors.Is(pub.Publish(room, []byte("x")), natsbroker.ErrUnavailable) {
		t.Error("publishing on a healthy server fails")
	}
}
