package chat_test

import (
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/parlorhq/parlor/chat"
	"github.com/parlorhq/parlor/chat/boltstore"
	"github.com/parlorhq/parlor/client"
	"github.com/parlorhq/parlor/codec"
	"github.com/parlorhq/parlor/parlortest"
)

// groupInfo returns the group's record as u's info request sees it.
func (u *user) groupInfo(id string) chat.RoomInfo {
	u.t.Helper()
	var info chat.Info
	u.request(id, chat.OpInfo, nil, &info)
	return info.Room
}

// TestGroupAdmins: admins promote and demote admins and rename the
// group; each change is a members entry every member receives; members
// who are not admins cannot; the last admin cannot be demoted; a refused
// change leaves the group as it was.
func TestGroupAdmins(t *testing.T) {
	e := start(t, chat.Config{MaxGroupName: 10})
	alice, bob, carol := e.dial("alice"), e.dial("bob"), e.dial("carol")
	id, _ := alice.createGroup("team", "bob", "carol")
	bob.join(chat.KindGroup, chat.GroupParams{ID: id}, nil)
	carol.join(chat.KindGroup, chat.GroupParams{ID: id}, nil)
	// A bystander in a group of their own.
	dave, erin := e.dial("dave"), e.dial("erin")
	other, _ := dave.createGroup("others", "erin")
	erin.join(chat.KindGroup, chat.GroupParams{ID: other}, nil)

	members := func(u string) []string { return []string{u} }
	for _, op := range []string{chat.OpPromote, chat.OpDemote} {
		if c := bob.requestErr(id, op, chat.MembersRequest{Members: members("bob")}); c != codec.CodeForbidden {
			t.Fatalf("%s by a member who is not an admin: %s, want forbidden", op, c)
		}
	}
	if c := bob.requestErr(id, chat.OpRename, chat.RenameRequest{Name: "mine"}); c != codec.CodeForbidden {
		t.Fatalf("rename by a member who is not an admin: %s, want forbidden", c)
	}

	var up chat.Message
	alice.request(id, chat.OpPromote, chat.MembersRequest{Members: []string{"bob", "alice", "bob"}}, &up)
	if up.Kind != chat.KindMembers || up.From != "alice" || !slices.Equal(up.Admins, []string{"alice", "bob"}) || len(up.Added)+len(up.Removed) != 0 || up.Name != "" {
		t.Fatalf("promote entry %+v", up)
	}
	for _, u := range []*user{bob, carol} {
		var ev chat.Message
		u.next(id, chat.KindMembers, &ev)
		if ev.ID != up.ID || !slices.Equal(ev.Admins, up.Admins) {
			t.Fatalf("%s got %+v, want the promote entry", u.UserID(), ev)
		}
	}
	for _, tc := range []struct {
		op   string
		who  []string
		want codec.Code
	}{
		{chat.OpPromote, []string{"bob"}, codec.CodeBadRequest},  // an admin already
		{chat.OpPromote, []string{"zed"}, codec.CodeNotFound},    // not a member
		{chat.OpPromote, []string{""}, codec.CodeBadRequest},     // not a user id
		{chat.OpDemote, []string{"carol"}, codec.CodeBadRequest}, // not an admin
		{chat.OpDemote, []string{"zed"}, codec.CodeNotFound},     // not a member
		{chat.OpDemote, nil, codec.CodeBadRequest},               // nobody
		{chat.OpPromote, []string{"carol", "zed"}, codec.CodeNotFound},
	} {
		if c := alice.requestErr(id, tc.op, chat.MembersRequest{Members: tc.who}); c != tc.want {
			t.Fatalf("%s %v: %s, want %s", tc.op, tc.who, c, tc.want)
		}
	}

	// Bob, now an admin, demotes alice, then cannot demote himself.
	var down chat.Message
	bob.request(id, chat.OpDemote, chat.MembersRequest{Members: members("alice")}, &down)
	if !slices.Equal(down.Admins, []string{"bob"}) {
		t.Fatalf("demote entry %+v", down)
	}
	if c := bob.requestErr(id, chat.OpDemote, chat.MembersRequest{Members: members("bob")}); c != codec.CodeConflict {
		t.Fatalf("demoting the last admin: %s, want conflict", c)
	}
	if c := alice.requestErr(id, chat.OpPromote, chat.MembersRequest{Members: members("alice")}); c != codec.CodeForbidden {
		t.Fatalf("a demoted admin promoting: %s, want forbidden", c)
	}

	// Renames: checked like names at creation, and idempotent by client
	// message id.
	for _, name := range []string{"", "   ", strings.Repeat("n", 11), "a\x00b"} {
		if c := bob.requestErr(id, chat.OpRename, chat.RenameRequest{Name: name}); c != codec.CodeBadRequest {
			t.Fatalf("rename to %q: %s, want bad_request", name, c)
		}
	}
	if c := bob.requestErr(id, chat.OpRename, chat.RenameRequest{Name: " team "}); c != codec.CodeBadRequest {
		t.Fatalf("rename to the same name: %s, want bad_request", c)
	}
	if c := bob.requestErr(id, chat.OpRename, map[string]any{"name": "x", "color": "red"}); c != codec.CodeBadRequest {
		t.Fatalf("rename with an unknown field: %s, want bad_request", c)
	}
	var ren chat.Message
	bob.request(id, chat.OpRename, chat.RenameRequest{Name: " crew "}, &ren, client.WithClientMsgID("r1"))
	if ren.Name != "crew" || ren.Admins != nil || ren.From != "bob" {
		t.Fatalf("rename entry %+v", ren)
	}
	var again chat.Message
	bob.request(id, chat.OpRename, chat.RenameRequest{Name: "crew"}, &again, client.WithClientMsgID("r1"))
	if again.ID != ren.ID || again.Seq != ren.Seq {
		t.Fatalf("retried rename stored anew: %+v", again)
	}
	var ev chat.Message
	carol.next(id, chat.KindMembers, &ev) // the demote
	if ev.ID != down.ID {
		t.Fatalf("carol got %+v, want the demote", ev)
	}
	carol.next(id, chat.KindMembers, &ev)
	if ev.ID != ren.ID || ev.Name != "crew" {
		t.Fatalf("carol got %+v, want the rename", ev)
	}
	carol.say(id, "after")
	if m := alice.nextMessage(id); m.Seq != ren.Seq+1 {
		t.Fatalf("the retried rename took a seq: next message is %d, rename %d", m.Seq, ren.Seq)
	}

	info := carol.groupInfo(id)
	if info.Name != "crew" || !slices.Equal(info.Admins, []string{"bob"}) || !slices.Equal(info.Members, []string{"alice", "bob", "carol"}) {
		t.Fatalf("group after the changes: %+v", info)
	}
	var snap chat.Snapshot
	e.dial("carol").join(chat.KindGroup, chat.GroupParams{ID: id}, &snap)
	if snap.Group.Name != "crew" || !slices.Equal(snap.Group.Admins, []string{"bob"}) {
		t.Fatalf("snapshot after the changes: %+v", snap.Group)
	}

	// The bystanders' group saw none of it and works as before.
	dave.say(other, "still here")
	if m := erin.nextMessage(other); m.Text != "still here" || m.Seq != 2 {
		t.Fatalf("bystander got %+v", m)
	}
	if info := erin.groupInfo(other); info.Name != "others" || !slices.Equal(info.Admins, []string{"dave"}) {
		t.Fatalf("bystanders' group %+v", info)
	}
}

