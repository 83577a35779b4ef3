package chat_test

import (
	"fmt"
	"slices"
	"testing"

	"github.com/parlorhq/parlor/chat"
	"github.com/parlorhq/parlor/client"
	"github.com/parlorhq/parlor/codec"
)

// TestHistoryPaging: a join gets the newest HistoryOnJoin entries and the
// head; history pages backwards by seq, capped at PageLimit.
func TestHistoryPaging(t *testing.T) {
	e := start(t, chat.Config{HistoryOnJoin: 5, PageLimit: 4})
	alice, bob := e.dial("alice"), e.dial("bob")
	id, _ := alice.dm("bob")
	for i := 1; i <= 12; i++ {
		alice.say(id, fmt.Sprint("m", i))
	}
	_, snap := bob.dm("alice")
	if snap.Head != 12 || !slices.Equal(seqsOf(snap.Messages), []uint64{8, 9, 10, 11, 12}) || !snap.More {
		t.Fatalf("snapshot head %d, seqs %v, more %v", snap.Head, seqsOf(snap.Messages), snap.More)
	}
	cases := []struct {
		before uint64
		limit  int
		want   []uint64
		more   bool
	}{
		{8, 0, []uint64{4, 5, 6, 7}, true},
		{8, 100, []uint64{4, 5, 6, 7}, true},
		{4, 2, []uint64{2, 3}, true},
		{2, 0, []uint64{1}, false},
		{1, 0, []uint64{}, false},
		{0, 2, []uint64{11, 12}, true},
		{1000, 1, []uint64{12}, true},
	}
	for _, c := range cases {
		page := bob.history(id, c.before, c.limit)
		if !slices.Equal(seqsOf(page.Messages), c.want) || page.More != c.more {
			t.Errorf("history(before %d, limit %d) = %v more %v; want %v more %v",
				c.before, c.limit, seqsOf(page.Messages), page.More, c.want, c.more)
		}
	}
}

// TestNoHistoryOnJoin: a negative HistoryOnJoin sends no entries, only
// the head.
func TestNoHistoryOnJoin(t *testing.T) {
	e := start(t, chat.Config{HistoryOnJoin: -1})
	alice := e.dial("alice")
	id, _ := alice.dm("bob")
	alice.say(id, "x")
	_, snap := e.dial("alice").dm("bob")
	if snap.Head != 1 || len(snap.Messages) != 0 || !snap.More {
		t.Fatalf("snapshot %+v", snap)
	}
}

// TestClientMsgIDOnce: a resend with the same client message id gets the
// stored message back and is neither stored nor delivered twice.
func TestClientMsgIDOnce(t *testing.T) {
	e := start(t, chat.Config{})
	alice, bob := e.dial("alice"), e.dial("bob")
	id, _ := alice.dm("bob")
	bob.dm("alice")
	first := alice.say(id, "once", client.WithClientMsgID("m-1"))
	again := alice.say(id, "once, retried", client.WithClientMsgID("m-1"))
	if again.ID != first.ID || again.Seq != first.Seq || again.Text != "once" || again.ClientMsgID != "m-1" {
		t.Fatalf("retry got %+v, want %+v", again, first)
	}
	// From another tab too.
	if other := e.dial("alice").sayIn(t, "bob", "m-1"); other.ID != first.ID {
		t.Fatalf("retry from another tab got %+v", other)
	}
	after := alice.say(id, "after")
	if got := bob.nextMessage(id); got.ID != first.ID {
		t.Fatalf("bob got %+v first", got)
	}
	if got := bob.nextMessage(id); got.ID != after.ID || got.Seq != first.Seq+1 {
		t.Fatalf("bob got %+v, want the next message right after the first", got)
	}
	if page := bob.history(id, 0, 10); len(page.Messages) != 2 {
		t.Fatalf("%d entries stored, want 2", len(page.Messages))
	}
	// The same id from another user is another message.
	if m := bob.say(id, "mine", client.WithClientMsgID("m-1")); m.ID == first.ID {
		t.Fatal("bob's message took alice's id")
	}
}

