package engine

import "time"

// Owner hints. When the owner of a room takes a session of this node out
// of the room while the session stays open (a leave marked disconnected:
// the node missed broadcasts and asked for it, or the owner believed this
// node gone), the owner still runs the room, and the session's client
// joins it again at once (the left frame with reason moved). If no other
// session of this node is in the room, this node no longer knows the
// owner (knownOwner), and the rejoin would look it up in the lease
// bucket. That is what fails when it matters most: missed broadcasts
// follow a lost NATS server, which may have led the lease bucket, and
// until the bucket has elected a new leader every lookup fails, so the
// rejoin waits for seconds while the room goes on. The engine therefore
// keeps the owner as a hint for ownerHintTTL, and a join of the room
// asks that owner first, as it asks a known owner: an owner that no
// longer runs the room refuses, and the join looks it up then.

// ownerHintTTL is how long a hint is used: a client that rejoins in place
// does so at once; one that reconnects does so after its backoff delay,
// perhaps to another node.
const ownerHintTTL = 5 * time.Second

// ownerHintSweep is the size of a shard's map from which setting a hint
// first drops the expired ones, which bounds the hints kept to those of
// the rooms left in the last ownerHintTTL.
const ownerHintSweep = 64

// ownerHint is the owner of a room, until a time.
type ownerHint struct {
	owner string
	until time.Time
}

// hintOwner notes that owner ran room id a moment ago (see above).
func (e *Engine) hintOwner(id, owner string) {
	if owner == "" || e.ownerHints == nil {
		return
	}
	now := time.Now()
	e.ownerHints.update(id, func(m map[string]ownerHint) {
		if len(m) >= ownerHintSweep {
			for k, h := range m {
				if now.After(h.until) {
					delete(m, k)
				}
			}
		}
		m[id] = ownerHint{owner: owner, until: now.Add(ownerHintTTL)}
	})
}

// hintedOwner returns the owner hinted for room id, or "" when there is
// no hint, it expired, or the room runs here now.
func (e *Engine) hintedOwner(id string) string {
	if e.ownerHints == nil {
		return ""
	}
	if _, running := e.rooms.load(id); running {
		return ""
	}
	h, ok := e.ownerHints.load(id)
	if !ok || time.Now().After(h.until) {
		return ""
	}
	return h.owner
}

// dropOwnerHint forgets the hint that owner runs room id, which a join
// found wrong.
func (e *Engine) dropOwnerHint(id, owner string) {
	if e.ownerHints == nil {
		return
	}
	e.ownerHints.update(id, func(m map[string]ownerHint) {
		if m[id].owner == owner {
			delete(m, id)
		}
	})
}
