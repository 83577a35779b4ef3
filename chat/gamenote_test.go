package chat_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/parlorhq/parlor/chat"
	"github.com/parlorhq/parlor/codec"
	"github.com/parlorhq/parlor/engine"
	"github.com/parlorhq/parlor/internal/testserver"
	"github.com/parlorhq/parlor/room"
)

// offer is alice's chess challenge to bob, with ref.
func offer(ref string) chat.GameNote {
	return chat.GameNote{Ref: ref, Game: "chess", State: chat.GameOffered, From: "alice", Nonce: "n-" + ref, BaseMS: 300000, IncrementMS: 3000}
}

func (e *env) note(a, b string, n chat.GameNote) (chat.Message, error) {
	return e.chat.AddGameNote(context.Background(), chat.DMRoomID(e.srv.Engine.Secret(), a, b), a, b, n)
}

// TestGameNoteBeforeAnyoneJoins writes a note to a conversation whose room
// is not running and that has no record yet: it is created, and the note
// is in the first snapshot, once.
func TestGameNoteBeforeAnyoneJoins(t *testing.T) {
	e := start(t, chat.Config{})
	m, err := e.note("alice", "bob", offer("m1"))
	if err != nil {
		t.Fatal(err)
	}
	if m.Seq != 1 || m.Kind != chat.KindGame || m.From != "alice" || m.Game == nil || m.Game.Ref != "m1" {
		t.Fatalf("stored note: %+v", m)
	}
	again, err := e.note("bob", "alice", offer("m1"))
	if err != nil || again.Seq != 1 || again.ID != m.ID {
		t.Fatalf("the same note again: %+v, %v; want the stored one", again, err)
	}
	bob := e.dial("bob")
	_, snap := bob.dm("alice")
	if len(snap.Messages) != 1 || snap.Messages[0].Game == nil || *snap.Messages[0].Game != offer("m1") || snap.Head != 1 {
		t.Fatalf("bob's snapshot: %+v", snap)
	}
	// Messages go on from the note's seq.
	if msg := bob.say(chat.DMRoomID(e.srv.Engine.Secret(), "alice", "bob"), "ok"); msg.Seq != 2 {
		t.Fatalf("message after the note: seq %d, want 2", msg.Seq)
	}
}

// TestGameNoteLive writes notes while both users have the conversation
// open: they get each as a "game" event in log order.
func TestGameNoteLive(t *testing.T) {
	e := start(t, chat.Config{})
	alice, bob := e.dial("alice"), e.dial("bob")
	id, _ := alice.dm("bob")
	bob.dm("alice")
	alice.say(id, "fancy a game?")
	bob.nextMessage(id)
	if _, err := e.note("alice", "bob", offer("m2")); err != nil {
		t.Fatal(err)
	}
	declined := offer("m2")
	declined.State, declined.By = chat.GameDeclined, "bob"
	if _, err := e.note("alice", "bob", declined); err != nil {
		t.Fatal(err)
	}
	for _, u := range []*user{alice, bob} {
		var got []chat.Message
		for len(got) < 2 {
			var m chat.Message
			ev := u.next(id, chat.KindGame, &m)
			if ev.Seq != m.Seq {
				t.Fatalf("event seq %d, entry seq %d", ev.Seq, m.Seq)
			}
			got = append(got, m)
		}
		if got[0].Seq != 2 || got[0].Game.State != chat.GameOffered || got[1].Seq != 3 || got[1].Game.State != chat.GameDeclined || got[1].From != "bob" {
			t.Fatalf("%s got %+v %+v", u.UserID(), got[0], got[1])
		}
	}
	// A message from a client continues the same log.
	if m := bob.say(id, "next time"); m.Seq != 4 {
		t.Fatalf("seq after notes: %d", m.Seq)
	}
}

