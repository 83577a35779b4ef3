package engine

import (
	"context"
	"errors"
	"sync"

	"github.com/parlorhq/parlor/codec"
	"github.com/parlorhq/parlor/room"
	"golang.org/x/time/rate"
)

// UserKind is the kind of the user channel: a room per user, keyed
// room.KeyedID(secret, UserKind, user), that only that user may join. A
// client joins it with no params right after connecting, and again with
// the epoch and seq it last saw after a reconnect, like any room, so a
// notification sent while it was away is replayed from the room's replay
// buffer. The engine registers the kind itself.
const UserKind = "user"

// Errors of the user channel. The coded ones may be passed on to clients.
var (
	// ErrNotifyOffline: Notify found no running user channel for the
	// user: none of their sessions joined it within the room's idle TTL.
	// The notification is not kept; what must outlive a session belongs
	// in a store (such as a chat entry).
	ErrNotifyOffline = errors.New("engine: user has no open user channel")
	// ErrNotifyRateLimited: the user received Config.NotifyRate
	// notifications per second (with Config.NotifyBurst) already.
	ErrNotifyRateLimited = &codec.Error{Code: codec.CodeRateLimited, Message: "engine: too many notifications for this user (NotifyRate)"}
	// ErrNotifyTooLarge: the encoded payload is over Config.NotifyMaxBytes.
	ErrNotifyTooLarge = &codec.Error{Code: codec.CodeTooLarge, Message: "engine: notification payload too large (NotifyMaxBytes)"}
	// ErrNotifyEvent: the event name is empty or longer than
	// codec.MaxNameLen.
	ErrNotifyEvent = &codec.Error{Code: codec.CodeBadRequest, Message: "engine: invalid notification event name"}
	// ErrNotOwnChannel: a user tried to join another user's channel.
	ErrNotOwnChannel = &codec.Error{Code: codec.CodeForbidden, Message: "engine: not your user channel"}
)

// UserChannelID returns the room id of user's channel.
func (e *Engine) UserChannelID(user string) string {
	return room.KeyedID(e.secret, UserKind, user)
}

// Notify sends an ordered event to every session of user that joined
// their user channel, and keeps it in the channel's replay buffer for the
// sessions that reconnect. data is encoded once (nil, []byte of msgpack,
// or any value msgpack encodes). Notify waits until the channel has
// broadcast it, at most Config.JoinTimeout. It returns ErrNotifyOffline
// when the user has no open channel, and ErrNotifyRateLimited or
// ErrNotifyTooLarge past the user's bounds; the bounds are per
// recipient, so a flood aimed at one user never delays another. On a
// cluster the channel may run on another node: Notify asks that node and
// returns what it answers, with the same errors, or a coded unavailable
// error when the cluster cannot carry the request (see docs/cluster.md,
// "Notify across nodes").
func (e *Engine) Notify(user, event string, data any) error {
	if event == "" || len(event) > codec.MaxNameLen {
		return ErrNotifyEvent
	}
	raw, err := codec.MarshalData(data)
	if err != nil {
		return err
	}
	return e.notifyRaw(user, event, raw)
}

// notifyUsersParallel is how many recipients NotifyUsers serves at once.
const notifyUsersParallel = 8

// NotifyUsers is Notify for many recipients: the payload is encoded once,
// and each user is bounded by their own rate. Up to 8 recipients are
// served at once, each waiting at most Config.JoinTimeout for their
// channel, so a busy recipient does not hold up the others; only 8 busy
// at the same time would. It returns when every recipient is served: the
// users the notification did not reach, with the reason, or nil when it
// reached them all.
func (e *Engine) NotifyUsers(users []string, event string, data any) map[string]error {
	var err error
	var raw []byte
	if event == "" || len(event) > codec.MaxNameLen {
		err = ErrNotifyEvent
	} else {
		raw, err = codec.MarshalData(data)
	}
	var (
		mu     sync.Mutex
		failed map[string]error
		wg     sync.WaitGroup
	)
	fail := func(u string, uerr error) {
		mu.Lock()
		defer mu.Unlock()
		if failed == nil {
			failed = make(map[string]error)
		}
		failed[u] = uerr
	}
	if err != nil {
		for _, u := range users {
			fail(u, err)
		}
		return failed
	}
	slots := make(chan struct{}, notifyUsersParallel)
	for _, u := range users {
		slots <- struct{}{}
		wg.Add(1)
		go func(u string) {
			defer wg.Done()
			defer func() { <-slots }()
			if uerr := e.notifyRaw(u, event, raw); uerr != nil {
				fail(u, uerr)
			}
		}(u)
	}
	wg.Wait()
	return failed
}