// TestGroupRenameInbox: a rename reaches the members' inboxes at once.
func TestGroupRenameInbox(t *testing.T) {
	e := start(t, chat.Config{})
	alice, bob := e.dial("alice"), e.dial("bob")
	id, _ := alice.createGroup("team", "bob")
	inbox, _ := bob.inbox()
	alice.request(id, chat.OpRename, chat.RenameRequest{Name: "crew"}, nil)
	if c := bob.nextInbox(inbox); c.Room != id || c.Name != "crew" || c.Head != 2 {
		t.Fatalf("bob's inbox update %+v", c)
	}
}

// TestGroupRemoveClosesAccess: a removed member's open subscription is
// closed at once (a left frame, reason kicked), they cannot send, their
// inbox drops the group, and they cannot join again; the members who stay
// carry on.
func TestGroupRemoveClosesAccess(t *testing.T) {
	e := start(t, chat.Config{})
	alice, bob, carol := e.dial("alice"), e.dial("bob"), e.dial("carol")
	id, _ := alice.createGroup("team", "bob", "carol")
	bob.join(chat.KindGroup, chat.GroupParams{ID: id}, nil)
	carol.join(chat.KindGroup, chat.GroupParams{ID: id}, nil)
	inbox, _ := bob.inbox()

	var rm chat.Message
	alice.request(id, chat.OpRemoveMembers, chat.MembersRequest{Members: []string{"bob"}}, &rm)
	if !slices.Equal(rm.Removed, []string{"bob"}) {
		t.Fatalf("remove entry %+v", rm)
	}
	// The left frame (the group's) and the inbox update (bob's inbox
	// room's) come from two rooms, in either order.
	var left client.Event
	var c chat.Conversation
	gotLeft, gotInbox := false, false
	parlortest.Wait(t, bob.Client, wait, func(ev client.Event) bool {
		switch {
		case !gotLeft && ev.Room == id && ev.Name != chat.EventPresence && ev.Name != chat.KindMembers:
			left, gotLeft = ev, true
		case !gotInbox && ev.Room == inbox && ev.Name == chat.EventInbox:
			if err := ev.Decode(&c); err != nil {
				t.Fatalf("decode inbox event: %v", err)
			}
			gotInbox = true
		}
		return gotLeft && gotInbox
	})
	if !left.Left || left.Reason != "kicked" {
		t.Fatalf("bob got %+v, want a left frame with reason kicked", left)
	}
	if c.Room != id || !c.Removed {
		t.Fatalf("bob's inbox update %+v, want the group removed", c)
	}
	if c := bob.requestErr(id, chat.OpSend, chat.SendRequest{Text: "still here?"}); c != codec.CodeForbidden {
		t.Fatalf("send after removal: %s, want forbidden", c)
	}
	if c := bob.joinErr(chat.KindGroup, chat.GroupParams{ID: id}); c != codec.CodeForbidden {
		t.Fatalf("join after removal: %s, want forbidden", c)
	}
	if _, list := e.dial("bob").inbox(); len(list) != 0 {
		t.Fatalf("bob's inbox after removal lists %+v", list)
	}
	// Carol, who stays, saw the removal and carries on.
	var ev chat.Message
	carol.next(id, chat.KindMembers, &ev)
	if ev.ID != rm.ID {
		t.Fatalf("carol got %+v", ev)
	}
	alice.say(id, "without bob")
	if m := carol.nextMessage(id); m.Text != "without bob" {
		t.Fatalf("carol got %+v", m)
	}
}

