package clustertest

import (
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/parlorhq/parlor/client"
	"github.com/parlorhq/parlor/client/chatclient"
	"github.com/parlorhq/parlor/internal/roomhold"
)

// TestClusterDrainRunsForwardedOps: the requests that another node
// forwarded to a room's owner, and that wait in the room's mailbox when
// the owner shuts down, run before the room stops: bob's leave is done,
// carol's message is stored and acked once, and dave's join is answered,
// after which dave, moved in place, goes on where the room runs next.
func TestClusterDrainRunsForwardedOps(t *testing.T) {
	a, b, _, proxy := ownerAndNext(t)
	alice := dialVia(t, proxy.Addr(), "alice")
	cvA, err := chatclient.CreateGroup(ctx(t), alice, "drain", "bob", "carol", "dave")
	if err != nil {
		t.Fatal(err)
	}
	id := cvA.ID()
	if !a.owns(id) {
		t.Fatal("the group does not run on alice's node")
	}
	bob, carol, dave := b.dial("bob"), b.dial("carol"), b.dial("dave")
	if _, err := chatclient.Group(ctx(t), bob, id); err != nil {
		t.Fatal(err)
	}
	cvC, err := chatclient.Group(ctx(t), carol, id)
	if err != nil {
		t.Fatal(err)
	}

	// Hold the room on a, so that the forwarded requests wait in its
	// mailbox.
	r, ok := a.srv.Engine.Room(id)
	if !ok {
		t.Fatal("no room on a")
	}
	release := roomhold.Hold(t, r)

	var wg sync.WaitGroup
	var leaveErr, sendErr, joinErr error
	var sent uint64
	var cvD *chatclient.Conversation
	wg.Go(func() { leaveErr = bob.Leave(ctx(t), id) })
	wg.Go(func() {
		m, err := cvC.Send(ctx(t), "during the drain", client.WithClientMsgID("carol-drain"))
		sendErr = err
		if err == nil {
			sent = m.Seq
		}
	})
	wg.Go(func() { cvD, joinErr = chatclient.Group(ctx(t), dave, id) })
	eventually(t, "the forwarded requests in the owner's mailbox", func() bool { return r.MailboxLen() == 3 })

	proxy.SetTarget(b.addr())
	stopped := make(chan struct{})
	go func() {
		defer close(stopped)
		a.shutdown()
	}()
	eventually(t, "a shutting down", func() bool { return !a.srv.Engine.Accepting() })
	time.Sleep(100 * time.Millisecond) // for the room to be told
	release()
	wg.Wait()
	<-stopped

	if leaveErr != nil {
		t.Errorf("bob's leave: %v", leaveErr)
	}
	if sendErr != nil {
		t.Errorf("carol's message: %v", sendErr)
	}
	if joinErr != nil {
		t.Fatalf("dave's join: %v", joinErr)
	}
	// dave was moved in place and joins the room where it runs now; the
	// next message reaches him there, after carol's.
	m, err := cvA.Send(ctx(t), "after the drain")
	if err != nil {
		t.Fatalf("alice after the drain: %v", err)
	}

	for {
		u, err := cvD.Next(ctx(t))
		if err != nil {
			t.Fatalf("dave: %v", err)
		}
		if u.Message != nil && u.Message.Seq == m.Seq {
			break
		}
	}
	hist, err := cvA.History(ctx(t), 0, 50)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, h := range hist.Messages {
		if h.Text == "during the drain" {
			n++
			if h.Seq != sent {
				t.Errorf("carol's message stored at %d, acked at %d", h.Seq, sent)
			}
		}
	}
	if n != 1 {
		t.Errorf("carol's message stored %d times, want once", n)
	}
	var ce *client.CloseError
	if err := bob.Err(); errors.As(err, &ce) {
		t.Errorf("bob's client closed: %v", err)
	}
}
