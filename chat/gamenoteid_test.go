package chat_test

import (
	"testing"

	"github.com/parlorhq/parlor/chat"
	"github.com/parlorhq/parlor/client"
	"github.com/parlorhq/parlor/codec"
)

// Client message ids starting with "game:" are the game notes' own
// (AddGameNote): a client that takes one is refused, so that it cannot
// stand in for a note and keep it from being written.
func TestGameNoteIDsReserved(t *testing.T) {
	e := start(t, chat.Config{})
	alice := e.dial("alice")
	id, _ := alice.dm("bob")
	fin := offer("match7")
	fin.State, fin.Winner, fin.Reason = chat.GameFinished, "bob", "checkmate"
	_, err := alice.Send(ctxT(t), id, chat.OpSend, chat.SendRequest{Text: "gg"}, client.WithClientMsgID("game:finished:match7"))
	if c := codec.AsError(err).Code; c != codec.CodeBadRequest {
		t.Fatalf("a send with a game note's id: %v, want bad_request", err)
	}
	got, err := e.note("alice", "bob", fin)
	if err != nil {
		t.Fatal(err)
	}
	if got.Kind != chat.KindGame || got.Game == nil || got.Game.State != chat.GameFinished {
		t.Fatalf("AddGameNote returned %s %q, want the note", got.Kind, got.Text)
	}
}
