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
	// pending holds the disconnects (DisconnectUser, DisconnectCredential)
	// issued while upgrades of the user were in progress, so that an
	// upgrade that authenticated just before a sign-out cannot slip past
	// it. Upgrades apply the orders issued after they took their slot.
	pending pendingOrders
}

// acquireConn takes a connection slot for user. At the limit, under
// ConnLimitEvictIdle, the slot of the user's most idle connection moves to
// the new one, and that connection is returned for the caller to close.
// ok is false when there is no slot to be had. ticket goes to
// registerConn.
func (e *Engine) acquireConn(user string) (ok bool, evict *session, ticket uint64) {
	e.userConns.update(user, func(m map[string]*userConns) {
		uc := m[user]
		if uc == nil {
			uc = &userConns{}
			m[user] = uc
		}
		ticket = uc.pending.next
		if uc.slots < e.cfg.MaxConnsPerUser {
			uc.slots++
			ok = true
			return
		}
		if e.cfg.ConnLimitPolicy != ConnLimitEvictIdle || len(uc.sessions) == 0 {
			return // only upgrades in progress hold the slots: nothing to evict
		}
		i := mostIdle(uc.sessions)
		evict = uc.sessions[i]
		uc.sessions = slices.Delete(uc.sessions, i, i+1)
		ok = true
	})
	return ok, evict, ticket
}

// mostIdle returns the index of the session to evict: one already
// closing, whose slot would soon be free anyway, or else the one whose
// last data message is the oldest.
func mostIdle(sessions []*session) int {
	best := 0
	for i, s := range sessions {
		if s.closed.Load() || s.out.isClosed() {
			return i
		}
		if s.lastData.Load() < sessions[best].lastData.Load() {
			best = i
		}
	}
	return best
}

// registerConn lists an upgraded session under its user, so that it can
// be evicted or disconnected. Its slot was taken by acquireConn, which
// gave ticket. When a disconnect that covers s was issued since, it
// returns that order, for the caller to close s with.
func (e *Engine) registerConn(s *session, ticket uint64) (order closeOrder, cut bool) {
	e.userConns.update(s.user, func(m map[string]*userConns) {
		uc := m[s.user]
		if uc == nil {
			return
		}
		// Renewals issued since the upgrade took its slot apply to it,
		// as they did to the open connections.
		s.cred = uc.pending.renamed(s.cred, ticket)
		uc.sessions = append(uc.sessions, s)
		order, cut = uc.pending.covering(s.cred, ticket)
		if uc.slots <= len(uc.sessions) {
			uc.pending.clear() // no upgrade in progress is left to apply them
		}
	})
	return order, cut
}

// releaseConn gives back the slot of a closed session, or of a failed
// upgrade when s is nil. An evicted session's slot has already moved to the
// connection that evicted it.
func (e *Engine) releaseConn(user string, s *session) {
	e.userConns.update(user, func(m map[string]*userConns) {
		uc := m[user]
		if uc == nil {
			return
		}
		if s != nil {
			i := slices.Index(uc.sessions, s)
			if i < 0 {
				return // evicted: its slot moved on
			}
			uc.sessions = slices.Delete(uc.sessions, i, i+1)
		}
		uc.slots--
		if uc.slots <= 0 {
			delete(m, user)
		} else if uc.slots <= len(uc.sessions) {
			uc.pending.clear()
		}
	})
}

// evict closes s, whose slot went to a newer connection of its user, with
// CloseEvicted.
func (s *session) evict() {
	s.log.Info("connection evicted by a newer one of the same user")
	s.abort(CloseEvicted, "evicted by a newer connection of the same user")
}
