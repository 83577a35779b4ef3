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
func appendUCI(b []byte, m *chesslib.Move) []byte {
	b = appendSquare(appendSquare(b, m.S1()), m.S2())
	if c := promoLetter(m.Promo()); c != 0 {
		b = append(b, c)
	}
	return b
}

// uciOrder is a number that sorts moves as their UCI strings sort: from
// square (file, then rank), to square, then no promotion before b, n, q, r.
func uciOrder(m *chesslib.Move) int {
	s1, s2 := int(m.S1()), int(m.S2())
	promo := 0
	switch m.Promo() {
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

// sortUCI sorts moves as their UCI strings sort. It computes each move's
// order once and moves each move once, where a comparison sort of the
// moves themselves (about 100 bytes each) would do both many times.
func sortUCI(moves []chesslib.Move) {
	var keys [256]uint32 // order << 8 | index; a position has at most 218 moves
	if len(moves) > len(keys) {
		slices.SortFunc(moves, func(a, b chesslib.Move) int { return uciOrder(&a) - uciOrder(&b) })
		return
	}
	for i := range moves {
		keys[i] = uint32(uciOrder(&moves[i]))<<8 | uint32(i)
	}
	order := keys[:len(moves)]
	slices.Sort(order)
	// Put moves[order[j]] at j, cycle by cycle.
	var done [256]bool
	for i := range order {
		if done[i] {
			continue
		}
		first := moves[i]
		j := i
		for {
			done[j] = true
			from := int(order[j] & 0xff)
			if from == i {
				moves[j] = first
				break
			}
			moves[j] = moves[from]
			j = from
		}
	}
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
func san(b *board, legal []chesslib.Move, m *chesslib.Move, check, mate bool) string {
	var buf [12]byte
	out := buf[:0]
	switch {
	case m.HasTag(chesslib.KingSideCastle):
		out = append(out, "O-O"...)
	case m.HasTag(chesslib.QueenSideCastle):
		out = append(out, "O-O-O"...)
	default:
		p := b[m.S1()]
		capture := m.HasTag(chesslib.Capture) || m.HasTag(chesslib.EnPassant)
		if p.Type() == chesslib.Pawn {
			if capture {
				out = append(out, 'a'+byte(m.S1()%8))
			}
		} else {
			out = append(out, pieceLetter(p.Type()))
			out = disambiguate(out, b, legal, m)
		}
		if capture {
			out = append(out, 'x')
		}
		out = appendSquare(out, m.S2())
		if m.Promo() != chesslib.NoPieceType {
			out = append(out, '=', pieceLetter(m.Promo()))
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
func disambiguate(out []byte, b *board, legal []chesslib.Move, m *chesslib.Move) []byte {
	p := b[m.S1()]
	var other, sameFile, sameRank bool
	for i := range legal {
		o := &legal[i]
		if o.S2() != m.S2() || o.S1() == m.S1() || b[o.S1()] != p {
			continue
		}
		other = true
		sameFile = sameFile || o.S1()%8 == m.S1()%8
		sameRank = sameRank || o.S1()/8 == m.S1()/8
	}
	if sameRank || (other && !sameFile) {
		out = append(out, 'a'+byte(m.S1()%8))
	}
	if sameFile {
		out = append(out, '1'+byte(m.S1()/8))
	}
	return out
}

// fen returns the FEN of pos, whose pieces are b, with fullMove as its
// move number.
func fen(b *board, pos *chesslib.Position, fullMove int) string {
	var buf [96]byte
	out := buf[:0]
	for r := 7; r >= 0; r-- {
		empty := byte(0)
		for f := range 8 {
			p := b[r*8+f]
			if p == chesslib.NoPiece {
				empty++
				continue
			}
			if empty > 0 {
				out = append(out, '0'+empty)
				empty = 0
			}
			c := pieceLetter(p.Type())
			if p.Color() == chesslib.Black {
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
	out = append(out, pos.Turn().String()...)
	out = append(out, ' ')
	out = append(out, pos.CastleRights().String()...)
	out = append(out, ' ')
	if ep := pos.EnPassantSquare(); ep != chesslib.NoSquare {
		out = appendSquare(out, ep)
	} else {
		out = append(out, '-')
	}
	out = append(out, ' ')
	out = strconv.AppendInt(out, int64(pos.HalfMoveClock()), 10)
	out = append(out, ' ')
	out = strconv.AppendInt(out, int64(fullMove), 10)
	return string(out)
}
