package engine

import (
	"context"
	"errors"

	"github.com/parlorhq/parlor/codec"
	"github.com/parlorhq/parlor/room"
	"go.uber.org/zap"
)

// The user topic on a cluster node (Cluster.PublishUser): a node listens
// on the topic of every user with a session here or watched from here. It
// carries takeovers:
//
//	userTakeover | session id               close that session with 4009
//
// and the presence views of the nodes (presencecluster.go).
//
// Notifications go to the node that runs the user's channel instead, as a
// room signal asked to the channel's id (Cluster.AskRoom), so that Notify
// hears that node's answer: delivered, rate limited, too large, or
// nobody runs the channel (offline). The channel's node applies the
// recipient's rate limit, so it holds cluster-wide.

const (
	userTakeover byte = iota + 1
)

// userSub is one node's subscription to a user's topic, shared by the
// user's sessions and channel on this node.
type userSub struct {
	user  string
	holds int
	unsub func()
}

// holdUserSub subscribes to user's topic, or counts one more holder. It
// returns nil when the subscription failed; the failure is logged.
func (e *Engine) holdUserSub(user string) *userSub {
	var us *userSub
	e.userSubs.update(user, func(m map[string]*userSub) {
		if us = m[user]; us != nil {
			us.holds++
			return
		}
		unsub, err := e.cluster.SubscribeUser(user, func(p []byte) { e.onUserMessage(user, p) })
		if err != nil {
			e.log.Warn("cluster user subscribe", zap.String("user", user), zap.Error(err))
			return
		}
		us = &userSub{user: user, holds: 1, unsub: unsub}
		m[user] = us
	})
	return us
}

// releaseUserSub drops a hold taken by holdUserSub; nil does nothing.
func (e *Engine) releaseUserSub(us *userSub) {
	if us == nil {
		return
	}
	e.userSubs.update(us.user, func(m map[string]*userSub) {
		us.holds--
		if us.holds == 0 && m[us.user] == us {
			delete(m, us.user)
			us.unsub()
		}
	})
}

// publishTakeover asks every node to close the session sessionID of user
// with CloseReplaced.
func (e *Engine) publishTakeover(user, sessionID string) {
	p := append([]byte{userTakeover}, sessionID...)
	if err := e.cluster.PublishUser(user, p); err != nil {
		e.log.Warn("cluster takeover publish", zap.String("user", user), zap.Error(err))
	}
}

// notifyRemote asks the node that runs user's channel, if any, to
// broadcast a notification on it, and maps its answer to Notify's errors.
func (e *Engine) notifyRemote(user, event string, raw []byte) error {
	ctx, cancel := context.WithTimeout(e.ctx, e.cfg.JoinTimeout)
	defer cancel()
	err := e.cluster.AskRoom(ctx, e.UserChannelID(user), encodeSignal(event, raw))
	switch {
	case err == nil:
		return nil
	case errors.Is(err, ErrNoListener), sameError(err, ErrNoListener):
		return ErrNotifyOffline
	case sameError(err, ErrNotifyRateLimited):
		return ErrNotifyRateLimited
	case sameError(err, ErrNotifyTooLarge):
		return ErrNotifyTooLarge
	}
	return err
}

// listenNotify makes the channel r answer the notifications other nodes
// ask for while it runs here. A failure is logged: Notify from other
// nodes then finds the user offline. Room goroutine.
func (h *userHandler) listenNotify(r *room.Room) {
	stop, err := h.e.listen(r.ID(), h.onNotify)
	if err != nil {
		h.e.log.Warn("cluster: user channel listen", zap.String("user", h.user), zap.Error(err))
		return
	}
	h.stopListen = stop
}

// onNotify broadcasts a notification asked by another node, within the
// user's bounds, and answers the asker once the channel has broadcast it.
// It runs on the signal's delivery goroutine and does not block.
func (h *userHandler) onNotify(event string, raw []byte, done func(error)) {
	if len(raw) > h.e.cfg.NotifyMaxBytes {
		done(ErrNotifyTooLarge)
		return
	}
	if !h.allowNotify() {
		done(ErrNotifyRateLimited)
		return
	}
	if h.e.shutting.Load() {
		done(ErrNoListener) // the channel is closing with the engine
		return
	}
	h.e.wg.Add(1)
	go func() {
		defer h.e.wg.Done()
		ctx, cancel := context.WithTimeout(h.e.ctx, h.e.cfg.JoinTimeout)
		defer cancel()
		err := h.r.Do(ctx, func() { h.r.BroadcastRaw(event, raw) })
		if errors.Is(err, room.ErrClosed) {
			err = ErrNoListener // the channel stopped: the user is offline
		}
		if err != nil {
			h.e.log.Debug("cluster notify", zap.String("user", h.user), zap.String("code", string(codec.AsError(err).Code)))
		}
		done(err)
	}()
}

// onUserMessage handles a message on user's topic. It runs on the
// topic's delivery goroutine and must not block.
func (e *Engine) onUserMessage(user string, p []byte) {
	if len(p) == 0 {
		return
	}
	switch p[0] {
	case userTakeover:
		if old, ok := e.sessions.load(string(p[1:])); ok && old.user == user {
			old.log.Info("connection replaced by a resuming one on another node")
			old.abort(CloseReplaced, "resumed by a newer connection")
		}
	case userPresence, userPresenceAsk:
		e.presence.onPresenceMessage(user, p)
	}
}
