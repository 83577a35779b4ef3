package games

import (
	"sync"
	"time"

	"github.com/parlorhq/parlor/codec"
)

// Ledger counts, per user, what each user holds open in the game modules
// that share it: challenges waiting for their opponents, matches not yet
// over, quick-match queue entries, and quick-match pairings not played.
// The modules check their Config limits against it, so modules that share
// one Ledger (Config.Ledger) bound a user across games. It is safe for
// concurrent use.
type Ledger struct {
	mu    sync.Mutex
	users map[string]*tally
	// rates holds each user's recent challenges (challengerate.go), kept
	// apart from the tallies, which go once nothing is open.
	rates   map[string]challengeStamps
	sweepAt int // len(rates) at which expired stamps are swept
}

// tally is one user's entry in a Ledger. It is dropped once every count
// is zero.
type tally struct {
	challenges int // matches created and waiting for other players
	matches    int // matches joined and not over
	queued     int // quick-match queues waited in
	unplayed   int // quick-match pairings since the user's last move
	lastPaired time.Time
}

// NewLedger returns an empty ledger.
func NewLedger() *Ledger { return &Ledger{users: make(map[string]*tally), sweepAt: rateSweepMin} }

// Sentinel errors of the per-user limits. They are *codec.Error values
// with the code limit_exceeded.
var (
	// ErrTooManyChallenges: the user has Config.MaxChallenges challenges
	// waiting for their opponents.
	ErrTooManyChallenges = &codec.Error{Code: codec.CodeLimitExceeded, Message: "games: too many open challenges"}
	// ErrTooManyMatches: the user is in Config.MaxMatches matches that
	// are not over.
	ErrTooManyMatches = &codec.Error{Code: codec.CodeLimitExceeded, Message: "games: too many matches in progress"}
	// ErrTooManyQueued: the user waits in Config.MaxQueued quick-match
	// queues already.
	ErrTooManyQueued = &codec.Error{Code: codec.CodeLimitExceeded, Message: "games: already waiting in a quick-match queue"}
)

// get returns user's tally, creating it. Callers hold mu.
func (l *Ledger) get(user string) *tally {
	t := l.users[user]
	if t == nil {
		t = &tally{}
		l.users[user] = t
	}
	return t
}

// tidy drops user's tally once it holds nothing. Callers hold mu.
func (l *Ledger) tidy(user string, t *tally) {
	if *t == (tally{}) {
		delete(l.users, user)
	}
}

// joinMatch counts a user's first join of a match, as its creator (the
// first player to join, whose challenge now waits) or not, unless that
// would take the user over maxMatches or, for a creator, maxChallenges.
func (l *Ledger) joinMatch(user string, creator bool, maxMatches, maxChallenges int) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	t := l.get(user)
	switch {
	case t.matches >= maxMatches:
		l.tidy(user, t)
		return ErrTooManyMatches
	case creator && t.challenges >= maxChallenges:
		l.tidy(user, t)
		return ErrTooManyChallenges
	}
	t.matches++
	if creator {
		t.challenges++
	}
	return nil
}

// leaveMatch uncounts a match of user's that is over or gone, and its
// challenge if it was still waiting.
func (l *Ledger) leaveMatch(user string, challenge bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	t := l.get(user)
	t.matches = max(t.matches-1, 0)
	if challenge {
		t.challenges = max(t.challenges-1, 0)
	}
	l.tidy(user, t)
}

// restoreChallenge counts a stored challenge of user's taken up again
// after a restart, whatever the limits: it was allowed when it was made.
func (l *Ledger) restoreChallenge(user string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	t := l.get(user)
	t.matches++
	t.challenges++
}

// challengeAccepted uncounts user's challenge once every seat has joined.
func (l *Ledger) challengeAccepted(user string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	t := l.get(user)
	t.challenges = max(t.challenges-1, 0)
	l.tidy(user, t)
}

// enqueue counts user into a quick-match queue at now, unless the user is
// in maxQueued queues already (limit_exceeded) or cooling down after
// strikes unplayed pairings (rate_limited, see Config.QuickMatchStrikes).
func (l *Ledger) enqueue(user string, now time.Time, maxQueued, strikes int, cooldown time.Duration) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	t := l.get(user)
	if t.unplayed >= strikes {
		if wait := t.lastPaired.Add(cooldown).Sub(now); wait > 0 {
			ms := max(wait.Milliseconds(), 1)
			return codec.Errorf(codec.CodeRateLimited,
				"quick match: %d pairings in a row without a move; retry in %s; retry_after_ms=%d",
				t.unplayed, wait.Round(time.Second), ms)
		}
		t.unplayed, t.lastPaired = 0, time.Time{} // the cooldown is served
	}
	if t.queued >= maxQueued {
		l.tidy(user, t)
		return ErrTooManyQueued
	}
	t.queued++
	return nil
}

// dequeue uncounts a queue entry of user's that left the queue unpaired.
func (l *Ledger) dequeue(user string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	t := l.get(user)
	t.queued = max(t.queued-1, 0)
	l.tidy(user, t)
}

// paired uncounts a queue entry of user's that the queue paired at now,
// and counts the pairing as unplayed until the user moves.
func (l *Ledger) paired(user string, now time.Time) {
	l.mu.Lock()
	defer l.mu.Unlock()
	t := l.get(user)
	t.queued = max(t.queued-1, 0)
	t.unplayed++
	t.lastPaired = now
}

// moved records that user made a move in a match: their unplayed
// pairings are forgiven.
func (l *Ledger) moved(user string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if t := l.users[user]; t != nil && t.unplayed != 0 {
		t.unplayed, t.lastPaired = 0, time.Time{}
		l.tidy(user, t)
	}
}
