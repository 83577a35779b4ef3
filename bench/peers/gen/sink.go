package main

import (
	"math"
	"sync"
	"sync/atomic"
	"time"

	"github.com/HdrHistogram/hdrhistogram-go"
)

// ringSize is the number of broadcasts the sink tracks at once; it must
// exceed the window.
const ringSize = 4096

// histShards spreads latency recording over several histograms so that
// readers seldom wait on each other's lock.
const histShards = 16

// sink counts deliveries. A broadcast is complete when all members have
// received it; completing one frees a window slot for the sender.
type sink struct {
	members int32
	pending [ringSize]atomic.Int32 // deliveries so far, by seq % ringSize
	slots   chan struct{}          // window slots free for the sender
	bad     atomic.Int64           // markers without a well-formed header

	// Latency is recorded for broadcasts sent in [from, until).
	from, until atomic.Int64

	hists [histShards]struct {
		sync.Mutex
		h *hdrhistogram.Histogram
	}
}

// newSink returns a sink for a room of members with window slots.
func newSink(members, window int) *sink {
	s := &sink{members: int32(members), slots: make(chan struct{}, window)}
	for range window {
		s.slots <- struct{}{}
	}
	s.from.Store(math.MaxInt64)
	s.until.Store(math.MaxInt64)
	for i := range s.hists {
		// Microseconds from 1 µs to 10 minutes, 3 significant digits.
		s.hists[i].h = hdrhistogram.New(1, int64(10*time.Minute/time.Microsecond), 3)
	}
	return s
}

// scan counts every payload in a message that peer p received.
func (s *sink) scan(p *peer, msg []byte) {
	for {
		seq, sent, rest, found, ok := nextPayload(msg)
		if !found {
			return
		}
		msg = rest
		if !ok {
			s.bad.Add(1)
			continue
		}
		now := time.Now().UnixNano()
		p.delivered.Add(1)
		if sent >= s.from.Load() && sent < s.until.Load() {
			sh := &s.hists[p.id%histShards]
			sh.Lock()
			_ = sh.h.RecordValue((now - sent) / int64(time.Microsecond))
			sh.Unlock()
		}
		slot := &s.pending[seq%ringSize]
		if slot.Add(1) == s.members {
			slot.Store(0)
			s.slots <- struct{}{}
		}
	}
}

// latency merges the recorded latencies.
func (s *sink) latency() *hdrhistogram.Histogram {
	all := hdrhistogram.New(1, int64(10*time.Minute/time.Microsecond), 3)
	for i := range s.hists {
		sh := &s.hists[i]
		sh.Lock()
		all.Merge(sh.h)
		sh.Unlock()
	}
	return all
}
