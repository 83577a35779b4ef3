package chat_test

import (
	"context"
	"errors"
	"sync"
	"testing"

	"github.com/parlorhq/parlor/chat"
	"github.com/parlorhq/parlor/codec"
	"github.com/parlorhq/parlor/room"
)

// TestDMBothWays: two users open the same direct conversation, whichever
// of them asks, and chat both ways; each message is acked with the seq,
// id and time the server gave it, and reaches both users.
func TestDMBothWays(t *testing.T) {
	e := start(t, chat.Config{})
	alice, bob := e.dial("alice"), e.dial("bob")
	id, snapA := alice.dm("bob")
	idB, snapB := bob.dm("alice")
	if id != idB || len(id) != 64 {
		t.Fatalf("room ids %q and %q", id, idB)
	}
	if snapA.Kind != chat.KindDM || snapA.With != "bob" || snapB.With != "alice" || snapA.Head != 0 || len(snapA.Messages) != 0 {
		t.Fatalf("snapshots %+v / %+v", snapA, snapB)
	}

	m1 := alice.say(id, "  hi bob  ")
	if m1.Seq != 1 || m1.From != "alice" || m1.Text != "hi bob" || m1.ID == "" || m1.Time == 0 || m1.Kind != chat.KindMessage {
		t.Fatalf("ack %+v", m1)
	}
	if got := bob.nextMessage(id); got.ID != m1.ID || got.Text != "hi bob" || got.From != "alice" {
		t.Fatalf("bob got %+v", got)
	}
	m2 := bob.say(id, "hi alice")
	if m2.Seq != 2 || m2.From != "bob" {
		t.Fatalf("ack %+v", m2)
	}
	for _, want := range []chat.Message{m1, m2} {
		if got := alice.nextMessage(id); got.ID != want.ID || got.Seq != want.Seq {
			t.Fatalf("alice got %+v, want %+v", got, want)
		}
	}
	// A later join gets the history and the head.
	tab := e.dial("alice")
	_, snap := tab.dm("bob")
	if snap.Head != 2 || len(snap.Messages) != 2 || snap.Messages[1].Text != "hi alice" || snap.More {
		t.Fatalf("rejoin snapshot %+v", snap)
	}
}

// friends is a CanMessage policy: only listed pairs may talk.
type friends struct {
	mu    sync.Mutex
	pairs map[[2]string]bool
}

func (f *friends) set(a, b string, ok bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if a > b {
		a, b = b, a
	}
	f.pairs[[2]string{a, b}] = ok
}

func (f *friends) CanMessage(_ context.Context, from, to string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	a, b := from, to
	if a > b {
		a, b = b, a
	}
	if !f.pairs[[2]string{a, b}] {
		return errors.New("not connected")
	}
	return nil
}

// TestDMThirdUserRefused: a third user can neither join, read nor send to
// a DM: sending to its id is refused, the policy refuses to open a DM, and
// the room itself refuses a join by someone who is not one of the two.
func TestDMThirdUserRefused(t *testing.T) {
	f := &friends{pairs: map[[2]string]bool{}}
	f.set("alice", "bob", true)
	e := start(t, chat.Config{CanMessage: f.CanMessage})
	alice, bob, carol := e.dial("alice"), e.dial("bob"), e.dial("carol")
	id, _ := alice.dm("bob")
	bob.dm("alice")
	alice.say(id, "secret")

	if c := carol.requestErr(id, chat.OpSend, chat.SendRequest{Text: "let me in"}); c != codec.CodeForbidden {
		t.Fatalf("carol sending to the DM: %s, want forbidden", c)
	}
	if c := carol.requestErr(id, chat.OpHistory, nil); c != codec.CodeForbidden {
		t.Fatalf("carol reading the DM: %s, want forbidden", c)
	}
	for _, with := range []string{"alice", "bob"} {
		if c := carol.joinErr(chat.KindDM, chat.DMParams{With: with}); c != codec.CodeForbidden {
			t.Fatalf("carol opening a DM with %s: %s, want forbidden", with, c)
		}
	}
	// Even reaching the room (which the engine never lets her do: her
	// join resolves elsewhere), carol is refused by the room.
	h := e.chat.DM().NewHandler(id)
	r := room.New(id, chat.KindDM, h, room.Config{})
	r.Start()
	defer func() { r.Shutdown(); <-r.Done() }()
	params, _ := codec.MarshalData(chat.DMParams{With: "alice"})
	err := r.Join(ctxT(t), &fakeSession{id: "s1", user: "carol"}, 1, params)
	if c := code(t, err); c != codec.CodeForbidden {
		t.Fatalf("room-side join of carol: %s, want forbidden", c)
	}

	// A block takes effect at once, for messages in an open DM too.
	f.set("alice", "bob", false)
	if c := alice.requestErr(id, chat.OpSend, chat.SendRequest{Text: "still there?"}); c != codec.CodeForbidden {
		t.Fatalf("send after a block: %s, want forbidden", c)
	}
	if page := alice.history(id, 0, 10); len(page.Messages) != 1 {
		t.Fatalf("a refused message was stored: %+v", page.Messages)
	}
}

