package engine

import (
	"sync"
	"time"

	"github.com/parlorhq/parlor/room"
)

// presenceQueue holds every entry's next evaluation, earliest first,
// behind one timer: a scheduled evaluation (the coalescing window after a
// connect, a disconnect or a touch of an away user) or the entry's next
// possible change (away after PresenceAwayAfter, offline after
// PresenceGrace), whichever is due first, since one evaluation stands for
// both. A timer per entry would cost every connected user one (about 0.2
// KiB with its closure), and would start a goroutine per evaluation when
// it fired: a burst of connects fired thousands at once, each waiting on
// the CPU, and the runtime keeps every goroutine descriptor it ever made
// for the life of the process.
//
// It is a binary heap ordered by due time; each entry knows its place
// (presenceEntry.qidx), so that an entry evaluated early leaves it in
// O(log n). Lock order: an entry's mu, then the queue's.
type presenceQueue struct {
	mu    sync.Mutex
	items []queuedEval
	// timer is armed for at, the first item's due time; nil when empty.
	timer   room.Stopper
	at      int64
	stopped bool
}

// queuedEval is one entry's next evaluation, due at the clock's Unix
// nanoseconds.
type queuedEval struct {
	pe  *presenceEntry
	due int64
}

// enqueue makes pe due at due, unless it is due earlier already.
func (p *presenceTracker) enqueue(pe *presenceEntry, due int64) {
	q := &p.queue
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.stopped {
		return
	}
	if i := int(pe.qidx); i >= 0 {
		if due >= q.items[i].due {
			return
		}
		q.items[i].due = due
		q.up(i)
	} else {
		pe.qidx = int32(len(q.items))
		q.items = append(q.items, queuedEval{pe: pe, due: due})
		q.up(len(q.items) - 1)
	}
	if q.timer == nil || due < q.at {
		p.arm()
	}
}

// dequeue takes pe out of the queue, if it is in it.
func (p *presenceTracker) dequeue(pe *presenceEntry) {
	q := &p.queue
	q.mu.Lock()
	defer q.mu.Unlock()
	if i := int(pe.qidx); i >= 0 {
		q.remove(i)
	}
}

// arm sets the timer for the first item, or disarms it when the queue is
// empty. q.mu held.
func (p *presenceTracker) arm() {
	q := &p.queue
	if q.timer != nil {
		q.timer.Stop()
		q.timer = nil
	}
	if len(q.items) == 0 {
		return
	}
	q.at = q.items[0].due
	q.timer = p.clock.AfterFunc(time.Duration(q.at-p.clock.Now().UnixNano()), p.flush)
}

// flush evaluates the entries that are due and arms the timer for the
// next one. An unwatched user's evaluation is O(1) and runs here, one
// after another; a watched user's (or any user's on a cluster node, whose
// view is published) calls PresencePolicy and waits on the watchers'
// mailboxes, so it runs on a timer of its own, holding up no other user.
func (p *presenceTracker) flush() {
	q := &p.queue
	now := p.clock.Now().UnixNano()
	q.mu.Lock()
	if q.stopped {
		q.mu.Unlock()
		return
	}
	var due []*presenceEntry
	for len(q.items) > 0 && q.items[0].due <= now {
		due = append(due, q.items[0].pe)
		q.remove(0)
	}
	if cap(q.items) > 64 && len(q.items) < cap(q.items)/4 {
		q.items = append([]queuedEval(nil), q.items...) // give back a burst's capacity
	}
	p.arm()
	q.mu.Unlock()
	for _, pe := range due {
		pe.mu.Lock()
		own := len(pe.watchers) > 0 || p.e.cluster != nil
		pe.mu.Unlock()
		if own {
			p.clock.AfterFunc(0, func() { p.evaluate(pe) })
		} else {
			p.evaluate(pe)
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
	for _, it := range q.items {
		it.pe.qidx = -1
	}
	q.items = nil
}

// remove takes out item i. q.mu held.
func (q *presenceQueue) remove(i int) {
	last := len(q.items) - 1
	q.items[i].pe.qidx = -1
	if i != last {
		q.items[i] = q.items[last]
		q.items[i].pe.qidx = int32(i)
	}
	q.items[last] = queuedEval{}
	q.items = q.items[:last]
	if i != last {
		q.down(i)
		q.up(i)
	}
}

// up moves item i towards the root while it is due before its parent.
func (q *presenceQueue) up(i int) {
	for i > 0 {
		parent := (i - 1) / 2
		if q.items[parent].due <= q.items[i].due {
			return
		}
		q.swap(i, parent)
		i = parent
	}
}

// down moves item i towards the leaves while a child is due before it.
func (q *presenceQueue) down(i int) {
	n := len(q.items)
	for {
		first := i
		if l := 2*i + 1; l < n && q.items[l].due < q.items[first].due {
			first = l
		}
		if r := 2*i + 2; r < n && q.items[r].due < q.items[first].due {
			first = r
		}
		if first == i {
			return
		}
		q.swap(i, first)
		i = first
	}
}

func (q *presenceQueue) swap(i, j int) {
	q.items[i], q.items[j] = q.items[j], q.items[i]
	q.items[i].pe.qidx = int32(i)
	q.items[j].pe.qidx = int32(j)
}
