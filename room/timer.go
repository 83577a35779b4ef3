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

// IdleTTL returns how long the room lives without members before it is
// disposed. Room goroutine only.
func (r *Room) IdleTTL() time.Duration { return r.cfg.IdleTTL }

// SetIdleTTL changes how long the room lives without members, for modules
// that must outlive their members for a while (a game holding seats for a
// reconnect). A pending idle timer is re-armed with the new TTL; zero or a
// negative value disposes the room as soon as it is empty.
// Room goroutine only.
func (r *Room) SetIdleTTL(d time.Duration) {
	if d == 0 {
		d = -1
	}
	r.cfg.IdleTTL = d
	if r.idle != nil {
		r.idle.Stop()
		r.idle = nil
		if d < 0 {
			if len(r.members) == 0 {
				r.closeReason = DisposeIdle
			}
			return
		}
		r.scheduleIdle()
	}
}
