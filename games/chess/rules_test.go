package chess

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"

	chesslib "github.com/corentings/chess/v2"
	"github.com/parlorhq/parlor/codec"
	"github.com/parlorhq/parlor/games"
)

// start returns the initial state of a game from fen ("" for standard).
func start(t testing.TB, fen string) *State {
	t.Helper()
	g, err := NewGame(Options{FEN: fen})
	if err != nil {
		t.Fatalf("NewGame(%q): %v", fen, err)
	}
	return g.Initial()
}

// encode marshals a move payload.
func encode(t testing.TB, m any) []byte {
	t.Helper()
	raw, err := codec.MarshalData(m)
	if err != nil {
		t.Fatal(err)
	}
	return raw
}

// parse turns "e2e4", "Nf3" or "claim:threefold" into a Move.
func parse(move string) Move {
	if c, ok := strings.CutPrefix(move, "claim:"); ok {
		return Move{Claim: c}
	}
	if validUCI(move) {
		return Move{UCI: move}
	}
	return Move{SAN: move}
}

// try applies move for the side to move.
func try(t testing.TB, s *State, m Move) (*State, error) {
	t.Helper()
	seat := s.Turn()
	if seat < 0 {
		seat = 0
	}
	next, err := s.Apply(seat, encode(t, m))
	if err != nil {
		if next != nil {
			t.Fatalf("Apply(%+v) returned a state with error %v", m, err)
		}
		return nil, err
	}
	return next.(*State), nil
}

// play applies moves in order (see parse) and fails on any error.
func play(t testing.TB, s *State, moves ...string) *State {
	t.Helper()
	for _, mv := range moves {
		next, err := try(t, s, parse(mv))
		if err != nil {
			t.Fatalf("%s after %v: %v", mv, s.Moves(), err)
		}
		s = next
	}
	return s
}

// viewOf returns the view of s.
func viewOf(s *State) *View { return s.View(-1).(*View) }

// code returns the code of a *codec.Error.
func code(err error) codec.Code {
	var ce *codec.Error
	if errors.As(err, &ce) {
		return ce.Code
	}
	return ""
}

// snapshot captures what must not change when Apply fails.
func snapshot(s *State) string {
	raw, _ := codec.MarshalData(s.View(-1))
	return fmt.Sprintf("%s|%d|%v|%x", s.Key(), s.Turn(), s.Result(), raw)
}

