package engine

import (
	"context"
	"errors"
	"sync/atomic"

	"github.com/parlorhq/parlor/codec"
	"github.com/parlorhq/parlor/room"
)

// The owner's side of a member on another node. A room owned here sees a
// session of another node as a *remoteSession: a room.Session whose
// frames go, in envelopes, on the room's topic to the session's node (see
// clusterenvelope.go). There is one per room and remote session.

// remoteSession is a session of another node in a room this node owns.
type remoteSession struct {
	e      *Engine
	room   string
	id     string
	user   string
	node   string
	key    string
	link   *peerLink // to node
	joined atomic.Bool
	left   atomic.Bool // RoomLeft ran: the member's node got its left envelope
}

// maxRemoteSessionID bounds the session id of a forwarded join: it must
// fit an envelope's one-byte length.
const maxRemoteSessionID = 255

// remoteKey names a remote session in one room.
func remoteKey(roomID, sessionID string) string { return roomID + "\x00" + sessionID }

// ID implements room.Session.
func (rs *remoteSession) ID() string { return rs.id }

// UserID implements room.Session.
func (rs *remoteSession) UserID() string { return rs.user }

// Deliver implements room.Session: the frames travel to the session's
// node in an envFrames envelope on the room's topic.
func (rs *remoteSession) Deliver(frames []byte) bool { return rs.publish(envFrames, frames) }

// RoomJoined implements room.Session. The member is known again when it
// was forgotten between the lookup of rs and this join: its earlier
// membership ended (RoomLeft; a member node that missed broadcasts takes
// its session out, a leave marked disconnected, behind a busy mailbox,
// and the client may join again before the room has taken that leave),
// or an earlier forwarded join of the same session, which shared rs,
// ended its wait in a busy mailbox and forgot it (joinForwarded) while
// this retry waited behind it.
func (rs *remoteSession) RoomJoined(*room.Room) {
	rs.joined.Store(true)
	rs.left.Store(false)
	rs.e.remoteSessions.update(rs.key, func(m map[string]*remoteSession) {
		if m[rs.key] == nil {
			m[rs.key] = rs
		}
	})
}

// RoomLeft implements room.Session: the member's node is told, after the
// left frame if the room sent one, and the owner forgets the session.
func (rs *remoteSession) RoomLeft(_ *room.Room, reason room.LeaveReason) {
	rs.left.Store(true)
	rs.publish(envLeft, []byte(reason))
	rs.e.forgetRemoteSession(rs)
}

// publish queues an envelope for the session to its node's link. The
// link's writer publishes it; a failure is logged there, and the member's
// node finds out as it would of a lost NATS message (a gap in the seqs,
// a send answered by its timeout).
func (rs *remoteSession) publish(kind byte, body []byte) bool {
	rs.link.pushEnvelope(rs.room, kind, rs.id, body)
	return true
}

// remoteSessionFor returns the remote session of j, creating it. One
// known already is reused only while it goes on its node's current link:
// one made before the link was dropped (its node thought gone, its
// sessions here being disconnected) would keep queueing its envelopes on
// the old link once the room's broadcasts went on the new one
// (clusterFanout.Attach), and the member would get the two out of order.
func (e *Engine) remoteSessionFor(j *ClusterJoin) *remoteSession {
	key := remoteKey(j.Room, j.Session)
	link := e.peers().get(j.Node)
	var rs *remoteSession
	e.remoteSessions.update(key, func(m map[string]*remoteSession) {
		if rs = m[key]; rs == nil || rs.user != j.User || rs.node != j.Node || rs.link != link {
			rs = &remoteSession{e: e, room: j.Room, id: j.Session, user: j.User, node: j.Node, key: key, link: link}
			m[key] = rs
		}
	})
	return rs
}

func (e *Engine) forgetRemoteSession(rs *remoteSession) {
	e.remoteSessions.update(rs.key, func(m map[string]*remoteSession) {
		if m[rs.key] == rs {
			delete(m, rs.key)
		}
	})
}

// clusterSide implements ClusterHandler for an engine.
type clusterSide struct{ e *Engine }

// Join implements ClusterHandler.
func (c clusterSide) Join(j *ClusterJoin, done func(error)) {
	e := c.e
	if e.shutting.Load() {
		done(ErrNotOwner)
		return
	}
	e.wg.Add(1)
	go func() {
		defer e.wg.Done()
		done(notOwnerWhileShutting(e.joinForwarded(j)))
	}()
}

