package engine

import (
	"context"
	"sync"
	"sync/atomic"
	"time"

	"github.com/parlorhq/parlor/codec"
	"github.com/parlorhq/parlor/room"
	"go.uber.org/zap"
)

// Status is a user's presence status.
type Status string

// Statuses a user can have.
const (
	// StatusOnline: at least one session, and a data message from one of
	// them within Config.PresenceAwayAfter.
	StatusOnline Status = "online"
	// StatusAway: sessions open, but none sent a data message for
	// Config.PresenceAwayAfter.
	StatusAway Status = "away"
	// StatusOffline: no session for Config.PresenceGrace, or a hidden
	// status, or one the viewer may not see.
	StatusOffline Status = "offline"
)

// Presence is a user's status as a watcher sees it. On the wire it is the
// array [user, status, last_seen], last_seen in Unix milliseconds.
type Presence struct {
	_msgpack struct{} `msgpack:",as_array"`
	// User is the subject.
	User string
	// Status is online, away or offline.
	Status Status
	// LastSeen is when the user's last session closed, in Unix
	// milliseconds, for an offline user; 0 when unknown, hidden or not
	// offline.
	LastSeen int64
}

// presenceEntry is one user's presence: their sessions, their last
// activity and who watches them. Its status is evaluated per user, never
// per connection. It is packed into 144 bytes: a connected user holds one
// for as long as they are connected, so statuses are codes and times are
// integers, and its deadlines wait in the tracker's queue
// (presencequeue.go), not in timers of its own.
type presenceEntry struct {
	user string
	// lastActive is the clock time of the last data message from any of
	// the user's sessions, in Unix nanoseconds. Sessions store it
	// without a lock; away says whether a store must wake the evaluator.
	lastActive atomic.Int64
	away       atomic.Bool
	// pending is set while an evaluation is scheduled, so that any number
	// of touches and connection changes within the window cost one.
	pending atomic.Bool

	// evalMu serializes evaluations with their fan-out, so that watchers
	// get one entry's changes in the order they were computed.
	evalMu sync.Mutex

	mu     sync.Mutex
	goneAt int64 // when conns last fell to 0, clock time in Unix nanoseconds; 0: never here
	// hiddenAt is when hidden was last set on this node, in Unix
	// milliseconds (0: never): on a cluster the latest setting on any
	// node wins (presencecluster.go).
	hiddenAt int64
	watchers map[string]struct{}
	// On a cluster (presencecluster.go): the other nodes' latest views
	// of the user, kept while somebody here watches, and this node's
	// view as last published.
	remote    map[string]nodeView
	sent      nodeView
	published nodeView // what watchers were last told, hidden shown as offline
	conns     int32
	// qidx is the entry's place in the presence queue, -1 when it has
	// none. The queue's lock guards it.
	qidx   int32
	status statusCode // the evaluated status
	// dead is set when the entry leaves the tracker's map. Whatever must
	// outlive the call (a session, a watcher, a hidden status) is only
	// ever recorded inside the map's update, so it never lands on a dead
	// entry; a dead entry only finishes evaluations already scheduled.
	dead   bool
	hidden bool
	// armed is set while the queue holds the entry's next possible
	// change: away, or offline after the grace.
	armed bool
}

// statusCode is a status as the tracker keeps it: its rank when views
// are combined (online highest), and its byte on a cluster's user topic.
type statusCode uint8

// Status codes.
const (
	codeOffline statusCode = iota
	codeAway
	codeOnline
)

// status returns the Status the code stands for.
func (c statusCode) status() Status {
	switch c {
	case codeOnline:
		return StatusOnline
	case codeAway:
		return StatusAway
	}
	return StatusOffline
}

