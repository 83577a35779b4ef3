package client

import "sync"

// roomEvents is the per-room delivery of a Room: a bounded buffer filled
// by the connection's read loop and emptied by the room's own goroutine
// into the Events channel or the handler.
//
// The read loop never waits for the application here, so a room whose
// reader stalls does not hold up the client's other rooms. When the
// buffer is full, an event is dropped and counted in an EventGap notice
// that takes its place (one notice stands for a whole run of dropped
// events). Notices are never dropped: a left notice is the last entry,
// an EventResumed is added even to a full buffer, and an EventRejoined
// replaces everything still buffered, since its snapshot supersedes it.
//
// The methods of roomEvents never wait for the application, so the client
// may call them with its mutex held.
type roomEvents struct {
	c       *Client
	limit   int
	handler func(Event)
	ch      chan Event    // unbuffered; nil with a handler
	wake    chan struct{} // capacity 1: the buffer changed
	done    chan struct{} // closed when the goroutine has ended

	mu    sync.Mutex
	buf   []Event // waiting from buf[head]
	head  int
	ended bool // nothing more is added; the goroutine ends once buf is empty
}

// newRoomEvents starts the delivery goroutine of a room.
func (c *Client) newRoomEvents(handler func(Event)) *roomEvents {
	q := &roomEvents{
		c:       c,
		limit:   c.opts.RoomBuffer,
		handler: handler,
		wake:    make(chan struct{}, 1),
		done:    make(chan struct{}),
	}
	if handler == nil {
		q.ch = make(chan Event)
	}
	c.pumps.Add(1)
	go q.run()
	return q
}

// push adds ev, or counts it in a gap notice when the buffer is full.
func (q *roomEvents) push(ev Event) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.ended {
		return
	}
	switch {
	case ev.Name == EventRejoined:
		clear(q.buf)
		q.buf, q.head = append(q.buf[:0], ev), 0
	case ev.Left:
		q.add(ev) // the caller ends the delivery unless the room is kept
	case ev.Name == EventResumed:
		q.add(ev) // a notice, even beyond the limit
	case len(q.buf)-q.head < q.limit:
		q.add(ev)
	default:
		if n := len(q.buf); n > q.head && q.buf[n-1].Name == EventGap {
			g := &q.buf[n-1]
			g.Dropped++
			g.Seq = max(g.Seq, ev.Seq)
		} else {
			// The notice may take one place beyond the limit.
			q.add(Event{Room: ev.Room, Name: EventGap, Seq: ev.Seq, Dropped: 1})
		}
	}
	q.signal()
}

// add appends ev, first moving the waiting events to the front of the
// array when it is full, so that the array stays within the limit.
func (q *roomEvents) add(ev Event) {
	if len(q.buf) == cap(q.buf) && q.head > 0 {
		n := copy(q.buf, q.buf[q.head:])
		clear(q.buf[n:])
		q.buf, q.head = q.buf[:n], 0
	}
	q.buf = append(q.buf, ev)
}

// end adds no more events: the goroutine delivers what is buffered, then
// closes Events.
func (q *roomEvents) end() {
	q.mu.Lock()
	q.ended = true
	q.mu.Unlock()
	q.signal()
}

func (q *roomEvents) signal() {
	select {
	case q.wake <- struct{}{}:
	default:
	}
}

// next takes the first buffered event; ok is false once the buffer is
// empty and ended.
func (q *roomEvents) next() (ev Event, ok bool) {
	for {
		q.mu.Lock()
		if q.head < len(q.buf) {
			ev = q.buf[q.head]
			q.buf[q.head] = Event{}
			q.head++
			if q.head == len(q.buf) {
				q.buf, q.head = q.buf[:0], 0
			}
			q.mu.Unlock()
			return ev, true
		}
		ended := q.ended
		q.mu.Unlock()
		if ended {
			return Event{}, false
		}
		select {
		case <-q.wake:
		case <-q.c.closing:
			return Event{}, false
		}
	}
}

// run delivers the room's events until the room ends or the client is
// closed.
func (q *roomEvents) run() {
	defer q.c.pumps.Done()
	defer close(q.done)
	if q.ch != nil {
		defer close(q.ch)
	}
	for {
		ev, ok := q.next()
		if !ok {
			return
		}
		if q.handler != nil {
			q.handler(ev)
			continue
		}
		select {
		case q.ch <- ev:
		case <-q.c.closing:
			return
		}
	}
}
