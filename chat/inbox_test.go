package chat_test

import (
	"slices"
	"testing"

	"github.com/parlorhq/parlor/chat"
	"github.com/parlorhq/parlor/codec"
)

// inbox joins u's inbox.
func (u *user) inbox() (string, []chat.Conversation) {
	u.t.Helper()
	var snap chat.InboxSnapshot
	j := u.join(chat.KindInbox, nil, &snap)
	return j.Room, snap.Conversations
}

// nextInbox waits for the next inbox update.
func (u *user) nextInbox(id string) chat.Conversation {
	u.t.Helper()
	var c chat.Conversation
	u.next(id, chat.EventInbox, &c)
	return c
}

// TestInbox: a user's inbox lists their conversations newest first, with
// the last message and the unread count, and is updated live by new
// messages, receipts, deletes and group changes.
func TestInbox(t *testing.T) {
	e := start(t, chat.Config{})
	alice, bob, carol := e.dial("alice"), e.dial("bob"), e.dial("carol")
	inbox, list := bob.inbox()
	if len(list) != 0 {
		t.Fatalf("empty inbox lists %+v", list)
	}
	dm, _ := alice.dm("bob")
	m1 := alice.say(dm, "hi bob")
	c := bob.nextInbox(inbox)
	if c.Room != dm || c.Kind != chat.KindDM || c.With != "alice" || c.Unread != 1 || c.Head != 1 || c.Last == nil || c.Last.ID != m1.ID {
		t.Fatalf("update %+v", c)
	}
	alice.say(dm, "are you there?")
	if c = bob.nextInbox(inbox); c.Unread != 2 || c.Head != 2 || c.Last.Text != "are you there?" {
		t.Fatalf("update %+v", c)
	}
	// Reading, from the DM, clears the count.
	bob.dm("alice")
	bob.request(dm, chat.OpRead, chat.ReadRequest{Seq: 2}, nil)
	if c = bob.nextInbox(inbox); c.Unread != 0 || c.Read != 2 {
		t.Fatalf("after reading: %+v", c)
	}
	// Alice deletes her unread message: it no longer counts.
	m3 := alice.say(dm, "oops")
	if c = bob.nextInbox(inbox); c.Unread != 1 {
		t.Fatalf("after m3: %+v", c)
	}
	alice.request(dm, chat.OpDelete, chat.DeleteRequest{Seq: m3.Seq}, nil)
	if c = bob.nextInbox(inbox); c.Unread != 0 || c.Last == nil || !c.Last.Deleted {
		t.Fatalf("after the delete: %+v", c)
	}
	// A new group shows up on top.
	nextMillisecond()
	group, _ := carol.createGroup("book club", "bob")
	if c = bob.nextInbox(inbox); c.Room != group || c.Kind != chat.KindGroup || c.Name != "book club" || c.Head != 1 {
		t.Fatalf("group update %+v", c)
	}
	_, list = e.dial("bob").inbox()
	var rooms []string
	for _, c := range list {
		rooms = append(rooms, c.Room)
	}
	if !slices.Equal(rooms, []string{group, dm}) {
		t.Fatalf("inbox order %v, want the group then the DM", rooms)
	}
	// Removed from the group: the conversation goes away.
	carol.request(group, chat.OpRemoveMembers, chat.MembersRequest{Members: []string{"bob"}}, nil)
	if c = bob.nextInbox(inbox); c.Room != group || !c.Removed {
		t.Fatalf("removal update %+v", c)
	}
	var again chat.InboxSnapshot
	bob.request(inbox, chat.OpRefresh, nil, &again)
	if len(again.Conversations) != 1 || again.Conversations[0].Room != dm {
		t.Fatalf("refreshed inbox %+v", again.Conversations)
	}
}

// TestInboxIsPrivate: each user's inbox is their own room; nobody can
// send to another's.
func TestInboxIsPrivate(t *testing.T) {
	e := start(t, chat.Config{})
	alice, bob := e.dial("alice"), e.dial("bob")
	ia, _ := alice.inbox()
	ib, _ := bob.inbox()
	if ia == ib {
		t.Fatal("alice and bob share an inbox")
	}
	if c := bob.requestErr(ia, chat.OpRefresh, nil); c != codec.CodeForbidden {
		t.Fatalf("bob refreshing alice's inbox: %s", c)
	}
	if c := alice.requestErr(ia, chat.OpSend, nil); c != codec.CodeBadRequest {
		t.Fatalf("unknown inbox event: %s", c)
	}
}

