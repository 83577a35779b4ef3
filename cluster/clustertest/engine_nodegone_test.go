package clustertest

import (
	"testing"

	"github.com/nats-io/nats.go"

	"github.com/parlorhq/parlor/chat"
	"github.com/parlorhq/parlor/client"
	"github.com/parlorhq/parlor/client/chatclient"
	"github.com/parlorhq/parlor/cluster"
)

// A room's owner that believes a member node gone while it still serves
// (its heartbeats missed; here a bye published in its name) disconnects
// that node's sessions from the room. The member node then tells them the
// room moved (here in place: bob's client joins the room again on the
// same connection), so that their clients join again and miss nothing;
// they used to stay open, out of the room without knowing it.
func TestClusterFalseNodeGoneResumes(t *testing.T) {
	ns := StartServer(t)
	st := newStores()
	a := startNode(t, "a", []string{ns.URL()}, st, nodeOptions{})
	b := startNode(t, "b", []string{ns.URL()}, st, nodeOptions{})

	alice := a.dial("alice")
	bob := b.dial("bob")
	cvA, err := chatclient.DM(ctx(t), alice, "bob")
	if err != nil {
		t.Fatal(err)
	}
	r, err := bob.Join(ctx(t), chat.KindDM, chat.DMParams{With: "alice"}, client.WithRoomEvents(), client.WithResumeNotices())
	if err != nil {
		t.Fatal(err)
	}
	cvB := &chatclient.Conversation{Room: r}
	id := cvA.ID()
	if !a.owns(id) {
		t.Fatal("the DM does not run on a")
	}

	nc, err := nats.Connect(ns.URL())
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	if err := nc.Publish(cluster.DefaultNodeSubjectPrefix+".b", []byte("bye")); err != nil {
		t.Fatal(err)
	}
	// bob's client is told, and joins the conversation again.
	for {
		u, err := cvB.Next(ctx(t))
		if err != nil {
			t.Fatalf("waiting for bob's rejoin: %v", err)
		}
		if u.Event.Name == client.EventResumed {
			break
		}
	}
	if _, err := cvA.Send(ctx(t), "after"); err != nil {
		t.Fatal(err)
	}
	m, err := cvB.NextMessage(ctx(t))
	if err != nil || m.Text != "after" || m.From != "alice" {
		t.Fatalf("bob's next message %+v (%v), want alice's \"after\"", m, err)
	}
	if _, err := cvB.Send(ctx(t), "back"); err != nil {
		t.Fatalf("bob sends after rejoining: %v", err)
	}
}
