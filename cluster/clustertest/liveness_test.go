package clustertest

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/parlorhq/parlor/cluster"
	"github.com/parlorhq/parlor/internal/wstest"
)

// TestDeafNodeJudgesNobody: node m hears nothing from NATS for 2 s, its
// own heartbeats included, while its heartbeats still reach node a (a
// stalled read side; a paused process looks the same at its first tick
// after it wakes). a never believes m gone, and m must not believe a
// gone either: the silence it hears may be its own.
func TestDeafNodeJudgesNobody(t *testing.T) {
	ns := StartServer(t)
	link := wstest.StartProxy(t, ns.Addr().String())
	a, _ := newNode(t, "a", ns.URL())
	m, _ := newNode(t, "m", "nats://"+link.Addr())
	goneA, goneM := m.NodeGone("a"), a.NodeGone("m")
	time.Sleep(4 * cluster.DefaultHeartbeatInterval)
	link.Freeze() // m's writes go out; nothing comes back to it
	time.Sleep(2 * time.Second)
	link.Thaw()
	time.Sleep(time.Second)
	if closedWithin(goneM, 0) {
		t.Fatal("a believed m gone, though m's heartbeats reached it")
	}
	if closedWithin(goneA, 0) {
		t.Fatal("m, which heard nobody (not even itself) for 2 s, believed a gone, though a kept beating")
	}
}

// TestLivenessFollowsHeartbeatInterval: with a HeartbeatInterval longer
// than the default NodeTimeout and no NodeTimeout set, the timeout
// follows the interval, so a live node is not believed gone between two
// of its heartbeats; a NodeTimeout set under three intervals is refused.
func TestLivenessFollowsHeartbeatInterval(t *testing.T) {
	ns := StartServer(t)
	start := func(name string, cfg cluster.NodeConfig) (*cluster.Node, error) {
		nc := dial(t, name, ns.URL())
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		cfg.Name = name
		n, err := cluster.NewNode(ctx, nc, cfg)
		if err == nil {
			t.Cleanup(func() { _ = n.Close() })
		}
		return n, err
	}
	if _, err := start("x", cluster.NodeConfig{HeartbeatInterval: time.Second, NodeTimeout: 2 * time.Second}); !errors.Is(err, cluster.ErrLiveness) {
		t.Fatalf("NodeTimeout of two intervals: %v, want ErrLiveness", err)
	}
	cfg := cluster.NodeConfig{HeartbeatInterval: 2 * time.Second}
	a, err := start("a", cfg)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := start("b", cfg); err != nil {
		t.Fatal(err)
	}
	if closedWithin(a.NodeGone("b"), 3*time.Second) {
		t.Fatal("b, alive and beating every 2 s, believed gone by a")
	}
}

// TestStalledWritesReplaceConnection: a busy node whose NATS server
// vanishes without a word keeps writing until the kernel's buffers are
// full, and its writes then block, holding the connection's lock, which
// the ping timer needs too. The connection must still be replaced within
// the documented bound (a write is given two ping intervals, 4 s), not
// after nats.go's default write timeout of a minute, with the node's
// every publish blocked meanwhile.
func TestStalledWritesReplaceConnection(t *testing.T) {
	ns := StartServer(t)
	link := wstest.StartProxy(t, ns.Addr().String())
	nc := dial(t, "a", "nats://"+link.Addr())
	lost := make(chan time.Time, 1)
	nc.SetDisconnectErrHandler(func(*nats.Conn, error) {
		select {
		case lost <- time.Now():
		default:
		}
	})
	payload := make([]byte, 64<<10)
	link.Stall()
	start := time.Now()
	done := make(chan struct{})
	defer close(done)
	go func() { // a busy node keeps publishing batches
		for {
			select {
			case <-done:
				return
			default:
			}
			if nc.Publish("parlor.test.busy", payload) != nil {
				time.Sleep(50 * time.Millisecond) // disconnected: nothing is buffered
				continue
			}
			time.Sleep(5 * time.Millisecond)
		}
	}()
	select {
	case at := <-lost:
		if d := at.Sub(start); d > 8*time.Second {
			t.Fatalf("the stalled connection was replaced after %v, want within 8 s", d.Round(time.Millisecond))
		}
	case <-time.After(20 * time.Second):
		t.Fatal("the stalled connection was not replaced within 20 s")
	}
}
