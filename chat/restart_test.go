package chat_test

import (
	"path/filepath"
	"slices"
	"testing"

	"github.com/parlorhq/parlor/chat"
	"github.com/parlorhq/parlor/chat/boltstore"
	"github.com/parlorhq/parlor/client"
)

// TestRestartOnSameFile: a server is stopped and a new one started on the
// same bbolt file; history, receipts, unread counts, idempotency and the
// seq all carry on.
func TestRestartOnSameFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "chat.db")
	open := func() *boltstore.Store {
		st, err := boltstore.Open(path, boltstore.Options{})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = st.Close() })
		return st
	}

	st := open()
	e := start(t, chat.Config{Store: st})
	alice, bob := e.dial("alice"), e.dial("bob")
	dm, _ := alice.dm("bob")
	bob.dm("alice")
	var sent []chat.Message
	for i, text := range []string{"one", "two", "three"} {
		sent = append(sent, alice.say(dm, text, client.WithClientMsgID([]string{"c1", "c2", "c3"}[i])))
	}
	bob.request(dm, chat.OpRead, chat.ReadRequest{Seq: 2}, nil)
	nextMillisecond()
	group, _ := alice.createGroup("team", "bob")
	alice.say(group, "group hello")
	e.srv.Stop()
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}

	e = start(t, chat.Config{Store: open()})
	alice, bob = e.dial("alice"), e.dial("bob")
	_, list := bob.inbox()
	if len(list) != 2 || list[0].Room != group || list[1].Room != dm {
		t.Fatalf("bob's inbox after restart: %+v", list)
	}
	if c := list[1]; c.Unread != 1 || c.Read != 2 || c.Head != 3 || c.Last == nil || c.Last.ID != sent[2].ID || c.With != "alice" {
		t.Fatalf("DM in bob's inbox: %+v", c)
	}
	if c := list[0]; c.Unread != 1 || c.Head != 2 || c.Name != "team" {
		t.Fatalf("group in bob's inbox: %+v", c)
	}
	_, aliceList := alice.inbox()
	if len(aliceList) != 2 || aliceList[0].Unread != 0 || aliceList[1].Unread != 0 {
		t.Fatalf("alice's inbox: %+v", aliceList)
	}

	id, snap := bob.dm("alice")
	if id != dm || snap.Head != 3 || snap.Reads["bob"] != 2 || snap.Reads["alice"] != 3 {
		t.Fatalf("snapshot after restart: head %d, reads %v", snap.Head, snap.Reads)
	}
	var got []string
	for _, m := range snap.Messages {
		got = append(got, m.ID)
	}
	if !slices.Equal(got, []string{sent[0].ID, sent[1].ID, sent[2].ID}) {
		t.Fatalf("history after restart: %+v", snap.Messages)
	}
	alice.dm("bob")
	if again := alice.say(dm, "three", client.WithClientMsgID("c3")); again.ID != sent[2].ID {
		t.Fatalf("retry after restart stored anew: %+v", again)
	}
	if next := alice.say(dm, "four"); next.Seq != 4 {
		t.Fatalf("seq after restart: %d, want 4", next.Seq)
	}
	if m := bob.nextMessage(dm); m.Seq != 4 {
		t.Fatalf("bob got seq %d", m.Seq)
	}
	var gsnap chat.Snapshot
	bob.join(chat.KindGroup, chat.GroupParams{ID: group}, &gsnap)
	if gsnap.Group == nil || gsnap.Group.Name != "team" || len(gsnap.Messages) != 2 {
		t.Fatalf("group after restart: %+v", gsnap)
	}
}
