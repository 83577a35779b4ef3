package games

import (
	"context"
	"time"

	"github.com/parlorhq/parlor/room"
)

// timer is a timer of a match, whatever clock arms it. Room goroutine only.
type timer interface {
	stop()
}

// roomTimer is a timer run by the room itself (the wall clock).
type roomTimer struct{ t *room.Timer }

func (t roomTimer) stop() { t.t.Stop() }

// clockTimer is a timer armed on an injected Clock. Its callback runs on
// the clock's goroutine and hands the work to the room with Room.Do; the
// work checks stopped on the room goroutine, so a timer stopped after it
// fired but before the room ran its work does nothing.
type clockTimer struct {
	s       Stopper
	stopped bool // room goroutine only
}

func (t *clockTimer) stop() {
	t.stopped = true
	if t.s != nil {
		t.s.Stop()
	}
}

// after runs fn on the room goroutine once d has passed by the match's
// clock, unless the returned timer is stopped first.
func (h *match) after(r *room.Room, d time.Duration, fn func()) timer {
	if h.clock == nil {
		return roomTimer{r.After(d, fn)}
	}
	t := &clockTimer{}
	t.s = h.clock.AfterFunc(d, func() {
		// Room.Do fails only when the room has stopped, and then the
		// timer no longer matters.
		_ = r.Do(context.Background(), func() {
			if t.stopped {
				return
			}
			t.stopped = true
			fn()
		})
	})
	return t
}

// now reads the match's clock.
func (h *match) now() time.Time {
	if h.clock == nil {
		return time.Now()
	}
	return h.clock.Now()
}

// stopTimer stops *t, if armed, and clears it.
func stopTimer(t *timer) {
	if *t != nil {
		(*t).stop()
		*t = nil
	}
}
