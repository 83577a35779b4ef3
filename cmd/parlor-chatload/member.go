package main

import (
	"iter"
	"sync/atomic"
	"time"

	"github.com/parlorhq/parlor/chat"
	"github.com/parlorhq/parlor/client"
)

// member is one client in one conversation.
type member struct {
	user string
	c    *client.Client
	room string
	// stalled: the member stops reading once everyone has joined.
	stalled bool
	// neighbour: another member of the conversation is stalled.
	neighbour bool
	stall     chan struct{} // closed to make a stalled member stop reading

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

// clients lists every member's client; nil for those not dialed.
func (cs conversations) clients() []*client.Client {
	var out []*client.Client
	for m := range cs.members() {
		out = append(out, m.c)
	}
	return out
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

// read counts the messages from others and records their latency.
func (m *member) read(win *window, lat *latencies) {
	for ev := range m.c.Events() {
		if ev.Name != chat.KindMessage {
			continue
		}
		now := time.Now().UnixNano()
		var msg chat.Message
		if err := ev.Decode(&msg); err != nil || msg.From == m.user {
			continue
		}
		sent, ok := parseStamp(msg.Text)
		if !ok || !win.in(sent) {
			continue
		}
		m.received.Add(1)
		lat.delivery.Record(m.key, time.Duration(now-sent))
		if m.neighbour {
			lat.nDelivery.Record(m.key, time.Duration(now-sent))
		}
	}
}

// drainUntilStalled reads and drops m's events until m.stall is closed,
// so that join traffic does not block its own join.
func (m *member) drainUntilStalled() {
	for {
		select {
		case <-m.stall:
			return
		case _, ok := <-m.c.Events():
			if !ok {
				return
			}
		}
	}
}
