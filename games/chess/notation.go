package chess

import (
	"slices"
	"strconv"

	chesslib "github.com/corentings/chess/v2"
)

// This file writes the notations a state publishes (UCI, SAN, FEN) from
// the state's own board, without the library's encoders: those generate
// the legal moves again for every SAN (to disambiguate and to tell a mate
// from a check), and format a FEN through fmt.

// promoLetter is the UCI letter of a promotion piece.
func promoLetter(t chesslib.PieceType) byte {
	switch t {
	case chesslib.Queen:
		return 'q'
	case chesslib.Rook:
		return 'r'
	case chesslib.Bishop:
		return 'b'
	case chesslib.Knight:
		return 'n'
	}
	return 0
}

// appendSquare appends sq's name, such as "e4".
func appendSquare(b []byte, sq chesslib.Square) []byte {
	return append(b, 'a'+byte(sq%8), '1'+byte(sq/8))
}

// appendUCI appends m in UCI notation.
func appendUCI(b []byte, m move) []byte {
	b = appendSquare(appendSquare(b, m.from), m.to)
	if c := promoLetter(m.promo); c != 0 {
		b = append(b, c)
	}
	return b
}

// uciOrder is a number that sorts moves as their UCI strings sort: from
// square (file, then rank), to square, then no promotion before b, n, q, r.
func uciOrder(m move) int {
	s1, s2 := int(m.from), int(m.to)
	promo := 0
	switch m.promo {
	case chesslib.Bishop:
		promo = 1
	case chesslib.Knight:
		promo = 2
	case chesslib.Queen:
		promo = 3
	case chesslib.Rook:
		promo = 4
	}
	return ((((s1%8)*8+s1/8)*8+s2%8)*8+s2/8)*5 + promo
}

// sortedUCI returns a copy of moves, of exactly their number, sorted as
// their UCI strings sort. It sorts each move's order once, with its index
// in the low byte, rather than the moves.
func sortedUCI(moves []move) []move {
	var keys [maxMoves]uint32 // order << 8 | index
	order := keys[:len(moves)]
	for i, m := range moves {
		order[i] = uint32(uciOrder(m))<<8 | uint32(i)
	}
	slices.Sort(order)
	sorted := make([]move, len(moves))
	for j, k := range order {
		sorted[j] = moves[k&0xff]
	}
	return sorted
}

// pieceLetter is the letter of a piece type in SAN and in FEN (upper case).
func pieceLetter(t chesslib.PieceType) byte {
	switch t {
	case chesslib.King:
		return 'K'
	case chesslib.Queen:
		return 'Q'
	case chesslib.Rook:
		return 'R'
	case chesslib.Bishop:
		return 'B'
	case chesslib.Knight:
		return 'N'
	case chesslib.Pawn:
		return 'P'
	}
	return 0
}

// san returns the SAN of m, one of the legal moves of the position whose
// pieces are b, with "+" when it gives check and "#" when it mates.
func san(b *board, legal []move, m move, check, mate bool) string {
	var buf [12]byte
	out := buf[:0]
	switch {
	case m.flags&flagKingCastle != 0:
		out = append(out, "O-O"...)
	case m.flags&flagQueenCastle != 0:
		out = append(out, "O-O-O"...)
	default:
		p := b[m.from]
		capture := m.flags&flagCapture != 0
		if p.Type() == chesslib.Pawn {
			if capture {
				out = append(out, 'a'+byte(m.from%8))
			}
		} else {
			out = append(out, pieceLetter(p.Type()))
			out = disambiguate(out, b, legal, m)
		}
		if capture {
			out = append(out, 'x')
		}
		out = appendSquare(out, m.to)
		if m.promo != chesslib.NoPieceType {
			out = append(out, '=', pieceLetter(m.promo))
		}
	}
	switch {
	case mate:
		out = append(out, '#')
	case check:
		out = append(out, '+')
	}
	return string(out)
}

// disambiguate appends what SAN adds to a piece move when another piece
// of the same kind can move to the same square: the file of the origin if
// that tells them apart, else its rank, else both.
func disambiguate(out []byte, b *board, legal []move, m move) []byte {
	p := b[m.from]
	var other, sameFile, sameRank bool
	for _, o := range legal {
		if o.to != m.to || o.from == m.from || b[o.from] != p {
			continue
		}
		other = true
		sameFile = sameFile || o.from%8 == m.from%8
		sameRank = sameRank || o.from/8 == m.from/8
	}
	if sameRank || (other && !sameFile) {
		out = append(out, 'a'+byte(m.from%8))
	}
	if sameFile {
		out = append(out, '1'+byte(m.from/8))
	}
	return out
}

// fen returns the FEN of p.
func fen(p *position) string {
	b := &p.board
	var buf [96]byte
	out := buf[:0]
	for r := 7; r >= 0; r-- {
		empty := byte(0)
		for f := range 8 {
			pc := b[r*8+f]
			if pc == chesslib.NoPiece {
				empty++
				continue
			}
			if empty > 0 {
				out = append(out, '0'+empty)
				empty = 0
			}
			c := pieceLetter(pc.Type())
			if pc.Color() == chesslib.Black {
				c += 'a' - 'A'
			}
			out = append(out, c)
		}
		if empty > 0 {
			out = append(out, '0'+empty)
		}
		if r > 0 {
			out = append(out, '/')
		}
	}
	out = append(out, ' ')
	out = append(out, p.turn.String()...)
	out = append(out, ' ')
	out = appendCastling(out, p.castle)
	out = append(out, ' ')
	if p.ep != chesslib.NoSquare {
		out = appendSquare(out, p.ep)
	} else {
		out = append(out, '-')
	}
	out = append(out, ' ')
	out = strconv.AppendInt(out, int64(p.halfMoves), 10)
	out = append(out, ' ')
	out = strconv.AppendInt(out, int64(p.fullMove), 10)
	return string(out)
}
