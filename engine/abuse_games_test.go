package engine_test

import (
	"testing"

	"github.com/parlorhq/parlor/codec"
	"github.com/parlorhq/parlor/engine"
	"github.com/parlorhq/parlor/games"
	"github.com/parlorhq/parlor/games/gamestest"
	"github.com/parlorhq/parlor/games/tictactoe"
	"github.com/parlorhq/parlor/internal/testserver"
)

// TestAbuseSpoofedGameMove: a move that names another player, seat or
// user is refused (bad_request: the game's move type has no such keys),
// whoever sends it; a spectator cannot move whatever it claims; and a
// third user cannot seat itself in a match of two others. The board shows
// exactly the moves the players made.
func TestAbuseSpoofedGameMove(t *testing.T) {
	const kind = "games." + tictactoe.Name
	s := testserver.Start(t, engine.Config{}, games.NewModule(tictactoe.Game{}, games.Config{}))
	x, o := gamestest.Pair(t, s, kind, "alice", "bob") // alice is seat 0, X, and moves first
	carol := gamestest.Watch(t, s, kind, "carol", x.Room)
	if carol.Joined.Seat != -1 {
		t.Fatalf("carol joined as seat %d, want a spectator", carol.Joined.Seat)
	}
	spoof := func(cell int, as string, seat int) map[string]any {
		return map[string]any{"cell": cell, "seat": seat, "player": as, "user": as, "from": as, "turn": seat}
	}

	// Bob, on alice's turn, claiming to be alice.
	if code := gamestest.Code(o.Move(spoof(4, "alice", 0))); code != codec.CodeBadRequest {
		t.Fatalf("bob moving as alice on her turn: %q, want %q", code, codec.CodeBadRequest)
	}
	// Carol, a spectator, claiming either seat.
	for seat, as := range []string{"alice", "bob"} {
		if code := gamestest.Code(carol.Move(spoof(4, as, seat))); code != games.CodeNotPlayer {
			t.Fatalf("carol moving as %s: %q, want %q", as, code, games.CodeNotPlayer)
		}
	}
	// Carol cannot take a seat in the match by naming its players.
	intruder := gamestest.Dial(t, s, kind, "carol")
	if code := gamestest.Code(intruder.Join(games.JoinParams{Seats: []string{"alice", "bob"}, Nonce: "guess"})); code != codec.CodeForbidden {
		t.Fatalf("carol joining a challenge of alice and bob: %q, want forbidden", code)
	}

	// Alice, on her turn, claiming to be bob: refused too.
	if code := gamestest.Code(x.Move(spoof(4, "bob", 1))); code != codec.CodeBadRequest {
		t.Fatalf("alice moving as bob: %q, want %q", code, codec.CodeBadRequest)
	}
	x.MustMove(map[string]int{"cell": 0})
	o.MustMove(map[string]int{"cell": 4})
	var m games.Moved
	for m.Ply < 2 {
		x.Expect(games.EventMoved, &m)
	}
	if m.Seat != 1 || m.Ply != 2 {
		t.Fatalf("bob's move arrived as %+v, want seat 1, ply 2", m)
	}

	// The board holds exactly the two moves, each with its mover's mark.
	w := gamestest.Watch(t, s, kind, "dave", x.Room)
	var view tictactoe.View
	if err := codec.UnmarshalData(w.Joined.View, &view); err != nil {
		t.Fatal(err)
	}
	if view.Board != "X...O...." || w.Joined.Ply != 2 || w.Joined.Turn != 0 {
		t.Fatalf("board %q, ply %d, turn %d; want X...O...., 2, 0", view.Board, w.Joined.Ply, w.Joined.Turn)
	}
}
