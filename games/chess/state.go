package chess

import (
	"fmt"
	"regexp"
	"slices"
	"strings"
	"sync"
	"sync/atomic"

	chesslib "github.com/corentings/chess/v2"
	"github.com/parlorhq/parlor/codec"
	"github.com/parlorhq/parlor/games"
)

// Move is the payload of a move, a msgpack map. Give exactly one of UCI and
// SAN to move, Claim alone to claim a draw in the current position, or a
// move and Claim together to make the move and claim a draw in the position
// it leads to (as the rules of chess allow). Claims are made by the player
// to move.
type Move struct {
	// UCI is a move in UCI notation: from and to squares and, for a
	// promotion, the piece: "e2e4", "e1g1" (castling), "e7e8q".
	UCI string `msgpack:"uci,omitempty"`
	// SAN is a move in standard algebraic notation: "Nf3", "exd5",
	// "O-O", "e8=Q". Check and annotation suffixes are ignored.
	SAN string `msgpack:"san,omitempty"`
	// Claim is ClaimThreefold or ClaimFiftyMove.
	Claim string `msgpack:"claim,omitempty"`
}

// Draw claims.
const (
	// ClaimThreefold claims a draw because the position has occurred three
	// times with the same player to move.
	ClaimThreefold = "threefold"
	// ClaimFiftyMove claims a draw because fifty moves by each player have
	// passed without a capture or a pawn move.
	ClaimFiftyMove = "fifty_move"
)

// Result reasons of games ended by the rules of chess. The toolkit adds
// its own (resignation, agreement, timeout, forfeit, aborted).
const (
	// ReasonCheckmate: the side to move is checkmated; the other wins.
	ReasonCheckmate = "checkmate"
	// ReasonStalemate: the side to move has no legal move and is not in
	// check; a draw.
	ReasonStalemate = "stalemate"
	// ReasonInsufficientMaterial: neither side can checkmate; a draw.
	ReasonInsufficientMaterial = "insufficient_material"
	// ReasonFivefold: a position occurred for the fifth time; a draw.
	ReasonFivefold = "fivefold"
	// ReasonSeventyFiveMove: 75 moves by each side without a capture or a
	// pawn move; a draw.
	ReasonSeventyFiveMove = "seventy_five_move"
	// ReasonThreefold: a draw claimed by threefold repetition.
	ReasonThreefold = "threefold"
	// ReasonFiftyMove: a draw claimed by the fifty-move rule.
	ReasonFiftyMove = "fifty_move"
)

// Played is a move that was made, in both notations.
type Played struct {
	// UCI is the move in UCI notation, such as "e7e8q".
	UCI string `msgpack:"uci"`
	// SAN is the move in standard algebraic notation, with "+" or "#"
	// for check and mate, such as "e8=Q+".
	SAN string `msgpack:"san"`
}

// State is a position of a match with its history. A State never changes
// once it is returned, so it is safe for concurrent use; Apply returns a
// new one.
type State struct {
	pos    position
	start  string   // FEN of the starting position
	hist   *history // the positions so far: hist.entries[:n]
	n      int      // positions so far: moves played + 1
	legal  []move   // the legal moves, in UCI order; nil once over
	claims []string // shared, read-only
	check  bool
	turn   int // seat to move, -1 when over
	result *games.Result

	// The view is built on first use: replaying a log or counting perft
	// needs no FEN, UCI strings or view of the positions it passes.
	viewOnce sync.Once
	viewDone atomic.Bool // view is built
	view     View
}

var _ games.State = (*State)(nil)

// Claimable draws, shared by the states (and views) that offer them.
var (
	claimsThreefold = []string{ClaimThreefold}
	claimsFiftyMove = []string{ClaimFiftyMove}
	claimsBoth      = []string{ClaimThreefold, ClaimFiftyMove}
)

// firstState returns the state of the library's pos, the starting
// position (or any position, for tests).
func firstState(pos *chesslib.Position) *State {
	s := &State{pos: positionOf(pos), start: pos.String()}
	s.check = s.pos.inCheck()
	s.hist, s.n = newHistory(keyOf(&s.pos)), 1
	var buf [maxMoves]move
	s.settle(s.pos.legalMoves(buf[:0]))
	return s
}