// TestGameNoteRules refuses notes that break the rules, and notes the
// policy or the author's quota refuses, without touching anyone's log.
func TestGameNoteRules(t *testing.T) {
	e := start(t, chat.Config{
		DailyBytesPerUser: 200,
		CanMessage: func(_ context.Context, from, to string) error {
			if from == "mallory" || to == "mallory" {
				return errors.New("blocked")
			}
			return nil
		},
	})
	bad := map[string]func(n *chat.GameNote){
		"state":        func(n *chat.GameNote) { n.State = "won" },
		"outsider":     func(n *chat.GameNote) { n.From = "carol" },
		"winner":       func(n *chat.GameNote) { n.Winner = "carol" },
		"ref":          func(n *chat.GameNote) { n.Ref = "a b" },
		"empty game":   func(n *chat.GameNote) { n.Game = "" },
		"long reason":  func(n *chat.GameNote) { n.Reason = string(make([]byte, chat.MaxGameWordLen+1)) },
		"clock":        func(n *chat.GameNote) { n.BaseMS = -1 },
		"ply":          func(n *chat.GameNote) { n.Ply = chat.MaxGamePly + 1 },
		"reason chars": func(n *chat.GameNote) { n.Reason = "<b>" },
	}
	for name, mutate := range bad {
		n := offer("r1")
		mutate(&n)
		if _, err := e.note("alice", "bob", n); !errors.Is(err, chat.ErrInvalidGameNote) {
			t.Errorf("%s: %v, want ErrInvalidGameNote", name, err)
		}
	}
	if _, err := e.note("alice", "alice", offer("r1")); !errors.Is(err, chat.ErrInvalidGameNote) {
		t.Errorf("a note to oneself: %v", err)
	}

	// The policy: mallory may not write to bob.
	n := offer("r2")
	n.From = "mallory"
	if _, err := e.note("mallory", "bob", n); code(t, err) != codec.CodeForbidden {
		t.Fatalf("mallory's note: %v, want forbidden", err)
	}

	// The author's daily bytes: alice runs out, bob (a bystander) does not.
	var err error
	for i := 0; err == nil && i < 10; i++ {
		_, err = e.note("alice", "bob", offer(fmt.Sprint("q", i)))
	}
	if code(t, err) != codec.CodeLimitExceeded {
		t.Fatalf("alice past her daily bytes: %v, want limit_exceeded", err)
	}
	n = offer("b1")
	n.From = "bob"
	if _, err := e.note("bob", "carol", n); err != nil {
		t.Fatalf("bystander bob's note: %v", err)
	}
	// Nothing refused reached the log.
	bob := e.dial("bob")
	_, snap := bob.dm("alice")
	for _, m := range snap.Messages {
		if m.Game == nil || m.Game.From != "alice" || m.Game.Ref[0] != 'q' {
			t.Fatalf("unexpected entry %+v", m)
		}
	}
}

// TestGameNotesWhileRoomsComeAndGo writes notes while the room starts and
// stops under them: every note is stored once, in a log without gaps.
func TestGameNotesWhileRoomsComeAndGo(t *testing.T) {
	// Rooms close as soon as their last member leaves.
	c := chat.New(chat.Config{MessageRate: -1})
	srv := testserver.Start(t, engine.Config{Room: room.Config{IdleTTL: time.Millisecond}}, c.Modules()...)
	e := &env{t: t, srv: srv, chat: c}
	id := chat.DMRoomID(e.srv.Engine.Secret(), "alice", "bob")
	const notes = 40
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for i := range notes {
			if _, err := e.note("alice", "bob", offer(fmt.Sprint("c", i))); err != nil {
				t.Errorf("note %d: %v", i, err)
				return
			}
		}
	}()
	bob := e.dial("bob")
	for range 10 {
		bob.dm("alice")
		if err := bob.Leave(ctxT(t), id); err != nil {
			t.Fatal(err)
		}
	}
	wg.Wait()
	_, snap := bob.dm("alice")
	page := bob.history(id, 0, 100)
	if snap.Head != notes || len(page.Messages) != notes {
		t.Fatalf("head %d, %d entries; want %d", snap.Head, len(page.Messages), notes)
	}
	for i, m := range page.Messages {
		if m.Seq != uint64(i+1) || m.Kind != chat.KindGame {
			t.Fatalf("entry %d: %+v", i, m)
		}
	}
}
