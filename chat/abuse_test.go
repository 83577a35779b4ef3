package chat_test

// Abuse tests of the chat modules over real WebSockets; docs/security.md
// lists them with the engine's.

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/parlorhq/parlor/chat"
	"github.com/parlorhq/parlor/codec"
	"github.com/parlorhq/parlor/engine"
	"github.com/parlorhq/parlor/internal/testserver"
	"github.com/parlorhq/parlor/room"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"
)

// TestAbuseChatSpoofedSender: payload fields that name another user
// ("from", "user", "sender", "author") are refused (bad_request) in every
// request, so they can never change who the server says sent a message, a
// receipt or a typing indicator, nor whose message an edit or delete may
// touch; the same requests without them are attributed to the sender.
func TestAbuseChatSpoofedSender(t *testing.T) {
	e := start(t, chat.Config{})
	alice, bob := e.dial("alice"), e.dial("bob")
	id, _ := alice.dm("bob")
	bob.dm("alice")
	mb := bob.say(id, "bob's own")
	bob.nextMessage(id) // his own

	for _, c := range []struct {
		event string
		data  any
	}{
		{chat.OpSend, map[string]any{"text": "I am bob", "from": "bob", "user": "bob", "sender": "bob", "author": "bob", "id": mb.ID, "seq": 99}},
		{chat.OpSend, map[string]any{"text": "I am bob", "from": "bob"}},
		{chat.OpEdit, map[string]any{"seq": mb.Seq, "text": "edited by alice", "from": "bob", "user": "bob"}},
		{chat.OpDelete, map[string]any{"seq": mb.Seq, "from": "bob", "user": "bob"}},
		{chat.OpRead, map[string]any{"seq": mb.Seq, "user": "bob"}},
		{chat.OpTyping, map[string]any{"user": "bob"}},
	} {
		if code := alice.requestErr(id, c.event, c.data); code != codec.CodeBadRequest {
			t.Fatalf("%s %v by alice: %s, want bad_request", c.event, c.data, code)
		}
	}
	// Without the spoofed fields, bob's message is still not alice's to
	// change.
	for _, c := range []struct {
		event string
		data  any
	}{
		{chat.OpEdit, chat.EditRequest{Seq: mb.Seq, Text: "edited by alice"}},
		{chat.OpDelete, chat.DeleteRequest{Seq: mb.Seq}},
	} {
		if code := alice.requestErr(id, c.event, c.data); code != codec.CodeForbidden {
			t.Fatalf("%s of bob's message by alice: %s, want forbidden", c.event, code)
		}
	}
	// What alice does send is hers: a receipt, a typing indicator, a
	// message. None of the refused requests reached bob first.
	alice.request(id, chat.OpRead, chat.ReadRequest{Seq: mb.Seq}, nil)
	var read chat.ReadEvent
	if ev := bob.nextAny(id, chat.EventPresence); ev.Name != chat.EventRead || ev.Decode(&read) != nil || read.User != "alice" {
		t.Fatalf("bob's next event %s %+v, want alice's receipt", ev.Name, read)
	}
	alice.request(id, chat.OpTyping, nil, nil)
	var typing chat.TypingEvent
	bob.next(id, chat.EventTyping, &typing)
	if typing.User != "alice" || !typing.Typing {
		t.Fatalf("typing event %+v, want alice's", typing)
	}
	m := alice.say(id, "from alice")
	if got := bob.nextAny(id, chat.EventPresence, chat.EventTyping); got.Name != chat.KindMessage || got.Seq != m.Seq {
		t.Fatalf("bob's next event %s seq %d, want alice's message %d", got.Name, got.Seq, m.Seq)
	}
	if m.From != "alice" || m.Seq != mb.Seq+1 {
		t.Fatalf("ack %+v, want the next message, from alice", m)
	}

	// The stored log holds exactly the two messages, each by its
	// author, bob's untouched.
	page := bob.history(id, 0, 10)
	if len(page.Messages) != 2 {
		t.Fatalf("log %+v, want two messages", page.Messages)
	}
	if p := page.Messages[0]; p.From != "bob" || p.Text != "bob's own" || p.Edited != 0 || p.Deleted {
		t.Fatalf("bob's message as stored: %+v", p)
	}
	if p := page.Messages[1]; p.From != "alice" || p.Text != "from alice" {
		t.Fatalf("alice's message as stored: %+v", p)
	}
}

