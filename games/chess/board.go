package chess

import (
	"errors"

	chesslib "github.com/corentings/chess/v2"
)

// board is a square-indexed copy of a position's pieces (a1 = 0, h8 = 63).
type board [64]chesslib.Piece

func boardOf(pos *chesslib.Position) *board {
	var b board
	for sq, p := range pos.Board().SquareMap() {
		b[sq] = p
	}
	return &b
}

// sufficientMaterial reports whether either side may still checkmate, as
// the library's automatic draw judges it: not when only kings are left,
// or kings and one knight or bishop, or kings and bishops all on squares
// of one color.
func (b *board) sufficientMaterial() bool {
	var kings, bishops, knights int
	var bishopColors [2]int
	for sq, p := range b {
		switch p.Type() {
		case chesslib.Queen, chesslib.Rook, chesslib.Pawn:
			return true
		case chesslib.King:
			kings++
		case chesslib.Bishop:
			bishops++
			bishopColors[(sq/8+sq%8)%2]++
		case chesslib.Knight:
			knights++
		}
	}
	switch {
	case kings < 2:
		return true // not a game position; the library plays on
	case knights == 0 && bishops <= 1, bishops == 0 && knights == 1:
		return false
	case knights == 0 && (bishopColors[0] == 0 || bishopColors[1] == 0):
		return false
	}
	return true
}

// at returns the piece on file f, rank r (0-based), or NoPiece off the
// board.
func (b *board) at(f, r int) chesslib.Piece {
	if f < 0 || f > 7 || r < 0 || r > 7 {
		return chesslib.NoPiece
	}
	return b[r*8+f]
}

// king returns the square of c's king, or -1.
func (b *board) king(c chesslib.Color) int {
	k := chesslib.NewPiece(chesslib.King, c)
	for sq, p := range b {
		if p == k {
			return sq
		}
	}
	return -1
}

var (
	knightSteps = [8][2]int{{1, 2}, {2, 1}, {2, -1}, {1, -2}, {-1, -2}, {-2, -1}, {-2, 1}, {-1, 2}}
	kingSteps   = [8][2]int{{1, 0}, {1, 1}, {0, 1}, {-1, 1}, {-1, 0}, {-1, -1}, {0, -1}, {1, -1}}
)

// attacked reports whether a piece of color by attacks square sq.
func (b *board) attacked(sq int, by chesslib.Color) bool {
	f, r := sq%8, sq/8
	is := func(p chesslib.Piece, types ...chesslib.PieceType) bool {
		if p == chesslib.NoPiece || p.Color() != by {
			return false
		}
		for _, t := range types {
			if p.Type() == t {
				return true
			}
		}
		return false
	}
	for _, d := range knightSteps {
		if is(b.at(f+d[0], r+d[1]), chesslib.Knight) {
			return true
		}
	}
	for _, d := range kingSteps {
		if is(b.at(f+d[0], r+d[1]), chesslib.King) {
			return true
		}
	}
	// A white pawn attacks upwards, so it stands one rank below.
	pr := r - 1
	if by == chesslib.Black {
		pr = r + 1
	}
	if is(b.at(f-1, pr), chesslib.Pawn) || is(b.at(f+1, pr), chesslib.Pawn) {
		return true
	}
	for i, d := range kingSteps { // the same eight directions, sliding
		slider := chesslib.Rook
		if i%2 == 1 {
			slider = chesslib.Bishop
		}
		for x, y := f+d[0], r+d[1]; x >= 0 && x < 8 && y >= 0 && y < 8; x, y = x+d[0], y+d[1] {
			if p := b.at(x, y); p != chesslib.NoPiece {
				if is(p, slider, chesslib.Queen) {
					return true
				}
				break
			}
		}
	}
	return false
}

// checkPosition rejects positions a game cannot start from: the library
// parses them but would play on nonsense (a castling right without its
// rook, for one, conjures a rook).
func checkPosition(pos *chesslib.Position) error {
	b := boardOf(pos)
	kings := map[chesslib.Color]int{}
	for sq, p := range b {
		switch {
		case p == chesslib.NoPiece:
		case p.Type() == chesslib.King:
			kings[p.Color()]++
		case p.Type() == chesslib.Pawn && (sq < 8 || sq >= 56):
			return errors.New("a pawn stands on the first or last rank")
		}
	}
	if kings[chesslib.White] != 1 || kings[chesslib.Black] != 1 {
		return errors.New("each side needs exactly one king")
	}
	side := pos.Turn()
	if b.attacked(b.king(side.Other()), side) {
		return errors.New("the side not to move is in check")
	}
	cr := pos.CastleRights()
	for _, c := range []struct {
		color      chesslib.Color
		side       chesslib.Side
		king, rook int
	}{
		{chesslib.White, chesslib.KingSide, 4, 7},
		{chesslib.White, chesslib.QueenSide, 4, 0},
		{chesslib.Black, chesslib.KingSide, 60, 63},
		{chesslib.Black, chesslib.QueenSide, 60, 56},
	} {
		if cr.CanCastle(c.color, c.side) &&
			(b[c.king] != chesslib.NewPiece(chesslib.King, c.color) || b[c.rook] != chesslib.NewPiece(chesslib.Rook, c.color)) {
			return errors.New("a castling right does not match the king and rook squares")
		}
	}
	if ep := pos.EnPassantSquare(); ep != chesslib.NoSquare {
		// The pawn that just advanced two squares stands in front of the
		// en passant square, which is empty, as is the square it came from.
		sq, dir := int(ep), -8 // white to move: ep on rank 6, pawn on rank 5
		if side == chesslib.Black {
			dir = 8
		}
		if (side == chesslib.White) != (sq/8 == 5) ||
			b[sq] != chesslib.NoPiece || b[sq-dir] != chesslib.NoPiece ||
			b[sq+dir] != chesslib.NewPiece(chesslib.Pawn, side.Other()) {
			return errors.New("the en passant square does not follow a two-square pawn move")
		}
	}
	return nil
}

// CanCheckmate reports whether seat (0 white, 1 black) still has the
// material to checkmate by some sequence of legal moves. A toolkit that
// ends a game on time should call it: when the side whose flag fell faces
// an opponent who cannot checkmate, the rules make the game a draw, not a
// loss.
//
// A side cannot checkmate with a lone king, with a king and one knight or
// bishop against a lone king, or when the only other pieces on the board
// are bishops all on squares of one color. Otherwise it can, if only with
// the opponent's help.
func (s *State) CanCheckmate(seat int) bool {
	b := &s.pos.board
	mine := chesslib.White
	if seat == 1 {
		mine = chesslib.Black
	}
	var minors, theirs int
	onlyBishops := true
	var bishopColors [2]int // bishops on dark and light squares, both sides
	for sq, p := range b {
		if p == chesslib.NoPiece || p.Type() == chesslib.King {
			continue
		}
		if p.Type() == chesslib.Bishop {
			bishopColors[(sq/8+sq%8)%2]++
		} else {
			onlyBishops = false
		}
		if p.Color() != mine {
			theirs++
			continue
		}
		if p.Type() != chesslib.Knight && p.Type() != chesslib.Bishop {
			return true // a pawn, rook or queen
		}
		minors++
	}
	switch {
	case minors == 0:
		return false
	case minors == 1 && theirs == 0:
		return false
	case onlyBishops && (bishopColors[0] == 0 || bishopColors[1] == 0):
		return false
	}
	return true
}