// settle sets the state's outcome from legal, the legal moves of its
// position (of which it keeps a sorted copy), and its history: turn,
// result and claimable draws.
func (s *State) settle(legal []move) {
	s.turn = -1
	mover := seatOf(s.pos.turn)
	halfMoves := s.pos.halfMoves
	reps := 1
	if halfMoves >= 8 {
		// A position occurs for the third time at least eight reversible
		// half-moves after its first time.
		reps = s.hist.repetitions(s.n, halfMoves)
	}
	// The order is the library's: mate and stalemate first, then
	// insufficient material, the seventy-five-move rule, fivefold.
	switch {
	case len(legal) == 0 && s.check:
		s.result = &games.Result{Winner: 1 - mover, Reason: ReasonCheckmate}
	case len(legal) == 0:
		s.result = &games.Result{Winner: -1, Reason: ReasonStalemate}
	case !s.pos.board.sufficientMaterial():
		s.result = &games.Result{Winner: -1, Reason: ReasonInsufficientMaterial}
	case halfMoves >= 150:
		s.result = &games.Result{Winner: -1, Reason: ReasonSeventyFiveMove}
	case reps >= 5:
		s.result = &games.Result{Winner: -1, Reason: ReasonFivefold}
	default:
		s.turn = mover
		s.legal = sortedUCI(legal)
		switch threefold, fifty := reps >= 3, halfMoves >= 100; {
		case threefold && fifty:
			s.claims = claimsBoth
		case threefold:
			s.claims = claimsThreefold
		case fifty:
			s.claims = claimsFiftyMove
		}
	}
}

func seatOf(c chesslib.Color) int {
	if c == chesslib.Black {
		return 1
	}
	return 0
}

func colorName(seat int) string {
	if seat == 1 {
		return "black"
	}
	return "white"
}

// Turn returns the seat to move (0 white, 1 black), or -1 once the game is
// over.
func (s *State) Turn() int { return s.turn }

// Result returns how the game ended by the rules, or nil while it goes on.
func (s *State) Result() *games.Result {
	if s.result == nil {
		return nil
	}
	r := *s.result
	return &r
}

// View returns the *View, the same for every seat and for spectators. It
// is shared: callers must not modify it (its slices included).
func (s *State) View(int) any { return s.viewOf() }

// Key returns the position's full FEN: piece placement, side to move,
// castling rights, en passant square, halfmove clock and move number. It
// is what the rules need beyond the move history, which replaying the
// move log rebuilds (repetitions are counted over that history).
func (s *State) Key() string { return s.viewOf().FEN }

// FEN returns the position in Forsyth-Edwards Notation.
func (s *State) FEN() string { return s.viewOf().FEN }

// StartFEN returns the starting position of the match.
func (s *State) StartFEN() string { return s.start }

// InCheck reports whether the side to move is in check.
func (s *State) InCheck() bool { return s.check }

// Legal returns the legal moves in UCI notation, sorted; none once the
// game is over.
func (s *State) Legal() []string { return slices.Clone(s.viewOf().Legal) }

// Moves returns the moves played from the starting position.
func (s *State) Moves() []Played {
	moves := make([]Played, s.n-1)
	for i := range moves {
		moves[i] = s.hist.entries[i+1].played
	}
	return moves
}

// Apply plays move (a msgpack [Move]) for seat and returns the next state.
// The receiver never changes. Errors are *codec.Error: game_over,
// not_player, not_your_turn, bad_request for a malformed payload or
// notation, and illegal_move with the reason for a move or claim the rules
// forbid.
func (s *State) Apply(seat int, move []byte) (games.State, error) {
	next, err := s.apply(seat, move)
	if err != nil {
		return nil, err
	}
	return next, nil
}

func (s *State) apply(seat int, raw []byte) (*State, error) {
	if s.result != nil {
		return nil, codec.Errorf(games.CodeGameOver, "the game is over")
	}
	if seat != 0 && seat != 1 {
		return nil, codec.Errorf(games.CodeNotPlayer, "only white (seat 0) and black (seat 1) move")
	}
	if seat != s.turn {
		return nil, codec.Errorf(games.CodeNotYourTurn, "it is %s's turn", colorName(s.turn))
	}
	var m Move
	if err := codec.UnmarshalData(raw, &m); err != nil {
		return nil, err
	}
	switch m.Claim {
	case "", ClaimThreefold, ClaimFiftyMove:
	default:
		return nil, codec.Errorf(codec.CodeBadRequest, "claim must be %q or %q", ClaimThreefold, ClaimFiftyMove)
	}
	next := s
	switch {
	case m.UCI != "" && m.SAN != "":
		return nil, codec.Errorf(codec.CodeBadRequest, "give the move in uci or san, not both")
	case m.UCI != "" || m.SAN != "":
		var i int
		var err error
		if m.UCI != "" {
			i, err = s.findUCI(m.UCI)
		} else {
			i, err = s.findSAN(m.SAN)
		}
		if err != nil {
			return nil, err
		}
		if next, err = s.play(i); err != nil {
			return nil, err
		}
	case m.Claim == "":
		return nil, codec.Errorf(codec.CodeBadRequest, "empty move: give uci, san or claim")
	}
	if m.Claim == "" || next.result != nil {
		// A move that ends the game (checkmate, say) makes a claim moot.
		return next, nil
	}
	return next.claim(m.Claim)
}

