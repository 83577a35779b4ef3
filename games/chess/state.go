package chess

import (
	"fmt"
	"regexp"
	"slices"
	"strings"

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

// State is a position of a match with its history. A State never changes
// once it is returned, so it is safe for concurrent use; Apply returns a
// new one.
type State struct {
	g        *chesslib.Game // never modified once the state is built
	start    string         // FEN of the starting position
	fen      string
	moves    []Played
	legalUCI []string // legal moves in UCI, sorted; nil once over
	claims   []string
	check    bool
	turn     int // seat to move, -1 when over
	libPlies int // moves in g's own history
	result   *games.Result
	view     *View
}

var _ games.State = (*State)(nil)

// newState builds the state of g, which it takes ownership of and never
// modifies again. moves must not be appended to by anyone else; g's own
// history may be shorter (see play). check says whether the side to move
// is in check.
func newState(g *chesslib.Game, start string, moves []Played, check bool) *State {
	pos := g.Position()
	s := &State{
		g:     g,
		start: start,
		fen:   pos.String(),
		moves: moves,
		check: check,
		turn:  -1,
	}
	if g.Outcome() != chesslib.NoOutcome {
		s.result = resultOf(g)
	} else {
		s.turn = seatOf(pos.Turn())
		// ValidMoves caches the list in the position; computing it here,
		// before the state is shared, keeps later uses read-only.
		gen := pos.ValidMoves()
		s.legalUCI = make([]string, len(gen))
		for i := range gen {
			s.legalUCI[i] = chesslib.UCINotation{}.Encode(pos, &gen[i])
		}
		slices.Sort(s.legalUCI)
		// A position occurs for the third time at least eight reversible
		// half-moves after its first time; below that, spare the library's
		// walk over the whole history.
		var draws []chesslib.Method
		if pos.HalfMoveClock() >= 8 {
			draws = g.EligibleDraws()
		}
		for _, m := range draws {
			switch m {
			case chesslib.ThreefoldRepetition:
				s.claims = append(s.claims, ClaimThreefold)
			case chesslib.FiftyMoveRule:
				s.claims = append(s.claims, ClaimFiftyMove)
			}
		}
	}
	s.view = s.buildView(pos)
	return s
}

func (s *State) buildView(pos *chesslib.Position) *View {
	v := &View{
		FEN:       s.fen,
		Turn:      pos.Turn().String(),
		Check:     s.check,
		Legal:     s.legalUCI,
		Claimable: s.claims,
		Moves:     make([]string, len(s.moves)),
		Result:    s.result,
	}
	if v.Legal == nil {
		v.Legal = []string{}
	}
	if v.Claimable == nil {
		v.Claimable = []string{}
	}
	for i, m := range s.moves {
		v.Moves[i] = m.SAN
	}
	if n := len(s.moves); n > 0 {
		last := s.moves[n-1]
		v.LastMove = &last
	}
	if s.start != StartFEN {
		v.StartFEN = s.start
	}
	return v
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

// resultOf maps a finished library game to a result.
func resultOf(g *chesslib.Game) *games.Result {
	r := &games.Result{Winner: -1}
	switch g.Outcome() {
	case chesslib.WhiteWon:
		r.Winner = 0
	case chesslib.BlackWon:
		r.Winner = 1
	}
	switch g.Method() {
	case chesslib.Checkmate:
		r.Reason = ReasonCheckmate
	case chesslib.Stalemate:
		r.Reason = ReasonStalemate
	case chesslib.InsufficientMaterial:
		r.Reason = ReasonInsufficientMaterial
	case chesslib.FivefoldRepetition:
		r.Reason = ReasonFivefold
	case chesslib.SeventyFiveMoveRule:
		r.Reason = ReasonSeventyFiveMove
	case chesslib.ThreefoldRepetition:
		r.Reason = ReasonThreefold
	case chesslib.FiftyMoveRule:
		r.Reason = ReasonFiftyMove
	default: // this package never resigns or agrees draws in the library
		r.Reason = strings.ToLower(g.Method().String())
	}
	return r
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
// is shared: callers must not modify it.
func (s *State) View(int) any { return s.view }

// Key returns the position's full FEN: piece placement, side to move,
// castling rights, en passant square, halfmove clock and move number. It
// is what the rules need beyond the move history, which replaying the
// move log rebuilds (repetitions are counted over that history).
func (s *State) Key() string { return s.fen }

// FEN returns the position in Forsyth-Edwards Notation.
func (s *State) FEN() string { return s.fen }

// StartFEN returns the starting position of the match.
func (s *State) StartFEN() string { return s.start }

// InCheck reports whether the side to move is in check.
func (s *State) InCheck() bool { return s.check }

// Legal returns the legal moves in UCI notation, sorted; none once the
// game is over.
func (s *State) Legal() []string { return slices.Clone(s.legalUCI) }

// Moves returns the moves played from the starting position.
func (s *State) Moves() []Played { return slices.Clone(s.moves) }

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
	var claim chesslib.Method
	switch m.Claim {
	case "":
	case ClaimThreefold:
		claim = chesslib.ThreefoldRepetition
	case ClaimFiftyMove:
		claim = chesslib.FiftyMoveRule
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
	return next.claim(m.Claim, claim)
}

// play makes the legal move i and returns the resulting state. Apply and
// perft both move through here.
func (s *State) play(i int) (*State, error) {
	pos := s.g.Position()
	// Decode the move afresh rather than use the generated one: the
	// library's generator lets the tags of one promotion leak into the
	// next, so an underpromotion after a checking queen promotion would
	// claim to give check, and the next position would believe it.
	m, err := chesslib.UCINotation{}.Decode(pos, s.legalUCI[i])
	if err != nil {
		return nil, fmt.Errorf("chess: library cannot decode legal move %s: %w", s.legalUCI[i], err)
	}
	san := chesslib.AlgebraicNotation{}.Encode(pos, m)
	g := s.g.Clone()
	if err := g.Move(m, nil); err != nil {
		return nil, fmt.Errorf("chess: library refused legal move %s: %w", s.legalUCI[i], err)
	}
	plies := s.libPlies + 1
	if plies >= rebaseAfter && g.Outcome() == chesslib.NoOutcome && g.Position().HalfMoveClock() == 0 {
		// After a capture or pawn move no earlier position can recur, so
		// the library needs no history before it: start its game afresh
		// here. This bounds cloning and the library's repetition count,
		// both linear in its history, by the moves since the last
		// irreversible one (plus rebaseAfter).
		fen := g.Position().String()
		if g, err = newLibGame(fen); err != nil {
			return nil, fmt.Errorf("chess: library cannot restart from %s: %w", fen, err)
		}
		plies = 0
	}
	moves := append(slices.Clip(s.moves), Played{UCI: s.legalUCI[i], SAN: san})
	next := newState(g, s.start, moves, m.HasTag(chesslib.Check))
	next.libPlies = plies
	return next, nil
}

// rebaseAfter is how many moves the library's game of a state holds at
// least before play restarts it (restarting costs two FEN parses).
const rebaseAfter = 32

// claim ends the game by a claimed draw, if the position allows it.
func (s *State) claim(name string, method chesslib.Method) (*State, error) {
	if !slices.Contains(s.claims, name) {
		if method == chesslib.ThreefoldRepetition {
			return nil, codec.Errorf(games.CodeIllegalMove,
				"no threefold repetition: the position has not occurred three times with the same player to move")
		}
		return nil, codec.Errorf(games.CodeIllegalMove,
			"the fifty-move rule needs 50 moves by each player without a capture or pawn move; there have been %d half-moves",
			s.g.Position().HalfMoveClock())
	}
	g := s.g.Clone()
	if err := g.Draw(method); err != nil {
		return nil, fmt.Errorf("chess: library refused eligible draw %s: %w", name, err)
	}
	next := newState(g, s.start, s.moves, s.check)
	next.libPlies = s.libPlies
	return next, nil
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
	if i := slices.Index(s.legalUCI, u); i >= 0 {
		return i, nil
	}
	return -1, s.whyIllegal(u)
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
	from := chesslib.NewSquare(chesslib.File(u[0]-'a'), chesslib.Rank(u[1]-'1'))
	p := s.g.Position().Board().Piece(from)
	switch {
	case p == chesslib.NoPiece:
		return codec.Errorf(games.CodeIllegalMove, "no piece on %s", u[:2])
	case seatOf(p.Color()) != s.turn:
		return codec.Errorf(games.CodeIllegalMove, "the piece on %s is not yours", u[:2])
	}
	for _, l := range s.legalUCI {
		if l[:4] != u[:4] {
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
	m, err := chesslib.AlgebraicNotation{}.Decode(s.g.Position(), san)
	if err != nil {
		if err := s.ambiguous(san); err != nil {
			return -1, err
		}
		return -1, s.notLegal(san)
	}
	if i := slices.Index(s.legalUCI, chesslib.UCINotation{}.Encode(nil, m)); i >= 0 {
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
// could make, or nil.
func (s *State) ambiguous(san string) error {
	sm := sanNoOrigin.FindStringSubmatch(san)
	if sm == nil {
		return nil
	}
	pos := s.g.Position()
	var options []string
	for _, u := range s.legalUCI {
		if u[2:4] != sm[2] {
			continue
		}
		from := chesslib.NewSquare(chesslib.File(u[0]-'a'), chesslib.Rank(u[1]-'1'))
		if p := pos.Board().Piece(from); p.Type() != chesslib.PieceTypeFromString(sm[1]) {
			continue
		}
		m, err := chesslib.UCINotation{}.Decode(pos, u)
		if err != nil {
			continue
		}
		options = append(options, chesslib.AlgebraicNotation{}.Encode(pos, m))
	}
	if len(options) < 2 {
		return nil
	}
	return codec.Errorf(games.CodeIllegalMove, "%s is ambiguous: say which piece, as in %s", san, strings.Join(options, " or "))
}
