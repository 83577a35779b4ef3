package tictactoe_test

import (
	"testing"

	"github.com/parlorhq/parlor/codec"
	"github.com/parlorhq/parlor/games"
	"github.com/parlorhq/parlor/games/tictactoe"
)

// census counts what enumerating every game finds.
type census struct {
	games, xWins, oWins, draws int
	terminal, positions        map[string]struct{}
}

// TestEveryGame enumerates every game of tic-tac-toe from the empty board,
// applying msgpack-encoded moves through the module's own State.Apply, and
// checks the well-known totals.
func TestEveryGame(t *testing.T) {
	var moves [9][]byte
	for i := range moves {
		raw, err := codec.MarshalData(tictactoe.Move{Cell: &i})
		if err != nil {
			t.Fatal(err)
		}
		moves[i] = raw
	}
	c := &census{terminal: map[string]struct{}{}, positions: map[string]struct{}{}}
	var walk func(s games.State)
	walk = func(s games.State) {
		key := s.Key()
		c.positions[key] = struct{}{}
		if res := s.Result(); res != nil {
			if s.Turn() != -1 {
				t.Fatalf("%s: result %+v but turn %d", key, res, s.Turn())
			}
			c.games++
			c.terminal[key] = struct{}{}
			switch res.Winner {
			case 0:
				c.xWins++
			case 1:
				c.oWins++
			default:
				c.draws++
			}
			return
		}
		seat := s.Turn()
		for cell, mv := range moves {
			next, err := s.Apply(seat, mv)
			if err != nil {
				if codec.AsError(err).Code != games.CodeIllegalMove {
					t.Fatalf("%s: cell %d: %v", key, cell, err)
				}
				if s.Key() != key {
					t.Fatalf("a refused move changed the state")
				}
				continue
			}
			walk(next)
		}
	}
	walk(tictactoe.Game{}.Setup())

	for _, tc := range []struct {
		name      string
		got, want int
	}{
		{"games", c.games, 255168},
		{"X wins", c.xWins, 131184},
		{"O wins", c.oWins, 77904},
		{"draws", c.draws, 46080},
		{"terminal positions", len(c.terminal), 958},
		{"legal positions", len(c.positions), 5478},
	} {
		if tc.got != tc.want {
			t.Errorf("%s = %d, want %d", tc.name, tc.got, tc.want)
		}
	}
}