// presenceTracker holds the presence of the users of this node. An entry
// lives while it holds something: a session, a watcher, a hidden status,
// or a status not yet offline. Once the user is offline and nobody watches,
// the entry is dropped, and with it the last-seen time.
type presenceTracker struct {
	e     *Engine
	clock room.Clock
	users *shardedMap[*presenceEntry]
	// nodes are the other nodes whose views this node holds, each
	// watched until it is gone (presencecluster.go).
	nodes *shardedMap[struct{}]
	// hiddenSubs holds the user topic of each user hidden here, on a
	// cluster, so that a later setting on another node reaches this one
	// (holdWhileHidden).
	hiddenSubs *shardedMap[*userSub]
	// pubMu serializes the publishes of a user's view, by the user's
	// shard (publishSent).
	pubMu [mapShards]sync.Mutex
	// queue holds the scheduled evaluations (presencequeue.go).
	queue presenceQueue

	// stopped is set by stop; evaluations hold runMu for reading, so that
	// stop can wait for the ones in flight and none starts afterwards.
	stopped atomic.Bool
	runMu   sync.RWMutex
}

func newPresenceTracker(e *Engine) *presenceTracker {
	clock := e.cfg.Room.Clock
	if clock == nil {
		clock = room.RealClock{}
	}
	return &presenceTracker{e: e, clock: clock, users: newShardedMap[*presenceEntry](), nodes: newShardedMap[struct{}](),
		hiddenSubs: newShardedMap[*userSub]()}
}

// change runs fn on user's entry, creating it, with the map's shard and
// the entry locked: an entry cannot be dropped while fn records on it.
func (p *presenceTracker) change(user string, fn func(pe *presenceEntry)) *presenceEntry {
	var pe *presenceEntry
	p.users.update(user, func(m map[string]*presenceEntry) {
		if pe = m[user]; pe == nil {
			pe = &presenceEntry{user: user, qidx: -1}
			m[user] = pe
		}
		pe.mu.Lock()
		fn(pe)
		pe.mu.Unlock()
	})
	return pe
}

// idle reports whether pe holds nothing worth keeping: no session, no
// watcher, not hidden, offline, and no evaluation to come. pe.mu held.
func (pe *presenceEntry) idle() bool {
	return pe.conns == 0 && len(pe.watchers) == 0 && !pe.hidden && pe.status == codeOffline &&
		!pe.pending.Load() && !pe.armed
}

// release drops pe from the map if it is still there and idle.
func (p *presenceTracker) release(pe *presenceEntry) {
	p.users.update(pe.user, func(m map[string]*presenceEntry) {
		if m[pe.user] != pe {
			return
		}
		pe.mu.Lock()
		defer pe.mu.Unlock()
		if pe.idle() {
			pe.dead = true
			delete(m, pe.user)
		}
	})
}

// connect counts a new session of user and returns its entry.
func (p *presenceTracker) connect(user string) *presenceEntry {
	pe := p.change(user, func(pe *presenceEntry) { pe.conns++ })
	pe.lastActive.Store(p.clock.Now().UnixNano())
	p.schedule(pe)
	return pe
}

// disconnect uncounts a closed session of pe's user.
func (p *presenceTracker) disconnect(pe *presenceEntry) {
	pe.mu.Lock()
	pe.conns--
	if pe.conns == 0 {
		pe.goneAt = p.clock.Now().UnixNano()
	}
	pe.mu.Unlock()
	p.schedule(pe)
}

// touch records a data message from one of pe's sessions. It is on the
// read path of every message: one clock read and one store, plus one
// schedule when the user was away.
func (p *presenceTracker) touch(pe *presenceEntry) {
	pe.lastActive.Store(p.clock.Now().UnixNano())
	if pe.away.Load() {
		p.schedule(pe)
	}
}

// schedule evaluates pe once the coalescing window has passed, unless an
// evaluation is already scheduled.
func (p *presenceTracker) schedule(pe *presenceEntry) {
	if p.e.shutting.Load() || !pe.pending.CompareAndSwap(false, true) {
		return
	}
	pe.mu.Lock()
	if !p.stopped.Load() && !pe.dead {
		p.enqueue(pe, p.clock.Now().Add(p.e.cfg.PresenceCoalesce).UnixNano())
	}
	pe.mu.Unlock()
}

