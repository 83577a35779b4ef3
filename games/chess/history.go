package chess

import (
	"sync/atomic"

	chesslib "github.com/corentings/chess/v2"
)

// posKey is what makes two positions the same for the repetition rules:
// the pieces, the side to move, the castling rights and the en passant
// square (as the library sets it: after every two-square pawn move).
type posKey struct {
	board  board
	castle castling
	ep     chesslib.Square
	turn   chesslib.Color
}

// keyOf returns the repetition key of p.
func keyOf(p *position) posKey {
	return posKey{board: p.board, castle: p.castle, ep: p.ep, turn: p.turn}
}

// entry is one position of a game: the move that led to it (none for the
// starting position) and its repetition key.
type entry struct {
	played Played
	key    posKey
}

// history is the record of one line of play, shared by its states: a
// state of n positions reads entries[:n] and sans[:n], which never change
// once written. The next state appends in place when no other state has
// claimed the slot after its parent's (claimed counts the slots taken);
// otherwise it copies, as two moves applied to the same state do (a
// refused move claims nothing). So a game of n moves costs O(n) in all,
// where copying the record per move would cost O(n²), and the move list of
// a view is a slice of sans, not a copy.
type history struct {
	entries []entry  // len == cap: slots past the claimed ones are zero
	sans    []string // the moves in SAN; sans[0], of the start, is ""
	claimed atomic.Int64
}

// newHistory returns a history holding start, with room for more.
func newHistory(start posKey) *history {
	h := &history{entries: make([]entry, 16), sans: make([]string, 16)}
	h.entries[0].key = start
	h.claimed.Store(1)
	return h
}

// extend returns the history of the state that follows the state of n
// positions in h with e, and its length, n+1.
func (h *history) extend(n int, e entry, san string) (*history, int) {
	if n < len(h.entries) && h.claimed.CompareAndSwap(int64(n), int64(n+1)) {
		h.entries[n], h.sans[n] = e, san
		return h, n + 1
	}
	grown := &history{entries: make([]entry, 2*(n+1)), sans: make([]string, 2*(n+1))}
	copy(grown.entries, h.entries[:n])
	copy(grown.sans, h.sans[:n])
	grown.entries[n], grown.sans[n] = e, san
	grown.claimed.Store(int64(n + 1))
	return grown, n + 1
}

// repetitions counts the occurrences of the last of the n positions in h,
// itself included. halfMoves is the position's halfmove clock: no position
// before the last capture or pawn move can recur, so the count looks back
// no further.
func (h *history) repetitions(n, halfMoves int) int {
	last := n - 1
	key := &h.entries[last].key
	count := 1
	for i := last - 2; i >= 0 && i >= last-halfMoves; i -= 2 {
		if h.entries[i].key == *key {
			count++
		}
	}
	return count
}
