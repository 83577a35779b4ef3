package clustertest

import (
	"testing"

	"github.com/parlorhq/parlor/chat"
	"github.com/parlorhq/parlor/client/chatclient"
	"github.com/parlorhq/parlor/engine"
)

// The engine is the chat's Asker on a cluster.
var _ chat.Asker = (*engine.Engine)(nil)

// A game note written on a node where the players' direct conversation
// does not run (the match's node, say) goes through the conversation's
// room on its own node: both players get it live, in seq order, and the
// conversation goes on after it without a conflict. A retry of the note
// returns it and writes nothing.
func TestClusterGameNoteAcrossNodes(t *testing.T) {
	ns := StartServer(t)
	st := newStores()
	a, chatA := startRelayChat(t, "a", []string{ns.URL()}, st)
	b, _ := startRelayChat(t, "b", []string{ns.URL()}, st)

	alice, bob := b.dial("alice"), b.dial("bob")
	dmAlice, err := chatclient.DM(ctx(t), alice, "bob")
	if err != nil {
		t.Fatal(err)
	}
	dmBob, err := chatclient.DM(ctx(t), bob, "alice")
	if err != nil {
		t.Fatal(err)
	}
	if !b.owns(dmAlice.ID()) || a.owns(dmAlice.ID()) {
		t.Fatal("the conversation does not run on b alone")
	}
	if _, err := dmAlice.Send(ctx(t), "fancy a game?"); err != nil {
		t.Fatal(err)
	}
	if m, err := dmBob.NextMessage(ctx(t)); err != nil || m.Seq != 1 {
		t.Fatalf("bob's first message: %+v, %v", m, err)
	}

	note := chat.GameNote{Ref: "m1", Game: "chess", State: chat.GameOffered, From: "alice", Nonce: "n1", BaseMS: 300000}
	id := chat.DMRoomID(a.srv.Engine.Secret(), "alice", "bob")
	stored, err := chatA.AddGameNote(ctx(t), id, "alice", "bob", note)
	if err != nil {
		t.Fatalf("AddGameNote on a: %v", err)
	}
	if stored.Seq != 2 || stored.Kind != chat.KindGame || stored.Game == nil || stored.Game.Ref != "m1" {
		t.Fatalf("AddGameNote returned %+v, want the note at seq 2", stored)
	}
	for who, cv := range map[string]*chatclient.Conversation{"alice": dmAlice, "bob": dmBob} {
		for {
			u, err := cv.Next(ctx(t))
			if err != nil {
				t.Fatalf("%s waiting for the note: %v", who, err)
			}
			if u.Event.Left {
				t.Fatalf("%s left the conversation (%s): the note went behind its room", who, u.Event.Reason)
			}
			if u.Message != nil && u.Message.Kind == chat.KindGame {
				if u.Message.Seq != 2 || u.Message.ID != stored.ID {
					t.Fatalf("%s got the note %+v, want seq 2 as stored", who, *u.Message)
				}
				break
			}
		}
	}
	if again, err := chatA.AddGameNote(ctx(t), id, "alice", "bob", note); err != nil || again.ID != stored.ID {
		t.Fatalf("the note again: %+v, %v; want the stored one", again, err)
	}
	m, err := dmBob.Send(ctx(t), "you're on")
	if err != nil || m.Seq != 3 {
		t.Fatalf("bob's message after the note: %+v, %v; want seq 3", m, err)
	}
}
