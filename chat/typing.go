package chat

import (
	"time"

	"github.com/parlorhq/parlor/room"
)

// typist is one user's typing indicator in a room. Indicators are never
// stored: they live in the room and expire on their own. A typist
// outlives a stop, so that the time of the last broadcast, and with it
// the throttle, survives stopping and starting again.
type typist struct {
	expiry  *room.Timer // ends the indicator when the TTL passes; nil when stopped
	pending *room.Timer // the start broadcast held back by the throttle, or nil
	sent    time.Time   // when the last "typing" broadcast went out
	shown   bool        // the others were told "typing" and not told "stopped"
}

// typingRequest starts, refreshes or stops the sender's indicator.
func (h *conversation) typingRequest(r *room.Room, m *room.Message) (any, error) {
	var req TypingRequest
	if err := h.payload.decode(m.Data, &req); err != nil {
		return nil, err
	}
	if req.Stop {
		h.stopTyping(r, m.User)
		return nil, nil
	}
	if h.kind == KindDM {
		// A user the other may not be messaged by (blocked, say) does not
		// reach them with "typing" either.
		ctx, cancel := h.c.opCtx()
		defer cancel()
		if err := h.c.canMessage(ctx, m.User, h.other(m.User)); err != nil {
			return nil, err
		}
	}
	h.startTyping(r, m.User)
	return nil, nil
}

// startTyping (re)arms user's indicator for Config.TypingTTL and tells the
// other members "typing", at most once per Config.TypingThrottle, however
// the user starts, stops and starts again. A start that comes within the
// throttle is held back until the throttle has passed (and dropped if the
// user stopped by then), unless the others are already shown the
// indicator: then it only extends the TTL.
func (h *conversation) startTyping(r *room.Room, user string) {
	t := h.typing[user]
	if t == nil {
		t = &typist{}
		h.typing[user] = t
	}
	if t.expiry != nil {
		t.expiry.Stop()
	}
	t.expiry = r.After(h.c.cfg.TypingTTL, func() { h.stopTyping(r, user) })
	wait := h.c.cfg.TypingThrottle - time.Since(t.sent)
	switch {
	case t.sent.IsZero() || wait <= 0:
		h.showTyping(r, user, t)
	case !t.shown && t.pending == nil:
		t.pending = r.After(wait, func() {
			t.pending = nil
			if t.expiry != nil {
				h.showTyping(r, user, t)
			}
		})
	}
}

// showTyping tells the other members that user is typing.
func (h *conversation) showTyping(r *room.Room, user string, t *typist) {
	if t.pending != nil {
		t.pending.Stop()
		t.pending = nil
	}
	t.sent, t.shown = time.Now(), true
	_ = r.BroadcastEphemeral(EventTyping, TypingEvent{
		User:      user,
		Typing:    true,
		ExpiresIn: h.c.cfg.TypingTTL.Milliseconds(),
	}, user)
}

// stopTyping ends user's indicator, if any, and tells the other members,
// if they were shown it.
func (h *conversation) stopTyping(r *room.Room, user string) {
	t := h.typing[user]
	if t == nil || t.expiry == nil {
		return
	}
	t.expiry.Stop()
	t.expiry = nil
	if t.pending != nil {
		t.pending.Stop()
		t.pending = nil
	}
	if t.shown {
		t.shown = false
		_ = r.BroadcastEphemeral(EventTyping, TypingEvent{User: user}, user)
	}
}

// forgetTyping drops the typist of a user who left, once the throttle no
// longer holds them back: leaving and joining again does not reset it.
func (h *conversation) forgetTyping(user string) {
	if t := h.typing[user]; t != nil && time.Since(t.sent) >= h.c.cfg.TypingThrottle {
		delete(h.typing, user)
	}
}
