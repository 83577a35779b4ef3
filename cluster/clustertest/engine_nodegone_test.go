package clustertest

import (
	"context"
	"testing"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/parlorhq/parlor/client"
	"github.com/parlorhq/parlor/client/chatclient"
	"github.com/parlorhq/parlor/cluster"
)

// A room's owner that believes a member node gone while it still serves
// (its heartbeats missed; here a bye published in its name) disconnects
// that node's sessions from the room. The member node then closes them
// with CloseRoomMoved, so that their clients join again and miss
// nothing; they used to stay open, out of the room without knowing it.
func TestClusterFalseNodeGoneResumes(t *testing.T) {
	ns := StartServer(t)
	st := newStores()
	a := startNode(t, "a", []string{ns.URL()}, st, nodeOptions{})
	b := startNode(t, "b", []string{ns.URL()}, st, nodeOptions{})

	alice := a.dial("alice")
	// bob reconnects after a second, so that the owner is seen without
	// him in between.
	slow := client.Options{Reconnect: client.ReconnectPolicy{MinDelay: time.Second, MaxDelay: time.Second}}
	bob := b.srv.DialOptions("bob", slow)
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
	r, ok := a.srv.Engine.Room(id)
	if !ok {
		t.Fatal("a has no room for the DM")
	}
	eventually(t, "bob out of the room on its owner", func() bool {
		member := true
		_ = r.Do(context.Background(), func() { member = r.IsMember("bob") })
		return !member
	})

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
