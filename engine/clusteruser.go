package engine

import (
	"context"
	"errors"

	"github.com/parlorhq/parlor/codec"
	"github.com/parlorhq/parlor/room"
	"go.uber.org/zap"
)

// The user topic on a cluster node (Cluster.PublishUser): a node listens
// on the topic of every user with a session here or whose user channel
// runs here. It carries two messages:
//
//	userTakeover | session id               close that session with 4009
//	userNotify   | len(event) | event | data  notify the user's channel
//
// A node that publishes a notification for a channel running elsewhere
// does not learn whether it was delivered: Notify returns nil once it is
// published, and the channel's node applies the user's rate limit.

const (
	userTakeover byte = iota + 1
	userNotify
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

// publishNotify sends a notification to the node running user's channel.
func (e *Engine) publishNotify(user, event string, raw []byte) error {
	p := make([]byte, 0, 2+len(event)+len(raw))
	p = append(p, userNotify, byte(len(event)))
	p = append(append(p, event...), raw...)
	return e.cluster.PublishUser(user, p)
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
	case userNotify:
		if len(p) < 2 || len(p) < 2+int(p[1]) {
			return
		}
		event := string(p[2 : 2+int(p[1])])
		raw := p[2+int(p[1]):]
		h, ok := e.userChans.load(user)
		if !ok || event == "" || len(raw) > e.cfg.NotifyMaxBytes {
			return
		}
		if !h.allowNotify() {
			return
		}
		e.wg.Add(1)
		go func() {
			defer e.wg.Done()
			ctx, cancel := context.WithTimeout(e.ctx, e.cfg.JoinTimeout)
			defer cancel()
			err := h.r.Do(ctx, func() { h.r.BroadcastRaw(event, raw) })
			if err != nil && !errors.Is(err, room.ErrClosed) {
				e.log.Debug("cluster notify", zap.String("user", user), zap.String("code", string(codec.AsError(err).Code)))
			}
		}()
	}
}
