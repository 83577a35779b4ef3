package tictactoe_test

import (
	"math/rand/v2"
	"testing"

	"github.com/parlorhq/parlor/codec"
	"github.com/parlorhq/parlor/games"
	"github.com/parlorhq/parlor/games/gamestest"
	"github.com/parlorhq/parlor/games/tictactoe"
)

// TestMoveLogReplays plays random games over WebSockets, then replays each
// finished game's move log from Setup: the replay matches, ply by ply, the
// position the players were shown and the position built from the moved
// events, and ends with the same result.
func TestMoveLogReplays(t *testing.T) {
	e := start(t, games.Config{})
	rng := rand.New(rand.NewPCG(4, 2))
	for game := range 20 {
		ps := gamestest.Match(t, e.s, kind, "alice", "bob")
		var boards []string // what seat 0 was shown after each ply
		local := tictactoe.Game{}.Setup()
		var over games.GameOver
		legal := []int{0, 1, 2, 3, 4, 5, 6, 7, 8}
		for ply := 0; ; ply++ {
			mover := ps[ply%2]
			mover.MustMove(cell(legal[rng.IntN(len(legal))]))
			var m games.Moved
			ps[0].Expect(games.EventMoved, &m)
			next, err := local.Apply(m.Seat, m.Move)
			if err != nil {
				t.Fatalf("game %d ply %d: the broadcast move does not apply: %v", game, ply, err)
			}
			local = next
			var st games.StateUpdate
			ps[0].Expect(games.EventState, &st)
			var v tictactoe.View
			if err := codec.UnmarshalData(st.View, &v); err != nil {
				t.Fatal(err)
			}
			boards = append(boards, v.Board)
			legal = v.Legal
			if st.Turn == -1 {
				ps[0].Expect(games.EventGameOver, &over)
				break
			}
		}
		g := e.finishedGame(t)
		if len(g.Moves) != len(boards) {
			t.Fatalf("game %d: log of %d moves, %d plies played", game, len(g.Moves), len(boards))
		}
		s := tictactoe.Game{}.Setup()
		for i, m := range g.Moves {
			next, err := s.Apply(m.Seat, m.Move)
			if err != nil {
				t.Fatalf("game %d: replay ply %d: %v", game, i, err)
			}
			s = next
			if v := s.View(0).(tictactoe.View); v.Board != boards[i] {
				t.Fatalf("game %d ply %d: replay %s, shown %s", game, i, v.Board, boards[i])
			}
		}
		if s.Key() != local.Key() {
			t.Fatalf("game %d: replay ends at %s, the moved events at %s", game, s.Key(), local.Key())
		}
		if r := s.Result(); r == nil || *r != g.Result || r.Winner != over.Winner || r.Reason != over.Reason {
			t.Fatalf("game %d: replay result %v, hook %+v, broadcast %+v", game, r, g.Result, over)
		}
		if final, err := games.Replay(tictactoe.Game{}, g.Moves); err != nil || final.Key() != s.Key() {
			t.Fatalf("game %d: games.Replay %v %v", game, final, err)
		}
		for _, p := range ps {
			p.Close()
		}
	}
}