// play makes the legal move i and returns the resulting state. Apply and
// perft both move through here.
func (s *State) play(i int) (*State, error) {
	m := s.legal[i]
	next := &State{pos: s.pos.after(m), start: s.start}
	next.check = next.pos.inCheck()
	var buf [maxMoves]move
	legal := next.pos.legalMoves(buf[:0])
	played := Played{SAN: san(&s.pos.board, s.legal, m, next.check, next.check && len(legal) == 0)}
	if s.viewDone.Load() {
		played.UCI = s.view.Legal[i] // already a string
	} else {
		played.UCI = string(appendUCI(make([]byte, 0, 5), m))
	}
	next.hist, next.n = s.hist.extend(s.n, entry{played: played, key: keyOf(&next.pos)}, played.SAN)
	next.settle(legal)
	return next, nil
}

// claim ends the game by a claimed draw, if the position allows it.
func (s *State) claim(name string) (*State, error) {
	if !slices.Contains(s.claims, name) {
		if name == ClaimThreefold {
			return nil, codec.Errorf(games.CodeIllegalMove,
				"no threefold repetition: the position has not occurred three times with the same player to move")
		}
		return nil, codec.Errorf(games.CodeIllegalMove,
			"the fifty-move rule needs 50 moves by each player without a capture or pawn move; there have been %d half-moves",
			s.pos.halfMoves)
	}
	reason := ReasonThreefold
	if name == ClaimFiftyMove {
		reason = ReasonFiftyMove
	}
	return &State{
		pos:    s.pos,
		start:  s.start,
		hist:   s.hist,
		n:      s.n,
		check:  s.check,
		turn:   -1,
		result: &games.Result{Winner: -1, Reason: reason},
	}, nil
}

// Longest notation accepted; longer input is malformed.
const (
	maxUCI = 5
	maxSAN = 12
)

// findUCI returns the index of the legal move u, or why it is not one.
func (s *State) findUCI(u string) (int, error) {
	if len(u) > maxUCI {
		return -1, codec.Errorf(codec.CodeBadRequest, "uci: not a UCI move such as e2e4 or e7e8q")
	}
	u = strings.ToLower(u)
	if !validUCI(u) {
		return -1, codec.Errorf(codec.CodeBadRequest, "uci: %q is not a UCI move such as e2e4 or e7e8q", u)
	}
	if i := s.index(square(u[0:2]), square(u[2:4]), promoOf(u)); i >= 0 {
		return i, nil
	}
	return -1, s.whyIllegal(u)
}

// square returns the square named sq, such as "e4" (well-formed).
func square(sq string) chesslib.Square {
	return chesslib.NewSquare(chesslib.File(sq[0]-'a'), chesslib.Rank(sq[1]-'1'))
}

// promoOf returns the promotion piece of the well-formed UCI move u.
func promoOf(u string) chesslib.PieceType {
	if len(u) < 5 {
		return chesslib.NoPieceType
	}
	switch u[4] {
	case 'q':
		return chesslib.Queen
	case 'r':
		return chesslib.Rook
	case 'b':
		return chesslib.Bishop
	}
	return chesslib.Knight
}

// index returns the index of a legal move in s.legal, or -1.
func (s *State) index(from, to chesslib.Square, promo chesslib.PieceType) int {
	for i, m := range s.legal {
		if m.from == from && m.to == to && m.promo == promo {
			return i
		}
	}
	return -1
}

func validUCI(u string) bool {
	if len(u) != 4 && len(u) != 5 {
		return false
	}
	if u[0] < 'a' || u[0] > 'h' || u[1] < '1' || u[1] > '8' ||
		u[2] < 'a' || u[2] > 'h' || u[3] < '1' || u[3] > '8' {
		return false
	}
	return len(u) == 4 || strings.IndexByte("qrbn", u[4]) >= 0
}