// TestRules runs rule cases through Apply: each plays the setup moves from
// fen, then tries move and checks the outcome.
func TestRules(t *testing.T) {
	tests := []struct {
		name  string
		fen   string
		setup []string
		move  string
		// Exactly one of the following holds the expectation.
		wantFEN    string        // the move is legal and leads here
		wantResult *games.Result // the move is legal and ends the game
		wantErr    string        // the move is illegal; the reason contains this
	}{
		// En passant.
		{
			name: "en passant", fen: "rnbqkbnr/ppp1p1pp/8/3pPp2/8/8/PPPP1PPP/RNBQKBNR w KQkq f6 0 3",
			move: "e5f6", wantFEN: "rnbqkbnr/ppp1p1pp/5P2/3p4/8/8/PPPP1PPP/RNBQKBNR b KQkq - 0 3",
		},
		{
			name: "en passant in SAN", fen: "rnbqkbnr/ppp1p1pp/8/3pPp2/8/8/PPPP1PPP/RNBQKBNR w KQkq f6 0 3",
			move: "exf6", wantFEN: "rnbqkbnr/ppp1p1pp/5P2/3p4/8/8/PPPP1PPP/RNBQKBNR b KQkq - 0 3",
		},
		{
			name: "en passant after the double step", fen: "rnbqkbnr/ppp1pppp/8/3pP3/8/8/PPPP1PPP/RNBQKBNR b KQkq - 0 2",
			setup: []string{"f7f5"},
			move:  "e5f6", wantFEN: "rnbqkbnr/ppp1p1pp/5P2/3p4/8/8/PPPP1PPP/RNBQKBNR b KQkq - 0 3",
		},
		{
			name: "en passant only at once", fen: "rnbqkbnr/ppp1pppp/8/3pP3/8/8/PPPP1PPP/RNBQKBNR b KQkq - 0 2",
			setup: []string{"f7f5", "g1f3", "a7a6"},
			move:  "e5f6", wantErr: "e5f6 is not a legal move",
		},
		{
			// Taking d5 en passant would empty the fifth rank between the
			// king on a5 and the rook on h5.
			name: "en passant through a pin", fen: "8/8/8/K2pP2r/8/8/8/7k w - d6 0 1",
			move: "e5d6", wantErr: "e5d6 is not a legal move",
		},
		{
			name: "en passant through a diagonal pin", fen: "k7/6K1/8/3pP3/8/2b5/8/8 w - d6 0 1",
			move: "e5d6", wantErr: "not a legal move",
		},
		{
			name: "en passant out of check", fen: "8/8/8/2k5/3Pp3/8/8/4K3 b - d3 0 1",
			move: "e4d3", wantFEN: "8/8/8/2k5/8/3p4/8/4K3 w - - 0 2",
		},

		// Castling.
		{
			name: "castle kingside", fen: "r3k2r/8/8/8/8/8/8/R3K2R w KQkq - 0 1",
			move: "e1g1", wantFEN: "r3k2r/8/8/8/8/8/8/R4RK1 b kq - 1 1",
		},
		{
			name: "castle queenside in SAN", fen: "r3k2r/8/8/8/8/8/8/R3K2R w KQkq - 0 1",
			move: "O-O-O", wantFEN: "r3k2r/8/8/8/8/8/8/2KR3R b kq - 1 1",
		},
		{
			name: "castle with zeros", fen: "r3k2r/8/8/8/8/8/8/R3K2R b KQkq - 0 1",
			move: "0-0", wantFEN: "r4rk1/8/8/8/8/8/8/R3K2R w KQ - 1 2",
		},
		{
			name: "castle out of check", fen: "r3k2r/8/8/8/4r3/8/8/R3K2R w KQkq - 0 1",
			move: "e1g1", wantErr: "your king is in check",
		},
		{
			name: "castle queenside out of check", fen: "r3k2r/8/8/8/4r3/8/8/R3K2R w KQkq - 0 1",
			move: "O-O-O", wantErr: "your king is in check",
		},
		{
			name: "castle through check", fen: "r3k2r/8/8/8/8/5r2/8/R3K2R w KQkq - 0 1",
			move: "e1g1", wantErr: "not a legal move",
		},
		{
			name: "castle the other way past an attacked f1", fen: "r3k2r/8/8/8/8/5r2/8/R3K2R w KQkq - 0 1",
			move: "e1c1", wantFEN: "r3k2r/8/8/8/8/5r2/8/2KR3R b kq - 1 1",
		},
		{
			name: "castle into check", fen: "r3k2r/8/8/8/8/6r1/8/R3K2R w KQkq - 0 1",
			move: "e1g1", wantErr: "not a legal move",
		},
		{
			name: "castle queenside into check", fen: "r3k2r/8/8/8/8/2r5/8/R3K2R w KQkq - 0 1",
			move: "e1c1", wantErr: "not a legal move",
		},
		{
			name: "castle queenside with b1 attacked", fen: "r3k2r/8/8/8/8/1r6/8/R3K2R w KQkq - 0 1",
			move: "e1c1", wantFEN: "r3k2r/8/8/8/8/1r6/8/2KR3R b kq - 1 1",
		},
		{
			name: "castle after the rook moved", fen: "r3k2r/8/8/8/8/8/8/R3K2R w KQkq - 0 1",
			setup: []string{"h1h2", "a8a7", "h2h1", "a7a8"},
			move:  "e1g1", wantErr: "not a legal move",
		},
		{
			name: "castle through a piece", fen: "r3k2r/8/8/8/8/8/8/R3KB1R w KQkq - 0 1",
			move: "e1g1", wantErr: "not a legal move",
		},

		// Promotion.
		{
			name: "promote to a queen", fen: "1r5k/P7/8/8/8/8/8/K7 w - - 0 1",
			move: "a7a8q", wantFEN: "Qr5k/8/8/8/8/8/8/K7 b - - 0 1",
		},
		{
			name: "underpromote to a knight", fen: "1r5k/P7/8/8/8/8/8/K7 w - - 0 1",
			move: "a7a8n", wantFEN: "Nr5k/8/8/8/8/8/8/K7 b - - 0 1",
		},
		{
			name: "underpromote to a bishop in SAN", fen: "1r5k/P7/8/8/8/8/8/K7 w - - 0 1",
			move: "a8=B", wantFEN: "Br5k/8/8/8/8/8/8/K7 b - - 0 1",
		},
		{
			name: "underpromote to a rook with a capture", fen: "1r5k/P7/8/8/8/8/8/K7 w - - 0 1",
			move: "axb8=R+", wantFEN: "1R5k/8/8/8/8/8/8/K7 b - - 0 1",
		},
		{
			name: "capture-promote to a knight: insufficient material", fen: "1r5k/P7/8/8/8/8/8/K7 w - - 0 1",
			move: "a7b8n", wantResult: &games.Result{Winner: -1, Reason: ReasonInsufficientMaterial},
		},
		{
			name: "promotion without the piece", fen: "1r5k/P7/8/8/8/8/8/K7 w - - 0 1",
			move: "a7a8", wantErr: "promotes",
		},
		{
			name: "promotion piece on a plain move", fen: "1r5k/P7/8/8/8/8/8/K7 w - - 0 1",
			move: "a1a2q", wantErr: "not a promotion",
		},
		{
			name: "black promotes", fen: "k7/8/8/8/8/8/p7/7K b - - 0 1",
			move: "a2a1r", wantFEN: "k7/8/8/8/8/8/8/r6K w - - 0 2",
		},

		// Ends.
		{
			name: "stalemate", fen: "k7/8/8/2Q5/8/8/8/7K w - - 0 1",
			move: "Qb6", wantResult: &games.Result{Winner: -1, Reason: ReasonStalemate},
		},
		{
			name: "back-rank mate", fen: "6k1/5ppp/8/8/8/8/8/R5K1 w - - 0 1",
			move: "a1a8", wantResult: &games.Result{Winner: 0, Reason: ReasonCheckmate},
		},
		{
			name: "capture to bare kings", fen: "7k/8/8/8/8/8/1r6/K7 w - - 0 1",
			move: "Kxb2", wantResult: &games.Result{Winner: -1, Reason: ReasonInsufficientMaterial},
		},
		{
			name: "seventy-five-move rule", fen: "7k/8/8/8/8/8/8/R6K w - - 149 100",
			move: "a1a2", wantResult: &games.Result{Winner: -1, Reason: ReasonSeventyFiveMove},
		},
		{
			name: "checkmate beats the seventy-five-move rule", fen: "7k/8/6K1/8/8/8/8/R7 w - - 149 100",
			move: "a1a8", wantResult: &games.Result{Winner: 0, Reason: ReasonCheckmate},
		},

		// Illegal moves and their reasons.
		{name: "empty square", move: "e3e4", wantErr: "no piece on e3"},
		{name: "opponent's piece", move: "e7e5", wantErr: "the piece on e7 is not yours"},
		{name: "pawn three squares", move: "e2e5", wantErr: "e2e5 is not a legal move"},
		{name: "SAN not legal", move: "Nf6", wantErr: "Nf6 is not a legal move"},
		{name: "ambiguous SAN", fen: "4k3/8/8/8/8/8/8/1N2KN2 w - - 0 1", move: "Nd2", wantErr: "Nd2 is ambiguous: say which piece, as in Nbd2 or Nfd2"},
		{name: "disambiguated SAN", fen: "4k3/8/8/8/8/8/8/1N2KN2 w - - 0 1", move: "Nfd2", wantFEN: "4k3/8/8/8/8/8/3N4/1N2K3 b - - 1 1"},
		{name: "rank-disambiguated SAN", fen: "4k3/8/8/R7/8/8/8/R3K3 w - - 0 1", move: "R1a3", wantFEN: "4k3/8/8/R7/8/R7/8/4K3 b - - 1 1"},
		{name: "king into check", fen: "4k3/8/8/8/8/8/3r4/4K3 w - - 0 1", move: "e1e2", wantErr: "e1e2 is not a legal move"},
		{name: "ignoring check", fen: "4k3/8/8/8/8/8/8/r3K2N w - - 0 1", move: "h1g3", wantErr: "your king is in check"},
		{name: "pinned piece", fen: "4k3/4r3/8/8/8/8/4N3/4K3 w - - 0 1", move: "e2c3", wantErr: "not a legal move"},

		// Claims.
		{
			name: "threefold claim", setup: []string{"Nf3", "Nf6", "Ng1", "Ng8", "Nf3", "Nf6", "Ng1", "Ng8"},
			move: "claim:threefold", wantResult: &games.Result{Winner: -1, Reason: ReasonThreefold},
		},
		{
			name: "threefold claim too early", setup: []string{"Nf3", "Nf6", "Ng1", "Ng8"},
			move: "claim:threefold", wantErr: "no threefold repetition",
		},
		{
			name: "fifty-move claim", fen: "7k/8/8/8/8/8/8/R6K w - - 99 80", setup: []string{"a1a2"},
			move: "claim:fifty_move", wantResult: &games.Result{Winner: -1, Reason: ReasonFiftyMove},
		},
		{
			name: "fifty-move claim too early", fen: "7k/8/8/8/8/8/8/R6K w - - 99 80",
			move: "claim:fifty_move", wantErr: "there have been 99 half-moves",
		},
		{
			name: "fifty-move claim after a pawn move", fen: "7k/8/8/8/8/8/P7/R6K w - - 99 80", setup: []string{"a2a3"},
			move: "claim:fifty_move", wantErr: "there have been 0 half-moves",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := play(t, start(t, tc.fen), tc.setup...)
			before := snapshot(s)
			next, err := try(t, s, parse(tc.move))
			if got := snapshot(s); got != before {
				t.Fatalf("Apply changed its receiver:\n%s\n%s", before, got)
			}
			if tc.wantErr != "" {
				if code(err) != games.CodeIllegalMove || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("%s: err %v, want illegal_move containing %q", tc.move, err, tc.wantErr)
				}
				if m := parse(tc.move); m.UCI != "" && slices.Contains(s.Legal(), m.UCI) {
					t.Fatalf("%s is refused but listed as legal", tc.move)
				}
				return
			}
			if err != nil {
				t.Fatalf("%s: %v", tc.move, err)
			}
			if m := parse(tc.move); m.UCI != "" && !slices.Contains(s.Legal(), m.UCI) {
				t.Fatalf("%s is legal but not listed in %v", tc.move, s.Legal())
			}
			if tc.wantFEN != "" && next.FEN() != tc.wantFEN {
				t.Fatalf("%s: FEN %s, want %s", tc.move, next.FEN(), tc.wantFEN)
			}
			got := next.Result()
			switch {
			case tc.wantResult == nil && got != nil:
				t.Fatalf("%s ended the game: %+v", tc.move, got)
			case tc.wantResult != nil && (got == nil || *got != *tc.wantResult):
				t.Fatalf("%s: result %+v, want %+v", tc.move, got, tc.wantResult)
			case tc.wantResult != nil:
				if next.Turn() != -1 || len(next.Legal()) != 0 {
					t.Fatalf("finished game: turn %d, legal %v", next.Turn(), next.Legal())
				}
				if _, err := next.Apply(0, encode(t, Move{UCI: "a1a2"})); code(err) != games.CodeGameOver {
					t.Fatalf("move after the end: %v, want game_over", err)
				}
				if _, err := next.Apply(1, encode(t, Move{UCI: "a1a2"})); code(err) != games.CodeGameOver {
					t.Fatalf("move after the end: %v, want game_over", err)
				}
			}
		})
	}
}

