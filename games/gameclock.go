package games

import (
	"time"

	"github.com/parlorhq/parlor/room"
)

// The game clock: server-authoritative chess-style clocks, one per seat,
// set by the module's TimeControl and read from the room's time source
// (room.Room.Now, room.Config.Clock). remaining[s] is seat s's time at the
// start of the current turn; the seat to move has been spending it since
// turnStart. Moves deduct the elapsed time and add the increment; a flag
// timer armed for the seat to move ends the match when its time is up,
// even if nobody sends anything.

// timed reports whether the match runs clocks.
func (h *match) timed() bool { return h.tc.Timed() }

// startClocks gives every seat the base time and starts the clock of the
// seat to move.
func (h *match) startClocks(r *room.Room, now time.Time) {
	h.turnStart = now
	if !h.timed() {
		return
	}
	h.remaining = make([]time.Duration, h.seats)
	for i := range h.remaining {
		h.remaining[i] = h.tc.Base
	}
	h.armFlag(r)
}

// elapsed is the time the seat to move has spent on this turn.
func (h *match) elapsed(now time.Time) time.Duration {
	if d := now.Sub(h.turnStart); d > 0 {
		return d
	}
	return 0
}

// flagFallen reports whether seat, to move, has run out of time by now.
func (h *match) flagFallen(seat int, now time.Time) bool {
	return h.timed() && h.elapsed(now) >= h.remaining[seat]
}

// chargeMove deducts the mover's time for this turn, adds the increment
// and starts the next turn at now.
func (h *match) chargeMove(seat int, now time.Time) {
	if h.timed() {
		h.remaining[seat] += h.tc.Increment - h.elapsed(now)
	}
	h.turnStart = now
}

// stopClocks deducts the running turn and freezes the clocks at now.
func (h *match) stopClocks(now time.Time) {
	stopTimer(&h.flag)
	if !h.timed() || h.status != StatusPlaying {
		return
	}
	if t := h.state.Turn(); t >= 0 {
		h.remaining[t] = max(h.remaining[t]-h.elapsed(now), 0)
	}
	h.turnStart = now
}

// armFlag (re)arms the flag timer for the seat to move.
func (h *match) armFlag(r *room.Room) {
	stopTimer(&h.flag)
	if !h.timed() || h.status != StatusPlaying {
		return
	}
	turn := h.state.Turn()
	if turn < 0 {
		return
	}
	left := max(h.remaining[turn]-h.elapsed(r.Now()), 0)
	h.flag = r.After(left, func() { h.checkFlag(r) })
}

// checkFlag runs when the flag timer fires: the seat to move loses on
// time, unless the clock says time is left (then the timer is re-armed).
func (h *match) checkFlag(r *room.Room) {
	h.flag = nil
	if h.status != StatusPlaying {
		return
	}
	turn := h.state.Turn()
	if turn < 0 {
		return
	}
	if !h.flagFallen(turn, r.Now()) {
		h.armFlag(r)
		return
	}
	h.finish(r, forfeit(h.state, h.seats, turn, ReasonTimeout))
}

// clocksMS returns each seat's remaining time in milliseconds at now, or
// nil if untimed.
func (h *match) clocksMS(now time.Time) []int64 {
	if !h.timed() || h.remaining == nil {
		return nil
	}
	out := make([]int64, h.seats)
	for i, d := range h.remaining {
		out[i] = d.Milliseconds()
	}
	// A rebuilt match that no player has joined yet runs no clock
	// (durable.go): its seat to move has the time the log left it.
	if h.status == StatusPlaying && !h.unclaimed {
		if t := h.state.Turn(); t >= 0 {
			out[t] = max(h.remaining[t]-h.elapsed(now), 0).Milliseconds()
		}
	}
	return out
}
