package room

import "time"

// Clock is a room's time source: it reads the time for handlers
// (Room.Now) and the replay buffer's age bound, and arms every timer the
// room runs (Room.After, ticks, the idle TTL). Production uses
// [RealClock]; tests inject a fake one (roomtest.FakeClock) and advance
// it by hand, so they drive the same timer path as production.
//
// AfterFunc must call f on a goroutine other than the room's: its own, as
// time.AfterFunc does, or the goroutine that advances a fake clock. The
// room's f hands the timer to the room goroutine and waits until the room
// has run it (or has stopped), so a fake clock's advance returns only once
// every timer that fell due has run.
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

// RealClock is the wall clock, and the default Config.Clock.
type RealClock struct{}

// Now returns time.Now().
func (RealClock) Now() time.Time { return time.Now() }

// AfterFunc is time.AfterFunc.
func (RealClock) AfterFunc(d time.Duration, f func()) Stopper { return time.AfterFunc(d, f) }

// Now reads the room's clock (Config.Clock). Handlers use it for every
// timestamp, so that a test's fake clock governs them too.
func (r *Room) Now() time.Time { return r.cfg.Clock.Now() }
