// Package tictactoe is tic-tac-toe for the games toolkit: seat 0 plays X
// and moves first, seat 1 plays O.
//
// A move is {cell: 0..8}, cells numbered row by row from the top left. A
// line of three wins (reason "line"); a full board without one is a draw
// (reason "board_full").
//
//	e.Register(games.NewModule(tictactoe.Game{}, games.Config{}))
package tictactoe

import (
	"github.com/parlorhq/parlor/codec"
	"github.com/parlorhq/parlor/games"
)

// Name is the game's name; its module's kind is "games.tictactoe".
const Name = "tictactoe"

// Game is tic-tac-toe. It implements games.Game.
type Game struct{}

// Name returns "tictactoe".
func (Game) Name() string { return Name }

// Seats returns 2.
func (Game) Seats() int { return 2 }

// Setup returns the empty board with X to move.
func (Game) Setup() games.State { return State{} }

// NewMove returns a new *Move, the type every move payload is decoded into.
func (Game) NewMove() any { return new(Move) }

// Move is the payload of a move event.
type Move struct {
	// Cell is the cell to mark, 0 to 8.
	Cell *int `msgpack:"cell"`
}

// View is what every member sees: the game has no hidden information.
type View struct {
	// Board is nine cells, row by row: 'X', 'O' or '.'.
	Board string `msgpack:"board"`
	// Turn is the seat to move, or -1 once the game is over.
	Turn int `msgpack:"turn"`
	// Legal lists the free cells while the game goes on.
	Legal []int `msgpack:"legal"`
	// Line is the winning line's cells, once someone has one.
	Line []int `msgpack:"line,omitempty"`
}

// State is a position. The zero value is the empty board, X to move.
type State struct {
	board [9]byte // 0 empty, 1 X, 2 O
	n     int8    // marks on the board
	line  int8    // index into lines of the winning line, when won
	won   bool
}

// errTaken are the errors for marking a taken cell, made once: refusing a
// move costs no allocation.
var errTaken = func() (e [9]*codec.Error) {
	for i := range e {
		e[i] = codec.Errorf(games.CodeIllegalMove, "cell %d is taken", i)
	}
	return e
}()

// lines are the eight lines of three.
var lines = [8][3]int8{
	{0, 1, 2}, {3, 4, 5}, {6, 7, 8},
	{0, 3, 6}, {1, 4, 7}, {2, 5, 8},
	{0, 4, 8}, {2, 4, 6},
}

// over reports whether the game has ended.
func (s State) over() bool { return s.won || s.n == 9 }

// Turn returns the seat to move: 0 (X) after an even number of marks, 1
// (O) after an odd one, -1 once the game is over.
func (s State) Turn() int {
	if s.over() {
		return -1
	}
	return int(s.n & 1)
}

// Apply marks move's cell for seat. It leaves s unchanged.
func (s State) Apply(seat int, move []byte) (games.State, error) {
	if s.over() {
		return nil, codec.Errorf(games.CodeGameOver, "the game is over")
	}
	if seat != s.Turn() {
		return nil, codec.Errorf(games.CodeNotYourTurn, "it is seat %d's turn", s.Turn())
	}
	cell, err := decodeCell(move)
	if err != nil {
		return nil, err
	}
	if cell < 0 || cell > 8 {
		return nil, codec.Errorf(games.CodeIllegalMove, "cell %d is off the board (0 to 8)", cell)
	}
	if s.board[cell] != 0 {
		return nil, errTaken[cell]
	}
	mark := byte(seat) + 1
	s.board[cell] = mark
	s.n++
	for i, l := range lines {
		if s.board[l[0]] == mark && s.board[l[1]] == mark && s.board[l[2]] == mark {
			s.won, s.line = true, int8(i)
			break
		}
	}
	return s, nil
}

// decodeCell reads a Move. The common encoding, a one-key map with a
// positive fixint, is read directly; anything else goes through
// codec.UnmarshalData.
func decodeCell(move []byte) (int, error) {
	if len(move) == 7 && move[0] == 0x81 && string(move[1:6]) == "\xa4cell" && move[6] < 0x80 {
		return int(move[6]), nil
	}
	var m Move
	if err := codec.UnmarshalData(move, &m); err != nil {
		return 0, err
	}
	if m.Cell == nil {
		return 0, codec.Errorf(codec.CodeBadRequest, "move needs a cell")
	}
	return *m.Cell, nil
}

// Result returns a win by the seat that made a line, a draw on a full
// board, or nil while the game goes on.
func (s State) Result() *games.Result {
	switch {
	case s.won:
		return &games.Result{Winner: int(s.board[lines[s.line][0]]) - 1, Reason: "line"}
	case s.n == 9:
		return &games.Result{Winner: -1, Reason: "board_full"}
	}
	return nil
}

// View returns the board; every seat and spectator sees the same.
func (s State) View(int) any {
	v := View{Board: s.boardString(), Turn: s.Turn()}
	if s.won {
		l := lines[s.line]
		v.Line = []int{int(l[0]), int(l[1]), int(l[2])}
	} else {
		v.Legal = make([]int, 0, 9-s.n)
		for i, c := range s.board {
			if c == 0 {
				v.Legal = append(v.Legal, i)
			}
		}
	}
	return v
}

// Key returns the board as nine characters ('X', 'O', '.') followed by the
// side to move ('X', 'O', or '-' once the game is over).
func (s State) Key() string {
	var b [10]byte
	copy(b[:], s.boardString())
	b[9] = "XO-"[(s.Turn()+3)%3]
	return string(b[:])
}

func (s State) boardString() string {
	var b [9]byte
	for i, c := range s.board {
		b[i] = ".XO"[c]
	}
	return string(b[:])
}
