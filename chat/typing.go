package chat

import (
	"time"

	"github.com/parlorhq/parlor/room"
)

// typist is one user's typing indicator in a room. Indicators are never
// stored: they live in the room and expire on their own.
type typist struct {
	expiry *room.Timer // sends the stop when the TTL passes unrefreshed
	sent   time.Time   // when the last "typing" broadcast went out
}

// typingRequest starts, refreshes or stops the sender's indicator.
func (h *conversation) typingRequest(r *room.Room, m *room.Message) (any, error) {
	var req TypingRequest
	if err := h.payload.decode(m.Data, &req); err != nil {
		return nil, err
	}
	if req.Stop {
		h.stopTyping(r, m.User)
	} else {
		h.startTyping(r, m.User)
	}
	return nil, nil
}

// startTyping (re)arms user's indicator for Config.TypingTTL and tells the
// other members, at most once per Config.TypingThrottle.
func (h *conversation) startTyping(r *room.Room, user string) {
	now := time.Now()
	t := h.typing[user]
	if t == nil {
		t = &typist{}
		h.typing[user] = t
	} else {
		t.expiry.Stop()
	}
	t.expiry = r.After(h.c.cfg.TypingTTL, func() { h.stopTyping(r, user) })
	if !t.sent.IsZero() && now.Sub(t.sent) < h.c.cfg.TypingThrottle {
		return
	}
	t.sent = now
	_ = r.BroadcastEphemeral(EventTyping, TypingEvent{
		User:      user,
		Typing:    true,
		ExpiresIn: h.c.cfg.TypingTTL.Milliseconds(),
	}, user)
}

// stopTyping ends user's indicator, if any, and tells the other members.
func (h *conversation) stopTyping(r *room.Room, user string) {
	t := h.typing[user]
	if t == nil {
		return
	}
	t.expiry.Stop()
	delete(h.typing, user)
	_ = r.BroadcastEphemeral(EventTyping, TypingEvent{User: user}, user)
}