func (e *Engine) notifyRaw(user, event string, raw []byte) error {
	if len(raw) > e.cfg.NotifyMaxBytes {
		return ErrNotifyTooLarge
	}
	h, ok := e.userChans.load(user)
	if !ok && e.cluster != nil {
		// The channel may run on another node: ask it there.
		return e.notifyRemote(user, event, raw)
	}
	if !ok {
		return ErrNotifyOffline
	}
	if !h.allowNotify() {
		return ErrNotifyRateLimited
	}
	ctx, cancel := context.WithTimeout(e.ctx, e.cfg.JoinTimeout)
	defer cancel()
	err := h.r.Do(ctx, func() { h.r.BroadcastRaw(event, raw) })
	if errors.Is(err, room.ErrClosed) {
		return ErrNotifyOffline
	}
	return err
}

// userModule is the module of UserKind.
type userModule struct{ e *Engine }

func (m userModule) Kind() string { return UserKind }

// Resolve keys the channel by the joining user: a client can only ever
// resolve its own.
func (m userModule) Resolve(_ context.Context, req *room.ResolveRequest) (string, error) {
	return req.KeyedID(req.User), nil
}

func (m userModule) NewHandler(string) room.Handler {
	return &userHandler{e: m.e}
}

// userHandler runs one user's channel: notifications, and the presence
// subscriptions of its user (presencewatch.go).
type userHandler struct {
	room.BaseHandler
	e    *Engine
	r    *room.Room
	user string // set by the first join

	limMu sync.Mutex
	lim   *rate.Limiter

	// Room goroutine only: the users this user watches, and on a
	// cluster the holds on their topics (presencewatch.go).
	watching map[string]struct{}
	views    map[string]*userSub
	watchLim *rate.Limiter // watchLimiter
	hideLim  *rate.Limiter // hideLimiter
	// stopListen ends the channel's listening for notifications asked by
	// other nodes (clusteruser.go), while it runs here; nil on one node.
	stopListen func()
}

// OnCreate gives the channel its idle TTL: on a cluster node that
// shortened the rooms' (DefaultClusterIdleTTL), the channel keeps the
// longer one, so that notifications wait in its replay buffer for a
// reconnect as long as on one node.
func (h *userHandler) OnCreate(r *room.Room) error {
	if h.e.keepUserTTL {
		r.SetIdleTTL(room.DefaultIdleTTL)
	}
	return nil
}

func (h *userHandler) OnJoin(r *room.Room, j *room.Join) (any, error) {
	if r.ID() != h.e.UserChannelID(j.User) {
		return nil, ErrNotOwnChannel
	}
	if h.user == "" {
		h.user = j.User
		h.r = r
		h.lim = rate.NewLimiter(rate.Limit(h.e.cfg.NotifyRate), h.e.cfg.NotifyBurst)
		h.watching = make(map[string]struct{})
		h.e.userChans.update(j.User, func(m map[string]*userHandler) { m[j.User] = h })
		if h.e.cluster != nil {
			h.listenNotify(r)
		}
	}
	return nil, nil
}

func (h *userHandler) OnMessage(r *room.Room, m *room.Message) (any, error) {
	switch m.Event {
	case EventPresenceWatch:
		return h.watch(m.Data)
	case EventPresenceUnwatch:
		return nil, h.unwatch(m.Data)
	case EventPresenceHide:
		return nil, h.hide(m.Data)
	}
	return nil, room.ErrUnknownEvent
}

func (h *userHandler) OnDispose(r *room.Room, _ room.DisposeReason) {
	if h.user == "" {
		return
	}
	h.e.userChans.update(h.user, func(m map[string]*userHandler) {
		if m[h.user] == h {
			delete(m, h.user)
		}
	})
	for subject := range h.watching {
		h.e.presence.unwatch(subject, h.user)
		h.releaseViews(subject)
	}
	h.watching = nil
	if h.stopListen != nil {
		h.stopListen()
		h.stopListen = nil
	}
}

// allowNotify spends one of the user's notification tokens.
func (h *userHandler) allowNotify() bool {
	h.limMu.Lock()
	defer h.limMu.Unlock()
	return h.lim.Allow()
}
