package chat_test

import (
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/parlorhq/parlor/chat"
	"github.com/parlorhq/parlor/codec"
)

// createGroup creates a group as u and returns its id and snapshot.
func (u *user) createGroup(name string, members ...string) (string, chat.Snapshot) {
	u.t.Helper()
	var snap chat.Snapshot
	j := u.join(chat.KindGroup, chat.GroupParams{Create: &chat.CreateGroup{Name: name, Members: members}}, &snap)
	return j.Room, snap
}

// TestGroupConcurrentSenders: three members send at once; every member
// sees the same messages in the same order, with seq strictly
// increasing, and history agrees.
func TestGroupConcurrentSenders(t *testing.T) {
	e := start(t, chat.Config{})
	names := []string{"alice", "bob", "carol"}
	users := []*user{e.dial("alice"), e.dial("bob"), e.dial("carol")}
	id, snap := users[0].createGroup("team", "bob", "carol")
	if snap.Head != 1 || len(snap.Messages) != 1 || snap.Messages[0].Kind != chat.KindMembers {
		t.Fatalf("creator's snapshot %+v", snap)
	}
	for _, u := range users[1:] {
		u.join(chat.KindGroup, chat.GroupParams{ID: id}, nil)
	}

	const perUser = 20
	var wg sync.WaitGroup
	for i, u := range users {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for n := range perUser {
				if _, err := u.Send(ctxT(t), id, chat.OpSend, chat.SendRequest{Text: fmt.Sprintf("%s %d", names[i], n)}); err != nil {
					t.Errorf("%s: %v", names[i], err)
					return
				}
			}
		}()
	}
	wg.Wait()

	var first []string
	for i, u := range users {
		var got []string
		last := uint64(1)
		for range perUser * len(users) {
			m := u.nextMessage(id)
			if m.Seq <= last {
				t.Fatalf("%s: seq %d after %d", names[i], m.Seq, last)
			}
			last = m.Seq
			got = append(got, fmt.Sprint(m.Seq, m.ID, m.From, m.Text))
		}
		if i == 0 {
			first = got
		} else if !slices.Equal(got, first) {
			t.Fatalf("%s saw another order than alice", names[i])
		}
	}
	page := users[1].history(id, 0, 100)
	var stored []string
	for _, m := range page.Messages[1:] { // after the creation entry
		stored = append(stored, fmt.Sprint(m.Seq, m.ID, m.From, m.Text))
	}
	if !slices.Equal(stored, first) {
		t.Fatal("history differs from what members saw")
	}
}

