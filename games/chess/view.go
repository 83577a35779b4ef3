package chess

import (
	"strings"

	chesslib "github.com/corentings/chess/v2"
	"github.com/parlorhq/parlor/games"
	"github.com/vmihailenco/msgpack/v5"
)

// View is what every seat and spectator sees: chess has no hidden
// information.
type View struct {
	// FEN is the position in Forsyth-Edwards Notation.
	FEN string `msgpack:"fen"`
	// Turn is the side to move, "w" or "b" (also after the game ended).
	Turn string `msgpack:"turn"`
	// LastMove is the move that led to the position, nil at the start.
	LastMove *Played `msgpack:"last_move"`
	// Check is true when the side to move is in check.
	Check bool `msgpack:"check"`
	// Legal lists the legal moves in UCI notation, sorted; empty once the
	// game is over. Any of them is a valid Move{UCI: m}.
	Legal []string `msgpack:"legal"`
	// Claimable lists the draws the side to move may claim now:
	// ClaimThreefold, ClaimFiftyMove.
	Claimable []string `msgpack:"claimable"`
	// Moves is the move history in SAN, from the starting position.
	Moves []string `msgpack:"moves"`
	// StartFEN is the starting position when it is not the standard one.
	StartFEN string `msgpack:"start_fen,omitempty"`
	// Result is how the game ended by the rules of chess, nil while it
	// goes on.
	Result *games.Result `msgpack:"result"`
}

// buildView builds the view of s, once.
func (s *State) buildView() {
	s.view = View{
		FEN:       fen(&s.pos),
		Turn:      s.pos.turn.String(),
		Check:     s.check,
		Legal:     []string{},
		Claimable: s.claims,
		Moves:     s.hist.sans[1:s.n:s.n],
		Result:    s.result,
	}
	if len(s.legal) > 0 {
		// One string holds every move; the list slices it.
		var all strings.Builder
		all.Grow(5 * len(s.legal))
		var buf [5]byte
		for _, m := range s.legal {
			all.Write(appendUCI(buf[:0], m))
		}
		v, list := all.String(), make([]string, len(s.legal))
		for i, m := range s.legal {
			n := 4
			if m.promo != chesslib.NoPieceType {
				n = 5
			}
			list[i], v = v[:n], v[n:]
		}
		s.view.Legal = list
	}
	if s.view.Claimable == nil {
		s.view.Claimable = []string{}
	}
	if s.n > 1 {
		s.view.LastMove = &s.hist.entries[s.n-1].played
	}
	if s.start != StartFEN {
		s.view.StartFEN = s.start
	}
	s.viewDone.Store(true)
}

// viewOf returns the view of s, building it on first use.
func (s *State) viewOf() *View {
	if !s.viewDone.Load() {
		s.viewOnce.Do(s.buildView)
	}
	return &s.view
}

// EncodeMsgpack writes the view as msgpack: the map that encoding the
// struct by reflection would write, key for key, without reflection's
// per-call allocations. The toolkit encodes a view once per move.
func (v View) EncodeMsgpack(enc *msgpack.Encoder) error {
	w := viewWriter{enc: enc}
	n := 8
	if v.StartFEN != "" {
		n++
	}
	w.do(enc.EncodeMapLen(n))
	w.str("fen", v.FEN)
	w.str("turn", v.Turn)
	w.key("last_move")
	if v.LastMove == nil {
		w.do(enc.EncodeNil())
	} else {
		w.do(enc.EncodeMapLen(2))
		w.str("uci", v.LastMove.UCI)
		w.str("san", v.LastMove.SAN)
	}
	w.key("check")
	w.do(enc.EncodeBool(v.Check))
	w.list("legal", v.Legal)
	w.list("claimable", v.Claimable)
	w.list("moves", v.Moves)
	if v.StartFEN != "" {
		w.str("start_fen", v.StartFEN)
	}
	w.key("result")
	w.do(enc.Encode(v.Result))
	return w.err
}

var _ msgpack.CustomEncoder = View{}

// viewWriter writes a view's keys and values, keeping the first error.
type viewWriter struct {
	enc *msgpack.Encoder
	err error
}

func (w *viewWriter) do(err error) {
	if w.err == nil {
		w.err = err
	}
}

func (w *viewWriter) key(k string) { w.do(w.enc.EncodeString(k)) }

func (w *viewWriter) str(k, v string) {
	w.key(k)
	w.do(w.enc.EncodeString(v))
}

// list writes vals as an array, or nil for a nil slice, as reflection does.
func (w *viewWriter) list(k string, vals []string) {
	w.key(k)
	if vals == nil {
		w.do(w.enc.EncodeNil())
		return
	}
	w.do(w.enc.EncodeArrayLen(len(vals)))
	for _, s := range vals {
		w.do(w.enc.EncodeString(s))
	}
}