func TestScholarsMate(t *testing.T) {
	s := play(t, start(t, ""), "e2e4", "e7e5", "Bc4", "Nc6", "d1h5", "Ng8f6")
	if s.InCheck() || s.Result() != nil {
		t.Fatal("game over too early")
	}
	s = play(t, s, "h5f7")
	v := viewOf(s)
	want := &View{
		FEN:       "r1bqkb1r/pppp1Qpp/2n2n2/4p3/2B1P3/8/PPPP1PPP/RNB1K1NR b KQkq - 0 4",
		Turn:      "b",
		LastMove:  &Played{UCI: "h5f7", SAN: "Qxf7#"},
		Check:     true,
		Legal:     []string{},
		Claimable: []string{},
		Moves:     []string{"e4", "e5", "Bc4", "Nc6", "Qh5", "Nf6", "Qxf7#"},
		Result:    &games.Result{Winner: 0, Reason: ReasonCheckmate},
	}
	if !reflect.DeepEqual(v, want) {
		t.Fatalf("view\n%+v\nwant\n%+v", *v, *want)
	}
}

func TestFivefoldIsAutomatic(t *testing.T) {
	shuffle := []string{"Nf3", "Nf6", "Ng1", "Ng8"}
	s := start(t, "")
	for i := range 4 {
		if s.Result() != nil {
			t.Fatalf("ended after %d cycles: %+v", i, s.Result())
		}
		if i >= 2 && !slices.Contains(viewOf(s).Claimable, ClaimThreefold) {
			t.Fatalf("threefold not claimable after %d cycles", i)
		}
		s = play(t, s, shuffle...)
	}
	if r := s.Result(); r == nil || *r != (games.Result{Winner: -1, Reason: ReasonFivefold}) {
		t.Fatalf("after five occurrences: %+v", r)
	}
}

