package chat_test

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/parlorhq/parlor/chat"
	"github.com/parlorhq/parlor/client"
	"github.com/parlorhq/parlor/codec"
	"github.com/parlorhq/parlor/room"
)

// TestAfterStorePanicStillRemoves: an AfterStore hook that panics on a
// members entry does not fail the request (the entry is stored and
// broadcast), and the removed member is kicked all the same. A member the
// conversation no longer lists is refused whatever it asks.
func TestAfterStorePanicStillRemoves(t *testing.T) {
	e := start(t, chat.Config{AfterStore: func(_ context.Context, s chat.Stored) {
		if len(s.Entry.Removed) > 0 {
			panic("a host's bug")
		}
	}})
	alice, bob := e.dial("alice"), e.dial("bob")
	id, _ := alice.createGroup("team", "bob")
	bob.join(chat.KindGroup, chat.GroupParams{ID: id}, nil)
	var rep chat.Message
	alice.request(id, chat.OpRemoveMembers, chat.MembersRequest{Members: []string{"bob"}}, &rep)
	if rep.Kind != chat.KindMembers || len(rep.Removed) != 1 {
		t.Fatalf("the removal's reply: %+v", rep)
	}
	e.waitSessions(id, "bob", 0)
	if info := alice.groupInfo(id); len(info.Members) != 1 {
		t.Fatalf("members %v, want alice alone", info.Members)
	}
}

// TestRemovalDuplicateKicksNobody: a remove_members whose client message
// id names an entry stored before (a resend of an old request, here a
// message's) is answered with that entry and removes nobody: nobody is
// kicked either, where the member used to be told "kicked" and stay.
func TestRemovalDuplicateKicksNobody(t *testing.T) {
	e := start(t, chat.Config{})
	alice, bob := e.dial("alice"), e.dial("bob")
	id, _ := alice.createGroup("team", "bob")
	bob.join(chat.KindGroup, chat.GroupParams{ID: id}, nil)
	alice.say(id, "hi", client.WithClientMsgID("x"))
	// A new room forgets the replies it sent; the store does not.
	e.inRoom(id, func(r *room.Room) { r.Close() })
	time.Sleep(100 * time.Millisecond)
	alice.join(chat.KindGroup, chat.GroupParams{ID: id}, nil)
	bob.join(chat.KindGroup, chat.GroupParams{ID: id}, nil)
	var rep chat.Message
	alice.request(id, chat.OpRemoveMembers, chat.MembersRequest{Members: []string{"bob"}}, &rep, client.WithClientMsgID("x"))
	if rep.Kind != chat.KindMessage || rep.Text != "hi" {
		t.Fatalf("reply %+v, want the message the id named", rep)
	}
	time.Sleep(100 * time.Millisecond)
	if info := alice.groupInfo(id); len(info.Members) != 2 {
		t.Fatalf("members %v, want both", info.Members)
	}
	e.waitSessions(id, "bob", 1)
	bob.say(id, "still here")
}

// TestInboxPageStrict: an inbox page request with a field it does not have
// is refused, as every chat payload is.
func TestInboxPageStrict(t *testing.T) {
	e := start(t, chat.Config{})
	alice := e.dial("alice")
	ib, _ := alice.inbox()
	if c := alice.requestErr(ib, chat.OpPage, map[string]any{"bogus": 1}); c != codec.CodeBadRequest {
		t.Fatalf("page with an unknown field: %q, want bad_request", c)
	}
}

// TestDMTypingFollowsCanMessage: a user CanMessage refuses (blocked by the
// other, say) cannot reach them with "typing" in their open DM either;
// stopping is always allowed.
func TestDMTypingFollowsCanMessage(t *testing.T) {
	var blocked atomic.Bool
	e := start(t, chat.Config{CanMessage: func(_ context.Context, from, to string) error {
		if blocked.Load() && from == "alice" && to == "bob" {
			return &codec.Error{Code: codec.CodeForbidden, Message: "blocked"}
		}
		return nil
	}})
	alice, bob := e.dial("alice"), e.dial("bob")
	id, _ := alice.dm("bob")
	bob.dm("alice")
	blocked.Store(true)
	if c := alice.requestErr(id, chat.OpTyping, chat.TypingRequest{}); c != codec.CodeForbidden {
		t.Fatalf("typing to a user who blocked alice: %q, want forbidden", c)
	}
	alice.request(id, chat.OpTyping, chat.TypingRequest{Stop: true}, nil)
	blocked.Store(false)
	alice.request(id, chat.OpTyping, chat.TypingRequest{}, nil)
	var ev chat.TypingEvent
	bob.next(id, chat.EventTyping, &ev)
	if ev.User != "alice" || !ev.Typing {
		t.Fatalf("bob got %+v, want alice typing once allowed again", ev)
	}
}

// TestBlankTextRefused: a text or group name that shows nothing (zero-width
// characters, a byte order mark, bidirectional controls, blank fillers)
// is refused as blank.
func TestBlankTextRefused(t *testing.T) {
	e := start(t, chat.Config{})
	alice := e.dial("alice")
	id, _ := alice.dm("bob")
	for _, s := range []string{"\u200b", "\ufeff", "\u2800", "\u3164", "\u202e", " \u200d\u200b "} {
		if c := alice.requestErr(id, chat.OpSend, chat.SendRequest{Text: s}); c != codec.CodeBadRequest {
			t.Errorf("send %q: %q, want bad_request", s, c)
		}
	}
	gid, _ := alice.createGroup("team")
	if c := alice.requestErr(gid, chat.OpRename, chat.RenameRequest{Name: "\u200b"}); c != codec.CodeBadRequest {
		t.Errorf("rename to a zero-width space: %q, want bad_request", c)
	}
	if m := alice.say(id, "\u200bhi"); m.Text != "\u200bhi" {
		t.Errorf("a text with something to show: %q", m.Text)
	}
}
