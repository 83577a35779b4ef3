package room

import "time"

// Timer is a one-shot timer whose function runs on the room goroutine.
type Timer struct {
	r       *Room
	t       *time.Timer
	fn      func()
	stopped bool
}

// After runs fn on the room goroutine once d has passed, unless the timer
// is stopped first or the room stops. Timers have their own queue, so a
// flood of messages cannot delay them behind a full mailbox.
// Room goroutine only.
func (r *Room) After(d time.Duration, fn func()) *Timer {
	t := &Timer{r: r, fn: fn}
	if r.timers != nil {
		r.timers[t] = struct{}{}
	}
	t.t = time.AfterFunc(d, func() {
		select {
		case r.timerq <- t:
		case <-r.done:
		}
	})
	return t
}

// Stop cancels the timer. It reports whether the timer was still pending.
// Room goroutine only.
func (t *Timer) Stop() bool {
	if t.stopped {
		return false
	}
	t.stopped = true
	delete(t.r.timers, t)
	t.t.Stop()
	return true
}

// SetTick makes the room call the handler's OnTick every d (the handler
// must implement Ticker). Zero or negative stops ticking.
// Room goroutine only.
func (r *Room) SetTick(d time.Duration) {
	r.tickEvery = d
	r.tickChanged = true
}

// fire runs a due timer on the room goroutine.
func (r *Room) fire(t *Timer) {
	if t.stopped {
		return
	}
	t.stopped = true
	delete(r.timers, t)
	r.safe("timer", t.fn)
}
