package games

import "time"

// Clock is the time source of a game module: it reads the time for chess
// clocks and move logs, and arms the timers for flag falls, disconnect
// grace and start timeouts. Inject a [FakeClock] in tests to make those
// deterministic.
//
// AfterFunc must call f on a goroutine of its own (or the goroutine of
// whoever drives the clock, like [FakeClock.Advance]), never on a room
// goroutine: the toolkit's f hands the work to the room with Room.Do and
// waits for it. The toolkit ignores a callback whose timer it has stopped,
// so Stop may race with a firing timer.
type Clock interface {
	// Now returns the current time.
	Now() time.Time
	// AfterFunc calls f once d has passed, unless the returned Stopper is
	// stopped first.
	AfterFunc(d time.Duration, f func()) Stopper
}

// Stopper cancels a timer armed with Clock.AfterFunc. *time.Timer
// implements it.
type Stopper interface {
	// Stop cancels the timer and reports whether it was still pending.
	Stop() bool
}

// RealClock is the wall clock. A module whose Config.Clock is nil or
// RealClock arms its timers with the room's own timers (room.Room.After),
// which never wait behind a full mailbox.
type RealClock struct{}

// Now returns time.Now().
func (RealClock) Now() time.Time { return time.Now() }

// AfterFunc is time.AfterFunc.
func (RealClock) AfterFunc(d time.Duration, f func()) Stopper { return time.AfterFunc(d, f) }
