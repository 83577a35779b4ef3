package clustertest

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/parlorhq/parlor/cluster"
	"github.com/parlorhq/parlor/engine"
	"github.com/parlorhq/parlor/internal/wstest"
)

func newNode(t *testing.T, name, url string) (*cluster.Node, func()) {
	t.Helper()
	nc := dial(t, name, url)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	n, err := cluster.NewNode(ctx, nc, cluster.NodeConfig{Name: name})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = n.Close() })
	return n, nc.Close
}

func closedWithin(ch <-chan struct{}, d time.Duration) bool {
	select {
	case <-ch:
		return true
	case <-time.After(d):
		return false
	}
}

// A node that says goodbye is gone at once; one that falls silent is gone
// after NodeTimeout; one that keeps beating is not.
func TestNodeGone(t *testing.T) {
	ns := StartServer(t)
	a, _ := newNode(t, "a", ns.URL())
	b, _ := newNode(t, "b", ns.URL())
	_, dropC := newNode(t, "c", ns.URL())
	_, _ = newNode(t, "d", ns.URL())

	goneB, goneC, goneD := a.NodeGone("b"), a.NodeGone("c"), a.NodeGone("d")
	if err := b.Close(); err != nil {
		t.Fatal(err)
	}
	if !closedWithin(goneB, time.Second) {
		t.Fatal("b said goodbye but is not gone")
	}
	dropC()
	start := time.Now()
	if !closedWithin(goneC, cluster.DefaultNodeTimeout+time.Second) {
		t.Fatal("c fell silent but is not gone")
	}
	if took := time.Since(start); took < cluster.DefaultNodeTimeout-cluster.DefaultHeartbeatInterval {
		t.Fatalf("c gone after %v, before NodeTimeout", took)
	}
	if closedWithin(goneD, cluster.DefaultNodeTimeout+time.Second) {
		t.Fatal("d keeps beating but is gone")
	}
}

// Acquire answers who owns a room; a second node sees the first as owner,
// and the engine's errors come out of the seam.
func TestNodeAcquire(t *testing.T) {
	ns := StartServer(t)
	a, _ := newNode(t, "a", ns.URL())
	b, _ := newNode(t, "b", ns.URL())
	ctx := context.Background()
	la, err := a.Acquire(ctx, "room-1", false)
	if err != nil {
		t.Fatal(err)
	}
	_, err = b.Acquire(ctx, "room-1", true)
	var owned *engine.OwnedError
	if !errors.As(err, &owned) || owned.Owner != "a" || !errors.Is(err, engine.ErrRoomOwned) {
		t.Fatalf("b acquires a's room: %v", err)
	}
	// A forwarded request to a node that serves nothing finds no
	// responder: the owner is gone.
	answered := make(chan error, 1)
	if err := b.Send("a", &engine.ClusterSend{Room: "room-1", User: "u", Session: "s", Node: "b", Event: "e"}, func(err error) { answered <- err }); err != nil {
		t.Fatalf("send to a node without a server did not leave: %v", err)
	}
	if err := <-answered; !errors.Is(err, engine.ErrOwnerGone) {
		t.Fatalf("send to a node without a server: %v, want ErrOwnerGone", err)
	}
	la.Release()
	if _, err := b.Acquire(ctx, "room-1", true); err != nil {
		t.Fatalf("b acquires the released room: %v", err)
	}
}

// NewNode on a three-server JetStream cluster started a moment ago waits
// within its context for the cluster to elect its leaders, then opens the
// lease bucket at replicas 3; the nodes agree on owners at once.
func TestNewNodeOnFreshCluster(t *testing.T) {
	servers := StartCluster(t, 3)
	nodes := make([]*cluster.Node, len(servers))
	errs := make(chan error, len(servers))
	for i, s := range servers {
		nc := dial(t, fmt.Sprint("n", i), s.URL())
		go func() {
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			n, err := cluster.NewNode(ctx, nc, cluster.NodeConfig{Name: fmt.Sprint("n", i), LeaseReplicas: 3})
			if err == nil {
				nodes[i] = n
				t.Cleanup(func() { _ = n.Close() })
			}
			errs <- err
		}()
	}
	for range servers {
		if err := <-errs; err != nil {
			t.Fatalf("NewNode on a fresh cluster: %v", err)
		}
	}
	const room = "fresh-room"
	if _, err := nodes[0].Acquire(context.Background(), room, false); err != nil {
		t.Fatal(err)
	}
	for _, n := range nodes[1:] {
		_, err := n.Acquire(context.Background(), room, false)
		var owned *engine.OwnedError
		if !errors.As(err, &owned) || owned.Owner != "n0" {
			t.Fatalf("Acquire on %s: %v, want owned by n0", n.Node(), err)
		}
	}

	// Without a deadline to wait in, an unavailable JetStream is reported.
	ns := StartServer(t)
	nc := dial(t, "late", ns.URL())
	ns.Stop()
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	if _, err := cluster.NewNode(ctx, nc, cluster.NodeConfig{Name: "late"}); err == nil {
		t.Fatal("NewNode with NATS down succeeded")
	}
}

