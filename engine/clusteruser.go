package engine

import (
	"context"
	"encoding/binary"
	"errors"

	"github.com/parlorhq/parlor/codec"
	"github.com/parlorhq/parlor/room"
	"go.uber.org/zap"
)

// The user topic on a cluster node (Cluster.PublishUser): a node listens
// on the topic of every user with a session here or watched from here. It
// carries takeovers and the host's disconnect orders:
//
//	userTakeover | session id               close that session with 4009
//	userDisconnect | len(node) | node | all | code (2 bytes, big endian) |
//	    uvarint len(credential) | credential | reason
//	                                        DisconnectUser (all = 1) or
//	                                        DisconnectCredential (all = 0)
//	                                        issued on node, for the others
//	userRenew | len(node) | node | uvarint len(from) | from | to
//	                                        RenewCredential issued on node
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
	userDisconnect
	userRenew
)

// userSub is one node's subscription to a user's topic, shared by the
// user's sessions and channel on this node.
type userSub struct {
	user  string
	holds int
	unsub func()
}

// holdUserSub subscribes to user's topic, or counts one more holder. It
// returns nil when the subscription failed; the failure is logged. A
// node that starts listening again publishes its presence view of the
// user, if it has one worth telling: the asks of nodes that started
// watching the user while this node did not listen went unheard (its
// last session closed, and the user came back within the grace, or
// connected here before the view's first publish), and a view that did
// not change since is published by nothing else.
func (e *Engine) holdUserSub(user string) *userSub {
	var us *userSub
	fresh := false
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
		fresh = true
	})
	if fresh {
		e.presence.answer(user)
	}
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
	case userDisconnect:
		e.onDisconnectOrder(user, p)
	case userRenew:
		e.onRenew(user, p)
	case userPresence, userPresenceAsk:
		e.presence.onPresenceMessage(user, p)
	}
}

// publishDisconnect sends order, issued on this node by DisconnectUser or
// DisconnectCredential, to the other nodes, which close the user's
// connections they hold as this node does. Nothing is sent on a single
// node; a failure (NATS down) is logged and the other nodes keep their
// connections.
func (e *Engine) publishDisconnect(user string, order closeOrder) {
	if e.cluster == nil {
		return
	}
	p := appendDisconnect(nil, e.cluster.Node(), order)
	if err := e.cluster.PublishUser(user, p); err != nil {
		e.log.Warn("cluster disconnect publish", zap.String("user", user), zap.Error(err))
	}
}

// appendDisconnect encodes order, issued on node, as a userDisconnect
// message.
func appendDisconnect(p []byte, node string, order closeOrder) []byte {
	all := byte(0)
	if order.all {
		all = 1
	}
	p = append(p, userDisconnect, byte(len(node)))
	p = append(p, node...)
	p = append(p, all)
	p = binary.BigEndian.AppendUint16(p, order.code)
	p = binary.AppendUvarint(p, uint64(len(order.cred)))
	p = append(p, order.cred...)
	return append(p, order.reason...)
}

// parseDisconnect decodes a userDisconnect message; ok is false when it is
// malformed.
func parseDisconnect(p []byte) (node string, order closeOrder, ok bool) {
	node, rest, ok := cutNodeHead(p)
	if !ok || p[0] != userDisconnect || len(rest) < 3 || rest[0] > 1 {
		return "", closeOrder{}, false
	}
	order.all = rest[0] == 1
	order.code = closeCode(binary.BigEndian.Uint16(rest[1:3]))
	rest = rest[3:]
	cl, k := binary.Uvarint(rest)
	if k <= 0 || cl > uint64(len(rest)-k) {
		return "", closeOrder{}, false
	}
	order.cred = string(rest[k : k+int(cl)])
	order.reason = closeReason(string(rest[k+int(cl):]))
	return node, order, true
}

// onDisconnectOrder applies a disconnect order another node issued to the
// connections of user here. The issuing node gets its own message back
// and ignores it: it applied the order when it issued it, and applying it
// again would also close the upgrades that began in between.
func (e *Engine) onDisconnectOrder(user string, p []byte) {
	node, order, ok := parseDisconnect(p)
	if !ok {
		e.log.Warn("cluster: malformed disconnect order", zap.String("user", user))
		return
	}
	if node == e.cluster.Node() || (!order.all && e.cfg.Credential == nil) {
		return
	}
	e.disconnect(order, user)
}

// publishRenew sends a RenewCredential issued on this node to the other
// nodes, which move the user's connections they hold as this node does.
// Nothing is sent on a single node; a failure (NATS down) is logged and
// the other nodes keep the old credential name.
func (e *Engine) publishRenew(user, from, to string) {
	if e.cluster == nil {
		return
	}
	if err := e.cluster.PublishUser(user, appendRenew(nil, e.cluster.Node(), from, to)); err != nil {
		e.log.Warn("cluster renew publish", zap.String("user", user), zap.Error(err))
	}
}

// appendRenew encodes a renewal of credential from to to, issued on node,
// as a userRenew message.
func appendRenew(p []byte, node, from, to string) []byte {
	p = append(p, userRenew, byte(len(node)))
	p = append(p, node...)
	p = binary.AppendUvarint(p, uint64(len(from)))
	p = append(p, from...)
	return append(p, to...)
}

// parseRenew decodes a userRenew message; ok is false when it is
// malformed.
func parseRenew(p []byte) (node, from, to string, ok bool) {
	node, rest, ok := cutNodeHead(p)
	if !ok || p[0] != userRenew {
		return "", "", "", false
	}
	fl, k := binary.Uvarint(rest)
	if k <= 0 || fl > uint64(len(rest)-k) {
		return "", "", "", false
	}
	return node, string(rest[k : k+int(fl)]), string(rest[k+int(fl):]), true
}

// onRenew applies a renewal another node issued to the connections of
// user here. The issuing node ignores its own message: it renewed when
// it issued it.
func (e *Engine) onRenew(user string, p []byte) {
	node, from, to, ok := parseRenew(p)
	if !ok {
		e.log.Warn("cluster: malformed credential renewal", zap.String("user", user))
		return
	}
	if node == e.cluster.Node() {
		return
	}
	e.renew(user, from, to)
}

// cutNodeHead splits a message of the user topic, kind | len(node) | node
// | rest, into the name of the node that published it and the rest; ok is
// false when p is shorter than its head says. The caller checks the kind,
// p[0].
func cutNodeHead(p []byte) (node string, rest []byte, ok bool) {
	if len(p) < 2 || len(p) < 2+int(p[1]) {
		return "", nil, false
	}
	return string(p[2 : 2+int(p[1])]), p[2+int(p[1]):], true
}