func TestClaimWithMove(t *testing.T) {
	s := play(t, start(t, ""), "Nf3", "Nf6", "Ng1", "Ng8", "Nf3", "Nf6", "Ng1")
	// Black's Ng8 repeats the position a third time: black may claim with
	// the move.
	next, err := try(t, s, Move{SAN: "Ng8", Claim: ClaimThreefold})
	if err != nil {
		t.Fatal(err)
	}
	if r := next.Result(); r == nil || r.Reason != ReasonThreefold {
		t.Fatalf("result %+v", r)
	}
	if got := next.Moves(); len(got) != 8 || got[7].SAN != "Ng8" {
		t.Fatalf("moves %v", got)
	}
	// A claim that does not hold after the move refuses the move too.
	before := snapshot(s)
	if _, err := try(t, s, Move{SAN: "Nh5", Claim: ClaimThreefold}); code(err) != games.CodeIllegalMove {
		t.Fatalf("Nh5 with a claim: %v", err)
	}
	if snapshot(s) != before {
		t.Fatal("a refused claim changed the state")
	}
	// The fifty-move rule, claimed with the hundredth half-move.
	s = start(t, "7k/8/8/8/8/8/8/R6K w - - 99 80")
	if next, err = try(t, s, Move{UCI: "a1a2", Claim: ClaimFiftyMove}); err != nil {
		t.Fatal(err)
	}
	if r := next.Result(); r == nil || r.Reason != ReasonFiftyMove {
		t.Fatalf("result %+v", r)
	}
	// Only the side to move claims.
	s = play(t, start(t, ""), "Nf3", "Nf6", "Ng1", "Ng8", "Nf3", "Nf6", "Ng1", "Ng8")
	if _, err := s.Apply(1, encode(t, Move{Claim: ClaimThreefold})); code(err) != games.CodeNotYourTurn {
		t.Fatalf("claim out of turn: %v", err)
	}
}

