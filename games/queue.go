package games

import (
	"slices"

	"github.com/parlorhq/parlor/room"
)

// queue is the handler of a module's quick-match room: members wait in
// join order, and as soon as a match's worth of them are waiting, the
// longest-waiting are paired (the first to come gets seat 0) and each is
// sent EventMatched with the JoinParams of their match. A paired member
// leaves the queue room and joins the match; joining the queue again (or
// with another tab) puts them back in line. Leaving the queue room, or
// losing the last connection, takes a member out of line.
//
// Each member in line counts against Config.MaxQueued, and each pairing
// against Config.QuickMatchStrikes until the player moves (see Ledger).
type queue struct {
	room.BaseHandler
	m       *Module
	waiting []string
}

func newQueue(m *Module) *queue { return &queue{m: m} }

// OnJoin puts the joiner in line and pairs players if it can.
func (q *queue) OnJoin(r *room.Room, j *room.Join) (any, error) {
	if !slices.Contains(q.waiting, j.User) {
		cfg := &q.m.cfg
		if err := cfg.Ledger.enqueue(j.User, r.Now(), cfg.MaxQueued, cfg.QuickMatchStrikes, cfg.QuickMatchCooldown); err != nil {
			return nil, err
		}
		q.waiting = append(q.waiting, j.User)
	}
	n := len(q.waiting)
	if seats := q.group(r, j.User); seats != nil {
		q.waiting = slices.DeleteFunc(q.waiting, func(u string) bool { return slices.Contains(seats, u) })
		now := r.Now()
		for _, u := range seats {
			q.m.cfg.Ledger.paired(u, now)
		}
		// The joiner becomes a member only after OnJoin returns, so the
		// news goes out from a timer, which runs after the join.
		r.After(0, func() { q.announce(r, seats) })
	}
	return QueueSnapshot{Waiting: n}, nil
}

// group returns a match's worth of waiting players with joiner among
// them, in the order they came, each pair allowed by Config.CanChallenge;
// nil if there is none yet. The longest-waiting go first.
func (q *queue) group(r *room.Room, joiner string) []string {
	if len(q.waiting) < q.m.seats {
		return nil
	}
	if q.m.cfg.CanChallenge == nil {
		return slices.Clone(q.waiting[:q.m.seats])
	}
	group := []string{joiner}
	for _, u := range q.waiting {
		if len(group) == q.m.seats {
			break
		}
		if u == joiner {
			continue
		}
		ok := true
		for _, g := range group {
			if q.m.canChallenge(r.Logger(), g, []string{u}) != nil || q.m.canChallenge(r.Logger(), u, []string{g}) != nil {
				ok = false
				break
			}
		}
		if ok {
			group = append(group, u)
		}
	}
	if len(group) < q.m.seats {
		return nil
	}
	// Seat them in the order they came.
	slices.SortFunc(group, func(a, b string) int { return slices.Index(q.waiting, a) - slices.Index(q.waiting, b) })
	return group
}

// announce tells each paired player about their match.
func (q *queue) announce(r *room.Room, seats []string) {
	nonce := q.m.newArrangedNonce(seats, r.Now())
	for seat, u := range seats {
		mt := Matched{Seats: seats, Nonce: nonce, Seat: seat}
		if len(seats) == 2 {
			mt.Opponent = seats[1-seat]
		}
		_ = r.SendTo(u, EventMatched, mt)
	}
}

// OnLeave takes the member out of line.
func (q *queue) OnLeave(_ *room.Room, user string, _ room.LeaveReason) {
	if i := slices.Index(q.waiting, user); i >= 0 {
		q.waiting = slices.Delete(q.waiting, i, i+1)
		q.m.cfg.Ledger.dequeue(user)
	}
}