// TestCanMessageCodes: a policy's coded error reaches the client as is;
// opening a DM with oneself is refused.
func TestCanMessageCodes(t *testing.T) {
	e := start(t, chat.Config{CanMessage: func(_ context.Context, from, to string) error {
		if to == "stranger" {
			return codec.Errorf("not_connected", "connect first")
		}
		return nil
	}})
	alice := e.dial("alice")
	if c := alice.joinErr(chat.KindDM, chat.DMParams{With: "stranger"}); c != "not_connected" {
		t.Fatalf("got %s, want not_connected", c)
	}
	if c := alice.joinErr(chat.KindDM, chat.DMParams{With: "alice"}); c != codec.CodeBadRequest {
		t.Fatalf("self DM: %s, want bad_request", c)
	}
	if c := alice.joinErr(chat.KindGroup, chat.GroupParams{Create: &chat.CreateGroup{Name: "g", Members: []string{"bob", "stranger"}}}); c != "not_connected" {
		t.Fatalf("group with a stranger: %s, want not_connected", c)
	}
}

// TestSecondTab: every session of a member gets every event: messages,
// the member's own messages from another tab, receipts and typing.
func TestSecondTab(t *testing.T) {
	e := start(t, chat.Config{})
	alice, tab1, tab2 := e.dial("alice"), e.dial("bob"), e.dial("bob")
	id, _ := alice.dm("bob")
	tab1.dm("alice")
	tab2.dm("alice")

	m := alice.say(id, "to both tabs")
	for _, tab := range []*user{tab1, tab2} {
		if got := tab.nextMessage(id); got.ID != m.ID {
			t.Fatalf("tab got %+v", got)
		}
	}
	own := tab1.say(id, "from tab 1")
	if got := tab2.nextMessage(id); got.ID != own.ID {
		t.Fatalf("tab 2 got %+v, want bob's own message from tab 1", got)
	}
	alice.request(id, chat.OpTyping, nil, nil)
	alice.request(id, chat.OpRead, chat.ReadRequest{Seq: 2}, nil)
	for _, tab := range []*user{tab1, tab2} {
		var typing chat.TypingEvent
		tab.next(id, chat.EventTyping, &typing)
		var read chat.ReadEvent
		tab.next(id, chat.EventRead, &read)
		if !typing.Typing || typing.User != "alice" || read.User != "alice" || read.Seq != 2 {
			t.Fatalf("tab got typing %+v, read %+v", typing, read)
		}
	}
}

// fakeSession is a room.Session outside any engine.
type fakeSession struct{ id, user string }

func (s *fakeSession) ID() string                            { return s.id }
func (s *fakeSession) UserID() string                        { return s.user }
func (s *fakeSession) Deliver([]byte) bool                   { return true }
func (s *fakeSession) RoomJoined(*room.Room)                 {}
func (s *fakeSession) RoomLeft(*room.Room, room.LeaveReason) {}

// A block takes effect at once in an open DM for edits as for sends: the
// blocked user cannot put new text before the user who blocked them by
// editing an old message.
func TestDMEditAfterBlockRefused(t *testing.T) {
	f := &friends{pairs: map[[2]string]bool{}}
	f.set("alice", "bob", true)
	e := start(t, chat.Config{CanMessage: f.CanMessage})
	alice, bob := e.dial("alice"), e.dial("bob")
	id, _ := alice.dm("bob")
	bob.dm("alice")
	old := bob.say(id, "hi")
	alice.nextMessage(id)

	f.set("alice", "bob", false) // alice blocks bob
	if c := bob.requestErr(id, chat.OpEdit, chat.EditRequest{Seq: old.Seq, Text: "new text after the block"}); c != codec.CodeForbidden {
		t.Fatalf("an edit after the block: %s, want forbidden", c)
	}
	if got := alice.history(id, 0, 10).Messages; len(got) != 1 || got[0].Text != "hi" || got[0].Edited != 0 {
		t.Fatalf("alice's history after the refused edit: %+v", got)
	}
}