func TestBadPayloads(t *testing.T) {
	s := start(t, "")
	before := snapshot(s)
	raw := func(v any) []byte { return encode(t, v) }
	tests := []struct {
		name string
		seat int
		move []byte
		want codec.Code
	}{
		{"empty", 0, nil, codec.CodeBadRequest},
		{"empty map", 0, raw(map[string]string{}), codec.CodeBadRequest},
		{"not a map", 0, raw("e2e4"), codec.CodeBadRequest},
		{"wrong type", 0, raw(map[string]int{"uci": 4}), codec.CodeBadRequest},
		{"both notations", 0, raw(Move{UCI: "e2e4", SAN: "e4"}), codec.CodeBadRequest},
		{"malformed uci", 0, raw(Move{UCI: "e2e9"}), codec.CodeBadRequest},
		{"bad promotion letter", 0, raw(Move{UCI: "e7e8k"}), codec.CodeBadRequest},
		{"long uci", 0, raw(Move{UCI: strings.Repeat("e2e4", 100)}), codec.CodeBadRequest},
		{"malformed san", 0, raw(Move{SAN: "Zz9"}), codec.CodeBadRequest},
		{"long san", 0, raw(Move{SAN: strings.Repeat("N", 1000)}), codec.CodeBadRequest},
		{"unknown claim", 0, raw(Move{Claim: "boredom"}), codec.CodeBadRequest},
		{"truncated msgpack", 0, []byte{0x81, 0xa3, 'u', 'c'}, codec.CodeBadRequest},
		{"out of turn", 1, raw(Move{UCI: "e7e5"}), games.CodeNotYourTurn},
		{"spectator", -1, raw(Move{UCI: "e2e4"}), games.CodeNotPlayer},
		{"no such seat", 2, raw(Move{UCI: "e2e4"}), games.CodeNotPlayer},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			next, err := s.Apply(tc.seat, tc.move)
			if next != nil || code(err) != tc.want {
				t.Fatalf("Apply: %v, %v; want %s", next, err, tc.want)
			}
			if snapshot(s) != before {
				t.Fatal("a refused move changed the state")
			}
		})
	}
	// Unknown keys, like the toolkit's ply, are ignored; UCI is not
	// case-sensitive.
	if _, err := s.Apply(0, raw(map[string]any{"uci": "E2E4", "ply": 0})); err != nil {
		t.Fatal(err)
	}
}