// TestGroupMembership: creation limits, admins adding and removing
// members, the member cap, leaving, and the admin handover.
func TestGroupMembership(t *testing.T) {
	e := start(t, chat.Config{MaxGroupMembers: 4, MaxGroupName: 10})
	alice, bob, carol, dave := e.dial("alice"), e.dial("bob"), e.dial("carol"), e.dial("dave")
	create := func(name string, members ...string) codec.Code {
		return alice.joinErr(chat.KindGroup, chat.GroupParams{Create: &chat.CreateGroup{Name: name, Members: members}})
	}
	if c := create(strings.Repeat("n", 11), "bob"); c != codec.CodeBadRequest {
		t.Fatalf("long name: %s", c)
	}
	if c := create("  ", "bob"); c != codec.CodeBadRequest {
		t.Fatalf("blank name: %s", c)
	}
	if c := create("big", "b", "c", "d", "e"); c != codec.CodeTooMany {
		t.Fatalf("five members: %s, want too_many", c)
	}
	if c := create("bad", ""); c != codec.CodeBadRequest {
		t.Fatalf("empty member id: %s", c)
	}

	id, snap := alice.createGroup(strings.Repeat("n", 10), "bob", "bob", "alice")
	g := snap.Group
	if g == nil || g.Name != "nnnnnnnnnn" || !slices.Equal(g.Members, []string{"alice", "bob"}) || !slices.Equal(g.Admins, []string{"alice"}) {
		t.Fatalf("group %+v", g)
	}
	bob.join(chat.KindGroup, chat.GroupParams{ID: id}, nil)
	if c := carol.joinErr(chat.KindGroup, chat.GroupParams{ID: id}); c != codec.CodeForbidden {
		t.Fatalf("non-member join: %s, want forbidden", c)
	}
	if c := bob.requestErr(id, chat.OpAddMembers, chat.MembersRequest{Members: []string{"carol"}}); c != codec.CodeForbidden {
		t.Fatalf("non-admin add: %s, want forbidden", c)
	}

	var added chat.Message
	alice.request(id, chat.OpAddMembers, chat.MembersRequest{Members: []string{"carol", "dave", "bob"}}, &added)
	if added.Kind != chat.KindMembers || !slices.Equal(added.Added, []string{"carol", "dave"}) || added.From != "alice" {
		t.Fatalf("add entry %+v", added)
	}
	var ev chat.Message
	bob.next(id, chat.KindMembers, &ev)
	if ev.ID != added.ID {
		t.Fatalf("bob got %+v", ev)
	}
	if c := alice.requestErr(id, chat.OpAddMembers, chat.MembersRequest{Members: []string{"erin"}}); c != codec.CodeTooMany {
		t.Fatalf("fifth member: %s, want too_many", c)
	}
	carol.join(chat.KindGroup, chat.GroupParams{ID: id}, nil)
	dave.join(chat.KindGroup, chat.GroupParams{ID: id}, nil)

	alice.request(id, chat.OpRemoveMembers, chat.MembersRequest{Members: []string{"carol"}}, nil)
	left := carol.nextAny(id, chat.EventPresence, chat.KindMembers)
	if !left.Left || left.Reason != "kicked" {
		t.Fatalf("carol got %+v, want a left frame", left)
	}
	if c := carol.joinErr(chat.KindGroup, chat.GroupParams{ID: id}); c != codec.CodeForbidden {
		t.Fatalf("removed member rejoining: %s, want forbidden", c)
	}
	if c := alice.requestErr(id, chat.OpRemoveMembers, chat.MembersRequest{Members: []string{"carol"}}); c != codec.CodeNotFound {
		t.Fatalf("removing a non-member: %s, want not_found", c)
	}

	// The last admin leaves: the longest standing member takes over.
	var leave chat.Message
	alice.request(id, chat.OpLeaveGroup, nil, &leave)
	if !slices.Equal(leave.Removed, []string{"alice"}) || !slices.Equal(leave.Admins, []string{"bob"}) {
		t.Fatalf("leave entry %+v", leave)
	}
	var info chat.Info
	bob.request(id, chat.OpInfo, nil, &info)
	if !slices.Equal(info.Room.Members, []string{"bob", "dave"}) || !slices.Equal(info.Room.Admins, []string{"bob"}) {
		t.Fatalf("info %+v", info)
	}
	if c := alice.requestErr(id, chat.OpSend, chat.SendRequest{Text: "hi"}); c != codec.CodeForbidden {
		t.Fatalf("send after leaving: %s, want forbidden", c)
	}
	bob.request(id, chat.OpAddMembers, chat.MembersRequest{Members: []string{"carol"}}, nil)
}

// TestGroupNotFound: opening a group that does not exist, or with an
// id of the wrong form, is not_found; a malformed request is bad_request.
func TestGroupNotFound(t *testing.T) {
	e := start(t, chat.Config{})
	alice := e.dial("alice")
	for _, p := range []chat.GroupParams{{ID: strings.Repeat("ab", 16)}, {ID: "nope"}} {
		if c := alice.joinErr(chat.KindGroup, p); c != codec.CodeNotFound {
			t.Fatalf("join %+v: %s, want not_found", p, c)
		}
	}
	for _, p := range []any{chat.GroupParams{}, chat.GroupParams{ID: "x", Create: &chat.CreateGroup{Name: "g"}}, []int{1}} {
		if c := alice.joinErr(chat.KindGroup, p); c != codec.CodeBadRequest {
			t.Fatalf("join %+v: %s, want bad_request", p, c)
		}
	}
	// A DM's id is not a group.
	id, _ := alice.dm("bob")
	if c := alice.joinErr(chat.KindGroup, chat.GroupParams{ID: id}); c != codec.CodeNotFound {
		t.Fatalf("DM id as a group: %s, want not_found", c)
	}
}
