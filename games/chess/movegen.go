package chess

import (
	chesslib "github.com/corentings/chess/v2"
)

// This file generates the legal moves of a position. The library's
// generator builds each move as a node of its PGN tree (about 96 bytes) and
// builds the list three times per position (pseudo-legal, legal, the copy
// it returns); a move here is four bytes, generated into a buffer on the
// stack, and a position's list is one allocation of exactly its length.
// The perft tests (perft_test.go) and the random games checked against the
// library (rules_test.go) hold it to the rules.

// move is a legal move of a position.
type move struct {
	from, to chesslib.Square
	promo    chesslib.PieceType // NoPieceType unless a promotion
	flags    moveFlags
}

// moveFlags says what kind of move a move is, beyond its squares.
type moveFlags uint8

// Move flags. An en passant capture has both flagCapture and
// flagEnPassant.
const (
	flagCapture moveFlags = 1 << iota
	flagEnPassant
	flagKingCastle
	flagQueenCastle
)

// maxMoves bounds the legal moves of a position (the known maximum is 218),
// and the pseudo-legal moves a generation passes through.
const maxMoves = 256

// promotions are the pieces a pawn may promote to.
var promotions = [4]chesslib.PieceType{chesslib.Queen, chesslib.Rook, chesslib.Bishop, chesslib.Knight}

// apply makes m on b: the piece moves (promoted, if m promotes), a pawn
// taken en passant leaves the board, a castling rook moves beside the king.
func (b *board) apply(m move) {
	pc := b[m.from]
	b[m.from] = chesslib.NoPiece
	if m.promo != chesslib.NoPieceType {
		pc = chesslib.NewPiece(m.promo, pc.Color())
	}
	b[m.to] = pc
	switch {
	case m.flags&flagEnPassant != 0: // the captured pawn stands beside the target
		b[m.from/8*8+m.to%8] = chesslib.NoPiece
	case m.flags&flagKingCastle != 0: // the rook, h-file to f-file
		b[m.from+1], b[m.from+3] = b[m.from+3], chesslib.NoPiece
	case m.flags&flagQueenCastle != 0: // the rook, a-file to d-file
		b[m.from-1], b[m.from-4] = b[m.from-4], chesslib.NoPiece
	}
}

// legalMoves appends the legal moves of p to out, in no particular order.
// With out of capacity maxMoves, it does not allocate.
func (p *position) legalMoves(out []move) []move {
	start := len(out)
	us := p.turn
	for sq, pc := range p.board {
		if pc == chesslib.NoPiece || pc.Color() != us {
			continue
		}
		from := chesslib.Square(sq)
		switch pc.Type() {
		case chesslib.Pawn:
			out = p.pawnMoves(out, from)
		case chesslib.Knight:
			out = p.steps(out, from, &knightSteps)
		case chesslib.King:
			out = p.steps(out, from, &kingSteps)
			out = p.castles(out, from)
		case chesslib.Bishop:
			out = p.slides(out, from, 1)
		case chesslib.Rook:
			out = p.slides(out, from, 0)
		case chesslib.Queen:
			out = p.slides(out, from, 0)
			out = p.slides(out, from, 1)
		}
	}
	// Keep the moves that do not leave the mover's king attacked.
	king := chesslib.Square(p.board.king(us))
	legal := out[:start]
	for _, m := range out[start:] {
		b := p.board
		b.apply(m)
		k := king
		if m.from == king {
			k = m.to
		}
		if !b.attacked(int(k), us.Other()) {
			legal = append(legal, m)
		}
	}
	return legal
}

// target reports whether a piece of p's side to move may go to sq (empty
// or held by the opponent), and whether it captures there.
func (p *position) target(sq chesslib.Square) (ok, capture bool) {
	pc := p.board[sq]
	if pc == chesslib.NoPiece {
		return true, false
	}
	return pc.Color() != p.turn, true
}

