package games_test

// The worked example of docs/games.md: connect four, a whole game for the
// toolkit in under 100 lines, played over WebSockets below.

import (
	"strconv"
	"strings"
	"testing"

	"github.com/parlorhq/parlor/codec"
	"github.com/parlorhq/parlor/engine"
	"github.com/parlorhq/parlor/games"
	"github.com/parlorhq/parlor/games/gamestest"
	"github.com/parlorhq/parlor/internal/testserver"
)

// connectFour is the game: 7 columns, 6 rows, seat 0 plays R and starts.
type connectFour struct{}

func (connectFour) Name() string       { return "connectfour" }
func (connectFour) Seats() int         { return 2 }
func (connectFour) Setup() games.State { return c4State{} }
func (connectFour) NewMove() any       { return new(c4Move) }

type (
	// c4Move is a move: drop a disc in column Col (0 to 6).
	c4Move struct {
		Col *int `msgpack:"col"`
	}
	// c4View is what everyone sees: rows top first, of '.', 'R' and 'Y'.
	c4View struct {
		Rows []string `msgpack:"rows"`
		Turn int      `msgpack:"turn"`
	}
	// c4State is a position. It is a value: Apply changes a copy.
	c4State struct {
		cells  [6][7]int8 // [row][col], row 0 at the bottom; 0 or seat+1
		n      int        // discs played
		winner int8       // seat+1 of the winner, or 0
	}
)

func (s c4State) Turn() int {
	if s.winner != 0 || s.n == 42 {
		return -1
	}
	return s.n % 2
}

func (s c4State) Apply(seat int, raw []byte) (games.State, error) {
	if s.Turn() != seat {
		return nil, codec.Errorf(games.CodeNotYourTurn, "not your turn")
	}
	var m c4Move
	if err := codec.UnmarshalData(raw, &m); err != nil {
		return nil, err
	}
	if m.Col == nil || *m.Col < 0 || *m.Col > 6 {
		return nil, codec.Errorf(games.CodeIllegalMove, "col must be 0 to 6")
	}
	c, r := *m.Col, 0
	for r < 6 && s.cells[r][c] != 0 {
		r++
	}
	if r == 6 {
		return nil, codec.Errorf(games.CodeIllegalMove, "column %d is full", c)
	}
	s.cells[r][c] = int8(seat + 1)
	s.n++
	if s.four(r, c) {
		s.winner = int8(seat + 1)
	}
	return s, nil
}

// four reports whether the disc at (r, c) is part of four in a row.
func (s c4State) four(r, c int) bool {
	for _, d := range [4][2]int{{0, 1}, {1, 0}, {1, 1}, {1, -1}} {
		n := 1
		for _, sign := range [2]int{1, -1} {
			dr, dc := sign*d[0], sign*d[1]
			for rr, cc := r+dr, c+dc; rr >= 0 && rr < 6 && cc >= 0 && cc < 7 && s.cells[rr][cc] == s.cells[r][c]; rr, cc = rr+dr, cc+dc {
				n++
			}
		}
		if n >= 4 {
			return true
		}
	}
	return false
}

func (s c4State) Result() *games.Result {
	switch {
	case s.winner != 0:
		return &games.Result{Winner: int(s.winner) - 1, Reason: "line"}
	case s.n == 42:
		return &games.Result{Winner: -1, Reason: "board_full"}
	}
	return nil
}

func (s c4State) View(int) any { return c4View{Rows: s.rows(), Turn: s.Turn()} }
func (s c4State) Key() string  { return strings.Join(s.rows(), "/") + " " + strconv.Itoa(s.Turn()) }

func (s c4State) rows() []string {
	out := make([]string, 6)
	for r := range 6 {
		var b [7]byte
		for c := range 7 {
			b[c] = ".RY"[s.cells[r][c]]
		}
		out[5-r] = string(b[:])
	}
	return out
}

// TestConnectFourOverWebSockets plays connect four with the toolkit: two
// players and a spectator on real WebSockets.
func TestConnectFourOverWebSockets(t *testing.T) {
	s := testserver.Start(t, engine.Config{}, games.NewModule(connectFour{}, games.Config{}))
	red, yellow := gamestest.Pair(t, s, "games.connectfour", "alice", "bob")
	carol := gamestest.Watch(t, s, "games.connectfour", "carol", red.Room)
	col := func(c int) c4Move { return c4Move{Col: &c} }

	// Fill column 3 (alternating, so nobody wins), then try a seventh.
	for i := range 6 {
		[]*gamestest.Player{red, yellow}[i%2].MustMove(col(3))
	}
	if err := red.Move(col(3)); gamestest.Code(err) != games.CodeIllegalMove {
		t.Fatalf("move into a full column: %v", err)
	}
	if err := yellow.Move(col(0)); gamestest.Code(err) != games.CodeNotYourTurn {
		t.Fatalf("move out of turn: %v", err)
	}
	// Red stacks four in column 0 while yellow plays column 1.
	for i := range 7 {
		[]*gamestest.Player{red, yellow}[i%2].MustMove(col(i % 2))
	}
	for _, p := range []*gamestest.Player{red, yellow, carol} {
		var st games.StateUpdate
		for st.Ply != 13 {
			p.Expect(games.EventState, &st)
		}
		var v c4View
		if err := codec.UnmarshalData(st.View, &v); err != nil {
			t.Fatal(err)
		}
		want := []string{"...Y...", "...R...", "R..Y...", "RY.R...", "RY.Y...", "RY.R..."}
		if strings.Join(v.Rows, "/") != strings.Join(want, "/") || v.Turn != -1 {
			t.Fatalf("%s sees %v turn %d", p.User, v.Rows, v.Turn)
		}
		var over games.GameOver
		p.Expect(games.EventGameOver, &over)
		if over.Winner != 0 || over.Reason != "line" || over.Ply != 13 {
			t.Fatalf("%s: game over %+v", p.User, over)
		}
	}
}
