package engine

import (
	"sync"
	"time"

	"github.com/parlorhq/parlor/room"
)

// presenceQueue holds the scheduled evaluations of the users nobody
// watches, in the order they are due, behind one timer. A timer per entry would
// start a goroutine per evaluation when it fired: a burst of connects
// fired thousands at once, each waiting on the CPU, and the runtime keeps
// every goroutine descriptor it ever made (about 0.5 KiB each) for the
// life of the process. The window is the same for every entry, so the
// queue is in order by appending.
type presenceQueue struct {
	mu      sync.Mutex
	items   []queuedEval
	timer   room.Stopper // armed for the first item's due time; nil when empty
	stopped bool
}

// queuedEval is one scheduled evaluation. seq tells it from a later one
// of the same entry: only the entry's latest schedule evaluates it.
type queuedEval struct {
	pe  *presenceEntry
	seq uint64
	due time.Time
}

// push queues an evaluation of pe, due after the coalescing window.
func (p *presenceTracker) push(pe *presenceEntry, seq uint64) {
	q := &p.queue
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.stopped {
		return
	}
	// Read under the lock, so that the items stay in order.
	due := p.clock.Now().Add(p.e.cfg.PresenceCoalesce)
	q.items = append(q.items, queuedEval{pe: pe, seq: seq, due: due})
	if q.timer == nil {
		q.timer = p.clock.AfterFunc(p.e.cfg.PresenceCoalesce, p.flush)
	}
}

// flush evaluates the entries that are due, one after another, and arms
// the timer for the next one. Only entries that nobody watched when they
// were scheduled are queued (presenceTracker.schedule): their evaluation
// is O(1), with no fan-out to hold up the others.
func (p *presenceTracker) flush() {
	q := &p.queue
	now := p.clock.Now()
	q.mu.Lock()
	if q.stopped {
		q.mu.Unlock()
		return
	}
	n := 0
	for n < len(q.items) && !q.items[n].due.After(now) {
		n++
	}
	due := append([]queuedEval(nil), q.items[:n]...)
	rest := copy(q.items, q.items[n:])
	clear(q.items[rest:])
	q.items = q.items[:rest]
	if cap(q.items) > 64 && rest < cap(q.items)/4 {
		q.items = append([]queuedEval(nil), q.items...) // give back a burst's capacity
	}
	q.timer = nil
	if rest > 0 {
		q.timer = p.clock.AfterFunc(q.items[0].due.Sub(now), p.flush)
	}
	q.mu.Unlock()
	for _, it := range due {
		it.pe.mu.Lock()
		latest := it.pe.pending.Load() && it.pe.schedSeq == it.seq
		it.pe.mu.Unlock()
		if latest {
			p.evaluate(it.pe)
		}
	}
}

// stopQueue disarms the queue's timer and drops what it holds; nothing is
// queued afterwards.
func (p *presenceTracker) stopQueue() {
	q := &p.queue
	q.mu.Lock()
	defer q.mu.Unlock()
	q.stopped = true
	if q.timer != nil {
		q.timer.Stop()
		q.timer = nil
	}
	q.items = nil
}