// whyIllegal explains why the well-formed UCI move u is not legal.
func (s *State) whyIllegal(u string) error {
	from, to := square(u[0:2]), square(u[2:4])
	p := s.pos.board[from]
	switch {
	case p == chesslib.NoPiece:
		return codec.Errorf(games.CodeIllegalMove, "no piece on %s", u[:2])
	case seatOf(p.Color()) != s.turn:
		return codec.Errorf(games.CodeIllegalMove, "the piece on %s is not yours", u[:2])
	}
	for _, m := range s.legal {
		if m.from != from || m.to != to {
			continue
		}
		if len(u) == 4 {
			return codec.Errorf(games.CodeIllegalMove, "%s promotes: add the piece (q, r, b or n), as in %sq", u, u)
		}
		return codec.Errorf(games.CodeIllegalMove, "%s is not a promotion: leave out the piece", u)
	}
	return s.notLegal(u)
}

func (s *State) notLegal(move string) error {
	if s.check {
		return codec.Errorf(games.CodeIllegalMove, "%s is not a legal move: your king is in check", move)
	}
	return codec.Errorf(games.CodeIllegalMove, "%s is not a legal move", move)
}

// findSAN returns the index of the legal move san, or why it is not one.
func (s *State) findSAN(san string) (int, error) {
	if len(san) > maxSAN {
		return -1, codec.Errorf(codec.CodeBadRequest, "san: not a SAN move such as Nf3, exd5 or O-O")
	}
	// Castling is sometimes written with zeros.
	if strings.HasPrefix(san, "0-0") {
		san = strings.ReplaceAll(san, "0", "O")
	}
	if chesslib.ValidateSAN(san) != nil {
		return -1, codec.Errorf(codec.CodeBadRequest, "san: %q is not a SAN move such as Nf3, exd5 or O-O", san)
	}
	// SAN arrives from people and other programs, not from the bots that
	// play at load: it is read by the library, which accepts its common
	// variants, from a position parsed from the state's FEN.
	lib, err := parseFEN(s.FEN())
	if err != nil {
		return -1, fmt.Errorf("chess: library cannot parse %s: %w", s.FEN(), err)
	}
	m, err := chesslib.AlgebraicNotation{}.Decode(lib, san)
	if err != nil {
		if err := s.ambiguous(lib, san); err != nil {
			return -1, err
		}
		return -1, s.notLegal(san)
	}
	if i := s.index(m.S1(), m.S2(), m.Promo()); i >= 0 {
		return i, nil
	}
	return -1, s.notLegal(san)
}

// Forfeit implements games.Forfeiter: seat loses by resignation, timeout
// or forfeit, and the opponent wins, except that a flag fall against an
// opponent who cannot checkmate (see [State.CanCheckmate]) is a draw, as
// the rules of chess say. The reason is kept: a drawn timeout has Winner
// -1 and Reason "timeout".
func (s *State) Forfeit(seat int, reason string) games.Result {
	other := 1 - seat
	if reason == games.ReasonTimeout && !s.CanCheckmate(other) {
		return games.Result{Winner: -1, Reason: reason}
	}
	return games.Result{Winner: other, Reason: reason}
}

var _ games.Forfeiter = (*State)(nil)

// sanNoOrigin matches the piece and destination of a SAN piece move that
// does not say where the piece comes from.
var sanNoOrigin = regexp.MustCompile(`^([NBRQK])x?([a-h][1-8])`)

// ambiguous returns the error for a SAN move that more than one piece
// could make, or nil. lib is the library's copy of the position.
func (s *State) ambiguous(lib *chesslib.Position, given string) error {
	sm := sanNoOrigin.FindStringSubmatch(given)
	if sm == nil {
		return nil
	}
	to := square(sm[2])
	var options []string
	for _, m := range s.legal {
		if m.to != to || s.pos.board[m.from].Type() != chesslib.PieceTypeFromString(sm[1]) {
			continue
		}
		next := s.pos.after(m)
		check := next.inCheck()
		mate := check && len(next.legalMoves(make([]move, 0, maxMoves))) == 0
		options = append(options, san(&s.pos.board, s.legal, m, check, mate))
	}
	if len(options) < 2 {
		return nil
	}
	return codec.Errorf(games.CodeIllegalMove, "%s is ambiguous: say which piece, as in %s", given, strings.Join(options, " or "))
}
