package engine

import "slices"

// ConnLimitPolicy says what the engine does when a user who already holds
// Config.MaxConnsPerUser connections opens another one.
type ConnLimitPolicy uint8

const (
	// ConnLimitEvictIdle, the default, admits the new connection and
	// closes the user's most idle one with 4010 (CloseEvicted): the one
	// whose last data message from the client is the oldest, where a
	// connection that never sent one counts from its upgrade. Pings and
	// pongs are not activity, since browsers answer pings by themselves.
	// The eviction waits for the new connection's connect frame: a resume
	// there takes over the user's own old connection (4009) instead, and
	// a connection that never sends one evicts nobody. Meanwhile the user
	// holds one connection over the limit, for HandshakeTimeout at most;
	// a second one past the limit evicts at its upgrade.
	// The user's connections stay bounded, and a user is never locked out
	// by connections they can no longer use: a crashed tab, or a
	// half-open connection after a network change, which the heartbeat
	// takes up to HeartbeatInterval+HeartbeatTimeout to find.
	ConnLimitEvictIdle ConnLimitPolicy = iota
	// ConnLimitRefuse refuses the new connection with 429 before the
	// upgrade and keeps the existing ones.
	ConnLimitRefuse
)

// userConns is one user's connection slots. slots counts the upgrades in
// progress and the open connections; sessions lists the open ones, which
// are the ones that can be evicted or disconnected.
type userConns struct {
	slots    int
	sessions []*session
	// owed is 1 while one connection of the user is admitted over the
	// limit, its eviction put off to its connect frame (settleConn), and
	// 0 otherwise; owing is that connection once it is registered. One at
	// a time: a second connection past the limit evicts at its upgrade.
	owed  int
	owing *session
	// pending holds the disconnects (DisconnectUser, DisconnectCredential)
	// issued while upgrades of the user were in progress, so that an
	// upgrade that authenticated just before a sign-out cannot slip past
	// it. Upgrades apply the orders issued after they took their slot.
	pending pendingOrders
}

// connTicket is what acquireConn gives an upgrade for registerConn, or
// for releaseUpgrade when the upgrade fails.
type connTicket struct {
	// order is the number of the next disconnect order when the slot was
	// taken: the orders from it on apply to the upgrade.
	order uint64
	// owes says the connection was admitted over the limit, and the
	// eviction that makes room for it waits for its connect frame.
	owes bool
}

// acquireConn takes a connection slot for user. At the limit, under
// ConnLimitEvictIdle, the new connection is admitted over the limit, and
// settleConn evicts at its connect frame, once the frame has said
// whether the connection resumes one of the user's own: a resume then
// takes its own old connection's slot, and nobody else is evicted. While
// one such connection is pending, another one past the limit takes the
// slot of the user's most idle connection at once, which is returned for
// the caller to close. ok is false when there is no slot to be had.
func (e *Engine) acquireConn(user string) (ok bool, evict *session, t connTicket) {
	e.userConns.update(user, func(m map[string]*userConns) {
		uc := m[user]
		if uc == nil {
			uc = &userConns{}
			m[user] = uc
		}
		t.order = uc.pending.next
		if uc.slots < e.cfg.MaxConnsPerUser {
			uc.slots++
			ok = true
			return
		}
		if e.cfg.ConnLimitPolicy != ConnLimitEvictIdle || len(uc.sessions) == 0 {
			return // only upgrades in progress hold the slots: nothing to evict
		}
		if uc.owed == 0 {
			uc.owed = 1
			uc.slots++
			t.owes, ok = true, true
			return
		}
		i := mostIdle(uc.sessions, nil)
		evict = uc.sessions[i]
		uc.sessions = slices.Delete(uc.sessions, i, i+1)
		if evict == uc.owing {
			// The connection over the limit goes (one that closed
			// before its connect frame is taken first): the new one
			// takes its slot, and the eviction it owed.
			uc.owing, t.owes = nil, true
		}
		ok = true
	})
	return ok, evict, t
}

