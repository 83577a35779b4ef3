package chat_test

import (
	"context"
	"path/filepath"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	"github.com/parlorhq/parlor/chat"
	"github.com/parlorhq/parlor/chat/boltstore"
	"github.com/parlorhq/parlor/codec"
)

// nextStored waits for the next AfterStore call.
func nextStored(t *testing.T, ch <-chan chat.Stored) chat.Stored {
	t.Helper()
	select {
	case s := <-ch:
		return s
	case <-time.After(wait):
		t.Fatal("no AfterStore call")
		return chat.Stored{}
	}
}

// find returns the conversation of room in list.
func find(list []chat.Conversation, room string) (chat.Conversation, bool) {
	for _, c := range list {
		if c.Room == room {
			return c, true
		}
	}
	return chat.Conversation{}, false
}

// TestMute: a muted conversation still counts unread messages, but the
// user's inbox entries say muted and AfterStore leaves the user out of
// Offline; it survives a restart on the same bbolt file; the other
// members see nothing of it.
func TestMute(t *testing.T) {
	path := filepath.Join(t.TempDir(), "chat.db")
	open := func() *boltstore.Store {
		st, err := boltstore.Open(path, boltstore.Options{})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = st.Close() })
		return st
	}
	stored := make(chan chat.Stored, 10)
	st := open()
	e := start(t, chat.Config{Store: st, AfterStore: func(_ context.Context, s chat.Stored) { stored <- s }})
	alice, bob, carol := e.dial("alice"), e.dial("bob"), e.dial("carol")
	id, _ := alice.createGroup("team", "bob", "carol")
	bobInbox, _ := bob.inbox()
	carolInbox, _ := carol.inbox()

	bob.join(chat.KindGroup, chat.GroupParams{ID: id}, nil)
	if c := bob.requestErr(id, chat.OpMute, map[string]any{"muted": true, "for": "1h"}); c != codec.CodeBadRequest {
		t.Fatalf("mute with an unknown field: %s, want bad_request", c)
	}
	var set chat.Settings
	bob.request(id, chat.OpMute, chat.MuteRequest{Muted: true}, &set)
	if set != (chat.Settings{Muted: true}) {
		t.Fatalf("mute reply %+v", set)
	}
	if c := bob.nextInbox(bobInbox); c.Room != id || !c.Muted {
		t.Fatalf("bob's inbox after muting: %+v", c)
	}
	if err := bob.Leave(ctxT(t), id); err != nil {
		t.Fatal(err)
	}

	alice.say(id, "hello")
	if c := bob.nextInbox(bobInbox); !c.Muted || c.Unread != 1 || c.Last == nil || c.Last.Text != "hello" {
		t.Fatalf("bob's inbox update for a muted group: %+v", c)
	}
	if c := carol.nextInbox(carolInbox); c.Muted || c.Unread != 1 {
		t.Fatalf("carol's inbox update: %+v", c)
	}
	if s := nextStored(t, stored); !slices.Equal(s.Offline, []string{"carol"}) {
		t.Fatalf("AfterStore's offline members %v, want carol only (bob muted)", s.Offline)
	}

	e.srv.Stop()
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}
	e = start(t, chat.Config{Store: open(), AfterStore: func(_ context.Context, s chat.Stored) { stored <- s }})
	alice, bob, carol = e.dial("alice"), e.dial("bob"), e.dial("carol")
	_, list := bob.inbox()
	if c, ok := find(list, id); !ok || !c.Muted || c.Unread != 1 {
		t.Fatalf("bob's inbox after restart: %+v", list)
	}
	_, list = carol.inbox()
	if c, ok := find(list, id); !ok || c.Muted {
		t.Fatalf("carol's inbox after restart: %+v", list)
	}
	var snap chat.Snapshot
	bob.join(chat.KindGroup, chat.GroupParams{ID: id}, &snap)
	if !snap.Muted || snap.Hidden {
		t.Fatalf("bob's snapshot after restart: muted %v, hidden %v", snap.Muted, snap.Hidden)
	}
	var aliceSnap chat.Snapshot
	alice.join(chat.KindGroup, chat.GroupParams{ID: id}, &aliceSnap)
	if aliceSnap.Muted {
		t.Fatal("alice's snapshot says muted")
	}
	bob.request(id, chat.OpMute, chat.MuteRequest{}, &set)
	if set != (chat.Settings{}) {
		t.Fatalf("unmute reply %+v", set)
	}
	if err := bob.Leave(ctxT(t), id); err != nil {
		t.Fatal(err)
	}
	alice.say(id, "again")
	if s := nextStored(t, stored); !slices.Equal(s.Offline, []string{"bob", "carol"}) {
		t.Fatalf("AfterStore's offline members after unmuting: %v", s.Offline)
	}
}

