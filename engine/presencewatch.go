package engine

import (
	"context"

	"github.com/parlorhq/parlor/codec"
	"golang.org/x/time/rate"
)

// Events of the user channel that carry presence. Clients send the first
// three to their own user channel; the server sends EventPresence.
//
// The watch list belongs to the user, not to a session: every tab of the
// user shares it, a watch from one tab sends changes to all of them, and
// an unwatch from one tab ends the watch for all of them. A client SDK
// that lets several views watch keeps its own count per watched user and
// sends the unwatch only when its last view lets go; tabs of one browser
// cannot coordinate, so a tab that unwatches a user another tab may still
// show should not send it.
const (
	// EventPresenceWatch subscribes to the status of users:
	// {users: [id, …]}. The reply is {statuses: [Presence, …]}, one per
	// user asked for, and every later change comes as EventPresence.
	EventPresenceWatch = "presence.watch"
	// EventPresenceUnwatch ends subscriptions: {users: [id, …]}, for
	// every session of the user.
	EventPresenceUnwatch = "presence.unwatch"
	// EventPresenceHide hides the sender's status, or shows it again:
	// {hidden: bool}.
	EventPresenceHide = "presence.hide"
	// EventPresence is a status change of a watched user, an ephemeral
	// (seq 0) event whose data is a Presence.
	EventPresence = "presence"
)

// ErrPresenceWatchLimit: a watch would make the user watch more than
// Config.MaxPresenceWatch users. Nothing of that watch is applied.
var ErrPresenceWatchLimit = &codec.Error{Code: codec.CodeLimitExceeded, Message: "engine: watching too many users (MaxPresenceWatch)"}

// ErrPresenceWatchRate: a watch would start watching more users than
// Config.PresenceWatchRate allows now. Nothing of that watch is applied;
// the client tries again later.
var ErrPresenceWatchRate = &codec.Error{Code: codec.CodeRateLimited, Message: "engine: starting to watch too many users too fast (PresenceWatchRate)"}

// ErrPresenceHideRate: a presence.hide would change the user's hidden
// status more often than Config.PresenceHideRate allows now. The status
// is left as it was; the client tries again later.
var ErrPresenceHideRate = &codec.Error{Code: codec.CodeRateLimited, Message: "engine: hiding and showing too fast (PresenceHideRate)"}

// ErrPresenceUser: a watch names an empty user id or one longer than
// codec.MaxIDLen.
var ErrPresenceUser = &codec.Error{Code: codec.CodeBadRequest, Message: "engine: invalid user id in presence watch"}

// PresenceUsers is the data of EventPresenceWatch and EventPresenceUnwatch.
type PresenceUsers struct {
	Users []string `msgpack:"users"`
}

// PresenceStatuses is the reply to EventPresenceWatch.
type PresenceStatuses struct {
	Statuses []Presence `msgpack:"statuses"`
}

// PresenceHide is the data of EventPresenceHide.
type PresenceHide struct {
	Hidden bool `msgpack:"hidden"`
}

// watch subscribes the channel's user, with all of their sessions, to
// the users in data. Room goroutine.
func (h *userHandler) watch(data []byte) (any, error) {
	var req PresenceUsers
	if err := codec.UnmarshalData(data, &req); err != nil {
		return nil, err
	}
	if len(req.Users) > h.e.cfg.MaxPresenceWatch {
		return nil, ErrPresenceWatchLimit
	}
	added := 0
	for i, u := range req.Users {
		if u == "" || len(u) > codec.MaxIDLen {
			return nil, ErrPresenceUser
		}
		if _, ok := h.watching[u]; !ok && !containsBefore(req.Users, i, u) {
			added++
		}
	}
	if len(h.watching)+added > h.e.cfg.MaxPresenceWatch {
		return nil, ErrPresenceWatchLimit
	}
	if added > 0 && !h.watchLimiter().AllowN(h.e.presence.clock.Now(), added) {
		return nil, ErrPresenceWatchRate
	}
	ctx, cancel := context.WithTimeout(h.e.ctx, h.e.cfg.JoinTimeout)
	defer cancel()
	out := PresenceStatuses{Statuses: make([]Presence, 0, len(req.Users))}
	for _, u := range req.Users {
		_, already := h.watching[u]
		h.watching[u] = struct{}{}
		out.Statuses = append(out.Statuses, h.e.presence.watch(ctx, u, h.user))
		if !already && h.e.cluster != nil {
			h.holdViews(u)
		}
	}
	return &out, nil
}

// watchLimiter is the channel's limiter of the users its user starts
// watching (Config.PresenceWatchRate), made at its first use.
func (h *userHandler) watchLimiter() *rate.Limiter {
	if h.watchLim == nil {
		h.watchLim = rate.NewLimiter(rate.Limit(h.e.cfg.PresenceWatchRate), h.e.cfg.MaxPresenceWatch)
	}
	return h.watchLim
}

// holdViews subscribes this node to u's topic for the other nodes' views
// of u, and asks them for their views: changes come as EventPresence
// after the watch's reply, within a round trip.
func (h *userHandler) holdViews(u string) {
	if h.views == nil {
		h.views = make(map[string]*userSub)
	}
	if us := h.e.holdUserSub(u); us != nil {
		h.views[u] = us
		h.e.presence.askViews(u)
	}
}

// releaseViews drops what holdViews took for u.
func (h *userHandler) releaseViews(u string) {
	if us, ok := h.views[u]; ok {
		delete(h.views, u)
		h.e.releaseUserSub(us)
	}
}

// containsBefore reports whether list[:i] holds s.
func containsBefore(list []string, i int, s string) bool {
	for _, x := range list[:i] {
		if x == s {
			return true
		}
	}
	return false
}

// unwatch ends the channel user's subscriptions to the users in data,
// for all of their sessions. Room goroutine.
func (h *userHandler) unwatch(data []byte) error {
	var req PresenceUsers
	if err := codec.UnmarshalData(data, &req); err != nil {
		return err
	}
	if len(req.Users) > h.e.cfg.MaxPresenceWatch {
		return ErrPresenceWatchLimit
	}
	for _, u := range req.Users {
		if _, ok := h.watching[u]; ok {
			delete(h.watching, u)
			h.e.presence.unwatch(u, h.user)
			h.releaseViews(u)
		}
	}
	return nil
}

// hide hides or shows the channel user's status. Room goroutine.
func (h *userHandler) hide(data []byte) error {
	var req PresenceHide
	if err := codec.UnmarshalData(data, &req); err != nil {
		return err
	}
	if h.e.presence.localHidden(h.user) != req.Hidden && !h.hideLimiter().AllowN(h.e.presence.clock.Now(), 1) {
		return ErrPresenceHideRate
	}
	h.e.presence.setHidden(h.user, req.Hidden)
	return nil
}

// hideLimiter is the channel's limiter of its user's changes of their
// hidden status (Config.PresenceHideRate), made at its first use.
func (h *userHandler) hideLimiter() *rate.Limiter {
	if h.hideLim == nil {
		h.hideLim = rate.NewLimiter(rate.Limit(h.e.cfg.PresenceHideRate), PresenceHideBurst)
	}
	return h.hideLim
}