// notOwnerWhileShutting answers ErrNotOwner for a forwarded request that
// this node's shutdown refused (ErrShutdown: the room does not run here
// and will not, or the wait ended with the drain): the member's node then
// looks the owner up again, as for a draining room, rather than passing
// the shutdown on to its client.
func notOwnerWhileShutting(err error) error {
	if errors.Is(err, ErrShutdown) {
		return ErrNotOwner
	}
	return err
}

// joinForwarded runs a forwarded join as handleJoin runs a local one, once
// the room id is resolved.
func (e *Engine) joinForwarded(j *ClusterJoin) error {
	m := e.module(j.Kind)
	if m == nil {
		return ErrUnknownKind
	}
	if j.Session == "" || len(j.Session) > maxRemoteSessionID || j.Room == "" || len(j.Room) > codec.MaxIDLen {
		return ErrBadForward
	}
	if _, running := e.rooms.load(j.Room); !running && e.cluster.Handover(j.Room) {
		// It stopped here and its lease lapsed: the member's node takes
		// it, rather than this node running it for members elsewhere.
		return ErrRoomFreed
	}
	ctx, cancel := context.WithTimeout(e.opsCtx, e.cfg.JoinTimeout)
	defer cancel()
	r, owner, err := e.clusterRoom(ctx, j.Room, j.Kind, m, j.User, false)
	switch {
	case err != nil:
		return waitErr(err, ErrJoinTimeout)
	case owner != "":
		return ErrNotOwner
	case r.Kind() != j.Kind:
		return ErrWrongKind
	}
	rs := e.remoteSessionFor(j)
	e.watchNode(j.Node)
	err = r.JoinFrom(ctx, rs, j.Ref, j.Params, j.Epoch, j.Since)
	if err != nil && !rs.joined.Load() {
		e.forgetRemoteSession(rs)
	}
	if errors.Is(err, room.ErrClosed) {
		return ErrNotOwner // stopping: the member looks the owner up again
	}
	return waitErr(err, ErrJoinTimeout)
}

// Send implements ClusterHandler.
func (c clusterSide) Send(s *ClusterSend, done func(error)) {
	e := c.e
	// Without the room or the membership, the member's node holds a
	// membership of a room that stopped here without it being told
	// (NATS was down): it must look the owner up again.
	r, ok := e.rooms.load(s.Room)
	if !ok {
		done(ErrNotOwner)
		return
	}
	rs, ok := e.remoteSessions.load(remoteKey(s.Room, s.Session))
	if !ok || rs.user != s.User {
		done(ErrNotOwner)
		return
	}
	err := r.Send(rs, s.Ref, s.Event, s.Data, s.ClientMsgID)
	if errors.Is(err, room.ErrClosed) {
		err = ErrNotOwner
	}
	done(err)
}

// Receive implements ClusterHandler: a batch of the rooms this node has
// members in, from their owner.
func (c clusterSide) Receive(batch []byte) { c.e.receiveBatch(batch) }

// Leave implements ClusterHandler. A leave that took the session out of
// the room is answered by its left envelope (RoomLeft) on the room's
// topic, and done(nil) publishes nothing for a member node that asked
// for refusals only (cluster.Node.Leave). When there is no such
// membership here (no remote session, the room stopped or stopping, or
// the session not in the room), that envelope never comes: the answer is
// ErrNotOwner, which the member's node takes as "the membership is gone".
func (c clusterSide) Leave(l *ClusterLeave, done func(error)) {
	e := c.e
	rs, ok := e.remoteSessions.load(remoteKey(l.Room, l.Session))
	if !ok || rs.user != l.User {
		done(ErrNotOwner)
		return
	}
	r, ok := e.rooms.load(l.Room)
	if !ok {
		done(ErrNotOwner)
		return
	}
	e.wg.Add(1)
	go func() { // Disconnect waits while the room's mailbox is full
		defer e.wg.Done()
		if l.Disconnected {
			r.Disconnect(rs)
			done(nil)
			return
		}
		ctx, cancel := context.WithTimeout(e.opsCtx, e.cfg.JoinTimeout)
		defer cancel()
		err := r.Leave(ctx, rs)
		if errors.Is(err, room.ErrClosed) || (err == nil && !rs.left.Load()) {
			err = ErrNotOwner
		}
		done(notOwnerWhileShutting(waitErr(err, ErrLeaveTimeout)))
	}()
}