// TestAbuseForeignDM: a third user cannot reach a direct conversation of
// two others by any join: join parameters naming the two users resolve
// to the joiner's own conversation with one of them, and a DM's room id
// given as a group id is refused. Room ids are keyed hashes, so the id of
// alice and bob's conversation cannot be computed without the secret.
// (Sending to, reading or leaving the room by its id is forbidden:
// TestDMThirdUserRefused.)
func TestAbuseForeignDM(t *testing.T) {
	e := start(t, chat.Config{})
	alice, bob, carol := e.dial("alice"), e.dial("bob"), e.dial("carol")
	id, _ := alice.dm("bob")
	bob.dm("alice")
	secret := alice.say(id, "for bob only")

	// The id is the keyed hash of the two users under the server's
	// secret, and nothing an outsider can compute.
	key := []byte("parlor test secret") // testserver's default secret
	if want := room.KeyedID(key, chat.KindDM, "alice", "bob"); id != want {
		t.Fatalf("DM id %s, want the keyed id %s", id, want)
	}
	for _, guess := range []string{
		room.KeyedID(nil, chat.KindDM, "alice", "bob"),
		room.KeyedID([]byte("guessed secret"), chat.KindDM, "alice", "bob"),
		room.KeyedID(key, chat.KindGroup, "alice", "bob"),
	} {
		if guess == id {
			t.Fatalf("the DM id can be computed without the secret: %s", guess)
		}
	}

	// Join parameters that name alice and bob beside "with" are refused;
	// with "with" alone, the joiner is always one of the two users hashed.
	tries := []any{
		map[string]any{"with": "bob", "from": "alice", "user": "alice"},
		map[string]any{"with": "alice", "users": []string{"alice", "bob"}, "members": []string{"alice", "bob"}},
		map[string]any{"with": "bob", "as": "alice", "room": id, "id": id},
	}
	for _, params := range tries {
		if code := carol.joinErr(chat.KindDM, params); code != codec.CodeBadRequest {
			t.Fatalf("carol's join %v: %s, want bad_request", params, code)
		}
	}
	for _, with := range []string{"alice", "bob"} {
		var snap chat.Snapshot
		j := carol.join(chat.KindDM, chat.DMParams{With: with}, &snap)
		if want := room.KeyedID(key, chat.KindDM, "carol", with); j.Room != want || snap.With != with {
			t.Fatalf("carol's join with %s: room %s with %q, want her own conversation %s", with, j.Room, snap.With, want)
		}
		for _, m := range snap.Messages {
			if m.ID == secret.ID || m.Text == secret.Text {
				t.Fatalf("carol's snapshot holds alice's message %+v", m)
			}
		}
	}
	// A DM's id is not a group id; nor is it a room of any other kind.
	for _, params := range []any{chat.GroupParams{ID: id}, chat.GroupParams{ID: id[:32]}} {
		if code := carol.joinErr(chat.KindGroup, params); code != codec.CodeNotFound {
			t.Fatalf("carol joining group %v: %s, want not_found", params, code)
		}
	}
	if code := alice.joinErr(chat.KindGroup, chat.GroupParams{ID: id}); code != codec.CodeNotFound {
		t.Fatalf("alice joining her DM as a group: %s, want not_found", code)
	}
	// The inbox module takes no parameters into its id: carol's inbox
	// join naming alice is carol's own inbox.
	j := carol.join(chat.KindInbox, map[string]any{"user": "alice", "with": "alice"}, nil)
	if want := room.KeyedID(key, chat.KindInbox, "carol"); j.Room != want {
		t.Fatalf("carol's inbox join naming alice: room %s, want carol's inbox %s", j.Room, want)
	}

	// Alice and bob's conversation is intact: it holds their message
	// only, and carries on.
	m2 := bob.say(id, "still private")
	if got := alice.nextMessage(id); got.ID != secret.ID {
		t.Fatalf("alice got %+v", got)
	}
	if got := alice.nextMessage(id); got.ID != m2.ID {
		t.Fatalf("alice got %+v", got)
	}
	if page := alice.history(id, 0, 10); len(page.Messages) != 2 || page.Messages[0].ID != secret.ID || page.Messages[1].ID != m2.ID {
		t.Fatalf("history %+v, want the two messages", page.Messages)
	}
}

