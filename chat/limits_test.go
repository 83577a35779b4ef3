package chat_test

import (
	"fmt"
	"path/filepath"
	"sync"
	"testing"

	"github.com/parlorhq/parlor/chat"
	"github.com/parlorhq/parlor/chat/boltstore"
	"github.com/parlorhq/parlor/client"
	"github.com/parlorhq/parlor/codec"
)

// conversations lists user's conversations from the store.
func (e *env) conversations(user string) []chat.Conversation {
	e.t.Helper()
	list, err := e.chat.Store().Conversations(ctxT(e.t), user, 0, 100)
	if err != nil {
		e.t.Fatal(err)
	}
	return list
}

// groupsCreated is the store's count of the groups user created.
func (e *env) groupsCreated(user string) int {
	e.t.Helper()
	n, err := e.chat.Store().GroupsCreated(ctxT(e.t), user)
	if err != nil {
		e.t.Fatal(err)
	}
	return n
}

// TestGroupsPerUser: a user who has created MaxGroupsPerUser groups, even
// ones they left, is refused another with limit_exceeded, and nothing is
// stored: no group, no inbox entry for them or the members they named.
// Another user still creates groups.
func TestGroupsPerUser(t *testing.T) {
	e := start(t, chat.Config{MaxGroupsPerUser: 2})
	alice, bob := e.dial("alice"), e.dial("bob")
	g1, _ := alice.createGroup("one", "bob")
	alice.createGroup("two")
	alice.request(g1, chat.OpLeaveGroup, nil, nil)
	before, bobBefore := e.conversations("alice"), e.conversations("bob")

	create := chat.GroupParams{Create: &chat.CreateGroup{Name: "three", Members: []string{"bob", "carol"}}}
	_, err := alice.Join(ctxT(t), chat.KindGroup, create)
	if code(t, err) != codec.CodeLimitExceeded {
		t.Fatalf("third group: %v, want limit_exceeded", err)
	}
	if n := e.groupsCreated("alice"); n != 2 {
		t.Fatalf("alice created %d groups, want 2", n)
	}
	if got := e.conversations("alice"); len(got) != len(before) {
		t.Fatalf("alice's conversations: %d, want %d", len(got), len(before))
	}
	if got := e.conversations("bob"); len(got) != len(bobBefore) {
		t.Fatalf("bob's conversations: %d, want %d", len(got), len(bobBefore))
	}
	if got := e.conversations("carol"); len(got) != 0 {
		t.Fatalf("carol's conversations: %+v, want none", got)
	}
	// The bystander creates groups, with alice in them.
	for i := range 2 {
		bob.createGroup(fmt.Sprint("bob's ", i), "alice")
	}
	if n := e.groupsCreated("bob"); n != 2 {
		t.Fatalf("bob created %d groups, want 2", n)
	}
}

// TestGroupsPerUserConcurrent: creations started at once by one user
// cannot pass the limit together.
func TestGroupsPerUserConcurrent(t *testing.T) {
	e := start(t, chat.Config{MaxGroupsPerUser: 3})
	conns := make([]*user, 8)
	for i := range conns {
		conns[i] = e.dial("alice")
	}
	var wg sync.WaitGroup
	var mu sync.Mutex
	ok, refused := 0, 0
	for i, u := range conns {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := u.Join(ctxT(t), chat.KindGroup, chat.GroupParams{Create: &chat.CreateGroup{Name: fmt.Sprint("g", i)}})
			mu.Lock()
			defer mu.Unlock()
			switch ce := codec.AsError(err); {
			case err == nil:
				ok++
			case ce.Code == codec.CodeLimitExceeded:
				refused++
			default:
				t.Errorf("create: %v", err)
			}
		}()
	}
	wg.Wait()
	if ok != 3 || refused != len(conns)-3 || e.groupsCreated("alice") != 3 {
		t.Fatalf("%d created, %d refused, %d stored; want 3 created", ok, refused, e.groupsCreated("alice"))
	}
}

// TestGroupsPerUserAfterRestart: the count comes from the store, so it
// holds across a restart on the same bbolt file.
func TestGroupsPerUserAfterRestart(t *testing.T) {
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
	e := start(t, chat.Config{Store: st, MaxGroupsPerUser: 1})
	e.dial("alice").createGroup("one")
	e.srv.Stop()
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}

	e = start(t, chat.Config{Store: open(), MaxGroupsPerUser: 1})
	if c := e.dial("alice").joinErr(chat.KindGroup, chat.GroupParams{Create: &chat.CreateGroup{Name: "two"}}); c != codec.CodeLimitExceeded {
		t.Fatalf("second group after a restart: %s, want limit_exceeded", c)
	}
	e.dial("bob").createGroup("bob's")
}

// TestDailyBytes: the text a user writes in a day (messages, edits, group
// names) is capped by DailyBytesPerUser; the write that would pass it is
// refused with limit_exceeded and not stored, a retry of a stored message
// is still answered, and another user in the same conversation is not
// affected.
func TestDailyBytes(t *testing.T) {
	e := start(t, chat.Config{DailyBytesPerUser: 10})
	alice, bob := e.dial("alice"), e.dial("bob")
	id, _ := alice.dm("bob")
	bob.dm("alice")
	first := alice.say(id, "12345", client.WithClientMsgID("c1"))                      // 5
	alice.request(id, chat.OpEdit, chat.EditRequest{Seq: first.Seq, Text: "678"}, nil) // 8
	for _, c := range []struct {
		event string
		data  any
	}{
		{chat.OpSend, chat.SendRequest{Text: "abc"}},
		{chat.OpEdit, chat.EditRequest{Seq: first.Seq, Text: "abc"}},
	} {
		if code := alice.requestErr(id, c.event, c.data); code != codec.CodeLimitExceeded {
			t.Fatalf("%s past the quota: %s, want limit_exceeded", c.event, code)
		}
	}
	if c := alice.joinErr(chat.KindGroup, chat.GroupParams{Create: &chat.CreateGroup{Name: "abc"}}); c != codec.CodeLimitExceeded {
		t.Fatalf("group named past the quota: %s, want limit_exceeded", c)
	}
	if n := e.groupsCreated("alice"); n != 0 {
		t.Fatalf("alice created %d groups, want none", n)
	}
	// What fits is still written; deleting costs nothing.
	last := alice.say(id, "ab") // 10
	alice.request(id, chat.OpDelete, chat.DeleteRequest{Seq: last.Seq}, nil)
	if again := alice.say(id, "12345", client.WithClientMsgID("c1")); again.ID != first.ID {
		t.Fatalf("retry of a stored message: %+v, want the stored one", again)
	}
	if code := alice.requestErr(id, chat.OpSend, chat.SendRequest{Text: "x"}); code != codec.CodeLimitExceeded {
		t.Fatalf("one byte past the quota: %s, want limit_exceeded", code)
	}
	// The bystander writes their own ten bytes in the same conversation.
	m := bob.say(id, "abcdefghij")
	page := alice.history(id, 0, 10)
	want := []string{chat.KindMessage, chat.KindEdit, chat.KindMessage, chat.KindDelete, chat.KindMessage}
	if len(page.Messages) != len(want) {
		t.Fatalf("log %+v, want %d entries", page.Messages, len(want))
	}
	for i, k := range want {
		if page.Messages[i].Kind != k {
			t.Fatalf("entry %d is %s, want %s", i, page.Messages[i].Kind, k)
		}
	}
	if got := page.Messages[4]; got.ID != m.ID || got.From != "bob" {
		t.Fatalf("last entry %+v, want bob's message", got)
	}
}