func TestNewGame(t *testing.T) {
	for _, fen := range []string{"", StartFEN, "  " + strings.ReplaceAll(StartFEN, " ", "  ") + " "} {
		if g, err := NewGame(Options{FEN: fen}); err != nil || g.FEN() != StartFEN || g.Initial() != (Game{}).Initial() {
			t.Fatalf("NewGame(%q): %v", fen, err)
		}
	}
	for _, fen := range []string{
		"hello",
		"rnbqkbnr/pppppppp/8/8/8/8/PPPPPPPP/RNBQKBNR w KQkq - 0",      // five fields
		"rnbqkbnr/pppppppp/8/8/8/8/PPPPPPPP/RNBQKBNR x KQkq - 0 1",    // side to move
		"rnbqkbnr/pppppppp/8/8/8/8/PPPPPPPP/RNBQKBNK w - - 0 1",       // two white kings
		"rnbq1bnr/pppppppp/8/8/8/8/PPPPPPPP/RNBQKBNR w KQ - 0 1",      // no black king
		"P3k3/8/8/8/8/8/8/4K3 w - - 0 1",                              // pawn on the last rank
		"4k3/8/8/8/8/8/8/4K2p b - - 0 1",                              // pawn on the first rank
		"4k3/4R3/8/8/8/8/8/4K3 w - - 0 1",                             // black, not to move, in check
		"4k3/8/8/8/8/8/8/4K3 w K - 0 1",                               // castling without a rook
		"r3k3/8/8/8/8/8/8/R3K2R w KQkq - 0 1",                         // black kingside without a rook
		"4k3/8/8/8/8/8/8/R3K3 w Q e6 0 1",                             // en passant with no pawn
		"rnbqkbnr/pppp1ppp/8/4p3/8/8/PPPPPPPP/RNBQKBNR w KQkq e3 0 2", // en passant on the wrong side
	} {
		if _, err := NewGame(Options{FEN: fen}); !errors.Is(err, ErrInvalidFEN) {
			t.Errorf("NewGame(%q): %v, want ErrInvalidFEN", fen, err)
		}
	}
	// A position that is already over cannot start a match.
	for _, fen := range []string{
		"k7/8/1Q6/8/8/8/8/7K b - - 0 1",  // stalemate
		"k7/1Q6/1K6/8/8/8/8/8 b - - 0 1", // checkmate
		"k7/8/8/8/8/8/8/6NK w - - 0 1",   // insufficient material
		"k7/8/8/8/8/8/8/6RK w - - 150 1", // seventy-five moves
	} {
		if _, err := NewGame(Options{FEN: fen}); !errors.Is(err, ErrInvalidFEN) || !strings.Contains(err.Error(), "already over") {
			t.Errorf("NewGame(%q): %v, want the game already over", fen, err)
		}
	}
	// Black to move first, in check.
	s := start(t, "4k3/8/8/8/8/8/8/4RK2 b - - 0 1")
	if s.Turn() != 1 || !s.InCheck() || viewOf(s).Turn != "b" {
		t.Fatalf("turn %d check %v", s.Turn(), s.InCheck())
	}
}

func TestKeyReplays(t *testing.T) {
	uci := []string{"e2e4", "c7c5", "g1f3", "d7d6", "d2d4", "c5d4", "f3d4", "g8f6", "b1c3", "a7a6"}
	san := []string{"e4", "c5", "Nf3", "d6", "d4", "cxd4", "Nxd4", "Nf6", "Nc3", "a6"}
	a := play(t, start(t, ""), uci...)
	b := play(t, start(t, ""), san...)
	if a.Key() != b.Key() || a.Key() != "rnbqkb1r/1p2pppp/p2p1n2/8/3NP3/2N5/PPP2PPP/R1BQKB1R w KQkq - 0 6" {
		t.Fatalf("keys %s and %s", a.Key(), b.Key())
	}
	if !slices.Equal(viewOf(a).Moves, san) {
		t.Fatalf("SAN history %v", viewOf(a).Moves)
	}
	// The toolkit's replay of a move log reproduces the key.
	var log []games.LoggedMove
	for i, m := range uci {
		log = append(log, games.LoggedMove{Seat: i % 2, Move: encode(t, Move{UCI: m})})
	}
	r, err := games.Replay(Game{}, log)
	if err != nil || r.Key() != a.Key() {
		t.Fatalf("replay: %v, key %s", err, r.Key())
	}
}

