package room

import (
	"testing"
	"time"
)

// The parking protocol, step by step, in the orders a post and a parking
// goroutine can interleave: exactly one goroutine ends up with the room,
// and a post is never left without one.
func TestParkProtocol(t *testing.T) {
	starts := 0
	r := New("r", "k", BaseHandler{}, Config{Go: func(func()) { starts++ }})

	// Nothing posted: the goroutine parks; a later post starts one.
	if !r.park() {
		t.Fatal("an idle room did not park")
	}
	r.queued.Add(1)
	r.kick()
	if starts != 1 || r.runner.Load() != runnerRunning {
		t.Fatalf("a post to a parked room: %d starts, state %d", starts, r.runner.Load())
	}

	// A post counted before the park, whose kick saw the room running:
	// the parking goroutine must keep the room. (Had the kick come after
	// the park's store, it would have seen the room parked and started
	// a goroutine, and the park's compare-and-swap would fail.)
	r.kick() // still running: no start
	if r.park() {
		t.Fatal("the room parked with a post waiting and nobody to take it")
	}
	if starts != 1 || r.runner.Load() != runnerRunning {
		t.Fatalf("after a kept park: %d starts, state %d", starts, r.runner.Load())
	}
	r.queued.Add(-1)

	// A stopped room is never started again.
	r.runner.Store(runnerStopped)
	r.queued.Add(1)
	r.kick()
	if starts != 1 {
		t.Fatalf("a stopped room was started: %d starts", starts)
	}
}

// The lazy park timer: a timer armed before the last op fires early, and
// the goroutine arms it again for what is left instead of parking; it
// parks only once ParkAfter has passed since it last went idle.
func TestParkTimerWaitsOutTheLastOp(t *testing.T) {
	const after = 150 * time.Millisecond
	r := New("r", "k", BaseHandler{}, Config{ParkAfter: after, Go: func(func()) {}})
	// The timer was armed at an earlier op and fires in 1 ms; the
	// goroutine has worked since.
	r.parkTimer = time.NewTimer(time.Millisecond)
	r.parkArmed, r.parkBusy = true, true

	ev, _, _ := r.wait()
	idle := r.parkIdle
	if ev != evNone || r.runner.Load() != runnerRunning {
		t.Fatalf("the timer armed before the last op parked the room: event %d, state %d", ev, r.runner.Load())
	}
	if !r.parkArmed {
		t.Fatal("the early timer was not armed again")
	}
	ev, _, _ = r.wait()
	if ev != evParked || r.runner.Load() != runnerParked {
		t.Fatalf("an idle room did not park: event %d, state %d", ev, r.runner.Load())
	}
	if r.parkIdle != idle {
		t.Fatal("waiting with no op in between moved the idle time")
	}
	if d := parkClock() - idle; d < after {
		t.Fatalf("the room parked %v after its last op, before ParkAfter (%v)", d, after)
	}
	if r.parkTimer != nil {
		t.Fatal("a parked room kept its timer")
	}
}
