package main

import (
	"strings"
	"testing"

	"github.com/parlorhq/parlor/codec"
	"github.com/parlorhq/parlor/games"
	"github.com/parlorhq/parlor/games/chess"
)

// logged is a chess move log as a match stores it, white first.
func logged(t *testing.T, moves ...chess.Move) []games.LoggedMove {
	t.Helper()
	out := make([]games.LoggedMove, len(moves))
	for i, m := range moves {
		raw, err := codec.MarshalData(m)
		if err != nil {
			t.Fatal(err)
		}
		out[i] = games.LoggedMove{Seat: i % 2, Move: raw}
	}
	return out
}

// TestChessReplay: the replay has the start and one position per move,
// each with its move; a draw claim, which moves nothing, adds none; a log
// that does not replay is an error.
func TestChessReplay(t *testing.T) {
	knights := []string{"Nf3", "Nf6", "Ng1", "Ng8", "Nf3", "Nf6", "Ng1", "Ng8"}
	var moves []chess.Move
	for _, san := range knights {
		moves = append(moves, chess.Move{SAN: san})
	}
	moves = append(moves, chess.Move{Claim: chess.ClaimThreefold})
	got, err := chessReplay(logged(t, moves...))
	if err != nil {
		t.Fatalf("chessReplay: %v", err)
	}
	if len(got) != len(knights)+1 {
		t.Fatalf("%d positions, want %d (the start and one per move, none for the claim)", len(got), len(knights)+1)
	}
	start := chess.Game{}.FEN()
	if got[0].FEN != start || got[0].SAN != "" || got[0].UCI != "" {
		t.Errorf("position 0 = %+v, want the start %q and no move", got[0], start)
	}
	if got[1].SAN != "Nf3" || got[1].UCI != "g1f3" || got[1].FEN == start {
		t.Errorf("position 1 = %+v, want Nf3 (g1f3) and a new FEN", got[1])
	}
	// The knights are home again: the pieces (not the move counters) are
	// where they started.
	if strings.Fields(got[8].FEN)[0] != strings.Fields(start)[0] {
		t.Errorf("after the knights' dance the FEN is %q, want the start's position", got[8].FEN)
	}

	check, err := chessReplay(logged(t, chess.Move{SAN: "e4"}, chess.Move{SAN: "f5"}, chess.Move{SAN: "Qh5"}))
	if err != nil {
		t.Fatal(err)
	}
	if !check[3].Check || check[2].Check {
		t.Errorf("Qh5+ gives check: Check = %v after it, %v before", check[3].Check, check[2].Check)
	}

	if _, err := chessReplay(logged(t, chess.Move{UCI: "e2e5"})); err == nil {
		t.Errorf("a log with an illegal move replayed")
	}
}
