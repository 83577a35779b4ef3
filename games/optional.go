package games

// Forfeiter is an optional interface of State for games that decide for
// themselves who wins when a seat loses outside the rules of play: by
// resignation, timeout (its flag fell) or forfeit (it stayed away past the
// grace period). Chess, for example, scores a timeout as a draw when the
// opponent has no mating material.
//
// Without it, in a two-seat game the other seat wins; in games of more
// seats the match ends with no winner (-1).
type Forfeiter interface {
	// Forfeit returns the result when seat loses for reason
	// (ReasonResignation, ReasonTimeout or ReasonForfeit).
	Forfeit(seat int, reason string) Result
}

// forfeit returns the result of seat losing for reason in state s of a game
// of n seats.
func forfeit(s State, n, seat int, reason string) Result {
	if f, ok := s.(Forfeiter); ok {
		return f.Forfeit(seat, reason)
	}
	if n == 2 {
		return Result{Winner: 1 - seat, Reason: reason}
	}
	return Result{Winner: -1, Reason: reason}
}

// Hidden is an optional interface of Game for games whose moves must not
// be shown to every member, for example a card played face down. When
// HiddenMoves reports true, "moved" events carry no move, and the move log
// (EventLog) is served only once the match is over. Players learn what
// they may see from their own "state" views (State.View).
type Hidden interface {
	// HiddenMoves reports whether moves are private.
	HiddenMoves() bool
}

// hiddenMoves reports whether g's moves are private.
func hiddenMoves(g Game) bool {
	h, ok := g.(Hidden)
	return ok && h.HiddenMoves()
}