// evaluate computes pe's status, queues its next possible change (away,
// or offline after the grace), tells the watchers when what they see
// changed, and drops the entry once it is idle.
func (p *presenceTracker) evaluate(pe *presenceEntry) {
	p.runMu.RLock()
	defer p.runMu.RUnlock()
	if p.stopped.Load() {
		return
	}
	pe.evalMu.Lock()
	defer pe.evalMu.Unlock()
	now := p.clock.Now()
	pe.mu.Lock()
	pe.pending.Store(false)
	// This evaluation stands for whatever else the queue held for the
	// entry: a schedule when the change came first, or the reverse.
	p.dequeue(pe)
	pe.armed = false
	if pe.dead {
		pe.mu.Unlock()
		return
	}
	var wake time.Duration
	switch {
	case pe.conns > 0:
		idle := time.Duration(now.UnixNano() - pe.lastActive.Load())
		if idle >= p.e.cfg.PresenceAwayAfter {
			pe.status = codeAway
		} else {
			pe.status = codeOnline
			wake = p.e.cfg.PresenceAwayAfter - idle
		}
	case pe.status != codeOffline:
		if gone := time.Duration(now.UnixNano() - pe.goneAt); gone >= p.e.cfg.PresenceGrace {
			pe.status = codeOffline
		} else {
			wake = p.e.cfg.PresenceGrace - gone
		}
	}
	pe.away.Store(pe.status == codeAway)
	if wake > 0 {
		pe.armed = true
		p.enqueue(pe, now.Add(wake).UnixNano())
	}
	publish := false
	if p.e.cluster != nil {
		if view := pe.localView(); view != pe.sent {
			pe.sent, publish = view, true
		}
	}
	seen := pe.visible()
	changed := seen != pe.published
	pe.published = seen
	var watchers []string
	if changed {
		watchers = make([]string, 0, len(pe.watchers))
		for w := range pe.watchers {
			watchers = append(watchers, w)
		}
	}
	idle := pe.idle()
	pe.mu.Unlock()
	if publish {
		p.publishSent(pe, true)
	}
	if changed && len(watchers) > 0 {
		p.fanOut(pe.presence(seen), watchers)
	}
	if idle {
		p.release(pe)
	}
}

// lastSeen is when the user's last session here closed, in Unix
// milliseconds, the last-seen time of an offline status; 0 when no
// session was ever here. pe.mu held.
func (pe *presenceEntry) lastSeen() int64 {
	if pe.goneAt == 0 {
		return 0
	}
	return time.Unix(0, pe.goneAt).UnixMilli()
}

// visible is the status watchers may see, over every node's view.
// Hidden users look offline with no last seen. pe.mu held.
func (pe *presenceEntry) visible() nodeView {
	c := pe.combined()
	if c.hidden {
		return nodeView{}
	}
	return nodeView{status: c.status, lastSeen: c.lastSeen}
}

// presence is v as a watcher gets it.
func (pe *presenceEntry) presence(v nodeView) Presence {
	return Presence{User: pe.user, Status: v.status.status(), LastSeen: v.lastSeen}
}

// fanOut tells every watcher allowed to see it about a change: one policy
// check and one ephemeral event on each watcher's user channel, which
// writes it to every session of the watcher. The payload is encoded once.
// Each watcher has a JoinTimeout of its own for its check and its event:
// one slow policy call or busy channel does not use up the time of the
// watchers after it, who would never hear of the change.
func (p *presenceTracker) fanOut(v Presence, watchers []string) {
	raw, err := codec.MarshalData(&v)
	if err != nil {
		p.e.log.Error("encode presence", zap.Error(err))
		return
	}
	for _, w := range watchers {
		if p.stopped.Load() {
			return // shutting down: the watchers' channels are closing
		}
		p.tell(w, v.User, raw)
	}
}

// tell sends one watcher the presence event raw of subject, if the policy
// allows it, within JoinTimeout.
func (p *presenceTracker) tell(watcher, subject string, raw []byte) {
	ctx, cancel := context.WithTimeout(p.e.ctx, p.e.cfg.JoinTimeout)
	defer cancel()
	if !p.allowed(ctx, watcher, subject) {
		return
	}
	h, ok := p.e.userChans.load(watcher)
	if !ok {
		return
	}
	_ = h.r.Do(ctx, func() {
		if _, still := h.watching[subject]; still {
			_ = h.r.BroadcastEphemeral(EventPresence, raw)
		}
	})
}

