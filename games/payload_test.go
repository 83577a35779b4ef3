package games_test

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/parlorhq/parlor/codec"
	"github.com/parlorhq/parlor/engine"
	"github.com/parlorhq/parlor/games"
	"github.com/parlorhq/parlor/games/gamestest"
	"github.com/parlorhq/parlor/games/tictactoe"
	"github.com/parlorhq/parlor/internal/testserver"
)

const tttKind = "games.tictactoe"

// mustRaw encodes v as a move payload.
func mustRaw(t *testing.T, v any) []byte {
	t.Helper()
	raw, err := codec.MarshalData(v)
	if err != nil {
		t.Fatal(err)
	}
	return raw
}

// expectUntouched fails unless a spectator of room sees a match at ply with
// board.
func expectUntouched(t *testing.T, s *testserver.Server, user, roomID string, ply int, board string) {
	t.Helper()
	w := gamestest.Watch(t, s, tttKind, user, roomID)
	var v tictactoe.View
	if err := codec.UnmarshalData(w.Joined.View, &v); err != nil {
		t.Fatal(err)
	}
	if w.Joined.Ply != ply || w.Joined.LogLen != ply || v.Board != board || w.Joined.Status != games.StatusPlaying {
		t.Fatalf("%s sees ply %d log %d board %s status %s, want ply %d board %s playing",
			user, w.Joined.Ply, w.Joined.LogLen, v.Board, w.Joined.Status, ply, board)
	}
}

// TestMovePayloadShape sends moves with keys the game's move type does not
// have, and moves over the size limit: each is refused and changes
// nothing, in its match or in a bystander's.
func TestMovePayloadShape(t *testing.T) {
	s := testserver.Start(t, engine.Config{}, games.NewModule(tictactoe.Game{}, games.Config{}))
	x, o := gamestest.Pair(t, s, tttKind, "alice", "bob")
	// A bystander match, one move in.
	carol, dave := gamestest.Pair(t, s, tttKind, "carol", "dave")
	carol.MustMove(map[string]int{"cell": 0})

	pad := strings.Repeat("x", 200)
	for _, tc := range []struct {
		name string
		move any
		code codec.Code
	}{
		{"an extra key", map[string]any{"cell": 4, "note": "hi"}, codec.CodeBadRequest},
		{"an extra key and ply", map[string]any{"cell": 4, "ply": 0, "note": pad}, codec.CodeBadRequest},
		{"ply given twice", []byte("\x83\xa3ply\x00\xa4cell\x04\xa3ply\x00"), codec.CodeBadRequest},
		{"ply not an integer", map[string]any{"cell": 4, "ply": "0"}, codec.CodeBadRequest},
		{"not a map", []byte("\x04"), codec.CodeBadRequest},
		{"a wrong type", map[string]any{"cell": "4"}, codec.CodeBadRequest},
		{"over the default 256 bytes", map[string]any{"cell": 4, "note": pad + pad}, codec.CodeTooLarge},
		{"over the limit and out of turn", map[string]any{"cell": 4, "note": pad + pad}, codec.CodeTooLarge},
	} {
		p := x
		if strings.Contains(tc.name, "out of turn") {
			p = o
		}
		if err := p.Move(tc.move); gamestest.Code(err) != tc.code {
			t.Errorf("move with %s: %v, want %s", tc.name, err, tc.code)
		}
	}
	expectUntouched(t, s, "erin", x.Room, 0, ".........")

	// The bystanders play on.
	dave.MustMove(map[string]int{"cell": 4})
	expectUntouched(t, s, "frank", carol.Room, 2, "X...O....")

	// A good move with the toolkit's ply key is applied, and what is
	// logged and sent on is the game's move alone, re-encoded.
	w := gamestest.Watch(t, s, tttKind, "gina", x.Room)
	x.MustMove([]byte("\x82\xa3ply\x00\xa4cell\xd3\x00\x00\x00\x00\x00\x00\x00\x04")) // cell as an int64
	canonical := []byte("\x81\xa4cell\x04")
	var m games.Moved
	w.Expect(games.EventMoved, &m)
	if !bytes.Equal(m.Move, canonical) {
		t.Fatalf("spectator got move %x, want %x", []byte(m.Move), canonical)
	}
	var log games.LogReply
	r, err := w.Send(games.EventLog, games.LogRequest{})
	if err != nil || r.Decode(&log) != nil || len(log.Moves) != 1 || !bytes.Equal(log.Moves[0].Move, canonical) {
		t.Fatalf("log: %v %+v", err, log)
	}
}

// TestMaxMoveBytes checks Config.MaxMoveBytes: a move one byte over is
// too_large, one at the limit is applied.
func TestMaxMoveBytes(t *testing.T) {
	s := testserver.Start(t, engine.Config{}, games.NewModule(tictactoe.Game{}, games.Config{MaxMoveBytes: 12}))
	x, o := gamestest.Pair(t, s, tttKind, "alice", "bob")
	at := []byte("\x82\xa3ply\x00\xa4cell\x04") // 12 bytes
	over := []byte("\x82\xa3ply\x00\xa4cell\xcc\x04")
	if err := x.Move(over); gamestest.Code(err) != codec.CodeTooLarge {
		t.Fatalf("13-byte move: %v, want too_large", err)
	}
	x.MustMove(at)
	o.MustMove(map[string]int{"cell": 0})
}

// TestPayloadsWithExtraKeys sends the other events and join parameters
// with keys they do not have: each is refused and changes nothing.
func TestPayloadsWithExtraKeys(t *testing.T) {
	s := testserver.Start(t, engine.Config{}, games.NewModule(tictactoe.Game{}, games.Config{QuickMatch: true}))
	x, o := gamestest.Pair(t, s, tttKind, "alice", "bob")
	for _, ev := range []string{games.EventResign, games.EventOfferDraw, games.EventAcceptDraw, games.EventDeclineDraw, games.EventRematch} {
		if err := x.Do(ev, map[string]bool{"now": true}); gamestest.Code(err) != codec.CodeBadRequest {
			t.Errorf("%s with a payload: %v, want bad_request", ev, err)
		}
	}
	if err := x.Do(games.EventLog, map[string]int{"from": 0, "limit": 5}); gamestest.Code(err) != codec.CodeBadRequest {
		t.Errorf("log with an extra key: %v, want bad_request", err)
	}
	// The events still work without a payload, and with an empty one.
	if err := x.Do(games.EventOfferDraw, map[string]int{}); err != nil {
		t.Fatalf("offer_draw with an empty map: %v", err)
	}
	if err := o.Do(games.EventDeclineDraw, nil); err != nil {
		t.Fatalf("decline_draw: %v", err)
	}
	expectUntouched(t, s, "carol", x.Room, 0, ".........")

	p := gamestest.Dial(t, s, tttKind, "dave")
	for _, params := range []map[string]any{
		{"opponent": "erin", "nonce": "n1", "hint": 1},
		{"room": x.Room, "as": "bob"},
		{"quick": true, "rating": 3000},
	} {
		ctx, cancel := context.WithTimeout(context.Background(), gamestest.Timeout)
		_, err := p.Client.Join(ctx, tttKind, params)
		cancel()
		if gamestest.Code(err) != codec.CodeBadRequest {
			t.Errorf("join with %v: %v, want bad_request", params, err)
		}
	}
	if n := s.Engine.Stats().Rooms; n != 1 {
		t.Fatalf("%d rooms after refused joins, want the one match", n)
	}
}
