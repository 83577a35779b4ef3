package chat_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/parlorhq/parlor/chat"
	"github.com/parlorhq/parlor/codec"
)

// TestModerate: moderation rewrites or rejects a text before it is
// stored, for messages and edits.
func TestModerate(t *testing.T) {
	var mu sync.Mutex
	var drafts []chat.Draft
	e := start(t, chat.Config{Moderate: func(_ context.Context, d *chat.Draft) error {
		mu.Lock()
		drafts = append(drafts, *d)
		mu.Unlock()
		switch {
		case strings.Contains(d.Text, "spam"):
			return codec.Errorf("spam", "looks like spam")
		case strings.Contains(d.Text, "boom"):
			return errors.New("moderation backend down")
		case d.Text == "erase":
			d.Text = " "
		}
		d.Text = strings.ReplaceAll(d.Text, "darn", "d**n")
		return nil
	}})
	alice, bob := e.dial("alice"), e.dial("bob")
	id, _ := alice.dm("bob")
	bob.dm("alice")
	if c := alice.requestErr(id, chat.OpSend, chat.SendRequest{Text: "buy spam"}); c != "spam" {
		t.Fatalf("spam: %s", c)
	}
	if c := alice.requestErr(id, chat.OpSend, chat.SendRequest{Text: "boom"}); c != codec.CodeForbidden {
		t.Fatalf("plain error: %s, want forbidden", c)
	}
	if c := alice.requestErr(id, chat.OpSend, chat.SendRequest{Text: "erase"}); c != codec.CodeBadRequest {
		t.Fatalf("rewritten to blank: %s, want bad_request", c)
	}
	m := alice.say(id, "oh darn")
	if m.Text != "oh d**n" || bob.nextMessage(id).Text != "oh d**n" {
		t.Fatalf("stored %q", m.Text)
	}
	var edit chat.Message
	alice.request(id, chat.OpEdit, chat.EditRequest{Seq: m.Seq, Text: "darn it"}, &edit)
	if edit.Text != "d**n it" {
		t.Fatalf("edit %+v", edit)
	}
	mu.Lock()
	last := drafts[len(drafts)-1]
	mu.Unlock()
	if last.Edit != m.Seq || last.From != "alice" || last.Kind != chat.KindDM || last.Room != id {
		t.Fatalf("draft %+v", last)
	}
	if page := alice.history(id, 0, 10); len(page.Messages) != 2 || page.Messages[0].Text != "d**n it" {
		t.Fatalf("history %+v", page.Messages)
	}
}

// TestAfterStore: the hook sees every stored entry with the members who
// are not in the room.
func TestAfterStore(t *testing.T) {
	stored := make(chan chat.Stored, 10)
	e := start(t, chat.Config{AfterStore: func(_ context.Context, s chat.Stored) { stored <- s }})
	alice := e.dial("alice")
	id, _ := alice.dm("bob")
	m := alice.say(id, "are you there?")
	s := <-stored
	if s.Entry.ID != m.ID || s.Entry.Room != id || s.Kind != chat.KindDM ||
		!slices.Equal(s.Members, []string{"alice", "bob"}) || !slices.Equal(s.Offline, []string{"bob"}) {
		t.Fatalf("stored %+v", s)
	}
	e.dial("bob").dm("alice")
	alice.say(id, "hi")
	if s := <-stored; len(s.Offline) != 0 {
		t.Fatalf("offline %v with both in the room", s.Offline)
	}
}

// TestEditDelete: users edit and delete their own messages only; both
// are stored as log entries, pushed to the members, and applied to the
// stored message.
func TestEditDelete(t *testing.T) {
	e := start(t, chat.Config{MaxTextLen: 10})
	alice, bob := e.dial("alice"), e.dial("bob")
	id, _ := alice.dm("bob")
	bob.dm("alice")
	m1 := alice.say(id, "helo")
	m2 := bob.say(id, "hi")

	var edit chat.Message
	alice.request(id, chat.OpEdit, chat.EditRequest{Seq: m1.Seq, Text: "hello"}, &edit)
	if edit.Kind != chat.KindEdit || edit.Target != m1.Seq || edit.Text != "hello" || edit.Seq != 3 {
		t.Fatalf("edit entry %+v", edit)
	}
	var ev chat.Message
	if bob.next(id, chat.KindEdit, &ev); ev.ID != edit.ID {
		t.Fatalf("bob got %+v", ev)
	}
	for _, c := range []struct {
		event string
		data  any
		want  codec.Code
	}{
		{chat.OpEdit, chat.EditRequest{Seq: m2.Seq, Text: "mine now"}, codec.CodeForbidden},
		{chat.OpDelete, chat.DeleteRequest{Seq: m2.Seq}, codec.CodeForbidden},
		{chat.OpEdit, chat.EditRequest{Seq: edit.Seq, Text: "x"}, codec.CodeNotFound},
		{chat.OpEdit, chat.EditRequest{Seq: 99, Text: "x"}, codec.CodeNotFound},
		{chat.OpEdit, chat.EditRequest{Seq: m1.Seq, Text: "much too long"}, codec.CodeTooLarge},
		{chat.OpEdit, chat.EditRequest{Seq: m1.Seq, Text: ""}, codec.CodeBadRequest},
	} {
		if got := alice.requestErr(id, c.event, c.data); got != c.want {
			t.Errorf("%s %+v: %s, want %s", c.event, c.data, got, c.want)
		}
	}

	var del chat.Message
	alice.request(id, chat.OpDelete, chat.DeleteRequest{Seq: m1.Seq}, &del)
	if bob.next(id, chat.KindDelete, &ev); ev.ID != del.ID || ev.Target != m1.Seq {
		t.Fatalf("bob got %+v", ev)
	}
	if c := alice.requestErr(id, chat.OpEdit, chat.EditRequest{Seq: m1.Seq, Text: "back"}); c != codec.CodeNotFound {
		t.Fatalf("edit of a deleted message: %s", c)
	}
	page := bob.history(id, 0, 10)
	if got := seqsOf(page.Messages); !slices.Equal(got, []uint64{1, 2, 3, 4}) {
		t.Fatalf("log %v", got)
	}
	if first := page.Messages[0]; !first.Deleted || first.Text != "" || first.Edited == 0 {
		t.Fatalf("deleted message as stored: %+v", first)
	}
}