// TestRandomGames plays random games to their end through the legal-move
// list of the view, and checks that every listed move is accepted, that
// the check flag agrees with the library's, and that SAN round-trips.
func TestRandomGames(t *testing.T) {
	n := 20
	if testing.Short() || raceEnabled {
		n = 5
	}
	rng := rand.New(rand.NewPCG(1, 2))
	ends := map[string]int{}
	for range n {
		s := start(t, "")
		for s.Result() == nil {
			legal := viewOf(s).Legal
			if len(legal) == 0 {
				t.Fatalf("no legal moves but no result at %s", s.FEN())
			}
			u := legal[rng.IntN(len(legal))]
			next, err := try(t, s, Move{UCI: u})
			if err != nil {
				t.Fatalf("listed move %s refused at %s: %v", u, s.FEN(), err)
			}
			agreesWithLibrary(t, s, next, u)
			san := viewOf(next).LastMove.SAN
			viaSAN, err := try(t, s, Move{SAN: san})
			if err != nil || viaSAN.Key() != next.Key() {
				t.Fatalf("SAN %s of %s at %s: %v", san, u, s.FEN(), err)
			}
			s = next
		}
		ends[s.Result().Reason]++
	}
	t.Logf("endings: %v", ends)
}

// agreesWithLibrary checks what the state after prev and the move u
// computes itself against the library, which makes the same move from
// prev's FEN: the check flag, the FEN, the pieces, the legal moves and
// the SAN of u.
func agreesWithLibrary(t *testing.T, prev, next *State, u string) {
	t.Helper()
	lib, err := parseFEN(prev.FEN())
	if err != nil {
		t.Fatal(err)
	}
	m, err := chesslib.UCINotation{}.Decode(lib, u)
	if err != nil {
		t.Fatal(err)
	}
	after := lib.Update(m)
	if got, want := next.InCheck(), m.HasTag(chesslib.Check); got != want {
		t.Fatalf("check %v, library's %v after %s at %s", got, want, u, prev.FEN())
	}
	if got, want := next.FEN(), after.String(); got != want {
		t.Fatalf("FEN %s, library's %s", got, want)
	}
	if next.pos.board != *boardOf(after) {
		t.Fatalf("board differs from the library's at %s", next.FEN())
	}
	if next.Result() == nil {
		var want []string
		for _, m := range after.ValidMoves() {
			want = append(want, chesslib.UCINotation{}.Encode(nil, &m))
		}
		slices.Sort(want)
		if got := next.Legal(); !slices.Equal(got, want) {
			t.Fatalf("legal moves %v, library's %v at %s", got, want, next.FEN())
		}
	}
	if got, want := viewOf(next).LastMove.SAN, (chesslib.AlgebraicNotation{}).Encode(lib, m); got != want {
		t.Fatalf("SAN %s, library's %s for %s at %s", got, want, u, prev.FEN())
	}
}

// TestBranches applies several moves to one state: each line keeps its
// own moves although the states share their history's storage.
func TestBranches(t *testing.T) {
	s := play(t, start(t, ""), "e4", "e5")
	a := play(t, s, "Nf3", "Nc6")
	b := play(t, s, "Bc4")
	c := play(t, a, "Bb5")
	d := play(t, a, "Bc4")
	for _, tc := range []struct {
		s    *State
		want []string
	}{
		{s, []string{"e4", "e5"}},
		{a, []string{"e4", "e5", "Nf3", "Nc6"}},
		{b, []string{"e4", "e5", "Bc4"}},
		{c, []string{"e4", "e5", "Nf3", "Nc6", "Bb5"}},
		{d, []string{"e4", "e5", "Nf3", "Nc6", "Bc4"}},
	} {
		if got := viewOf(tc.s).Moves; !slices.Equal(got, tc.want) {
			t.Errorf("moves %v, want %v", got, tc.want)
		}
		if got := tc.s.Moves(); len(got) != len(tc.want) || got[len(got)-1].SAN != tc.want[len(tc.want)-1] ||
			viewOf(tc.s).LastMove.SAN != tc.want[len(tc.want)-1] {
			t.Errorf("played %v, last %v, want %v", got, viewOf(tc.s).LastMove, tc.want)
		}
	}
	// A repetition counts the positions of its own line only: after
	// Nf3, the position occurs for the third time in x, the second in y.
	x := play(t, s, "Nf3", "Nf6", "Ng1", "Ng8", "Nf3", "Nf6", "Ng1", "Ng8", "Nf3")
	y := play(t, s, "Nc3", "Nf6", "Nb1", "Ng8", "Nf3", "Nf6", "Ng1", "Ng8", "Nf3")
	if got := viewOf(x).Claimable; !slices.Equal(got, []string{ClaimThreefold}) {
		t.Errorf("claimable after three times: %v", got)
	}
	if got := viewOf(y).Claimable; len(got) != 0 {
		t.Errorf("claimable after twice: %v", got)
	}
	if got := viewOf(x).Moves[2:5]; !slices.Equal(got, []string{"Nf3", "Nf6", "Ng1"}) {
		t.Errorf("x's moves %v", viewOf(x).Moves)
	}
}

