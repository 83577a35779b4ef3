package main

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/parlorhq/parlor/chat"
)

// senders are the send loops of every sending member.
type senders struct {
	n       int          // sending members
	acked   atomic.Int64 // messages acked in the window
	errs    atomic.Int64 // failed sends
	stop    chan struct{}
	wg      sync.WaitGroup
	padding string // fills a text up to -text bytes after its timestamp
}

// startSenders starts -inflight send loops for each of the first -senders
// members of every room that are not stalled.
func startSenders(cfg config, rooms conversations, win *window) *senders {
	s := &senders{stop: make(chan struct{}), padding: strings.Repeat("x", cfg.text-20)}
	for _, room := range rooms {
		for _, m := range room[:cfg.senders] {
			if m.stalled {
				continue
			}
			s.n++
			for range cfg.inflight {
				s.wg.Go(func() { s.loop(m, win) })
			}
		}
	}
	return s
}

// loop sends m's messages one after the other until halt, and keeps the
// ack latencies of those sent in the window.
func (s *senders) loop(m *member, win *window) {
	var mine []time.Duration
	for {
		select {
		case <-s.stop:
			m.mu.Lock()
			m.acks = append(m.acks, mine...)
			m.mu.Unlock()
			m.acked.Add(int64(len(mine)))
			s.acked.Add(int64(len(mine)))
			return
		default:
		}
		t0 := time.Now().UnixNano()
		text := fmt.Sprintf("%019d|", t0) + s.padding
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		_, err := m.c.Send(ctx, m.room, chat.OpSend, chat.SendRequest{Text: text})
		cancel()
		if err != nil {
			s.errs.Add(1)
			continue
		}
		if win.in(t0) {
			mine = append(mine, time.Duration(time.Now().UnixNano()-t0))
		}
	}
}

// halt stops the send loops and waits for them.
func (s *senders) halt() {
	close(s.stop)
	s.wg.Wait()
}
