package clustertest

import (
	"errors"
	"strings"
	"testing"

	"github.com/parlorhq/parlor/client"
	"github.com/parlorhq/parlor/client/chatclient"
	"github.com/parlorhq/parlor/codec"
	"github.com/parlorhq/parlor/internal/wstest"
)

// TestClusterCutOffNodeRefusesSends: while bob's node is cut off from NATS,
// his send to the DM that alice's node owns is refused unavailable (not
// held, not applied) and his session stays open; alice, a bystander on the
// owner, goes on. Once the node is back, bob's session is closed with 1012,
// his client resumes, and his next send is stored after alice's.
func TestClusterCutOffNodeRefusesSends(t *testing.T) {
	ns := StartServer(t)
	st := newStores()
	natsAddr := strings.TrimPrefix(ns.URL(), "nats://")
	link := wstest.StartProxy(t, natsAddr) // b's way to NATS, to cut
	a := startNode(t, "a", []string{ns.URL()}, st, nodeOptions{})
	b := startNode(t, "b", []string{"nats://" + link.Addr()}, st, nodeOptions{})
	cvA, err := chatclient.DM(ctx(t), a.dial("alice"), "bob")
	if err != nil {
		t.Fatal(err)
	}
	bob := b.dial("bob")
	cvB, err := chatclient.DM(ctx(t), bob, "alice")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := cvB.Send(ctx(t), "before"); err != nil {
		t.Fatal(err)
	}

	link.SetTarget("127.0.0.1:1")
	link.Cut()
	eventually(t, "b cut off", func() bool { return !b.nc.IsConnected() })
	_, err = cvB.Send(ctx(t), "during", client.WithClientMsgID("bob-during"))
	var ce *codec.Error
	if !errors.As(err, &ce) || ce.Code != codec.CodeUnavailable {
		t.Fatalf("bob's send while his node is cut off: %v, want code %s", err, codec.CodeUnavailable)
	}
	if bob.State() != client.StateOpen {
		t.Fatalf("bob's client is %v while his node is cut off, want open", bob.State())
	}
	if _, err := cvA.Send(ctx(t), "alice meanwhile"); err != nil {
		t.Fatalf("alice, on the owner: %v", err)
	}

	link.SetTarget(natsAddr)
	eventually(t, "b back", func() bool { return b.nc.IsConnected() })
	var last uint64
	eventually(t, "bob's send after the node is back", func() bool {
		m, err := cvB.Send(ctx(t), "after", client.WithClientMsgID("bob-after"))
		last = m.Seq
		return err == nil
	})
	if last != 3 {
		t.Fatalf("bob's send after the outage stored at seq %d, want 3 (before, alice meanwhile, after; the refused send not stored)", last)
	}
}
