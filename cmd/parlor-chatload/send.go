package main

import (
	"context"
	"errors"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/parlorhq/parlor/internal/loadgen"
)

// senders are the send loops of every sending member.
type senders struct {
	n       int                // sending members
	acked   atomic.Int64       // messages acked in the window
	all     atomic.Int64       // messages acked since the start, for progress
	errs    atomic.Int64       // failed sends
	halt    context.CancelFunc // stops the send loops
	halted  atomic.Bool        // set before halt: read loops end their chains
	wg      sync.WaitGroup
	padding string            // fills a text up to -text bytes after its timestamp
	sched   *loadgen.Schedule // the open-loop schedule; nil in a closed loop
}

// startSenders starts -inflight send loops for each of the first -senders
// members of every room that are not stalled. With -rate, the loops share
// one schedule. The members' read loops record the acks (member.ack)
// and the deliveries into win and lat from now on.
func startSenders(cfg config, rooms conversations, win *window, lat *latencies) *senders {
	s := &senders{padding: strings.Repeat("x", cfg.text-stampLen)}
	startReaders(rooms, &recording{win: win, lat: lat, s: s})
	var ctx context.Context
	ctx, s.halt = context.WithCancel(context.Background())
	if cfg.rate > 0 {
		s.sched = loadgen.NewSchedule(cfg.rate, time.Now())
	}
	for _, room := range rooms {
		for _, m := range room[:cfg.senders] {
			if m.stalled {
				continue
			}
			s.n++
			for slot := range cfg.inflight {
				s.wg.Go(func() { s.loop(ctx, m, slot) })
			}
		}
	}
	return s
}

// loop sends m's messages from its send slot until ctx ends (halt): one
// after the other, or at the times of the schedule. The read loop
// records the ack latency of those sent (or due) in the window, from the
// send (or due) time.
//
// In a closed loop the read loop sends the slot's next message itself
// when the ack of the last comes (member.ack, next), rather than waking
// the send loop to send it: a goroutine hand-off less per message. The
// send loop starts such a chain of sends and waits for its end: halt, an
// error reply, or the connection closing.
func (s *senders) loop(ctx context.Context, m *member, slot int) {
	var p *loadgen.Pacer
	if s.sched != nil {
		p = s.sched.Pacer()
	}
	sl := &m.slots[slot]
	for ctx.Err() == nil {
		t0 := time.Now().UnixNano()
		if p != nil {
			due, ok := p.Next(ctx)
			if !ok {
				return
			}
			t0 = due.UnixNano()
		}
		sl.text = s.compose(sl.text[:0], t0)
		// A message that was sent is waited for, whatever halt says.
		if err := m.c.send(slot, t0, sl.text); err != nil {
			s.errs.Add(1)
			if errors.Is(err, errClosed) {
				return
			}
		}
	}
}

// compose appends the text of a message sent (or due) at t0 to dst.
func (s *senders) compose(dst []byte, t0 int64) []byte {
	return append(appendStamp(dst, t0), s.padding...)
}

// chained reports whether the read loops send the next message of a
// slot themselves (next): in a closed loop, until halt.
func (s *senders) chained() bool { return s.sched == nil && !s.halted.Load() }

// next sends the next message of m's send slot from the read loop, in a
// closed loop: now, right after the ack of the last.
func (s *senders) next(m *member, slot int) error {
	sl := &m.slots[slot]
	t0 := time.Now().UnixNano()
	sl.text = s.compose(sl.text[:0], t0)
	return m.c.write(slot, t0, sl.text)
}

// stop stops the send loops and waits for them.
func (s *senders) stop() {
	s.halted.Store(true)
	s.halt()
	s.wg.Wait()
}