// allowed applies Config.PresencePolicy; a user may always see themself.
// A policy that panics refuses, and the panic is logged.
func (p *presenceTracker) allowed(ctx context.Context, viewer, subject string) (ok bool) {
	if viewer == subject || p.e.cfg.PresencePolicy == nil {
		return true
	}
	defer func() {
		if v := recover(); v != nil {
			p.e.log.Error("panic in PresencePolicy", zap.String("viewer", viewer), zap.String("subject", subject),
				zap.Any("panic", v), zap.Stack("stack"))
			ok = false
		}
	}()
	return p.e.cfg.PresencePolicy(ctx, viewer, subject)
}

// watch adds watcher to subject's watchers and returns what the watcher
// may see of subject now.
func (p *presenceTracker) watch(ctx context.Context, subject, watcher string) Presence {
	var seen Presence
	p.change(subject, func(pe *presenceEntry) {
		if pe.watchers == nil {
			pe.watchers = make(map[string]struct{})
		}
		pe.watchers[watcher] = struct{}{}
		seen = pe.presence(pe.published)
	})
	if !p.allowed(ctx, watcher, subject) {
		return Presence{User: subject, Status: StatusOffline}
	}
	return seen
}

// unwatch removes watcher from subject's watchers, and drops the entry
// once it is idle (see presenceEntry.idle).
func (p *presenceTracker) unwatch(subject, watcher string) {
	p.users.update(subject, func(m map[string]*presenceEntry) {
		pe := m[subject]
		if pe == nil {
			return
		}
		pe.mu.Lock()
		defer pe.mu.Unlock()
		delete(pe.watchers, watcher)
		if len(pe.watchers) == 0 && pe.remote != nil {
			// Nobody here needs the other nodes' views any more.
			pe.remote = nil
			pe.published = pe.visible()
		}
		if pe.idle() {
			pe.dead = true
			delete(m, subject)
		}
	})
}

// setHidden hides or shows user's status; watchers learn the change at
// the next evaluation. The setting is stamped with the time, never
// earlier than the one before, so that on a cluster the latest setting
// on any node wins (presencecluster.go).
func (p *presenceTracker) setHidden(user string, hidden bool) {
	pe := p.change(user, func(pe *presenceEntry) {
		pe.hidden = hidden
		pe.hiddenAt = max(p.clock.Now().UnixMilli(), pe.hiddenAt+1)
	})
	p.holdWhileHidden(pe)
	p.schedule(pe)
}

// localHidden reports whether user is hidden on this node.
func (p *presenceTracker) localHidden(user string) bool {
	pe, ok := p.users.load(user)
	if !ok {
		return false
	}
	pe.mu.Lock()
	defer pe.mu.Unlock()
	return pe.hidden && !pe.dead
}

// get returns user's status as the engine sees it, hidden or not.
func (p *presenceTracker) get(user string) (v Presence, hidden bool) {
	pe, ok := p.users.load(user)
	if !ok {
		return Presence{User: user, Status: StatusOffline}, false
	}
	pe.mu.Lock()
	defer pe.mu.Unlock()
	c := pe.combined()
	return pe.presence(c), c.hidden
}

// stop disarms the queue, at shutdown, and returns once no evaluation
// runs: none calls PresencePolicy or logs after it.
func (p *presenceTracker) stop() {
	p.stopped.Store(true)
	p.stopQueue()
	p.runMu.Lock() // waits for the evaluations in flight
	p.runMu.Unlock()
}

// UserPresence returns user's status as this node sees it (on a cluster,
// combined with the other nodes' views it holds while somebody here
// watches the user):
// hidden reports whether the user hid it, in which case watchers see
// them offline. The last-seen time is kept only while someone watches
// the user: once an offline user has no watcher, the engine forgets them
// and reports offline with LastSeen 0.
func (e *Engine) UserPresence(user string) (p Presence, hidden bool) {
	return e.presence.get(user)
}

// SetPresenceHidden hides user's status from every watcher (they see the
// user offline, with no last seen) or shows it again. It holds for this
// process's lifetime; a host that stores the choice calls it again when
// the user connects (from Authenticate is early enough). Clients do the
// same with the presence.hide event on their user channel.
func (e *Engine) SetPresenceHidden(user string, hidden bool) {
	e.presence.setHidden(user, hidden)
}