// sayIn opens the DM with other and sends a message with client id cmid.
func (u *user) sayIn(t *testing.T, other, cmid string) chat.Message {
	id, _ := u.dm(other)
	return u.say(id, "retry", client.WithClientMsgID(cmid))
}

// TestBadInput: empty, blank, oversize and invalid UTF-8 text, unknown
// events, malformed payloads and sending before joining are refused with
// a clear code, and nothing is stored.
func TestBadInput(t *testing.T) {
	e := start(t, chat.Config{MaxTextLen: 16})
	alice, carol := e.dial("alice"), e.dial("carol")
	id, _ := alice.dm("bob")
	cases := []struct {
		name  string
		event string
		data  any
		want  codec.Code
	}{
		{"empty", chat.OpSend, chat.SendRequest{Text: ""}, codec.CodeBadRequest},
		{"no payload", chat.OpSend, nil, codec.CodeBadRequest},
		{"blank", chat.OpSend, chat.SendRequest{Text: " \n\t "}, codec.CodeBadRequest},
		{"oversize", chat.OpSend, chat.SendRequest{Text: "12345678901234567"}, codec.CodeTooLarge},
		{"invalid UTF-8", chat.OpSend, chat.SendRequest{Text: "ok \xff\xfe"}, codec.CodeBadRequest},
		{"NUL byte", chat.OpSend, chat.SendRequest{Text: "ok \x00 then"}, codec.CodeBadRequest},
		{"wrong type", chat.OpSend, map[string]int{"text": 5}, codec.CodeBadRequest},
		{"not a map", chat.OpSend, "hello", codec.CodeBadRequest},
		{"unknown event", "dance", nil, codec.CodeBadRequest},
		{"group event in a DM", chat.OpAddMembers, chat.MembersRequest{Members: []string{"x"}}, codec.CodeBadRequest},
		{"edit of nothing", chat.OpEdit, chat.EditRequest{Seq: 1, Text: "x"}, codec.CodeNotFound},
	}
	for _, c := range cases {
		if got := alice.requestErr(id, c.event, c.data); got != c.want {
			t.Errorf("%s: %s, want %s", c.name, got, c.want)
		}
	}
	// The limit is exact, counted after trimming.
	alice.say(id, "  1234567890123456  ")
	if c := carol.requestErr(id, chat.OpSend, chat.SendRequest{Text: "hi"}); c != codec.CodeForbidden {
		t.Fatalf("send before join: %s, want forbidden", c)
	}
	if c := alice.requestErr("no-such-room", chat.OpSend, chat.SendRequest{Text: "hi"}); c != codec.CodeForbidden {
		t.Fatalf("send to a room never joined: %s, want forbidden", c)
	}
	for _, p := range []any{chat.DMParams{}, chat.DMParams{With: string(make([]byte, 129))}, "bob"} {
		if c := alice.joinErr(chat.KindDM, p); c != codec.CodeBadRequest {
			t.Fatalf("DM join %v: %s, want bad_request", p, c)
		}
	}
	if page := alice.history(id, 0, 100); len(page.Messages) != 1 {
		t.Fatalf("%d entries stored, want only the valid one", len(page.Messages))
	}
}

// TestFloodRateLimited: writes past MessageRate get rate_limited and are
// not stored.
func TestFloodRateLimited(t *testing.T) {
	e := start(t, chat.Config{MessageRate: 0.001, MessageBurst: 3})
	alice := e.dial("alice")
	id, _ := alice.dm("bob")
	for i := range 3 {
		alice.say(id, fmt.Sprint("m", i))
	}
	if c := alice.requestErr(id, chat.OpSend, chat.SendRequest{Text: "one too many"}); c != codec.CodeRateLimited {
		t.Fatalf("fourth message: %s, want rate_limited", c)
	}
	// Reading is not writing.
	if page := alice.history(id, 0, 10); len(page.Messages) != 3 {
		t.Fatalf("%d stored, want 3", len(page.Messages))
	}
	// The limit is per user.
	bob := e.dial("bob")
	bob.dm("alice")
	bob.say(id, "my turn")
}
