// Package games is Parlor's toolkit for turn-based games. A game is plain
// state plus pure functions (Game and State); the toolkit turns it into a
// room module with seats, spectators, turn enforcement, clocks, draw
// offers, resignation, rematch, disconnect grace, a move log and hooks for
// finished games. Challenges have a policy of who may challenge whom
// (Config.CanChallenge), notices to the players on their user channel
// (Config.Notifier) and a hook for the host (Config.OnChallenge).
package games

import "github.com/parlorhq/parlor/codec"

// Game describes one game: how to set up a match for its seats.
type Game interface {
	// Name identifies the game, e.g. "tictactoe" or "chess". The module's
	// kind is "games." + Name.
	Name() string
	// Seats is the number of players in a match (2 for both built-in games).
	Seats() int
	// Setup returns the initial state of a new match.
	Setup() State
	// NewMove returns a pointer to a new zero value of the game's move
	// type, such as &tictactoe.Move{}. The toolkit decodes every move
	// payload into it, refuses with bad_request a payload with keys the
	// type has no field for, and passes Apply the move re-encoded from it:
	// so nothing else a client puts in a move is applied, logged or sent
	// on to spectators.
	NewMove() any
}

// State is one position of a match. Implementations are values the room
// goroutine owns: Apply returns the next state and must leave the receiver
// unchanged when it fails, so a rejected move never alters the game.
type State interface {
	// Turn returns the seat (0-based) that must move next, or -1 when the
	// game is over.
	Turn() int
	// Apply validates move for seat (msgpack of the game's move type, as
	// re-encoded from the client's payload by the toolkit) and returns the
	// next state, or a *codec.Error (CodeIllegalMove with a
	// reason, or codec.CodeBadRequest for a malformed move).
	Apply(seat int, move []byte) (State, error)
	// Result returns the outcome once the game has ended by its own rules
	// (win, draw), or nil while it goes on.
	Result() *Result
	// View returns what seat sees, as a value msgpack encodes; seat -1 is a
	// spectator. Games without hidden information return the same view.
	View(seat int) any
	// Key is a canonical encoding of the position (for tic-tac-toe the
	// board and side to move; for chess the FEN). Replaying a move log
	// must reproduce the same Key.
	Key() string
}

// Result is how a game ended.
type Result struct {
	// Winner is the winning seat, or -1 for a draw.
	Winner int `msgpack:"winner"`
	// Reason is a stable word such as "line", "checkmate", "stalemate",
	// "resignation", "timeout", "agreement", "forfeit", "threefold",
	// "fifty_move", "insufficient_material", "fivefold", "seventy_five_move",
	// "board_full".
	Reason string `msgpack:"reason"`
}

// Error codes used by games, beyond the engine's.
const (
	// CodeNotYourTurn: a seated player moved out of turn.
	CodeNotYourTurn codec.Code = "not_your_turn"
	// CodeIllegalMove: the move breaks the game's rules; the message says why.
	CodeIllegalMove codec.Code = "illegal_move"
	// CodeGameOver: the game has ended; no more moves or offers.
	CodeGameOver codec.Code = "game_over"
	// CodeNotPlayer: a spectator tried to act as a player.
	CodeNotPlayer codec.Code = "not_player"
)
