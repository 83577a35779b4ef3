package main

import (
	"context"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/parlorhq/parlor/chat"
	"github.com/parlorhq/parlor/internal/loadgen"
)

// senders are the send loops of every sending member.
type senders struct {
	n       int                // sending members
	acked   atomic.Int64       // messages acked in the window
	all     atomic.Int64       // messages acked since the start, for progress
	errs    atomic.Int64       // failed sends
	halt    context.CancelFunc // stops the send loops
	wg      sync.WaitGroup
	padding string            // fills a text up to -text bytes after its timestamp
	sched   *loadgen.Schedule // the open-loop schedule; nil in a closed loop
}

// startSenders starts -inflight send loops for each of the first -senders
// members of every room that are not stalled. With -rate, the loops share
// one schedule.
func startSenders(cfg config, rooms conversations, win *window, lat *latencies) *senders {
	s := &senders{padding: strings.Repeat("x", cfg.text-stampLen)}
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
			for range cfg.inflight {
				s.wg.Go(func() { s.loop(ctx, m, win, lat) })
			}
		}
	}
	return s
}

// loop sends m's messages until ctx ends (halt): one after the other, or
// at the times of the schedule. It records the ack latency of those sent
// (or due) in the window, from the send (or due) time.
func (s *senders) loop(ctx context.Context, m *member, win *window, lat *latencies) {
	var p *loadgen.Pacer
	if s.sched != nil {
		p = s.sched.Pacer()
	}
	text := make([]byte, 0, stampLen+len(s.padding))
	for ctx.Err() == nil {
		t0 := time.Now().UnixNano()
		if p != nil {
			due, ok := p.Next(ctx)
			if !ok {
				return
			}
			t0 = due.UnixNano()
		}
		text = appendStamp(text[:0], t0)
		text = append(text, s.padding...)
		if err := s.send(m, string(text)); err != nil {
			s.errs.Add(1)
			continue
		}
		s.all.Add(1)
		if win.in(t0) {
			s.acked.Add(1)
			m.acked.Add(1)
			d := time.Now().UnixNano() - t0
			lat.acks.Record(m.key, time.Duration(d))
			lat.log.add(t0, d)
			if m.neighbour {
				lat.nAcks.Record(m.key, time.Duration(d))
			}
		}
	}
}

// send sends one message and waits for its ack, for at most the
// client's RequestTimeout (a minute). It is not bounded by halt: a
// message that was sent is waited for.
func (s *senders) send(m *member, text string) error {
	_, err := m.c.Send(context.Background(), m.room, chat.OpSend, chat.SendRequest{Text: text})
	return err
}

// stop stops the send loops and waits for them.
func (s *senders) stop() {
	s.halt()
	s.wg.Wait()
}