// TestUnreadCap: unread counts stop at UnreadCap.
func TestUnreadCap(t *testing.T) {
	e := start(t, chat.Config{UnreadCap: 3})
	alice, bob := e.dial("alice"), e.dial("bob")
	dm, _ := alice.dm("bob")
	for range 5 {
		alice.say(dm, "x")
	}
	_, list := bob.inbox()
	if len(list) != 1 || list[0].Unread != 3 {
		t.Fatalf("inbox %+v, want unread capped at 3", list)
	}
	inbox, _ := e.dial("bob").inbox()
	alice.say(dm, "y")
	if c := bob.nextInbox(inbox); c.Unread != 3 {
		t.Fatalf("update %+v", c)
	}
}

// TestInboxLimit: an inbox snapshot lists the newest InboxLimit
// conversations.
func TestInboxLimit(t *testing.T) {
	e := start(t, chat.Config{InboxLimit: 2})
	bob := e.dial("bob")
	var dms []string
	for _, name := range []string{"alice", "carol", "dave"} {
		u := e.dial(name)
		id, _ := u.dm("bob")
		nextMillisecond()
		u.say(id, "hi from "+name)
		dms = append(dms, id)
	}
	_, list := bob.inbox()
	if len(list) != 2 || list[0].Room != dms[2] || list[1].Room != dms[1] {
		t.Fatalf("inbox %+v, want dave's then carol's", list)
	}
}

// TestInboxPages: the snapshot says whether there are more conversations
// than InboxLimit, and OpPage pages through the older ones from a cursor.
func TestInboxPages(t *testing.T) {
	e := start(t, chat.Config{InboxLimit: 2})
	bob := e.dial("bob")
	var dms []string // oldest first
	for _, name := range []string{"alice", "carol", "dave", "erin", "frank"} {
		u := e.dial(name)
		id, _ := u.dm("bob")
		nextMillisecond()
		u.say(id, "hi from "+name)
		dms = append(dms, id)
	}
	var snap chat.InboxSnapshot
	inbox := bob.join(chat.KindInbox, nil, &snap).Room
	if !snap.More || !slices.Equal(roomsOf(snap.Conversations), []string{dms[4], dms[3]}) {
		t.Fatalf("snapshot %v (more %v)", roomsOf(snap.Conversations), snap.More)
	}
	page := func(after chat.Conversation, limit int) chat.InboxSnapshot {
		t.Helper()
		var p chat.InboxSnapshot
		bob.request(inbox, chat.OpPage, chat.InboxPageRequest{Before: chat.CursorOf(after), Limit: limit}, &p)
		return p
	}
	p := page(snap.Conversations[1], 0)
	if !p.More || !slices.Equal(roomsOf(p.Conversations), []string{dms[2], dms[1]}) {
		t.Fatalf("second page %v (more %v)", roomsOf(p.Conversations), p.More)
	}
	if p = page(p.Conversations[1], 50); p.More || !slices.Equal(roomsOf(p.Conversations), []string{dms[0]}) {
		t.Fatalf("last page %v (more %v)", roomsOf(p.Conversations), p.More)
	}
	if p = page(snap.Conversations[0], 1); !p.More || !slices.Equal(roomsOf(p.Conversations), []string{dms[3]}) {
		t.Fatalf("page of 1 %v (more %v)", roomsOf(p.Conversations), p.More)
	}
	// A limit above InboxLimit is InboxLimit; a zero cursor is the top.
	if p = page(chat.Conversation{}, 50); !p.More || !slices.Equal(roomsOf(p.Conversations), []string{dms[4], dms[3]}) {
		t.Fatalf("page of 50 from the top %v (more %v)", roomsOf(p.Conversations), p.More)
	}
	if c := bob.requestErr(inbox, chat.OpPage, "not a page request"); c != codec.CodeBadRequest {
		t.Fatalf("malformed page request: %s", c)
	}
}

func roomsOf(list []chat.Conversation) []string {
	out := make([]string, len(list))
	for i, c := range list {
		out[i] = c.Room
	}
	return out
}
