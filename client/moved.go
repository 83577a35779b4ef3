package client

import (
	"time"

	"github.com/parlorhq/parlor/codec"
)

// A room moves when the node of a cluster that ran it stops, dies or
// loses it. The client announces codec.FeatureRoomMoves in its connect
// (unless Reconnect is disabled), so the server tells it with a left
// frame of reason codec.LeftMoved instead of closing the connection: the
// client joins that room again on the same connection, from its epoch
// and last seq, while its other rooms go on.

// roomMoved handles a left frame of cn with reason codec.LeftMoved: cn is
// out of the room id, which runs or will run on another node. The room's
// sends written on cn and not answered are written again after its
// rejoin, in order, with their client message ids (the server applies
// each once); sends made meanwhile wait for the rejoin too. Called
// without Client.mu.
func (c *Client) roomMoved(cn *conn, id string) {
	c.mu.Lock()
	rec := c.rooms[id]
	if c.cur != cn {
		c.mu.Unlock()
		return
	}
	if rec == nil || rec.leaving {
		// Not joined again: the room's sends written on cn get no
		// answer now (the server leaves them to a resend after the
		// rejoin), so they fail here.
		if rec != nil {
			rec.movedWhileLeaving = true
		}
		c.failWritten(id, errMovedWhileLeaving)
		c.mu.Unlock()
		return
	}
	rec.live = false
	if rec.moving {
		// Moved again, its rejoin answered but the move not yet ended
		// (endMove): join it once more before its sends go out.
		rec.movedAgain = true
		c.mu.Unlock()
		return
	}
	rec.moving = true
	for e := c.queue.Front(); e != nil; e = e.Next() {
		if cl := e.Value.(*call); cl.kind == callSend && cl.room == id && cl.ref != 0 {
			if c.pending[cl.ref] == cl {
				delete(c.pending, cl.ref) // a late answer to it is ignored
			}
			cl.ref = 0
		}
	}
	c.mu.Unlock()
	go c.rejoinMoved(cn, rec, 1, 0)
}

// errMovedWhileLeaving fails the sends of a room that moved while it was
// being left (or was not tracked): the server does not answer them, and
// the client does not join the room again to send them once more.
var errMovedWhileLeaving = &codec.Error{Code: codec.CodeUnavailable, Message: "client: the room moved while it was being left; the send may or may not have been applied"}

// failWritten fails the sends to room id that were written on the
// current connection and not answered. Called with Client.mu held.
func (c *Client) failWritten(id string, err error) {
	for e := c.queue.Front(); e != nil; {
		next := e.Next()
		if cl := e.Value.(*call); cl.kind == callSend && cl.room == id && cl.ref != 0 {
			c.settle(cl, result{err: err})
		}
		e = next
	}
}

// rejoinMoved joins rec again on cn after its room moved, or after a
// reconnect's first rejoin of it was refused for now (restore): a refusal
// with code unavailable (the node is cut off from its cluster, or found
// no owner within its join timeout) is tried again with the backoff's
// pauses for as long as cn lives, and fails the sends waiting for the
// room; after other transient refusals it is tried again maxRejoinRounds
// times before the room is given up. round is the first try's number in the
// backoff (a try after the first waits its pause first), refusals the
// refusals other than unavailable so far. If cn is lost meanwhile, the
// next connection's restore takes the room over.
func (c *Client) rejoinMoved(cn *conn, rec *roomState, round, refusals int) {
	for ; ; round++ {
		if round > 1 {
			t := time.NewTimer(c.opts.Reconnect.delay(round-1, c.rnd))
			select {
			case <-t.C:
			case <-cn.closed:
				t.Stop()
				return
			case <-c.closing:
				t.Stop()
				return
			}
		}
		calls := c.rejoin(cn, []*roomState{rec})
		if len(calls) == 0 {
			c.endMove(cn, rec, false) // left meanwhile
			return
		}
		var res result
		timer := time.NewTimer(c.opts.RequestTimeout)
		select {
		case res = <-calls[0].ch:
			timer.Stop()
		case <-cn.closed:
			timer.Stop()
			return
		case <-c.closing:
			timer.Stop()
			return
		case <-timer.C:
			cn.drop() // a server that does not answer joins is no use
			return
		}
		if res.err == nil {
			if c.endMove(cn, rec, true) {
				return
			}
			round = 0 // moved again meanwhile: join at once
			continue
		}
		if !transient(res.err) {
			// Refused for good: rejoined gave the room up and told the
			// application.
			c.endMove(cn, rec, false)
			return
		}
		if unavailable(res.err) {
			c.failWaiting(rec, res.err)
		} else if refusals++; refusals > maxRejoinRounds {
			c.giveUp([]*roomState{rec}, res.err)
			c.endMove(cn, rec, false)
			return
		}
	}
}

// endMove ends rec's move on cn: the sends waiting for it are written, in
// order. Sends to a room that was given up are then refused by the
// server, as after a reconnect. During a restore (the client not ready)
// they are left to its writes. After a rejoin (joined), a move that came
// meanwhile keeps the room moving instead, and endMove reports false: the
// room must be joined again first.
func (c *Client) endMove(cn *conn, rec *roomState, joined bool) bool {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	c.mu.Lock()
	if !rec.moving || c.cur != cn {
		c.mu.Unlock()
		return true // cn was lost: restore resends them
	}
	if joined && rec.movedAgain {
		rec.movedAgain = false
		rec.live = false
		c.mu.Unlock()
		return false
	}
	rec.moving, rec.movedAgain = false, false
	var msgs [][]byte
	if c.ready {
		msgs = c.takeQueued(func(cl *call) bool { return cl.kind == callSend && cl.ref == 0 && cl.room == rec.id })
	}
	c.mu.Unlock()
	writeAll(cn, msgs)
	return true
}

// heldByMove reports whether a send to room waits for that room's rejoin
// after a move. Called with Client.mu held.
func (c *Client) heldByMove(room string) bool {
	rec := c.rooms[room]
	return rec != nil && rec.moving
}

// features are the codec.Feature bits the client announces in its
// connect.
func (c *Client) features() uint64 {
	if c.opts.Reconnect.Disabled {
		return 0 // a client that does not rejoin is closed instead
	}
	return codec.FeatureRoomMoves
}
