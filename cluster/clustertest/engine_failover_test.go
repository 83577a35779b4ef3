package clustertest

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/parlorhq/parlor/client"
	"github.com/parlorhq/parlor/client/chatclient"
	"github.com/parlorhq/parlor/internal/wstest"
)

// sender sends n messages on cv, each retried with the same client
// message id until it is acknowledged, and records the acknowledgements.
type sender struct {
	user     string
	cv       *chatclient.Conversation
	acked    []string
	firstAck atomic.Int64 // unix nanos of the first ack after since, once set
	since    atomic.Int64
	// served reports whether the room runs where it should after the
	// stop; only acks given there count as serving again.
	served func() bool
}

func (s *sender) run(n int, pause time.Duration) error {
	for i := range n {
		text := fmt.Sprintf("%s-%d", s.user, i)
		cmid := fmt.Sprintf("%s-cmid-%d", s.user, i)
		deadline := time.Now().Add(20 * time.Second)
		for {
			c, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			_, err := s.cv.Send(c, text, client.WithClientMsgID(cmid))
			cancel()
			if err == nil {
				break
			}
			if time.Now().After(deadline) {
				return fmt.Errorf("%s: %s never acknowledged: %w", s.user, text, err)
			}
			time.Sleep(50 * time.Millisecond)
		}
		s.acked = append(s.acked, text)
		if since := s.since.Load(); since != 0 && s.firstAck.Load() == 0 && s.served() {
			s.firstAck.Store(time.Now().UnixNano())
		}
		time.Sleep(pause)
	}
	return nil
}

// On a three-server JetStream cluster (leases at replicas 3, each node on
// its own server), the owner of a busy direct conversation stops in the middle of the
// traffic, gracefully (Engine.Shutdown, which releases its leases) or
// abruptly (its NATS connection dropped, its clients cut, no lease
// released). The room serves again from the other node, both users end up
// there, and every message is stored once, in the order each user sent
// it. The time from the stop to the first acknowledged send is logged.
func TestClusterOwnerFailover(t *testing.T) {
	for _, mode := range []string{"shutdown", "kill"} {
		t.Run(mode, func(t *testing.T) { testOwnerFailover(t, mode) })
	}
}

// ownerAndNext starts a three-server JetStream cluster (leases at
// replicas 3) and two nodes, a and b, each on its own server, with a proxy
// to a in front: a is to own the rooms of a test and stop, b to take them.
func ownerAndNext(t *testing.T) (a, b *node, st *stores, proxy *wstest.Proxy) {
	t.Helper()
	servers := StartCluster(t, 3)
	st = newStores()
	opts := nodeOptions{replicas: 3}
	a = startNode(t, "a", []string{servers[0].URL()}, st, opts)
	b = startNode(t, "b", []string{servers[1].URL()}, st, opts)
	return a, b, st, wstest.StartProxy(t, a.addr())
}

func testOwnerFailover(t *testing.T, mode string) {
	a, b, st, proxy := ownerAndNext(t)

	alice := dialVia(t, proxy.Addr(), "alice")
	bob := b.dial("bob")
	cvA, err := chatclient.DM(ctx(t), alice, "bob")
	if err != nil {
		t.Fatal(err)
	}
	cvB, err := chatclient.DM(ctx(t), bob, "alice")
	if err != nil {
		t.Fatal(err)
	}
	id := cvA.ID()
	if !a.owns(id) {
		t.Fatal("the room does not run on alice's node")
	}

	served := func() bool { return b.owns(id) }
	senders := []*sender{{user: "alice", cv: cvA, served: served}, {user: "bob", cv: cvB, served: served}}
	const n = 40
	var wg sync.WaitGroup
	errs := make(chan error, len(senders))
	for _, s := range senders {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs <- s.run(n, 10*time.Millisecond)
		}()
	}
	// Stop the owner once the traffic is under way.
	eventually(t, "traffic", func() bool {
		m, _ := st.chat.State(context.Background(), id)
		return m.Head >= 10
	})
	stopped := time.Now()
	for _, s := range senders {
		s.since.Store(stopped.UnixNano())
	}
	proxy.SetTarget(b.addr())
	switch mode {
	case "shutdown":
		a.shutdown()
		// Its rooms released their leases as they stopped.
		if owner, _, err := b.cluster.Leases().Owner(context.Background(), id); err == nil && owner == "a" {
			t.Fatal("a still holds the room's lease after its shutdown")
		}
	case "kill":
		a.kill()
		proxy.Cut()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	if !b.owns(id) {
		t.Fatal("the room does not run on the remaining node")
	}
	first := time.Duration(1<<63 - 1)
	for _, s := range senders {
		if at := s.firstAck.Load(); at != 0 {
			first = min(first, time.Unix(0, at).Sub(stopped))
		}
	}
	t.Logf("%s: room serving again %v after its owner stopped", mode, first.Round(time.Millisecond))

	// Every acknowledged message is stored once, in its sender's order.
	log, err := st.chat.History(context.Background(), id, 0, 1000)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range senders {
		var stored []string
		for _, m := range log {
			if m.From == s.user {
				stored = append(stored, m.Text)
			}
		}
		if !slices.Equal(stored, s.acked) {
			t.Errorf("%s: stored %v\nacked %v", s.user, stored, s.acked)
		}
	}
	for i, m := range log {
		if m.Seq != uint64(i+1) {
			t.Fatalf("log seq %d at position %d: a gap or a duplicate", m.Seq, i)
		}
	}
}
