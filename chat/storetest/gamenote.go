package storetest

import (
	"testing"

	"github.com/parlorhq/parlor/chat"
)

// testGameNote: a KindGame entry keeps its note through Append, Get,
// History and Lookup; it is not unread and is not the last message.
func testGameNote(t *testing.T, s chat.Store) {
	fill(t, s, "d", 1, 1, "a", "b")
	note := chat.GameNote{Ref: "match1", Game: "chess", State: chat.GameFinished, From: "a",
		Nonce: "n1", BaseMS: 300000, IncrementMS: 3000, Winner: "b", Reason: "checkmate", Ply: 34}
	e := chat.Message{Room: "d", Seq: 2, ID: "g", Kind: chat.KindGame, From: "a", Time: 2000,
		ClientMsgID: "game:finished:match1", Game: &note}
	mustAppend(t, s, chat.Write{Entry: e})
	check := func(where string, m chat.Message) {
		t.Helper()
		if m.Kind != chat.KindGame || m.Game == nil || *m.Game != note || m.Text != "" {
			t.Fatalf("%s: %+v (note %+v), want note %+v", where, m, m.Game, note)
		}
	}
	got, err := s.Get(ctx, "d", 2)
	if err != nil {
		t.Fatal(err)
	}
	check("Get", got)
	h, _ := s.History(ctx, "d", 0, 10)
	if len(h) != 2 || h[0].Game != nil {
		t.Fatalf("history: %+v", h)
	}
	check("History", h[1])
	got, err = s.Lookup(ctx, "d", "a", "game:finished:match1")
	if err != nil {
		t.Fatal(err)
	}
	check("Lookup", got)
	if n, _ := s.Unread(ctx, "d", "b", 100); n != 1 {
		t.Fatalf("unread with a game note: %d, want 1 (the message only)", n)
	}
	if st, _ := s.State(ctx, "d"); st.Head != 2 || st.Last == nil || st.Last.Seq != 1 {
		t.Fatalf("state after a game note: %+v", st)
	}
	// The store keeps its own copy.
	got.Game.Winner = "changed"
	if again, _ := s.Get(ctx, "d", 2); again.Game == nil || again.Game.Winner != "b" {
		t.Fatalf("a caller's change reached the store: %+v", again.Game)
	}
}
