package chess

import (
	"errors"
	"strings"
	"testing"
	"time"

	chesslib "github.com/corentings/chess/v2"
	"github.com/parlorhq/parlor/games"
)

// finished builds the finished game of moves (see parse) played from g's
// start.
func finished(t testing.TB, g *Game, res games.Result, moves ...string) games.FinishedGame {
	t.Helper()
	s := g.Initial()
	f := games.FinishedGame{
		Kind:    "games.chess",
		Players: []string{"alice", "bob"},
		Result:  res,
		Started: time.Date(2024, 3, 9, 23, 30, 0, 0, time.FixedZone("X", -3*3600)),
	}
	for _, mv := range moves {
		raw := encode(t, parse(mv))
		f.Moves = append(f.Moves, games.LoggedMove{Seat: s.Turn(), Move: raw})
		next, err := s.Apply(s.Turn(), raw)
		if err != nil {
			t.Fatalf("%s: %v", mv, err)
		}
		s = next.(*State)
	}
	return f
}

// parsePGN reads pgn back with the library.
func parsePGN(t testing.TB, pgn string) *chesslib.Game {
	t.Helper()
	libMu.Lock() // the parser decodes FENs
	defer libMu.Unlock()
	opt, err := chesslib.PGN(strings.NewReader(pgn))
	if err != nil {
		t.Fatalf("the library cannot read\n%s\n%v", pgn, err)
	}
	return chesslib.NewGame(opt)
}

func TestPGN(t *testing.T) {
	scholar := []string{"e4", "e5", "Bc4", "Nc6", "Qh5", "Nf6", "Qxf7#"}
	g := &Game{}
	f := finished(t, g, games.Result{Winner: 0, Reason: ReasonCheckmate}, scholar...)
	f.TimeControl = games.TimeControl{Base: 5 * time.Minute, Increment: 3 * time.Second}
	pgn, err := g.PGN(f, PGNOptions{Site: "https://example.com"})
	if err != nil {
		t.Fatal(err)
	}
	want := `[Event "?"]
[Site "https://example.com"]
[Date "2024.03.10"]
[Round "-"]
[White "alice"]
[Black "bob"]
[Result "1-0"]
[TimeControl "300+3"]
[Termination "normal"]

1. e4 e5 2. Bc4 Nc6 3. Qh5 Nf6 4. Qxf7# {White wins by checkmate} 1-0
`
	if pgn != want {
		t.Fatalf("PGN\n%s\nwant\n%s", pgn, want)
	}
	lib := parsePGN(t, pgn)
	if lib.Outcome() != chesslib.WhiteWon || len(lib.Moves()) != 7 ||
		lib.GetTagPair("White") != "alice" || lib.GetTagPair("Termination") != "normal" ||
		lib.Position().String() != "r1bqkb1r/pppp1Qpp/2n2n2/4p3/2B1P3/8/PPPP1PPP/RNB1K1NR b KQkq - 0 4" {
		t.Fatalf("read back: %s %d moves %s", lib.Outcome(), len(lib.Moves()), lib.Position())
	}
}

func TestPGNEndings(t *testing.T) {
	long := strings.Fields(`e4 c5 Nf3 d6 d4 cxd4 Nxd4 Nf6 Nc3 a6 Be3 e5 Nb3 Be6 f3 Be7 Qd2 O-O
		O-O-O Nbd7 g4 b5 g5 b4 Ne2 Ne8 f4 a5 f5 a4 Nbd4 exd4 Nxd4 b3 Kb1 bxc2+ Nxc2 Bb3 axb3 axb3
		Na3 Rxa3 bxa3 Qa5 Qb2 Nc5`)
	endgame, err := NewGame(Options{FEN: "8/8/8/8/8/4k3/8/R6K b - - 98 70"})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name   string
		g      *Game
		res    games.Result
		moves  []string
		result string
		term   string
		note   string
	}{
		{"resignation", &Game{}, games.Result{Winner: 1, Reason: games.ReasonResignation}, long, "0-1", "normal", "Black wins by resignation"},
		{"timeout", &Game{}, games.Result{Winner: 0, Reason: games.ReasonTimeout}, long[:9], "1-0", "time forfeit", "White wins on time"},
		{"drawn timeout", &Game{}, games.Result{Winner: -1, Reason: games.ReasonTimeout}, nil, "1/2-1/2", "time forfeit", "Draw: time ran out"},
		{"forfeit", &Game{}, games.Result{Winner: 1, Reason: games.ReasonForfeit}, long[:2], "0-1", "abandoned", "Black wins by forfeit"},
		{"agreement", &Game{}, games.Result{Winner: -1, Reason: games.ReasonAgreement}, long[:20], "1/2-1/2", "normal", "Draw by agreement"},
		{"aborted", &Game{}, games.Result{Winner: -1, Reason: games.ReasonAborted}, long[:3], "*", "unterminated", "Game aborted"},
		{"fifty moves from a position", endgame, games.Result{Winner: -1, Reason: ReasonFiftyMove},
			[]string{"Kd3", "Ra2", "claim:fifty_move"}, "1/2-1/2", "normal", "Draw by the fifty-move rule"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := finished(t, tc.g, tc.res, tc.moves...)
			pgn, err := tc.g.PGN(f, PGNOptions{})
			if err != nil {
				t.Fatal(err)
			}
			for _, want := range []string{
				`[Result "` + tc.result + `"]`, `[Termination "` + tc.term + `"]`, "{" + tc.note, " " + tc.result + "\n",
				`[TimeControl "-"]`,
			} {
				if !strings.Contains(pgn, want) {
					t.Fatalf("no %q in\n%s", want, pgn)
				}
			}
			for _, line := range strings.Split(pgn, "\n") {
				if len(line) > pgnLine {
					t.Fatalf("line of %d bytes: %s", len(line), line)
				}
			}
			lib := parsePGN(t, pgn)
			final, err := games.Replay(tc.g, f.Moves)
			if err != nil {
				t.Fatal(err)
			}
			if got, want := lib.Position().String(), final.Key(); got != want {
				t.Fatalf("read back to %s, want %s\n%s", got, want, pgn)
			}
			// The library's reader does not recognise "1/2-1/2" (it reads a
			// move number): check decisive results only.
			if want := chesslib.Outcome(tc.result); (want == chesslib.WhiteWon || want == chesslib.BlackWon) && lib.Outcome() != want {
				t.Fatalf("read back outcome %s", lib.Outcome())
			}
		})
	}
}

