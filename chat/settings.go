package chat

import (
	"context"

	"github.com/parlorhq/parlor/room"
)

// mute sets or clears the sender's Settings.Muted for the conversation.
func (h *conversation) mute(r *room.Room, m *room.Message) (any, error) {
	ctx, cancel := h.c.opCtx()
	defer cancel()
	var req MuteRequest
	if err := h.begin(m, &req); err != nil {
		return nil, err
	}
	st := h.settings[m.User]
	st.Muted = req.Muted
	return h.setSettings(ctx, r, m.User, st)
}

// hide sets or clears the sender's Settings.Hidden for the conversation.
func (h *conversation) hide(r *room.Room, m *room.Message) (any, error) {
	ctx, cancel := h.c.opCtx()
	defer cancel()
	var req HideRequest
	if err := h.begin(m, &req); err != nil {
		return nil, err
	}
	st := h.settings[m.User]
	st.Hidden = req.Hidden
	return h.setSettings(ctx, r, m.User, st)
}

// setSettings stores user's settings, if they changed, and updates the
// user's inbox: a hidden conversation leaves it, a shown or muted one is
// sent in its new state. It replies with the settings. Settings the store
// took after the request's deadline are applied all the same, so that the
// room agrees with the store, but the request fails with ErrTimeout like
// any late one; a retry is then answered at once.
func (h *conversation) setSettings(ctx context.Context, r *room.Room, user string, st Settings) (any, error) {
	if st == h.settings[user] {
		return st, nil
	}
	if err := h.c.store.SetSettings(ctx, h.id, user, st); err != nil {
		return nil, storeErr(ctx, "store settings", err)
	}
	reply := any(st)
	var err error
	if ctx.Err() != nil {
		reply, err = nil, ErrTimeout
	}
	if st == (Settings{}) {
		delete(h.settings, user)
	} else {
		h.settings[user] = st
	}
	if !h.stored {
		return reply, err // in nobody's inbox yet
	}
	if st.Hidden {
		h.c.notify(user, Conversation{Room: h.id, Kind: h.kind, Hidden: true})
	} else {
		h.notify(ctx, r, user)
	}
	return reply, err
}

// unhideAll clears Hidden for every user, as the store does when a
// message or members entry is appended.
func (h *conversation) unhideAll() {
	for u, st := range h.settings {
		if !st.Hidden {
			continue
		}
		if st.Hidden = false; st == (Settings{}) {
			delete(h.settings, u)
		} else {
			h.settings[u] = st
		}
	}
}
