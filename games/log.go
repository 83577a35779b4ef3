package games

import (
	"fmt"
	"time"

	"github.com/vmihailenco/msgpack/v5"
)

// LoggedMove is one entry of a match's move log.
type LoggedMove struct {
	// Seat is the seat that moved.
	Seat int `msgpack:"seat"`
	// Move is the move as the player sent it, passed to State.Apply.
	Move msgpack.RawMessage `msgpack:"move"`
	// At is when the move was applied, by the module's clock.
	At time.Time `msgpack:"-"`
	// AtMS is At in Unix milliseconds, for clients.
	AtMS int64 `msgpack:"at"`
}

// FinishedGame is a match that started and ended, as Config.OnFinished
// receives it. It shares nothing with the room: keep it as long as needed.
type FinishedGame struct {
	// Kind is the module's kind, e.g. "games.chess".
	Kind string
	// Room is the match's room id.
	Room string
	// Players lists the players by seat.
	Players []string
	// Moves is the move log; Replay reproduces the final state from it.
	Moves []LoggedMove
	// Result is how the match ended.
	Result Result
	// TimeControl is the match's time control (zero if untimed).
	TimeControl TimeControl
	// Started is when every seat had joined and play began.
	Started time.Time
	// Ended is when the match ended.
	Ended time.Time
}

// Replay applies moves to a fresh g.Setup() in order and returns the
// state after the last one. The move log of a match always replays to the
// match's final position; an error names the first move that failed.
func Replay(g Game, moves []LoggedMove) (State, error) {
	s := g.Setup()
	for i, m := range moves {
		next, err := s.Apply(m.Seat, m.Move)
		if err != nil {
			return s, fmt.Errorf("games: replay move %d (seat %d): %w", i, m.Seat, err)
		}
		s = next
	}
	return s, nil
}