// settleConn runs at s's connect frame. When s was admitted over the
// limit (acquireConn), it makes room: the user's connection that s's
// resume took over on this node, which is closing by now, gives its slot
// to s; without one, the user's most idle other connection does, and is
// closed with CloseEvicted (mostIdle takes a closing one first). Nothing
// is evicted when a connection of the user closed meanwhile and the user
// is back within the limit.
func (e *Engine) settleConn(s *session) {
	var victim *session
	e.userConns.update(s.user, func(m map[string]*userConns) {
		uc := m[s.user]
		if uc == nil || uc.owing != s {
			return
		}
		uc.owing, uc.owed = nil, 0
		if uc.slots <= e.cfg.MaxConnsPerUser {
			return // a connection closed meanwhile
		}
		i := mostIdle(uc.sessions, s)
		if i < 0 {
			return // s is the only one open: the others are upgrades
		}
		victim = uc.sessions[i]
		uc.sessions = slices.Delete(uc.sessions, i, i+1)
		uc.slots--
	})
	if victim != nil {
		victim.evict()
	}
}

// mostIdle returns the index of the session to evict, other than
// except: one already closing, whose slot would soon be free anyway, or
// else the one whose last data message is the oldest; -1 when there is
// none.
func mostIdle(sessions []*session, except *session) int {
	best := -1
	for i, s := range sessions {
		if s == except {
			continue
		}
		if s.closed.Load() || s.out.isClosed() {
			return i
		}
		if best < 0 || s.lastData.Load() < sessions[best].lastData.Load() {
			best = i
		}
	}
	return best
}

// registerConn lists an upgraded session under its user, so that it can
// be evicted or disconnected. Its slot was taken by acquireConn, which
// gave t. When a disconnect that covers s was issued since, it returns
// that order, for the caller to close s with.
func (e *Engine) registerConn(s *session, t connTicket) (order closeOrder, cut bool) {
	e.userConns.update(s.user, func(m map[string]*userConns) {
		uc := m[s.user]
		if uc == nil {
			return
		}
		// Renewals issued since the upgrade took its slot apply to it,
		// as they did to the open connections.
		s.cred = uc.pending.renamed(s.cred, t.order)
		uc.sessions = append(uc.sessions, s)
		if t.owes {
			uc.owing = s
		}
		order, cut = uc.pending.covering(s.cred, t.order)
		if uc.slots <= len(uc.sessions) {
			uc.pending.clear() // no upgrade in progress is left to apply them
		}
	})
	return order, cut
}

// releaseConn gives back the slot of a closed session. An evicted
// session's slot has already moved to the connection that evicted it.
func (e *Engine) releaseConn(user string, s *session) {
	e.userConns.update(user, func(m map[string]*userConns) {
		uc := m[user]
		if uc == nil {
			return
		}
		i := slices.Index(uc.sessions, s)
		if i < 0 {
			return // evicted: its slot moved on
		}
		uc.sessions = slices.Delete(uc.sessions, i, i+1)
		if uc.owing == s {
			uc.owing, uc.owed = nil, 0 // closed before its connect frame: nobody is evicted
		}
		uc.freeSlot(m, user)
	})
}

// releaseUpgrade gives back the slot of an upgrade that failed, which
// acquireConn gave t.
func (e *Engine) releaseUpgrade(user string, t connTicket) {
	e.userConns.update(user, func(m map[string]*userConns) {
		uc := m[user]
		if uc == nil {
			return
		}
		if t.owes {
			uc.owed = 0
		}
		uc.freeSlot(m, user)
	})
}

// freeSlot counts one slot of uc, user's entry in m, free, under the
// userConns lock.
func (uc *userConns) freeSlot(m map[string]*userConns, user string) {
	uc.slots--
	if uc.slots <= 0 {
		delete(m, user)
	} else if uc.slots <= len(uc.sessions) {
		uc.pending.clear() // no upgrade in progress is left to apply them
	}
}

// evict closes s, whose slot went to a newer connection of its user, with
// CloseEvicted, unless s is closing already (taken over by a resume,
// say), which keeps its own close code.
func (s *session) evict() {
	if s.closed.Load() || s.out.isClosed() {
		return
	}
	s.log.Info("connection evicted by a newer one of the same user")
	s.abort(CloseEvicted, "evicted by a newer connection of the same user")
}
