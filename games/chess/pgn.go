package chess

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/parlorhq/parlor/games"
)

// PGNOptions sets the PGN tags a finished game does not carry. Every
// field documents its zero-value default.
type PGNOptions struct {
	// Event names the event. Default: "?" (unknown).
	Event string
	// Site names where the game was played, such as the host's URL.
	// Default: "?" (unknown).
	Site string
	// Round is the round within the event. Default: "-" (none).
	Round string
}

// ErrNotChess: a finished game handed to [Game.PGN] is of another kind.
var ErrNotChess = errors.New("chess: not a chess game")

// pgnLine is the longest line of movetext PGN export writes.
const pgnLine = 79

// PGN exports a finished match in Portable Game Notation. It replays the
// move log from the game's starting position, so the moves are checked
// and written in SAN, and it tags the players (seat 0 White, seat 1
// Black), the date the match started (UTC), the result, the time control,
// the starting position when it is not the standard one, and the
// termination (PGN's vocabulary: "normal", "time forfeit", "abandoned"
// for a forfeit, "unterminated" for an aborted match). A comment before
// the result says how the game ended, such as {White wins by checkmate}.
//
// An aborted match is exported with the result "*"; so is a game whose
// Result has no reason. Tag values are escaped as PGN prescribes
// (backslash and double quote).
func (g Game) PGN(f games.FinishedGame, opts PGNOptions) (string, error) {
	if f.Kind != "" && f.Kind != games.KindPrefix+g.Name() {
		return "", fmt.Errorf("%w: %s", ErrNotChess, f.Kind)
	}
	final, err := games.Replay(g, f.Moves)
	if err != nil {
		return "", err
	}
	s, ok := final.(*State)
	if !ok {
		return "", fmt.Errorf("chess: replay returned %T", final)
	}
	result := pgnResult(f.Result)

	var b strings.Builder
	tag := func(k, v string) {
		b.WriteString("[" + k + ` "` + escapeTag(v) + "\"]\n")
	}
	tag("Event", or(opts.Event, "?"))
	tag("Site", or(opts.Site, "?"))
	tag("Date", pgnDate(f.Started))
	tag("Round", or(opts.Round, "-"))
	tag("White", or(player(f.Players, 0), "?"))
	tag("Black", or(player(f.Players, 1), "?"))
	tag("Result", result)
	if s.start != StartFEN {
		tag("SetUp", "1")
		tag("FEN", s.start)
	}
	tag("TimeControl", timeControl(f.TimeControl))
	tag("Termination", termination(f.Result))
	b.WriteString("\n")

	// Movetext: numbered SAN moves, a comment, the result; wrapped.
	fields := strings.Fields(s.start)
	number, _ := strconv.Atoi(fields[5])
	black := fields[1] == "b"
	var tokens []string
	for i, m := range s.Moves() {
		switch {
		case !black:
			tokens = append(tokens, strconv.Itoa(number)+".")
		case i == 0:
			tokens = append(tokens, strconv.Itoa(number)+"...")
		}
		tokens = append(tokens, m.SAN)
		if black {
			number++
		}
		black = !black
	}
	if c := describe(f.Result); c != "" {
		tokens = append(tokens, "{"+c+"}")
	}
	tokens = append(tokens, result)
	line := 0
	for i, t := range tokens {
		if i > 0 {
			if line+1+len(t) > pgnLine {
				b.WriteString("\n")
				line = 0
			} else {
				b.WriteString(" ")
				line++
			}
		}
		b.WriteString(t)
		line += len(t)
	}
	b.WriteString("\n")
	return b.String(), nil
}

func or(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

func player(players []string, seat int) string {
	if seat < len(players) {
		return players[seat]
	}
	return ""
}

// escapeTag escapes a tag value: backslash and quote get a backslash,
// control characters (newlines included) become spaces.
func escapeTag(v string) string {
	var b strings.Builder
	for _, r := range v {
		switch {
		case r == '\\' || r == '"':
			b.WriteByte('\\')
			b.WriteRune(r)
		case r < 0x20 || r == 0x7f:
			b.WriteByte(' ')
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

func pgnDate(t time.Time) string {
	if t.IsZero() {
		return "????.??.??"
	}
	return t.UTC().Format("2006.01.02")
}

func timeControl(tc games.TimeControl) string {
	if !tc.Timed() {
		return "-"
	}
	s := strconv.FormatInt(int64(tc.Base/time.Second), 10)
	if tc.Increment > 0 {
		s += "+" + strconv.FormatInt(int64(tc.Increment/time.Second), 10)
	}
	return s
}

func unterminated(r games.Result) bool {
	return r.Reason == "" || r.Reason == games.ReasonAborted
}

func pgnResult(r games.Result) string {
	switch {
	case unterminated(r):
		return "*"
	case r.Winner == 0:
		return "1-0"
	case r.Winner == 1:
		return "0-1"
	}
	return "1/2-1/2"
}

func termination(r games.Result) string {
	switch {
	case unterminated(r):
		return "unterminated"
	case r.Reason == games.ReasonTimeout:
		return "time forfeit"
	case r.Reason == games.ReasonForfeit:
		return "abandoned"
	}
	return "normal"
}

// describe says in words how a game ended.
func describe(r games.Result) string {
	if r.Reason == "" {
		return ""
	}
	if r.Reason == games.ReasonAborted {
		return "Game aborted"
	}
	if r.Winner == 0 || r.Winner == 1 {
		side := "White"
		if r.Winner == 1 {
			side = "Black"
		}
		switch r.Reason {
		case ReasonCheckmate:
			return side + " wins by checkmate"
		case games.ReasonResignation:
			return side + " wins by resignation"
		case games.ReasonTimeout:
			return side + " wins on time"
		case games.ReasonForfeit:
			return side + " wins by forfeit"
		}
		return side + " wins (" + r.Reason + ")"
	}
	switch r.Reason {
	case ReasonStalemate:
		return "Draw by stalemate"
	case ReasonInsufficientMaterial:
		return "Draw by insufficient material"
	case ReasonThreefold:
		return "Draw by threefold repetition"
	case ReasonFivefold:
		return "Draw by fivefold repetition"
	case ReasonFiftyMove:
		return "Draw by the fifty-move rule"
	case ReasonSeventyFiveMove:
		return "Draw by the seventy-five-move rule"
	case games.ReasonAgreement:
		return "Draw by agreement"
	case games.ReasonTimeout:
		return "Draw: time ran out, but the opponent cannot checkmate"
	}
	return "Draw (" + r.Reason + ")"
}

// Record implements games.Recorder: the game in PGN, with the default
// PGNOptions.
func (g Game) Record(f games.FinishedGame) (string, error) { return g.PGN(f, PGNOptions{}) }

var _ games.Recorder = Game{}
