package engine

import (
	"runtime"
	"sync"
	"sync/atomic"
	"time"
)

// The heartbeat wheel: the sessions' heartbeat and handshake deadlines
// live in a few sharded timing wheels instead of timers of their own. A
// shard's goroutine wakes once per tick, handles the sessions whose
// deadline has come (heartbeat.go, beat) and files each under its next
// deadline. An idle connection thus costs no timer, no goroutine per ping
// and no wake-up of its own: a tick pings every session due in it in one
// pass, writing the pings itself when that cannot block (heartbeat.go,
// ping) and handing the others to the parked writers (writers.go).

const (
	// wheelMaxTick bounds the tick: deadlines fire at most this late.
	wheelMaxTick = 250 * time.Millisecond
	// wheelMinTick bounds the tick from below, for tiny test intervals.
	wheelMinTick = time.Millisecond
	// wheelMaxSlots bounds a shard's slots; a deadline further away than
	// the wheel's span waits in its slot for another turn.
	wheelMaxSlots = 4096
	// wheelMaxShards bounds the shards, each a goroutine while it holds
	// sessions.
	wheelMaxShards = 64
)

// beatWheel is the engine's set of heartbeat shards.
type beatWheel struct {
	shards []*beatShard
	next   atomic.Uint32 // round robin over the shards
}

// beatShard is one timing wheel: slot i holds the sessions whose next
// deadline falls in a tick t with t mod len(slots) == i.
type beatShard struct {
	e    *Engine
	tick time.Duration

	mu      sync.Mutex
	slots   [][]*session
	n       int   // sessions held
	done    int64 // the last tick handled
	running bool  // the shard's goroutine runs

	// pings holds the sessions a turn found due for a ping, written once
	// the lock is let go. Only the shard's goroutine touches it; it is
	// reused from turn to turn.
	pings []*session
}

// newBeatWheel sizes the wheel for cfg (defaults applied): the tick is a
// tenth of the shortest of the handshake timeout, heartbeat interval and
// heartbeat timeout, within [wheelMinTick, wheelMaxTick]; the slots span
// the longest of them.
func newBeatWheel(e *Engine) *beatWheel {
	cfg := e.cfg
	shortest := min(cfg.HandshakeTimeout, cfg.HeartbeatInterval, cfg.HeartbeatTimeout)
	longest := max(cfg.HandshakeTimeout, cfg.HeartbeatInterval, cfg.HeartbeatTimeout)
	tick := min(max(shortest/10, wheelMinTick), wheelMaxTick)
	slots := min(int(longest/tick)+2, wheelMaxSlots)
	n := min(max(runtime.GOMAXPROCS(0), 1), wheelMaxShards)
	w := &beatWheel{shards: make([]*beatShard, n)}
	for i := range w.shards {
		w.shards[i] = &beatShard{e: e, tick: tick, slots: make([][]*session, slots)}
	}
	return w
}

// add files s under its first deadline, s.beatDue, on the next shard in
// turn, and starts that shard's goroutine if it is not running.
func (w *beatWheel) add(s *session) {
	sh := w.shards[int(w.next.Add(1))%len(w.shards)]
	sh.mu.Lock()
	defer sh.mu.Unlock()
	s.beatShard = sh
	sh.insert(s)
	sh.n++
	if !sh.running && sh.e.ctx.Err() == nil {
		sh.running = true
		sh.done = monoNanos(time.Now())/int64(sh.tick) - 1
		sh.e.wg.Add(1)
		go sh.run()
	}
}

// remove takes s off its shard, if it is on one. It runs on the
// session's read goroutine, like add.
func (w *beatWheel) remove(s *session) {
	sh := s.beatShard
	if sh == nil {
		return // never opened
	}
	sh.mu.Lock()
	defer sh.mu.Unlock()
	if s.beatIdx < 0 {
		return // the wheel let it go already
	}
	sh.unlink(s)
	sh.n--
}

// insert appends s to the slot of the first tick that starts after
// s.beatDue: by the time that tick is handled, s is due. A deadline in the
// tick being handled thus waits for the next one, not for a whole turn.
// The caller holds mu.
func (sh *beatShard) insert(s *session) {
	i := int((s.beatDue/int64(sh.tick) + 1) % int64(len(sh.slots)))
	s.beatSlot = int32(i)
	s.beatIdx = int32(len(sh.slots[i]))
	sh.slots[i] = append(sh.slots[i], s)
}

// unlink removes s from its slot, moving the slot's last session into
// its place. The caller holds mu.
func (sh *beatShard) unlink(s *session) {
	slot := sh.slots[s.beatSlot]
	last := len(slot) - 1
	if int(s.beatIdx) != last {
		moved := slot[last]
		slot[s.beatIdx] = moved
		moved.beatIdx = s.beatIdx
	}
	slot[last] = nil
	sh.slots[s.beatSlot] = slot[:last]
	s.beatIdx = -1
}

// run is the shard's goroutine: every tick it handles the slots that came
// due. It exits when the shard holds no session or the engine stops.
func (sh *beatShard) run() {
	defer sh.e.wg.Done()
	t := time.NewTicker(sh.tick)
	defer t.Stop()
	for {
		select {
		case now := <-t.C:
			if !sh.turn(monoNanos(now)) {
				return
			}
		case <-sh.e.ctx.Done():
			sh.mu.Lock()
			sh.running = false
			sh.mu.Unlock()
			return
		}
	}
}

// turn handles every tick up to now, at most one whole turn of the wheel,
// then writes the pings that came due, outside the lock, so that
// connections opening and closing meanwhile do not wait for the writes.
// It reports false, and marks the goroutine stopped, when the shard is
// empty.
func (sh *beatShard) turn(now int64) bool {
	sh.mu.Lock()
	last := now / int64(sh.tick)
	first := max(sh.done+1, last-int64(len(sh.slots))+1)
	for t := first; t <= last; t++ {
		sh.handle(int(t%int64(len(sh.slots))), now)
	}
	sh.done = last
	if sh.n == 0 {
		// No session was kept, so none is due a ping. From here on another
		// goroutine may run the shard: this one touches nothing more.
		sh.running = false
		sh.mu.Unlock()
		return false
	}
	sh.mu.Unlock()
	for i, s := range sh.pings {
		s.ping()
		sh.pings[i] = nil
	}
	sh.pings = sh.pings[:0]
	return true
}

// handle runs the heartbeat of the sessions of slot i that are due at
// now and files them under their next deadline. The caller holds mu.
func (sh *beatShard) handle(i int, now int64) {
	for k := 0; k < len(sh.slots[i]); {
		s := sh.slots[i][k]
		if s.beatDue > now {
			k++ // due in a later turn of the wheel
			continue
		}
		sh.unlink(s)
		next, keep, ping := s.beat(now)
		if ping {
			sh.pings = append(sh.pings, s)
		}
		if !keep {
			sh.n--
			continue
		}
		s.beatDue = next
		sh.insert(s)
	}
}
