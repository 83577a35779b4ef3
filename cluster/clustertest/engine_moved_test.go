package clustertest

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/parlorhq/parlor/client"
	"github.com/parlorhq/parlor/client/chatclient"
)

// TestClusterRoomMovedInPlace: the owner of a group stops, gracefully
// (its room's members are told the room stopped) or abruptly (its NATS
// connection dropped: the member node finds it gone). A member on the
// other node whose client rejoins moved rooms in place keeps its
// connection: it joins the group again there, from the last seq it saw,
// its next message is acknowledged and it misses nothing. A member whose
// client does not (reconnects disabled, so it does not announce the
// feature) is closed with 1012, as before.
func TestClusterRoomMovedInPlace(t *testing.T) {
	for _, mode := range []string{"shutdown", "kill"} {
		t.Run(mode, func(t *testing.T) { testRoomMovedInPlace(t, mode) })
	}
}

func testRoomMovedInPlace(t *testing.T, mode string) {
	a, b, _, proxy := ownerAndNext(t)

	var reconnects atomic.Int32
	bobOpts := fastReconnect()
	bobOpts.OnStateChange = func(sc client.StateChange) {
		if sc.State == client.StateReconnecting {
			reconnects.Add(1)
		}
	}
	alice := dialVia(t, proxy.Addr(), "alice")
	bob := b.srv.DialOptions("bob", bobOpts)
	carol := b.srv.DialOptions("carol", client.Options{Reconnect: client.ReconnectPolicy{Disabled: true}})

	cvA, err := chatclient.CreateGroup(ctx(t), alice, "moves", "bob", "carol")
	if err != nil {
		t.Fatal(err)
	}
	id := cvA.ID()
	if !a.owns(id) {
		t.Fatal("the group does not run on alice's node")
	}
	cvB, err := chatclient.Group(ctx(t), bob, id)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := chatclient.Group(ctx(t), carol, id); err != nil {
		t.Fatal(err)
	}
	// bob's own direct conversation with dave, on his node: it must not
	// notice the group's move.
	dave := b.dial("dave")
	dm, err := chatclient.DM(ctx(t), bob, "dave")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := chatclient.DM(ctx(t), dave, "bob"); err != nil {
		t.Fatal(err)
	}

	const before = 5
	for i := range before {
		if _, err := cvA.Send(ctx(t), fmt.Sprintf("a-%d", i)); err != nil {
			t.Fatal(err)
		}
	}
	seen := readMessages(t, cvB, before)

	stopped := time.Now()
	proxy.SetTarget(b.addr())
	switch mode {
	case "shutdown":
		a.shutdown()
	case "kill":
		a.kill()
		proxy.Cut()
	}
	// bob's sends are held until his rejoin, then applied once each.
	const after = 5
	var firstAck time.Duration
	for i := range after {
		cmid := fmt.Sprintf("bob-moved-%d", i)
		deadline := time.Now().Add(20 * time.Second)
		for {
			c, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			_, err := cvB.Send(c, fmt.Sprintf("b-%d", i), client.WithClientMsgID(cmid))
			cancel()
			if err == nil {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("b-%d never acknowledged: %v", i, err)
			}
			time.Sleep(50 * time.Millisecond)
		}
		if i == 0 {
			firstAck = time.Since(stopped)
		}
	}
	t.Logf("%s: bob's first message after the move acknowledged %v after the owner stopped", mode, firstAck.Round(time.Millisecond))
	seen = append(seen, readMessages(t, cvB, after)...)
	for i, m := range seen {
		if m != seen[0]+uint64(i) {
			t.Fatalf("bob received seqs %v: a gap or a duplicate", seen)
		}
	}
	if !b.owns(id) {
		t.Fatal("the group does not run on bob's node")
	}
	if n := reconnects.Load(); n != 0 {
		t.Fatalf("bob's client reconnected %d times for the group's move", n)
	}
	if _, err := dm.Send(ctx(t), "still here"); err != nil {
		t.Fatalf("bob's other conversation after the move: %v", err)
	}

	wantRoomMovedClose(t, carol, "carol")
}

// wantRoomMovedClose waits for c, a client that does not rejoin rooms in
// place, to be closed with 1012 (engine.CloseRoomMoved).
func wantRoomMovedClose(t *testing.T, c *client.Client, who string) {
	t.Helper()
	select {
	case <-c.Done():
	case <-time.After(15 * time.Second):
		t.Fatalf("%s's client, which does not rejoin in place, is still open", who)
	}
	var ce *client.CloseError
	if err := c.Err(); !errors.As(err, &ce) || ce.Code != 1012 {
		t.Fatalf("%s's client ended with %v, want close 1012", who, err)
	}
}

// readMessages reads n messages of cv and returns their seqs.
func readMessages(t *testing.T, cv *chatclient.Conversation, n int) []uint64 {
	t.Helper()
	var seqs []uint64
	for len(seqs) < n {
		m, err := cv.NextMessage(ctx(t))
		if err != nil {
			t.Fatalf("after seqs %v: %v", seqs, err)
		}
		seqs = append(seqs, m.Seq)
	}
	return seqs
}
