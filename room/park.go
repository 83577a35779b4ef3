package room

import "time"

// A room with nothing to do parks: its goroutine exits once the mailbox,
// the timer queue and the wake-up channel have been empty for
// Config.ParkAfter, and the next op, timer or Shutdown starts a new one.
// Rooms of a few members are idle most of the time (a send to an idle
// room runs inline, on the sender's goroutine), so most rooms hold no
// goroutine and no stack.
//
// Exactly one goroutine runs the room at a time, and nothing posted is
// left behind. Every poster counts its post (queued for the mailbox,
// posted for timers, wake-ups and Shutdown) before it sends, and after
// sending calls kick, which starts a goroutine only if it moves the state
// from parked to running. The parking goroutine stores parked first and
// reads the counts after: either it sees the post and takes the room back
// (unless a poster already did and started another goroutine), or the
// poster's kick sees it parked. Posts are still handled in the order they
// were made, by one goroutine at a time, through the same channels, so a
// parked room keeps its bounded mailbox and its order.

// States of the room goroutine (Room.runner).
const (
	runnerRunning uint32 = iota
	runnerParked
	runnerStopped
)

// parkStart is the origin of parkClock.
var parkStart = time.Now()

// parkClock reads the monotonic clock as the time since parkStart: a
// Duration, a third of a time.Time in a Room.
func parkClock() time.Duration { return time.Since(parkStart) }

// wait blocks until the room goroutine has something to do, or parks it
// once it has had nothing for ParkAfter.
//
// The park timer is lazy: it is armed when the goroutine first waits and
// left running while ops come, so an op costs a clock read rather than a
// timer reset and stop. wait notes when the goroutine last went idle
// (parkIdle); when the timer fires and the goroutine has worked since,
// the timer is armed again for what is left of ParkAfter, and the room
// parks only once ParkAfter has passed with nothing to do.
func (r *Room) wait() (ev uint8, o *op, t *Timer) {
	var parkC <-chan time.Time
	if d := r.cfg.ParkAfter; d > 0 {
		switch {
		case r.parkTimer == nil:
			r.parkIdle = parkClock()
			r.parkTimer = time.NewTimer(d)
		case !r.parkArmed:
			r.parkIdle = parkClock()
			r.parkTimer.Reset(d)
		case r.parkBusy:
			r.parkIdle = parkClock()
		}
		r.parkArmed, r.parkBusy = true, false
		parkC = r.parkTimer.C
	}
	select {
	case o = <-r.mailbox:
		ev = evOp
	case t = <-r.timerq:
		ev = evTimer
	case <-r.wake:
		ev = evWake
	case <-r.stop:
		ev = evStop
	case <-parkC:
		r.parkArmed = false
		if left := r.cfg.ParkAfter - (parkClock() - r.parkIdle); left > 0 {
			r.parkTimer.Reset(left)
			r.parkArmed = true
			return evNone, nil, nil
		}
		if r.park() {
			return evParked, nil, nil
		}
		return evNone, nil, nil
	}
	return ev, o, t
}

// park marks the room parked and reports whether its goroutine may now
// exit: false when work came in meanwhile and the room is still this
// goroutine's.
func (r *Room) park() bool {
	// A parked room keeps no timer: the next goroutine makes one. It
	// has fired, so nothing else holds it.
	t := r.parkTimer
	r.parkTimer = nil
	r.runner.Store(runnerParked)
	if r.queued.Load() == 0 && r.posted.Load() == 0 {
		return true
	}
	// Something was posted since: take the room back, unless its
	// poster saw it parked and has started another goroutine.
	if r.runner.CompareAndSwap(runnerParked, runnerRunning) {
		r.parkTimer = t
		return false
	}
	return true
}

// kick starts the room goroutine if it is parked. Posters call it after
// every post.
func (r *Room) kick() {
	if r.runner.Load() == runnerParked && r.runner.CompareAndSwap(runnerParked, runnerRunning) {
		r.spawn(r.loop)
	}
}

// spawn starts f on a new goroutine with Config.Go.
func (r *Room) spawn(f func()) {
	if r.cfg.Go != nil {
		r.cfg.Go(f)
		return
	}
	go f()
}
