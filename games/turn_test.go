package games_test

import (
	"testing"

	"github.com/parlorhq/parlor/codec"
	"github.com/parlorhq/parlor/engine"
	"github.com/parlorhq/parlor/games"
	"github.com/parlorhq/parlor/games/gamestest"
	"github.com/parlorhq/parlor/internal/testserver"
)

// tallyGame is a game that leaves turns to the toolkit: seats alternate, but
// its Apply accepts a move from any seat. Every move adds to one shared
// count; four moves end it.
type tallyGame struct{}

func (tallyGame) Name() string       { return "tally" }
func (tallyGame) Seats() int         { return 2 }
func (tallyGame) Setup() games.State { return tallyState{} }
func (tallyGame) NewMove() any       { return new(tallyMove) }

type tallyMove struct {
	Add int `msgpack:"add"`
}

type tallyState struct{ n, sum int }

func (s tallyState) Turn() int {
	if s.n == 4 {
		return -1
	}
	return s.n % 2
}

// Apply does not check seat: the toolkit must.
func (s tallyState) Apply(_ int, raw []byte) (games.State, error) {
	var m tallyMove
	if err := codec.UnmarshalData(raw, &m); err != nil {
		return nil, err
	}
	return tallyState{n: s.n + 1, sum: s.sum + m.Add}, nil
}

func (s tallyState) Result() *games.Result {
	if s.n == 4 {
		return &games.Result{Winner: -1, Reason: "done"}
	}
	return nil
}

func (s tallyState) View(int) any { return s.sum }
func (s tallyState) Key() string  { return "" }

// TestToolkitEnforcesTurns plays a game whose rules accept any seat: the
// toolkit itself refuses a move out of turn with not_your_turn, and the
// match is unchanged.
func TestToolkitEnforcesTurns(t *testing.T) {
	s := testserver.Start(t, engine.Config{}, games.NewModule(tallyGame{}, games.Config{}))
	first, second := gamestest.Pair(t, s, "games.tally", "alice", "bob")
	if err := second.Move(tallyMove{Add: 5}); gamestest.Code(err) != games.CodeNotYourTurn {
		t.Fatalf("seat 1 moves first: %v, want not_your_turn", err)
	}
	first.MustMove(tallyMove{Add: 1})
	if err := first.Move(tallyMove{Add: 5}); gamestest.Code(err) != games.CodeNotYourTurn {
		t.Fatalf("seat 0 moves twice: %v, want not_your_turn", err)
	}
	w := gamestest.Watch(t, s, "games.tally", "carol", first.Room)
	var sum int
	if err := codec.UnmarshalData(w.Joined.View, &sum); err != nil {
		t.Fatal(err)
	}
	if w.Joined.Ply != 1 || w.Joined.Turn != 1 || sum != 1 || w.Joined.LogLen != 1 {
		t.Fatalf("after refused moves: ply %d turn %d sum %d log %d, want 1 1 1 1", w.Joined.Ply, w.Joined.Turn, sum, w.Joined.LogLen)
	}
	second.MustMove(tallyMove{Add: 2})
}