// TestAbuseChatLogsHoldNoContents: with logging at debug level, nothing the
// engine or the chat modules log holds message text, refused text, join
// parameters or a rejected frame's bytes.
func TestAbuseChatLogsHoldNoContents(t *testing.T) {
	core, logs := observer.New(zapcore.DebugLevel)
	log := zap.New(core)
	c := chat.New(chat.Config{MessageRate: -1, MaxTextLen: 64, Logger: log.Named("chat"), CanMessage: func(_ context.Context, from, to string) error {
		if to == "mallory" || from == "mallory" {
			return codec.Errorf("blocked", "no")
		}
		return nil
	}})
	srv := testserver.Start(t, engine.Config{Logger: log}, c.Modules()...)
	e := &env{t: t, srv: srv, chat: c}
	alice, bob, mallory := e.dial("alice"), e.dial("bob"), e.dial("mallory")
	const marker = "SECRET-MARKER-7f3a"
	id, _ := alice.dm("bob")
	bob.dm("alice")
	alice.say(id, marker+" hello")
	bob.nextMessage(id)
	bob.request(id, chat.OpRead, chat.ReadRequest{Seq: 1}, nil)
	if code := alice.requestErr(id, chat.OpSend, chat.SendRequest{Text: strings.Repeat(marker, 10)}); code != codec.CodeTooLarge {
		t.Fatalf("oversize text: %s", code)
	}
	if code := mallory.requestErr(id, chat.OpSend, chat.SendRequest{Text: marker}); code != codec.CodeForbidden {
		t.Fatalf("mallory's send: %s", code)
	}
	if code := mallory.joinErr(chat.KindDM, map[string]string{"with": "alice", "note": marker}); code != codec.CodeBadRequest {
		t.Fatalf("mallory's join with an extra field: %s", code)
	}
	if code := mallory.joinErr(chat.KindDM, chat.DMParams{With: "alice"}); code != "blocked" {
		t.Fatalf("mallory's join: %s", code)
	}
	var gs chat.Snapshot
	alice.join(chat.KindGroup, chat.GroupParams{Create: &chat.CreateGroup{Name: marker[:16], Members: []string{"bob"}}}, &gs)
	// A protocol violation whose bytes hold the marker.
	bad := append(codec.AppendSend(nil, 1, id, "send", []byte(marker), ""), 0xc1)
	if err := mallory.WriteRaw(bad); err != nil {
		t.Fatal(err)
	}
	<-mallory.Done()
	// Shut down, so that every log line of the session is written.
	srv.Stop()

	if logs.Len() == 0 {
		t.Fatal("nothing was logged: the check would prove nothing")
	}
	needles := []string{marker, marker[:16]}
	for _, entry := range logs.All() {
		text := entry.Message
		for k, v := range entry.ContextMap() {
			text += " " + k + "=" + stringify(v)
		}
		for _, n := range needles {
			if strings.Contains(text, n) {
				t.Errorf("a %s log line holds message contents: %s", entry.Level, text)
			}
		}
	}
	t.Logf("%d log lines checked", logs.Len())
}

func stringify(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case []byte:
		return string(x)
	}
	return fmt.Sprint(v)
}
