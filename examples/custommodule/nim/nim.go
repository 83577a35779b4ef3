// Package nim is a small game built on Parlor's games toolkit from outside
// the Parlor module: a pile of stones, each player in turn takes one to
// three, and whoever takes the last stone wins.
package nim

import (
	"strconv"

	"github.com/parlorhq/parlor/codec"
	"github.com/parlorhq/parlor/games"
)

// Kind is the module's kind: "games." + the game's name.
const Kind = games.KindPrefix + "nim"

// DefaultStones is the pile of a Game whose Stones is zero.
const DefaultStones = 15

// MaxTake is the most stones one move may take.
const MaxTake = 3

// Game is Nim for the games toolkit.
type Game struct {
	// Stones is the pile at the start. Default: DefaultStones.
	Stones int
}

// Name implements games.Game.
func (Game) Name() string { return "nim" }

// Seats implements games.Game.
func (Game) Seats() int { return 2 }

// Setup implements games.Game.
func (g Game) Setup() games.State {
	if g.Stones <= 0 {
		return State{Left: DefaultStones}
	}
	return State{Left: g.Stones}
}

// NewMove implements games.Game.
func (Game) NewMove() any { return new(Move) }

// Move takes stones from the pile.
type Move struct {
	// Take is how many stones, 1 to MaxTake and at most what is left.
	Take int `msgpack:"take"`
}

// View is what everyone sees.
type View struct {
	// Left is the number of stones on the pile.
	Left int `msgpack:"left"`
	// Turn is the seat to move, or -1 once the pile is empty.
	Turn int `msgpack:"turn"`
}

// State is a position: the pile and whose turn it is.
type State struct {
	// Left is the number of stones on the pile.
	Left int
	// Ply is the number of moves played.
	Ply int
}

// Turn implements games.State.
func (s State) Turn() int {
	if s.Left == 0 {
		return -1
	}
	return s.Ply % 2
}

// Apply implements games.State.
func (s State) Apply(seat int, raw []byte) (games.State, error) {
	if s.Left == 0 {
		return nil, codec.Errorf(games.CodeGameOver, "the pile is empty")
	}
	if seat != s.Turn() {
		return nil, codec.Errorf(games.CodeNotYourTurn, "it is seat %d's turn", s.Turn())
	}
	var m Move
	if err := codec.UnmarshalData(raw, &m); err != nil {
		return nil, codec.Errorf(codec.CodeBadRequest, "malformed move")
	}
	if m.Take < 1 || m.Take > MaxTake || m.Take > s.Left {
		return nil, codec.Errorf(games.CodeIllegalMove, "take 1 to %d stones", min(MaxTake, s.Left))
	}
	return State{Left: s.Left - m.Take, Ply: s.Ply + 1}, nil
}

// Result implements games.State: whoever took the last stone wins.
func (s State) Result() *games.Result {
	if s.Left > 0 {
		return nil
	}
	return &games.Result{Winner: (s.Ply - 1) % 2, Reason: "last_stone"}
}

// View implements games.State.
func (s State) View(int) any { return View{Left: s.Left, Turn: s.Turn()} }

// Key implements games.State.
func (s State) Key() string { return strconv.Itoa(s.Left) + "/" + strconv.Itoa(s.Ply%2) }