// TestHide: a hidden DM leaves the user's inbox (not the other user's),
// stays out through edits, and comes back with the next message, or when
// the user shows it again.
func TestHide(t *testing.T) {
	e := start(t, chat.Config{})
	alice, bob := e.dial("alice"), e.dial("bob")
	dm, _ := alice.dm("bob")
	first := alice.say(dm, "hi")
	bob.dm("alice")
	bobInbox, list := bob.inbox()
	if _, ok := find(list, dm); !ok {
		t.Fatalf("bob's inbox %+v", list)
	}

	var set chat.Settings
	bob.request(dm, chat.OpHide, chat.HideRequest{Hidden: true}, &set)
	if set != (chat.Settings{Hidden: true}) {
		t.Fatalf("hide reply %+v", set)
	}
	if c := bob.nextInbox(bobInbox); c.Room != dm || !c.Hidden {
		t.Fatalf("bob's inbox after hiding: %+v", c)
	}
	if _, list = e.dial("bob").inbox(); len(list) != 0 {
		t.Fatalf("bob's inbox lists a hidden DM: %+v", list)
	}
	if _, list = e.dial("alice").inbox(); len(list) != 1 || list[0].Room != dm {
		t.Fatalf("alice's inbox %+v", list)
	}
	var snap chat.Snapshot
	e.dial("bob").join(chat.KindDM, chat.DMParams{With: "alice"}, &snap)
	if !snap.Hidden {
		t.Fatal("bob's snapshot does not say hidden")
	}

	// An edit does not bring it back; a message does.
	alice.request(dm, chat.OpEdit, chat.EditRequest{Seq: first.Seq, Text: "hello"}, nil)
	if _, list = e.dial("bob").inbox(); len(list) != 0 {
		t.Fatalf("bob's inbox after an edit: %+v", list)
	}
	alice.say(dm, "still there?")
	if c := bob.nextInbox(bobInbox); c.Room != dm || c.Hidden || c.Unread != 2 {
		t.Fatalf("bob's inbox after a new message: %+v", c)
	}
	if _, list = e.dial("bob").inbox(); len(list) != 1 {
		t.Fatalf("bob's inbox after a new message: %+v", list)
	}

	// Hidden again, then shown by hand.
	bob.request(dm, chat.OpHide, chat.HideRequest{Hidden: true}, nil)
	bob.nextInbox(bobInbox)
	bob.request(dm, chat.OpHide, chat.HideRequest{}, &set)
	if set != (chat.Settings{}) {
		t.Fatalf("show reply %+v", set)
	}
	if c := bob.nextInbox(bobInbox); c.Room != dm || c.Hidden || c.With != "alice" {
		t.Fatalf("bob's inbox after showing: %+v", c)
	}
}

// TestSettingsRateLimit: mute and hide take the write rate limit of the
// user; another user of the conversation is not slowed down.
func TestSettingsRateLimit(t *testing.T) {
	e := start(t, chat.Config{MessageRate: 0.001, MessageBurst: 2})
	alice, bob := e.dial("alice"), e.dial("bob")
	dm, _ := alice.dm("bob")
	bob.dm("alice")
	bob.request(dm, chat.OpMute, chat.MuteRequest{Muted: true}, nil)
	bob.request(dm, chat.OpHide, chat.HideRequest{Hidden: true}, nil)
	if c := bob.requestErr(dm, chat.OpMute, chat.MuteRequest{}); c != codec.CodeRateLimited {
		t.Fatalf("third change: %s, want rate_limited", c)
	}
	alice.say(dm, "one")
	alice.say(dm, "two")
}

// lateSettingsStore is a real MemoryStore whose next SetSettings, once
// armed, answers after the caller's deadline, having stored the settings.
type lateSettingsStore struct {
	*chat.MemoryStore
	armed atomic.Bool
}

func (s *lateSettingsStore) SetSettings(ctx context.Context, room, user string, st chat.Settings) error {
	if s.armed.CompareAndSwap(true, false) {
		<-ctx.Done()
		return s.MemoryStore.SetSettings(context.Background(), room, user, st)
	}
	return s.MemoryStore.SetSettings(ctx, room, user, st)
}

// TestHideTimeout: a hide whose store call outlives Config.OpTimeout
// fails with unavailable; the other user carries on, and a retry goes
// through and reaches the user's inbox.
func TestHideTimeout(t *testing.T) {
	st := &lateSettingsStore{MemoryStore: chat.NewMemoryStore()}
	e := start(t, chat.Config{Store: st, OpTimeout: 200 * time.Millisecond})
	alice, bob := e.dial("alice"), e.dial("bob")
	dm, _ := alice.dm("bob")
	alice.say(dm, "hi")
	bob.dm("alice")
	inbox, _ := bob.inbox()

	st.armed.Store(true)
	if c := bob.requestErr(dm, chat.OpHide, chat.HideRequest{Hidden: true}); c != codec.CodeUnavailable {
		t.Fatalf("slow hide: %s, want unavailable", c)
	}
	alice.say(dm, "still here")
	if m := bob.nextMessage(dm); m.Text != "still here" {
		t.Fatalf("bob got %+v", m)
	}
	bob.request(dm, chat.OpHide, chat.HideRequest{Hidden: true}, nil)
	for {
		if c := bob.nextInbox(inbox); c.Hidden {
			break
		}
	}
	if _, list := e.dial("bob").inbox(); len(list) != 0 {
		t.Fatalf("bob's inbox after the retried hide: %+v", list)
	}
}
