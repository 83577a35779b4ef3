package chess

import (
	"strconv"
	"strings"

	chesslib "github.com/corentings/chess/v2"
)

// position is everything the rules need to know about a position besides
// its history: the pieces, the side to move, the castling rights, the en
// passant square, and the two move counters. It is a plain value: making
// a move copies it, so a position is never shared or modified.
type position struct {
	board     board
	turn      chesslib.Color
	castle    castling
	ep        chesslib.Square // set after every two-square pawn move, as the library sets it
	halfMoves int             // half-moves since the last capture or pawn move
	fullMove  int             // the move number, from 1
}

// castling is a set of castling rights.
type castling uint8

// Castling rights, in the order FEN writes them.
const (
	whiteKingSide castling = 1 << iota
	whiteQueenSide
	blackKingSide
	blackQueenSide
)

// castleLetters are the FEN letters of the castling rights, bit by bit.
const castleLetters = "KQkq"

// appendCastling appends c as FEN writes it: "KQkq", "Kq", "-".
func appendCastling(b []byte, c castling) []byte {
	if c == 0 {
		return append(b, '-')
	}
	for i := range len(castleLetters) {
		if c&(1<<i) != 0 {
			b = append(b, castleLetters[i])
		}
	}
	return b
}

// positionOf returns the position of the library's pos, as parsed from a
// FEN: how a starting position enters the rules.
func positionOf(pos *chesslib.Position) position {
	p := position{board: *boardOf(pos), turn: pos.Turn(), ep: pos.EnPassantSquare(), halfMoves: pos.HalfMoveClock()}
	cr := pos.CastleRights()
	for i, c := range []struct {
		color chesslib.Color
		side  chesslib.Side
	}{
		{chesslib.White, chesslib.KingSide},
		{chesslib.White, chesslib.QueenSide},
		{chesslib.Black, chesslib.KingSide},
		{chesslib.Black, chesslib.QueenSide},
	} {
		if cr.CanCastle(c.color, c.side) {
			p.castle |= 1 << i
		}
	}
	p.fullMove = 1
	if fields := strings.Fields(pos.String()); len(fields) == 6 {
		if n, err := strconv.Atoi(fields[5]); err == nil {
			p.fullMove = n
		}
	}
	return p
}

// inCheck reports whether the side to move is in check.
func (p *position) inCheck() bool {
	k := p.board.king(p.turn)
	return k >= 0 && p.board.attacked(k, p.turn.Other())
}

// lostRights returns the castling rights a move from `from` to `to` takes
// away: the king's when it leaves its square, a rook's when it leaves or is
// captured on its corner.
func lostRights(from, to chesslib.Square) castling {
	var lost castling
	for _, sq := range [2]chesslib.Square{from, to} {
		switch sq {
		case chesslib.H1:
			lost |= whiteKingSide
		case chesslib.A1:
			lost |= whiteQueenSide
		case chesslib.H8:
			lost |= blackKingSide
		case chesslib.A8:
			lost |= blackQueenSide
		}
	}
	return lost
}

// after returns the position that the legal move m leads to.
func (p *position) after(m move) position {
	n := *p
	piece := n.board[m.from]
	n.board.apply(m)
	n.turn = p.turn.Other()
	n.castle &^= lostRights(m.from, m.to)
	switch piece {
	case chesslib.WhiteKing:
		n.castle &^= whiteKingSide | whiteQueenSide
	case chesslib.BlackKing:
		n.castle &^= blackKingSide | blackQueenSide
	}
	n.ep = chesslib.NoSquare
	n.halfMoves++
	if piece.Type() == chesslib.Pawn || m.flags&flagCapture != 0 {
		n.halfMoves = 0
	}
	if d := int(m.to) - int(m.from); piece.Type() == chesslib.Pawn && (d == 16 || d == -16) {
		n.ep = chesslib.Square((int(m.to) + int(m.from)) / 2)
	}
	if p.turn == chesslib.Black {
		n.fullMove++
	}
	return n
}
