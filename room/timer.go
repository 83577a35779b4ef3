package room

import "time"

// Timer is a one-shot timer whose function runs on the room goroutine.
type Timer struct {
	r  *Room
	s  Stopper // the clock's timer; nil for a zero delay
	fn func()
	// ran is closed once the room goroutine has run the timer's function
	// or dropped it, releasing the clock callback that waits for it; nil
	// for a zero delay.
	ran     chan struct{}
	stopped bool
}

// After runs fn on the room goroutine once d has passed by the room's
// clock (Config.Clock), unless the timer is stopped first or the room
// stops. Timers have their own queue, so a flood of messages cannot delay
// them behind a full mailbox. A d of zero or less runs fn right after the
// current operation (hook, timer or Do function), without the clock.
// Room goroutine only.
func (r *Room) After(d time.Duration, fn func()) *Timer {
	t := &Timer{r: r, fn: fn}
	if r.timers != nil {
		r.timers[t] = struct{}{}
	}
	if d <= 0 {
		r.due = append(r.due, t)
		return t
	}
	t.ran = make(chan struct{})
	t.s = r.cfg.Clock.AfterFunc(d, func() { r.post(t) })
	return t
}

// post runs on the clock's goroutine when t falls due: it hands t to the
// room goroutine and waits until the room has run it or has stopped.
func (r *Room) post(t *Timer) {
	// Counted and kicked before the send: timerq has no buffer, since
	// the clock's goroutine waits for the room anyway, so the send
	// needs a running room goroutine to take it.
	r.posted.Add(1)
	r.kick()
	select {
	case r.timerq <- t:
	case <-r.done:
		r.posted.Add(-1)
		return
	}
	select {
	case <-t.ran:
	case <-r.done:
	}
}

// Stop cancels the timer. It reports whether the timer was still pending.
// Room goroutine only.
func (t *Timer) Stop() bool {
	if t.stopped {
		return false
	}
	t.stopped = true
	delete(t.r.timers, t)
	if t.s != nil {
		t.s.Stop()
	}
	return true
}

// fire runs a timer the clock posted, on the room goroutine.
func (r *Room) fire(t *Timer) {
	defer close(t.ran)
	r.run1(t)
}

// runDue runs the zero-delay timers armed by the operation that just
// ended, and any they arm in turn.
func (r *Room) runDue() {
	for i := 0; i < len(r.due); i++ {
		t := r.due[i]
		r.due[i] = nil
		r.run1(t)
	}
	r.due = r.due[:0]
}

// run1 runs t's function unless t was stopped.
func (r *Room) run1(t *Timer) {
	if t.stopped {
		return
	}
	t.stopped = true
	delete(r.timers, t)
	r.safe("timer", t.fn)
}

// SetTick makes the room call the handler's OnTick every d by the room's
// clock (the handler must implement Ticker). A tick that comes late does
// not make the next one come early: ticks missed while the room was busy
// are skipped. Zero or negative stops ticking.
// Room goroutine only.
func (r *Room) SetTick(d time.Duration) {
	r.tickEvery = d
	if r.tick != nil {
		r.tick.Stop()
		r.tick = nil
	}
	if _, ok := r.handler.(Ticker); ok && d > 0 {
		r.tickAt = r.Now()
		r.armTick()
	}
}

// armTick arms the timer of the next tick, one period after the last one
// was due, or one period from now if that has passed.
func (r *Room) armTick() {
	now := r.Now()
	next := r.tickAt.Add(r.tickEvery)
	if !next.After(now) {
		next = now.Add(r.tickEvery)
	}
	r.tickAt = next
	r.tick = r.After(next.Sub(now), r.onTick)
}

// onTick is the tick timer's function: it calls OnTick and arms the next
// tick, unless OnTick changed the rate itself.
func (r *Room) onTick() {
	r.tick = nil
	ticking := r.handler.(Ticker)
	r.safe("OnTick", func() { ticking.OnTick(r, r.Now()) })
	if r.tick == nil && r.tickEvery > 0 {
		r.armTick()
	}
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