func TestCanCheckmate(t *testing.T) {
	tests := []struct {
		fen          string
		white, black bool
	}{
		{"4k3/8/8/8/8/8/8/4K3 w - - 0 1", false, false},
		{"4k3/8/8/8/8/8/8/4KQ2 w - - 0 1", true, false},
		{"4k3/8/8/8/8/8/8/4KN2 w - - 0 1", false, false},
		{"4k3/8/8/8/8/8/8/4KB2 w - - 0 1", false, false},
		{"4k3/8/8/8/8/8/7p/4KN2 w - - 0 1", true, true},  // the pawn can block its own king
		{"4kb2/8/8/8/8/8/8/4KN2 w - - 0 1", true, true},  // king and minor against king and minor
		{"4k3/8/8/8/8/8/8/3NKN2 w - - 0 1", true, false}, // two knights, helpmate possible
		{"4k3/8/8/8/8/8/8/2B1KB2 w - - 0 1", true, false},
		{"4k3/8/8/8/8/B7/8/2B1K3 w - - 0 1", false, false}, // bishops on one colour only
		{"2b1k3/8/8/8/8/8/8/4KB2 w - - 0 1", false, false}, // opposite sides, same colour
		{"3bk3/8/8/8/8/8/8/4KB2 w - - 0 1", true, true},    // bishops of both colours
		{"4k3/7p/8/8/8/8/8/4K3 w - - 0 1", false, true},
	}
	for _, tc := range tests {
		// Some of these positions are over already: NewGame refuses them.
		pos, err := parseFEN(tc.fen)
		if err != nil {
			t.Fatal(err)
		}
		s := firstState(pos)
		if w, b := s.CanCheckmate(0), s.CanCheckmate(1); w != tc.white || b != tc.black {
			t.Errorf("%s: CanCheckmate white %v black %v, want %v %v", tc.fen, w, b, tc.white, tc.black)
		}
	}
	// A timeout against a bare king is a draw; resignation never is.
	s := start(t, "4k3/8/8/8/8/8/8/4KQ2 w - - 0 1")
	if r := s.Forfeit(1, games.ReasonTimeout); r != (games.Result{Winner: 0, Reason: games.ReasonTimeout}) {
		t.Errorf("black flags: %+v", r)
	}
	if r := s.Forfeit(0, games.ReasonTimeout); r != (games.Result{Winner: -1, Reason: games.ReasonTimeout}) {
		t.Errorf("white flags against a bare king: %+v", r)
	}
	if r := s.Forfeit(0, games.ReasonResignation); r != (games.Result{Winner: 1, Reason: games.ReasonResignation}) {
		t.Errorf("white resigns: %+v", r)
	}
}

// TestConcurrentGames creates and plays games from many goroutines at once,
// sharing states between them: the race detector checks that nothing is
// shared unsafely, the library's FEN parsing included.
func TestConcurrentGames(t *testing.T) {
	fens := []string{StartFEN, perftPositions[1].fen, perftPositions[2].fen, perftPositions[4].fen}
	shared := start(t, perftPositions[1].fen)
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Go(func() {
			s := start(t, fens[i%len(fens)])
			for j := 0; j < 6 && s.Result() == nil; j++ {
				next, err := s.play((i + j) % len(s.legal))
				if err != nil {
					t.Error(err)
					return
				}
				s = next
			}
			for _, u := range shared.Legal()[:5] {
				if _, err := try(t, shared, Move{UCI: u}); err != nil {
					t.Error(err)
				}
			}
			if _, err := try(t, shared, Move{SAN: "O-O"}); err != nil {
				t.Error(err)
			}
			_ = snapshot(shared)
		})
	}
	wg.Wait()
}
