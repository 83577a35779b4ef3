package chat_test

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"

	"github.com/parlorhq/parlor/chat"
	"github.com/parlorhq/parlor/client"
	"github.com/parlorhq/parlor/codec"
)

// lookupCounter is a MemoryStore that counts the module's Lookup calls.
type lookupCounter struct {
	*chat.MemoryStore
	lookups atomic.Int64
}

func (s *lookupCounter) Lookup(ctx context.Context, roomID, from, clientMsgID string) (chat.Message, error) {
	s.lookups.Add(1)
	return s.MemoryStore.Lookup(ctx, roomID, from, clientMsgID)
}

// TestNewWritesNeedNoLookup: a new message or edit with a client message
// id is stored without a look-up of its id (the store's Append answers
// retries), and a retry that passes the checks is answered by Append. The
// server restarts on the same store in between, so that the retry is not
// answered by the room's own cache of replies.
func TestNewWritesNeedNoLookup(t *testing.T) {
	store := &lookupCounter{MemoryStore: chat.NewMemoryStore()}
	e := start(t, chat.Config{Store: store})
	alice := e.dial("alice")
	id, _ := alice.dm("bob")
	first := alice.say(id, "one", client.WithClientMsgID("c1"))
	alice.say(id, "two", client.WithClientMsgID("c2"))
	var ed chat.Message
	alice.request(id, chat.OpEdit, chat.EditRequest{Seq: first.Seq, Text: "one!"}, &ed, client.WithClientMsgID("c3"))
	e.srv.Stop()
	e = start(t, chat.Config{Store: store})
	alice = e.dial("alice")
	alice.dm("bob")
	if again := alice.say(id, "one", client.WithClientMsgID("c1")); again.ID != first.ID {
		t.Fatalf("retry got %+v, want %+v", again, first)
	}
	if n := store.lookups.Load(); n != 0 {
		t.Fatalf("%d look-ups for writes that passed their checks, want 0", n)
	}
	if page := alice.history(id, 0, 10); len(page.Messages) != 3 {
		t.Fatalf("%d entries stored, want 3", len(page.Messages))
	}
}

// TestRetryPastRefusals: the retry of a stored write is answered with the
// stored entry even when the rate limit, the other user's block, the
// moderation hook or the target's state would refuse it now, while a new
// write is refused as before; and another user is not affected. The
// retries reach a server restarted on the same store, so that the room's
// own cache of replies does not answer them.
func TestRetryPastRefusals(t *testing.T) {
	var blocked, moderated atomic.Bool
	cfg := chat.Config{
		Store:        chat.NewMemoryStore(),
		MessageRate:  0.001,
		MessageBurst: 12,
		CanMessage: func(_ context.Context, from, to string) error {
			if blocked.Load() && from == "alice" {
				return errors.New("blocked")
			}
			return nil
		},
		Moderate: func(_ context.Context, d *chat.Draft) error {
			if moderated.Load() && d.From == "alice" {
				return errors.New("no")
			}
			return nil
		},
	}
	e := start(t, cfg)
	alice := e.dial("alice")
	id, _ := alice.dm("bob")
	first := alice.say(id, "hello", client.WithClientMsgID("c1"))
	var ed chat.Message
	alice.request(id, chat.OpEdit, chat.EditRequest{Seq: first.Seq, Text: "hello!"}, &ed, client.WithClientMsgID("c2"))
	var del chat.Message
	alice.request(id, chat.OpDelete, chat.DeleteRequest{Seq: first.Seq}, &del, client.WithClientMsgID("c3"))
	e.srv.Stop()
	e = start(t, cfg)
	alice, carol := e.dial("alice"), e.dial("carol")
	alice.dm("bob")

	retry := func(what, event string, data any, cmid string, want chat.Message) {
		t.Helper()
		var got chat.Message
		alice.request(id, event, data, &got, client.WithClientMsgID(cmid))
		if got.ID != want.ID || got.Seq != want.Seq || got.Kind != want.Kind {
			t.Fatalf("%s: retry got %+v, want %+v", what, got, want)
		}
	}
	// The target is deleted now: an edit or delete of it is refused, but
	// not their retries.
	retry("deleted target", chat.OpEdit, chat.EditRequest{Seq: first.Seq, Text: "hello!"}, "c2", ed)
	retry("deleted target", chat.OpDelete, chat.DeleteRequest{Seq: first.Seq}, "c3", del)
	retry("invalid payload", chat.OpSend, chat.SendRequest{Text: " "}, "c1", first)
	blocked.Store(true)
	if c := alice.requestErr(id, chat.OpSend, chat.SendRequest{Text: "new"}); c != codec.CodeForbidden {
		t.Fatalf("new message while blocked: %s, want forbidden", c)
	}
	retry("blocked", chat.OpSend, chat.SendRequest{Text: "hello"}, "c1", first)
	blocked.Store(false)
	moderated.Store(true)
	retry("moderated", chat.OpSend, chat.SendRequest{Text: "hello"}, "c1", first)
	moderated.Store(false)
	// Spend the rest of the burst with refused writes.
	for i := 0; ; i++ {
		c := alice.requestErr(id, chat.OpSend, chat.SendRequest{Text: " "})
		if c == codec.CodeRateLimited {
			break
		}
		if c != codec.CodeBadRequest || i == 20 {
			t.Fatalf("blank message %d: %s, want bad_request until rate_limited", i, c)
		}
	}
	retry("rate limited", chat.OpSend, chat.SendRequest{Text: "hello"}, "c1", first)
	// A new client message id past the rate is refused, and not stored.
	if _, err := alice.Send(ctxT(t), id, chat.OpSend, chat.SendRequest{Text: "new"}, client.WithClientMsgID("c9")); code(t, err) != codec.CodeRateLimited {
		t.Fatalf("new id past the rate: %v, want rate_limited", err)
	}
	if page := alice.history(id, 0, 10); len(page.Messages) != 3 {
		t.Fatalf("%d entries stored, want 3", len(page.Messages))
	}
	// A bystander writes as usual.
	cid, _ := carol.dm("bob")
	carol.say(cid, "hi bob", client.WithClientMsgID("c1"))
}
