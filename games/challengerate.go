package games

import (
	"time"

	"github.com/parlorhq/parlor/codec"
)

// Challenge rate: each challenge tells its players and its host (the
// arcade writes each step into the players' DM), so a user who creates and
// cancels challenges in a loop fills other people's notices and
// conversations. MaxChallenges bounds what is open at once; the rate bounds
// how many a user creates in a window (Config.ChallengeRate), across the
// modules sharing a Ledger.

// Defaults of Config.ChallengeRate and Config.ChallengeRateWindow.
const (
	// DefaultChallengeRate is how many challenges one user may create in
	// a DefaultChallengeRateWindow.
	DefaultChallengeRate = 20
	// DefaultChallengeRateWindow is the window of the challenge rate.
	DefaultChallengeRateWindow = time.Minute
)

// challengeStamps is one user's recent challenges: the Unix nanosecond
// times of the newest ones, at most the rate, oldest first.
type challengeStamps []int64

// rateSweepMin is the fewest users kept before a sweep drops the ones
// whose challenges have all left the window.
const rateSweepMin = 1024

// chargeChallenge counts a challenge user creates at now, unless user has
// created rate challenges in the window before now: then it returns a
// rate_limited error that ends with retry_after_ms=N, the wait until the
// oldest of them leaves the window.
func (l *Ledger) chargeChallenge(user string, now time.Time, rate int, window time.Duration) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.rates == nil {
		l.rates = make(map[string]challengeStamps)
	}
	ns, from := now.UnixNano(), now.Add(-window).UnixNano()
	st := l.rates[user]
	for len(st) > 0 && st[0] <= from {
		st = st[1:]
	}
	if len(st) >= rate {
		wait := time.Duration(st[len(st)-rate] - from)
		ms := max(wait.Milliseconds(), 1)
		return codec.Errorf(codec.CodeRateLimited,
			"games: %d challenges in %s; retry in %s; retry_after_ms=%d", len(st), window, wait.Round(time.Second), ms)
	}
	if len(st) == cap(st) {
		st = append(make(challengeStamps, 0, min(max(2*len(st), 4), rate)), st...)
	}
	l.rates[user] = append(st, ns)
	if len(l.rates) >= l.sweepAt {
		for u, s := range l.rates {
			if len(s) == 0 || s[len(s)-1] <= from {
				delete(l.rates, u)
			}
		}
		l.sweepAt = max(2*len(l.rates), rateSweepMin)
	}
	return nil
}
