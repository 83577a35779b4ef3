// Package chess is the rules of chess as a Parlor game: a [games.Game]
// whose states validate moves in UCI ("e2e4", "e7e8q") or SAN ("Nf3",
// "exd8=Q+"), end the game by checkmate, stalemate, insufficient material,
// fivefold repetition and the seventy-five-move rule, and accept claims of
// threefold repetition and the fifty-move rule. [Game.PGN] exports a
// finished game.
//
// Seat 0 plays white and seat 1 black. Resignation, draw offers, clocks,
// rematches and timeouts belong to the games toolkit that hosts the game;
// this package only knows the board.
//
// The package generates and makes moves itself, with a compact move of
// four bytes; github.com/corentings/chess/v2 parses starting positions
// (FEN) and reads moves given in SAN, and the tests check the rules
// against it. That library is not safe for concurrent use, and it would
// accept moves after a game has ended; this package never lets a state be
// changed after it is returned, and it checks the outcome before every
// move.
package chess

import (
	"errors"
	"fmt"
	"strings"
	"sync"

	chesslib "github.com/corentings/chess/v2"
	"github.com/parlorhq/parlor/games"
)

// StartFEN is the standard starting position.
const StartFEN = "rnbqkbnr/pppppppp/8/8/8/8/PPPPPPPP/RNBQKBNR w KQkq - 0 1"

// libMu serializes the library's FEN decoding. The library parses FENs
// through a package-level buffer, so two goroutines decoding at the same
// time would corrupt each other's boards. Every position this package
// gives the library is decoded under libMu: a starting position, and the
// position a move in SAN is read from.
var libMu sync.Mutex

// parseFEN returns the library's position for fen, under libMu.
func parseFEN(fen string) (*chesslib.Position, error) {
	libMu.Lock()
	defer libMu.Unlock()
	opt, err := chesslib.FEN(fen)
	if err != nil {
		return nil, err
	}
	return chesslib.NewGame(opt).Position(), nil
}

// Game is chess for the games toolkit. The zero value plays from the
// standard starting position; [NewGame] starts from any legal position.
// A Game is safe for concurrent use.
type Game struct {
	start *State // the initial state; nil in the zero value
}

// Options configures [NewGame]. Every field documents its zero-value
// default.
type Options struct {
	// FEN is the starting position in Forsyth-Edwards Notation. It must
	// be a legal position with a move to make: one king per side, no pawn
	// on the first or last rank, the side not to move not in check,
	// castling rights and en passant square consistent with the board,
	// and the game not over. Default: [StartFEN].
	FEN string
}

// Errors returned by [NewGame].
var (
	// ErrInvalidFEN: the starting position cannot be parsed or is not a
	// legal chess position.
	ErrInvalidFEN = errors.New("chess: invalid starting position")
)

// standard is the standard initial state, built once.
var standard = sync.OnceValue(func() *State {
	s, err := initial(StartFEN)
	if err != nil {
		panic("chess: standard position: " + err.Error())
	}
	return s
})

// NewGame returns a game that starts from opts.FEN.
func NewGame(opts Options) (*Game, error) {
	fen := strings.Join(strings.Fields(opts.FEN), " ")
	if fen == "" || fen == StartFEN {
		return &Game{start: standard()}, nil
	}
	s, err := initial(fen)
	if err != nil {
		return nil, err
	}
	return &Game{start: s}, nil
}

// initial builds the initial state for fen, checking that the position is
// one a game can start from.
func initial(fen string) (*State, error) {
	pos, err := parseFEN(fen)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrInvalidFEN, err)
	}
	if err := checkPosition(pos); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrInvalidFEN, err)
	}
	s := firstState(pos)
	if r := s.Result(); r != nil {
		// A match must be playable: the toolkit ends matches on moves.
		return nil, fmt.Errorf("%w: the game is already over (%s)", ErrInvalidFEN, r.Reason)
	}
	return s, nil
}

// NewMove returns a new *Move, the type every move payload is decoded into.
func (Game) NewMove() any { return new(Move) }

// Name returns "chess".
func (Game) Name() string { return "chess" }

// Seats returns 2: seat 0 is white, seat 1 is black.
func (Game) Seats() int { return 2 }

// Setup returns the initial state. States are immutable, so every match
// starts from the same one.
func (g Game) Setup() games.State { return g.Initial() }

// Initial is [Game.Setup] with its concrete type.
func (g Game) Initial() *State {
	if g.start == nil {
		return standard()
	}
	return g.start
}

// FEN returns the starting position of the game.
func (g Game) FEN() string { return g.Initial().start }

var (
	_ games.Game = Game{}
	_ games.Game = (*Game)(nil)
)
