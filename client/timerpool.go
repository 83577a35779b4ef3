package client

import (
	"sync"
	"time"
)

// timers are stopped timers with nothing in their channel, which bound a
// request's wait (Client.wait), reused from one request to the next.
var timers sync.Pool

// getTimer returns a timer that fires once after d.
func getTimer(d time.Duration) *time.Timer {
	if t, ok := timers.Get().(*time.Timer); ok {
		t.Reset(d)
		return t
	}
	return time.NewTimer(d)
}

// putTimer stops t, which fired is true once its value was received, and
// keeps it for getTimer if its channel is sure to stay empty: stopped
// before it fired, or fired and received. A timer that fired unreceived
// is left to the collector: with the asynchronous timer channels a main
// module may ask for (GODEBUG asynctimerchan=1), its value would still
// be buffered.
func putTimer(t *time.Timer, fired bool) {
	if t.Stop() || fired {
		timers.Put(t)
	}
}
