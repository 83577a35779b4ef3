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

// BenchmarkChessMoves measures the chess bot's choice of moves from a view
// of the middle game: 40 moves played, 30 legal.
func BenchmarkChessMoves(b *testing.B) {
	v := chess.View{FEN: "r1bqkb1r/pppp1ppp/2n2n2/4p3/4P3/2N2N2/PPPP1PPP/R1BQKB1R w KQkq - 4 4", Turn: "w",
		LastMove: &chess.Played{UCI: "g8f6", SAN: "Nf6"}, Claimable: []string{}}
	for i := range 30 {
		v.Legal = append(v.Legal, string([]byte{'a' + byte(i%8), '2', 'a' + byte(i/8), '4'}))
	}
	for i := range 40 {
		v.Moves = append(v.Moves, []string{"e4", "Nf6", "Nc3", "e5", "Nxe5", "O-O"}[i%6])
	}
	raw, err := codec.MarshalData(v)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if moves, err := chessMoves(raw); err != nil || len(moves) != 30 {
			b.Fatal(len(moves), err)
		}
	}
}