// DialConfig.InOrder connects to the first server listed that answers,
// every time, where nats.go's default picks one at random.
func TestDialInOrder(t *testing.T) {
	first, second := StartServer(t), StartServer(t)
	for i := range 10 {
		nc, err := cluster.Dial(cluster.DialConfig{URL: first.URL() + "," + second.URL(), Node: "n", InOrder: true})
		if err != nil {
			t.Fatal(err)
		}
		got := nc.ConnectedUrl()
		nc.Close()
		if got != first.URL() {
			t.Fatalf("dial %d: connected to %s, want the first listed, %s", i, got, first.URL())
		}
	}
	// The first listed is down: the next one in order.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	down := "nats://" + l.Addr().String()
	l.Close()
	nc, err := cluster.Dial(cluster.DialConfig{URL: down + "," + second.URL(), Node: "n", InOrder: true})
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	if got := nc.ConnectedUrl(); got != second.URL() {
		t.Fatalf("with the first down: connected to %s, want %s", got, second.URL())
	}
}

// Resurfaced: a node whose NATS connection stays down for longer than the
// other nodes' NodeTimeout, so that they believe it gone, says so once its
// heartbeats go out again; a node that keeps beating does not.
func TestNodeResurfaced(t *testing.T) {
	ns := StartServer(t)
	natsAddr := strings.TrimPrefix(ns.URL(), "nats://")
	link := wstest.StartProxy(t, natsAddr)
	a, _ := newNode(t, "a", ns.URL())
	b, _ := newNode(t, "b", "nats://"+link.Addr())
	back := b.Resurfaced()
	if closedWithin(back, cluster.DefaultNodeTimeout+time.Second) || closedWithin(a.Resurfaced(), 0) {
		t.Fatal("a node that keeps beating resurfaced")
	}
	gone := a.NodeGone("b")
	link.SetTarget("127.0.0.1:1")
	link.Cut()
	if !closedWithin(gone, cluster.DefaultNodeTimeout+2*time.Second) {
		t.Fatal("b, cut off, is not gone for a")
	}
	if closedWithin(back, 0) {
		t.Fatal("b resurfaced while still cut off")
	}
	link.SetTarget(natsAddr)
	if !closedWithin(back, 10*time.Second) {
		t.Fatal("b did not resurface after its connection came back")
	}
	if closedWithin(b.Resurfaced(), 2*cluster.DefaultHeartbeatInterval) {
		t.Fatal("after resurfacing, the next channel is closed too")
	}
}

// Resurfaced also follows a link that died without a word: b's publishes
// still succeed while nothing of NATS reaches it any more (its heartbeats
// do not come back), until its pings go unanswered and it reconnects.
// Then its heartbeats come back after a silence, and it says so.
func TestNodeResurfacedAfterSilentLink(t *testing.T) {
	ns := StartServer(t)
	link := wstest.StartProxy(t, strings.TrimPrefix(ns.URL(), "nats://"))
	b, _ := newNode(t, "b", "nats://"+link.Addr())
	back := b.Resurfaced()
	link.Freeze()
	if !closedWithin(back, 3*cluster.DefaultPingInterval+5*time.Second) {
		t.Fatal("b did not resurface after its silent link was replaced")
	}
}

// TestPublishNodeLinkHeader: each batch to a node carries the link
// header, numbered 1, 2, 3 on that link under one incarnation, and
// publishing one allocates nothing of its own (see
// TestNATSBrokerPublishAllocs for why the least of three counts is
// taken, with the payloads held in a relay while they are counted).
func TestPublishNodeLinkHeader(t *testing.T) {
	s := StartServer(t)
	relay := startHoldRelay(t, s.Addr().String())
	nc := dial(t, "a", relay.URL())
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	a, err := cluster.NewNode(ctx, nc, cluster.NodeConfig{Name: "a"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = a.Close() })
	nb := dial(t, "b", s.ClientURL())
	sub, err := nb.SubscribeSync(cluster.DefaultRoomsSubjectPrefix + ".b")
	if err != nil {
		t.Fatal(err)
	}
	if err := nb.Flush(); err != nil {
		t.Fatal(err)
	}
	var inc string
	for want := 1; want <= 3; want++ {
		if err := a.PublishNode("b", []byte("batch")); err != nil {
			t.Fatal(err)
		}
		m, err := sub.NextMsg(5 * time.Second)
		if err != nil {
			t.Fatal(err)
		}
		f := strings.Fields(m.Header.Get(cluster.LinkHeader))
		if len(f) != 3 || f[0] != "a" || f[2] != fmt.Sprint(want) || (inc != "" && f[1] != inc) || string(m.Data) != "batch" {
			t.Fatalf("batch %d: header %q, data %q", want, m.Header.Get(cluster.LinkHeader), m.Data)
		}
		inc = f[1]
	}
	payload := make([]byte, 100)
	if allocs := leastAllocs(t, relay, nc, func() error { return a.PublishNode("b", payload) }); allocs >= 1 {
		t.Errorf("PublishNode allocates %.2f times per batch, want none", allocs)
	}
}
