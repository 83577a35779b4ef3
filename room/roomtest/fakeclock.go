// Package roomtest helps test rooms and the modules built on them. Its
// FakeClock is a room.Clock that moves only when a test advances it, so
// the test drives the rooms' own timers (Room.After, ticks, idle TTL) and
// everything built on them: chess clocks, disconnect grace, cooldowns.
//
//	clk := roomtest.NewFakeClock(time.Time{})
//	r := room.New(id, kind, h, room.Config{Clock: clk})
//	...
//	clk.Advance(30 * time.Second) // due timers have run when it returns
package roomtest

import (
	"sync"
	"time"

	"github.com/parlorhq/parlor/room"
)

// FakeClock is a room.Clock that moves only when told to. It is safe for
// concurrent use; one FakeClock may drive many rooms (an engine's).
type FakeClock struct {
	mu     sync.Mutex
	now    time.Time
	seq    uint64
	timers []*fakeTimer
}

// fakeTimer is one armed timer of a FakeClock.
type fakeTimer struct {
	c    *FakeClock
	when time.Time
	seq  uint64 // creation order, to break ties between equal deadlines
	f    func()
}

// NewFakeClock returns a FakeClock that reads start. A zero start means
// 2000-01-01 00:00:00 UTC.
func NewFakeClock(start time.Time) *FakeClock {
	if start.IsZero() {
		start = time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)
	}
	return &FakeClock{now: start}
}

// Now returns the clock's current time.
func (c *FakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// AfterFunc arms a timer that Advance fires once the clock reaches
// Now()+d. A d of zero or less fires at the next Advance, even Advance(0).
func (c *FakeClock) AfterFunc(d time.Duration, f func()) room.Stopper {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.seq++
	t := &fakeTimer{c: c, when: c.now.Add(d), seq: c.seq, f: f}
	c.timers = append(c.timers, t)
	return t
}

// Stop disarms the timer. It reports whether the timer was still pending.
func (t *fakeTimer) Stop() bool {
	c := t.c
	c.mu.Lock()
	defer c.mu.Unlock()
	for i, x := range c.timers {
		if x == t {
			c.timers = append(c.timers[:i], c.timers[i+1:]...)
			return true
		}
	}
	return false
}

// Advance moves the clock forward by d and fires every timer that falls
// due, in order of deadline (then of arming), each with the clock set to
// its deadline. It calls them on the caller's goroutine, one at a time and
// without holding the clock's lock, so a callback may arm or stop timers;
// timers armed for a time within the advance fire in the same call.
//
// A room's timer callback waits until the room goroutine has run the
// timer, so when Advance returns, every room timer that fell due has run
// (and what it broadcast has been queued to the sessions). Never call
// Advance from a room goroutine (a hook, a timer or a Room.Do function):
// it would wait for itself.
func (c *FakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	target := c.now.Add(d)
	c.mu.Unlock()
	for {
		c.mu.Lock()
		next := -1
		for i, t := range c.timers {
			if t.when.After(target) {
				continue
			}
			if next < 0 || t.when.Before(c.timers[next].when) ||
				(t.when.Equal(c.timers[next].when) && t.seq < c.timers[next].seq) {
				next = i
			}
		}
		if next < 0 {
			if target.After(c.now) {
				c.now = target
			}
			c.mu.Unlock()
			return
		}
		t := c.timers[next]
		c.timers = append(c.timers[:next], c.timers[next+1:]...)
		if t.when.After(c.now) {
			c.now = t.when
		}
		c.mu.Unlock()
		t.f()
	}
}

// Pending returns how many timers are armed and not yet fired or stopped.
func (c *FakeClock) Pending() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.timers)
}

var _ room.Clock = (*FakeClock)(nil)
