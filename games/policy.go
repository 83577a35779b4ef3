package games

import (
	"context"
	"encoding/binary"
	"errors"
	"slices"
	"sync"
	"time"

	"github.com/parlorhq/parlor/codec"
	"go.uber.org/zap"
)

// ErrNotAllowed: Config.CanChallenge refused a challenge, or a quick-match
// pairing, with an error that is not a *codec.Error.
var ErrNotAllowed = &codec.Error{Code: codec.CodeForbidden, Message: "games: you may not challenge this user"}

// policyTimeout bounds one call of Config.CanChallenge.
const policyTimeout = 2 * time.Second

// canChallenge applies Config.CanChallenge to from challenging each of
// the other players: nil when all are allowed. A policy that panics
// refuses (ErrNotAllowed), and the panic is logged to log: the caller
// has put nothing in place that the panic would leave behind, such as a
// player in a quick-match line.
func (m *Module) canChallenge(log *zap.Logger, from string, players []string) (err error) {
	policy := m.cfg.CanChallenge
	if policy == nil {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), policyTimeout)
	defer cancel()
	defer func() {
		if v := recover(); v != nil {
			log.Error("games: CanChallenge panicked", zap.String("from", from), zap.Any("panic", v), zap.Stack("stack"))
			err = ErrNotAllowed
		}
	}()
	for _, to := range players {
		if to == from {
			continue
		}
		if err := policy(ctx, from, to); err != nil {
			var ce *codec.Error
			if errors.As(err, &ce) {
				return ce
			}
			return ErrNotAllowed
		}
	}
	return nil
}

// arranged remembers the matches the server itself arranged (quick-match
// pairings and rematches) until their first player joins: they were
// allowed when they were arranged, so they are not checked again, and
// they are not challenges anyone is notified of. A nonce is forgotten
// once its match is created, or after the start timeout, or when
// maxArranged newer ones are remembered.
type arranged struct {
	mu    sync.Mutex
	ttl   time.Duration
	items map[string]arrangedMatch // by nonce
	order []string                 // nonces in the order added, oldest first
}

// arrangedMatch is one match the server arranged.
type arrangedMatch struct {
	players string // the players, sorted (playersKey)
	seats   string // the players by seat (joinKey)
	at      time.Time
}

// maxArranged bounds the arranged matches remembered; past it the oldest
// are forgotten (their players' joins are then checked as challenges).
const maxArranged = 10_000

func newArranged(ttl time.Duration) *arranged {
	if ttl <= 0 {
		ttl = DefaultStartTimeout
	}
	return &arranged{ttl: ttl, items: make(map[string]arrangedMatch)}
}

// add remembers the match of players with nonce, arranged at now. It
// first forgets, oldest first, what was taken, what expired, and what is
// past maxArranged.
func (a *arranged) add(nonce string, players []string, now time.Time) {
	a.mu.Lock()
	defer a.mu.Unlock()
	for len(a.order) > 0 {
		n := a.order[0]
		it, ok := a.items[n]
		if ok && now.Sub(it.at) <= a.ttl && len(a.order) < maxArranged {
			break
		}
		if ok {
			delete(a.items, n)
		}
		a.order = a.order[1:]
	}
	a.items[nonce] = arrangedMatch{players: playersKey(players), seats: joinKey(players), at: now}
	a.order = append(a.order, nonce)
}

// check reports whether the match of players (by seat) with nonce was
// arranged and has not expired at now; misseated, whether it was for the
// same players in other seats. The match that uses it forgets it once
// created (forget), so that a join refused on the way (a per-user limit)
// can be tried again.
func (a *arranged) check(nonce string, players []string, now time.Time) (ok, misseated bool) {
	a.mu.Lock()
	defer a.mu.Unlock()
	it, found := a.items[nonce]
	if !found || it.players != playersKey(players) || now.Sub(it.at) > a.ttl {
		return false, false
	}
	if it.seats != joinKey(players) {
		return false, true
	}
	return true, false
}

// forget forgets the arranged match with nonce: its match was created.
func (a *arranged) forget(nonce string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	delete(a.items, nonce)
}

// playersKey is players in any order as one comparable string.
func playersKey(players []string) string {
	return joinKey(slices.Sorted(slices.Values(players)))
}

// joinKey is players in their order as one comparable string, each
// prefixed with its length so that no two lists give the same key.
func joinKey(players []string) string {
	n := 0
	for _, p := range players {
		n += len(p) + binary.MaxVarintLen64
	}
	b := make([]byte, 0, n)
	for _, p := range players {
		b = binary.AppendUvarint(b, uint64(len(p)))
		b = append(b, p...)
	}
	return string(b)
}
