package main

import (
	"testing"

	"github.com/parlorhq/parlor/codec"
	"github.com/parlorhq/parlor/games/chess"
	"github.com/parlorhq/parlor/games/tictactoe"
)

// TestBotMoves: each game's bot turns the legal moves of a view into
// encoded moves of that game, the same moves in the same order.
func TestBotMoves(t *testing.T) {
	ttt, err := codec.MarshalData(tictactoe.View{Board: "X...O....", Legal: []int{1, 2, 3, 5, 6, 7, 8}})
	if err != nil {
		t.Fatal(err)
	}
	moves, err := bots["tictactoe"].moves(ttt)
	if err != nil {
		t.Fatal(err)
	}
	var cells []int
	for _, raw := range moves {
		var m tictactoe.Move
		if err := codec.UnmarshalData(raw, &m); err != nil || m.Cell == nil {
			t.Fatalf("tic-tac-toe move %x: %v", raw, err)
		}
		cells = append(cells, *m.Cell)
	}
	if len(cells) != 7 || cells[0] != 1 || cells[3] != 5 || cells[6] != 8 {
		t.Fatalf("tic-tac-toe moves %v, want the legal cells", cells)
	}

	ch, err := codec.MarshalData(chess.View{Turn: "w", Legal: []string{"e2e4", "g1f3"}})
	if err != nil {
		t.Fatal(err)
	}
	if moves, err = bots["chess"].moves(ch); err != nil {
		t.Fatal(err)
	}
	var ucis []string
	for _, raw := range moves {
		var m chess.Move
		if err := codec.UnmarshalData(raw, &m); err != nil {
			t.Fatal(err)
		}
		ucis = append(ucis, m.UCI)
	}
	if len(ucis) != 2 || ucis[0] != "e2e4" || ucis[1] != "g1f3" {
		t.Fatalf("chess moves %v", ucis)
	}

	for game, b := range bots {
		if _, err := b.moves([]byte{0xc1}); err == nil {
			t.Errorf("%s: a view that is not msgpack decoded", game)
		}
	}
}
