package loadgen

import (
	"context"
	"sync/atomic"
	"time"
)

// Schedule hands out send times at a fixed total rate to any number of
// senders: the open-loop mode of the load commands (-rate). Send n is due
// at start + n/rate, whether or not the server kept up with the sends
// before it. A sender that measures latency from the due time rather than
// from when it got to send counts the time a send waited for a sender as
// well: a slow server cannot hide its queueing by slowing the load down,
// as it does in a closed loop.
type Schedule struct {
	start time.Time
	rate  float64      // sends per second
	next  atomic.Int64 // the next send's number
}

// NewSchedule returns a schedule of rate sends per second (more than 0)
// from start.
func NewSchedule(rate float64, start time.Time) *Schedule {
	return &Schedule{start: start, rate: rate}
}

// due is the time send n is due.
func (s *Schedule) due(n int64) time.Time {
	return s.start.Add(time.Duration(float64(n) / s.rate * float64(time.Second)))
}

// Taken is how many send times the schedule has handed out.
func (s *Schedule) Taken() int64 { return s.next.Load() }

// Pacer waits for a Schedule's send times on behalf of one sender
// goroutine. It reuses one timer, so waiting allocates nothing. A Pacer
// is not safe for concurrent use: give each sender its own.
type Pacer struct {
	s     *Schedule
	timer *time.Timer
}

// Pacer returns a new Pacer for one sender.
func (s *Schedule) Pacer() *Pacer {
	t := time.NewTimer(time.Hour)
	t.Stop()
	return &Pacer{s: s, timer: t}
}

// Next takes the next send time and waits until it is due; it returns at
// once if it is already past. ok is false if ctx ends first: the sender
// should stop.
func (p *Pacer) Next(ctx context.Context) (due time.Time, ok bool) {
	if ctx.Err() != nil {
		return time.Time{}, false
	}
	due = p.s.due(p.s.next.Add(1) - 1)
	wait := time.Until(due)
	if wait <= 0 {
		return due, true
	}
	p.timer.Reset(wait)
	select {
	case <-p.timer.C:
		return due, true
	case <-ctx.Done():
		p.timer.Stop()
		return time.Time{}, false
	}
}