// steps appends the moves of a knight or king on from: one step of each
// of dirs.
func (p *position) steps(out []move, from chesslib.Square, dirs *[8][2]int) []move {
	f, r := int(from%8), int(from/8)
	for _, d := range dirs {
		x, y := f+d[0], r+d[1]
		if x < 0 || x > 7 || y < 0 || y > 7 {
			continue
		}
		to := chesslib.Square(y*8 + x)
		if ok, capture := p.target(to); ok {
			out = append(out, captureMove(from, to, capture))
		}
	}
	return out
}

// slides appends the moves of a slider on from along every other one of
// the eight directions of kingSteps, from first: 0 for a rook's lines, 1
// for a bishop's diagonals.
func (p *position) slides(out []move, from chesslib.Square, first int) []move {
	f, r := int(from%8), int(from/8)
	for i := first; i < len(kingSteps); i += 2 {
		d := kingSteps[i]
		for x, y := f+d[0], r+d[1]; x >= 0 && x < 8 && y >= 0 && y < 8; x, y = x+d[0], y+d[1] {
			to := chesslib.Square(y*8 + x)
			ok, capture := p.target(to)
			if ok {
				out = append(out, captureMove(from, to, capture))
			}
			if capture || !ok {
				break
			}
		}
	}
	return out
}

func captureMove(from, to chesslib.Square, capture bool) move {
	m := move{from: from, to: to}
	if capture {
		m.flags = flagCapture
	}
	return m
}

// pawnMoves appends the moves of the pawn on from: one or two squares
// forward, diagonal captures, en passant, and the promotions of each.
func (p *position) pawnMoves(out []move, from chesslib.Square) []move {
	dir, home := 8, 1
	if p.turn == chesslib.Black {
		dir, home = -8, 6
	}
	one := int(from) + dir
	if p.board[one] == chesslib.NoPiece {
		out = pawnMove(out, move{from: from, to: chesslib.Square(one)})
		if two := one + dir; int(from)/8 == home && p.board[two] == chesslib.NoPiece {
			out = append(out, move{from: from, to: chesslib.Square(two)})
		}
	}
	for _, df := range [2]int{-1, 1} {
		if f := int(from%8) + df; f < 0 || f > 7 {
			continue
		}
		to := chesslib.Square(one + df)
		pc := p.board[to]
		switch {
		case pc != chesslib.NoPiece && pc.Color() != p.turn:
			out = pawnMove(out, move{from: from, to: to, flags: flagCapture})
		case pc == chesslib.NoPiece && to == p.ep:
			out = append(out, move{from: from, to: to, flags: flagCapture | flagEnPassant})
		}
	}
	return out
}

// pawnMove appends m, or its four promotions when it reaches the last rank.
func pawnMove(out []move, m move) []move {
	if r := m.to / 8; r != 0 && r != 7 {
		return append(out, m)
	}
	for _, t := range promotions {
		m.promo = t
		out = append(out, m)
	}
	return out
}

// castles appends the castling moves of the king on from: the right is
// held, the squares between king and rook are empty, and the king is not
// in check and does not pass through an attacked square (the square it
// lands on is checked with the other moves).
func (p *position) castles(out []move, from chesslib.Square) []move {
	kingSide, queenSide, home := whiteKingSide, whiteQueenSide, chesslib.E1
	if p.turn == chesslib.Black {
		kingSide, queenSide, home = blackKingSide, blackQueenSide, chesslib.E8
	}
	if from != home || p.castle&(kingSide|queenSide) == 0 {
		return out
	}
	them := p.turn.Other()
	b, k := &p.board, int(from)
	if b.attacked(k, them) {
		return out
	}
	if p.castle&kingSide != 0 && b[k+1] == chesslib.NoPiece && b[k+2] == chesslib.NoPiece &&
		!b.attacked(k+1, them) {
		out = append(out, move{from: from, to: from + 2, flags: flagKingCastle})
	}
	if p.castle&queenSide != 0 && b[k-1] == chesslib.NoPiece && b[k-2] == chesslib.NoPiece &&
		b[k-3] == chesslib.NoPiece && !b.attacked(k-1, them) {
		out = append(out, move{from: from, to: from - 2, flags: flagQueenCastle})
	}
	return out
}