// TestGroupAdminsRestart: admins and the name survive a restart on the
// same bbolt file, and the rules hold against the stored record.
func TestGroupAdminsRestart(t *testing.T) {
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
	alice := e.dial("alice")
	id, _ := alice.createGroup("team", "bob", "carol")
	alice.request(id, chat.OpPromote, chat.MembersRequest{Members: []string{"carol"}}, nil)
	alice.request(id, chat.OpRename, chat.RenameRequest{Name: "crew"}, nil)
	alice.request(id, chat.OpLeaveGroup, nil, nil)
	e.srv.Stop()
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}

	e = start(t, chat.Config{Store: open()})
	carol, bob := e.dial("carol"), e.dial("bob")
	var snap chat.Snapshot
	carol.join(chat.KindGroup, chat.GroupParams{ID: id}, &snap)
	if g := snap.Group; g.Name != "crew" || !slices.Equal(g.Admins, []string{"carol"}) || !slices.Equal(g.Members, []string{"bob", "carol"}) {
		t.Fatalf("group after restart: %+v", g)
	}
	if c := carol.requestErr(id, chat.OpDemote, chat.MembersRequest{Members: []string{"carol"}}); c != codec.CodeConflict {
		t.Fatalf("demoting the last admin after restart: %s, want conflict", c)
	}
	bob.join(chat.KindGroup, chat.GroupParams{ID: id}, nil)
	if c := bob.requestErr(id, chat.OpRename, chat.RenameRequest{Name: "bobs"}); c != codec.CodeForbidden {
		t.Fatalf("rename by a member after restart: %s, want forbidden", c)
	}
}

// TestRenameDailyBytes: a rename's name counts towards the admin's
// DailyBytesPerUser; a rename past it is refused and changes nothing,
// and another member's writes are not affected.
func TestRenameDailyBytes(t *testing.T) {
	e := start(t, chat.Config{DailyBytesPerUser: 10})
	alice, bob := e.dial("alice"), e.dial("bob")
	id, _ := alice.createGroup("ab", "bob") // 2 bytes
	bob.join(chat.KindGroup, chat.GroupParams{ID: id}, nil)
	alice.request(id, chat.OpRename, chat.RenameRequest{Name: "abcd"}, nil) // 6
	if c := alice.requestErr(id, chat.OpRename, chat.RenameRequest{Name: "abcde"}); c != codec.CodeLimitExceeded {
		t.Fatalf("rename past the quota: %s, want limit_exceeded", c)
	}
	if info := bob.groupInfo(id); info.Name != "abcd" {
		t.Fatalf("name after a refused rename: %q", info.Name)
	}
	alice.request(id, chat.OpRename, chat.RenameRequest{Name: "abc"}, nil) // 9
	// Bob's quota is his own: all 10 bytes of it.
	bob.say(id, "0123456789")
}
