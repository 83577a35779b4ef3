package main

import (
	"errors"
	"iter"
	"sync"
	"sync/atomic"
	"time"

	"github.com/parlorhq/parlor/chat"
	"github.com/parlorhq/parlor/codec"
)

// member is one client in one conversation.
type member struct {
	user string
	c    *wireConn
	room string
	// stalled: the member stops reading once everyone has joined.
	stalled bool
	// neighbour: another member of the conversation is stalled.
	neighbour bool
	// slots are the member's send loops' requests in flight, one per
	// loop (-inflight), made before the member is dialed.
	slots []sendSlot
	// rec is where the read loop records acks and deliveries; nil until
	// the load starts (and for a stalled member).
	rec atomic.Pointer[recording]

	key      int          // the member's number, its latency shard key
	received atomic.Int64 // message events from others, in the window
	acked    atomic.Int64 // own messages acked, in the window
}

// conversations are the members of every room, room by room.
type conversations [][]*member

// members yields every member of every room.
func (cs conversations) members() iter.Seq[*member] {
	return func(yield func(*member) bool) {
		for _, room := range cs {
			for _, m := range room {
				if !yield(m) {
					return
				}
			}
		}
	}
}

// closeAll closes every member's connection, several at a time.
func (cs conversations) closeAll() {
	sem := make(chan struct{}, 64)
	var wg sync.WaitGroup
	for m := range cs.members() {
		if m.c == nil {
			continue
		}
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			m.c.Close()
		})
	}
	wg.Wait()
}

// window tells when the measured time starts and ends (Unix nanos).
type window struct {
	start, end atomic.Int64
}

// in reports whether t is in the measured time.
func (w *window) in(t int64) bool {
	s, e := w.start.Load(), w.end.Load()
	return s != 0 && t >= s && (e == 0 || t < e)
}

// recording is what the read loops record into.
type recording struct {
	win *window
	lat *latencies
	s   *senders
}

// delivered counts a message event from another member and records its
// latency, from the time its send was due. It runs on the read loop.
func (m *member) delivered(f *codec.Frame) {
	r := m.rec.Load()
	if r == nil || f.Event != chat.KindMessage {
		return
	}
	now := time.Now().UnixNano()
	from, text, ok := scanMessage(f.Data)
	if !ok || string(from) == m.user {
		return
	}
	sent, ok := parseStamp(text)
	if !ok || !r.win.in(sent) {
		return
	}
	m.received.Add(1)
	r.lat.delivery.Record(m.key, time.Duration(now-sent))
	if m.neighbour {
		r.lat.nDelivery.Record(m.key, time.Duration(now-sent))
	}
}

// ack records the ack of one of m's sends, from the time it was due (or
// sent, in a closed loop), and wakes its send loop, or in a closed loop
// sends the slot's next message (senders.next). It runs on the read loop.
func (m *member) ack(f *codec.Frame) {
	now := time.Now().UnixNano()
	slot := int(f.Ref % uint64(len(m.slots)))
	s := &m.slots[slot]
	if s.ref.Load() != f.Ref {
		return
	}
	if f.Code != "" {
		s.done <- errors.New(string(f.Code))
		return
	}
	r := m.rec.Load()
	if r != nil {
		t0 := s.due.Load()
		r.s.all.Add(1)
		if r.win.in(t0) {
			d := now - t0
			r.s.acked.Add(1)
			m.acked.Add(1)
			r.lat.acks.Record(m.key, time.Duration(d))
			r.lat.log.add(t0, d)
			if m.neighbour {
				r.lat.nAcks.Record(m.key, time.Duration(d))
			}
		}
		if r.s.chained() {
			if err := r.s.next(m, slot); err != nil {
				s.done <- err
			}
			return
		}
	}
	s.done <- nil
}