func TestPGNFromPosition(t *testing.T) {
	g, err := NewGame(Options{FEN: "r3k2r/8/8/8/8/8/8/R3K2R b KQkq - 3 20"})
	if err != nil {
		t.Fatal(err)
	}
	f := finished(t, g, games.Result{Winner: -1, Reason: games.ReasonAgreement}, "O-O", "O-O-O", "Rf2")
	f.Players = []string{`Jo "the rook" \ Doe`, "line\nbreak"}
	f.Started = time.Time{}
	pgn, err := g.PGN(f, PGNOptions{Event: "Club night", Round: "3"})
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		`[Event "Club night"]`, `[Round "3"]`, `[Date "????.??.??"]`,
		`[White "Jo \"the rook\" \\ Doe"]`, `[Black "line break"]`,
		`[SetUp "1"]`, `[FEN "r3k2r/8/8/8/8/8/8/R3K2R b KQkq - 3 20"]`,
		"\n20... O-O 21. O-O-O Rf2 {Draw by agreement} 1/2-1/2\n",
	} {
		if !strings.Contains(pgn, want) {
			t.Fatalf("no %q in\n%s", want, pgn)
		}
	}
	// The library's reader does not unescape tag values: read back the
	// game without the names.
	plain := strings.NewReplacer(`[White "Jo \"the rook\" \\ Doe"]`, `[White "Jo"]`).Replace(pgn)
	if lib := parsePGN(t, plain); lib.Position().String() != "r5k1/8/8/8/8/8/5r2/2KR3R w - - 6 22" {
		t.Fatalf("read back %s", lib.Position())
	}
}

func TestPGNErrors(t *testing.T) {
	g := &Game{}
	if _, err := g.PGN(games.FinishedGame{Kind: "games.tictactoe"}, PGNOptions{}); !errors.Is(err, ErrNotChess) {
		t.Fatalf("tic-tac-toe: %v", err)
	}
	bad := games.FinishedGame{Moves: []games.LoggedMove{{Seat: 0, Move: encode(t, Move{UCI: "e2e5"})}}}
	if _, err := g.PGN(bad, PGNOptions{}); err == nil {
		t.Fatal("an illegal log exported")
	}
}

// TestPGNMoveText compares the exported movetext exactly, check and mate
// marks included: a reader that ignores them would accept a PGN without.
func TestPGNMoveText(t *testing.T) {
	for _, tc := range []struct {
		res   games.Result
		moves []string
		want  string
	}{
		{games.Result{Winner: 1, Reason: games.ReasonResignation}, []string{"e4", "d6", "Bb5", "c6", "Bxc6", "Nxc6"},
			"1. e4 d6 2. Bb5+ c6 3. Bxc6+ Nxc6 {Black wins by resignation} 0-1\n"},
		{games.Result{Winner: 1, Reason: ReasonCheckmate}, []string{"f3", "e5", "g4", "Qh4"},
			"1. f3 e5 2. g4 Qh4# {Black wins by checkmate} 0-1\n"},
	} {
		g := &Game{}
		pgn, err := g.PGN(finished(t, g, tc.res, tc.moves...), PGNOptions{})
		if err != nil {
			t.Fatal(err)
		}
		_, text, ok := strings.Cut(pgn, "\n\n")
		if !ok || text != tc.want {
			t.Fatalf("movetext %q, want %q", text, tc.want)
		}
	}
}
