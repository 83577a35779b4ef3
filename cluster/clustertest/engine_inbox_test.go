package clustertest

import (
	"testing"

	"github.com/parlorhq/parlor/chat"
	"github.com/parlorhq/parlor/client"
	"github.com/parlorhq/parlor/client/chatclient"
	"github.com/parlorhq/parlor/codec"
	"github.com/parlorhq/parlor/room"
)

// startRelayNode starts a node whose chat relays inbox updates through
// its engine (chat.Config.Relay), as a cluster deployment does.
func startRelayNode(t testing.TB, name string, urls []string, st *stores) *node {
	t.Helper()
	n, _ := startRelayChat(t, name, urls, st)
	return n
}

// startRelayChat is startRelayNode, and returns the node's chat too.
func startRelayChat(t testing.TB, name string, urls []string, st *stores) (*node, *chat.Chat) {
	t.Helper()
	n := startNode(t, name, urls, st, nodeOptions{modules: func(*stores) []room.Module { return nil }})
	c := chat.New(chat.Config{Store: st.chat, Relay: n.srv.Engine})
	if err := c.Register(n.srv.Engine); err != nil {
		t.Fatal(err)
	}
	return n, c
}

// joinInbox joins user's inbox with its own event channel.
func joinInbox(t testing.TB, c *client.Client) *client.Room {
	t.Helper()
	ib, err := c.Join(ctx(t), chat.KindInbox, nil, client.WithRoomEvents())
	if err != nil {
		t.Fatal(err)
	}
	return ib
}

// nextInbox reads the inbox's events until an inbox update satisfies
// match.
func nextInbox(t testing.TB, ib *client.Room, what string, match func(chat.Conversation) bool) chat.Conversation {
	t.Helper()
	c := ctx(t)
	for {
		select {
		case ev, ok := <-ib.Events():
			if !ok {
				t.Fatalf("waiting for %s: inbox events closed", what)
			}
			if ev.Name != chat.EventInbox {
				continue
			}
			var conv chat.Conversation
			if err := codec.UnmarshalData(ev.Data, &conv); err != nil {
				t.Fatal(err)
			}
			if match(conv) {
				return conv
			}
		case <-c.Done():
			t.Fatalf("waiting for %s: %v", what, c.Err())
		}
	}
}

// Alice's inbox runs on node a; her conversations run on b, and bob
// writes to them from c. Every change reaches her inbox live: unread
// counts, the last message, a new group.
func TestClusterInboxAcrossNodes(t *testing.T) {
	ns := StartServer(t)
	st := newStores()
	a := startRelayNode(t, "a", []string{ns.URL()}, st)
	b := startRelayNode(t, "b", []string{ns.URL()}, st)
	c := startRelayNode(t, "c", []string{ns.URL()}, st)

	alice := a.dial("alice")
	ib := joinInbox(t, alice)
	if !a.owns(ib.ID()) {
		t.Fatal("alice's inbox does not run on a")
	}

	// A direct conversation that runs on b, written to from c.
	bobB, bobC := b.dial("bob"), c.dial("bob")
	dmB, err := chatclient.DM(ctx(t), bobB, "alice")
	if err != nil {
		t.Fatal(err)
	}
	dmC, err := chatclient.DM(ctx(t), bobC, "alice")
	if err != nil {
		t.Fatal(err)
	}
	if !b.owns(dmB.ID()) || c.owns(dmB.ID()) || a.owns(dmB.ID()) {
		t.Fatal("the direct conversation does not run on b alone")
	}
	for _, text := range []string{"one", "two", "three"} {
		if _, err := dmC.Send(ctx(t), text); err != nil {
			t.Fatal(err)
		}
	}
	conv := nextInbox(t, ib, "three unread from bob", func(cv chat.Conversation) bool {
		return cv.Room == dmB.ID() && cv.Unread == 3
	})
	if conv.Kind != chat.KindDM || conv.With != "bob" || conv.Last == nil || conv.Last.Text != "three" || conv.Head != 3 {
		t.Fatalf("inbox entry %+v, want the DM with bob, head 3, last three", conv)
	}

	// A group created by carol on b: alice's inbox hears of it, then of
	// bob's message sent from c.
	carol := b.dial("carol")
	g, err := chatclient.CreateGroup(ctx(t), carol, "trio", "alice", "bob")
	if err != nil {
		t.Fatal(err)
	}
	nextInbox(t, ib, "the new group", func(cv chat.Conversation) bool { return cv.Room == g.ID() && cv.Name == "trio" })
	gC, err := chatclient.Group(ctx(t), bobC, g.ID())
	if err != nil {
		t.Fatal(err)
	}
	if !b.owns(g.ID()) || c.owns(g.ID()) {
		t.Fatal("the group does not run on b alone")
	}
	if _, err := gC.Send(ctx(t), "hello trio"); err != nil {
		t.Fatal(err)
	}
	conv = nextInbox(t, ib, "bob's group message", func(cv chat.Conversation) bool {
		return cv.Room == g.ID() && cv.Last != nil && cv.Last.Text == "hello trio"
	})
	if conv.Unread != 1 || conv.Kind != chat.KindGroup {
		t.Fatalf("group entry %+v, want one unread", conv)
	}

	// Alice reads on a (a remote member of the DM): her own inbox shows
	// nothing unread, and bob's inbox, open on c, hears of her read.
	bobIb := joinInbox(t, bobC)
	dmA, err := chatclient.DM(ctx(t), alice, "bob")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := dmA.MarkRead(ctx(t), 3); err != nil {
		t.Fatal(err)
	}
	nextInbox(t, ib, "the DM read", func(cv chat.Conversation) bool { return cv.Room == dmB.ID() && cv.Unread == 0 && cv.Read == 3 })
	if _, err := dmA.Send(ctx(t), "back to you"); err != nil {
		t.Fatal(err)
	}
	nextInbox(t, bobIb, "alice's answer in bob's inbox", func(cv chat.Conversation) bool {
		return cv.Room == dmB.ID() && cv.Last != nil && cv.Last.Text == "back to you" && cv.Unread == 1
	})
}
