package client

import (
	"bytes"
	"errors"
	"fmt"

	"github.com/parlorhq/parlor/codec"
)

// roomState is what the client remembers of a room it joined, to join it
// again after a reconnect. Guarded by Client.mu.
type roomState struct {
	id     string
	kind   string
	params []byte
	epoch  string
	seq    uint64 // the last ordered seq the client has (snapshot or event)
	live   bool   // joined on the current connection
	// moving: the room moved to another node of the server's cluster and
	// is being joined again on the current connection (moved.go); its
	// sends wait for that.
	moving bool
	// movedAgain: a move came while moving was set (moved.go).
	movedAgain bool
	// leaving: a Leave is on its way; the room is not joined again.
	leaving bool
	// movedWhileLeaving: the room moved while leaving was set. If the
	// leave is refused after all, the room is joined again then
	// (leaveAnswered).
	movedWhileLeaving bool
	// snapshot is the snapshot of the latest join that did not recover.
	snapshot []byte
	// q is the room's own delivery, or nil when its events go to
	// Client.Events.
	q *roomEvents
	// resumeNotice: deliver EventResumed (WithResumeNotices).
	resumeNotice bool
}

// unlink stops tracking rec and returns its delivery (nil when its events
// go to Client.Events); the caller ends it, after the room's last notice.
// Called with Client.mu held.
func (c *Client) unlink(rec *roomState) *roomEvents {
	if c.rooms[rec.id] == rec {
		delete(c.rooms, rec.id)
	}
	return rec.q
}

// endRoom ends a room's delivery, if it has its own, after ev (unless ev
// is nil). Called with Client.mu held: none of it waits.
func endRoom(q *roomEvents, ev *Event) {
	if q == nil {
		return
	}
	if ev != nil {
		q.push(*ev)
	}
	q.end()
}

// notice delivers a notice of a room that has its own delivery q, or on
// Events. It is not called with Client.mu held.
func (c *Client) notice(q *roomEvents, ev Event) {
	if q != nil {
		q.push(ev)
		return
	}
	c.deliver(ev)
}

// dispatch routes one frame of cn. It runs on cn's read loop.
func (c *Client) dispatch(cn *conn, f *codec.Frame) error {
	switch f.Type {
	case codec.TypeConnected:
		if f.Ref == cn.connectRef {
			select {
			case cn.handshake <- result{frame: *f}:
			default:
			}
		}
	case codec.TypeJoined, codec.TypeReply:
		c.answer(cn, f)
	case codec.TypeEvent:
		var q *roomEvents
		c.mu.Lock()
		if rec := c.rooms[f.Room]; rec != nil {
			if f.Seq > 0 {
				if f.Seq <= rec.seq {
					// Already delivered (a replay overlapping what the
					// client has) or included in the snapshot.
					c.mu.Unlock()
					return nil
				}
				rec.seq = f.Seq
			}
			q = rec.q
		} else if c.opts.RoomEvents {
			// A room no Room stands for (a join whose caller gave up):
			// nobody reads Events for it.
			c.mu.Unlock()
			return nil
		}
		c.mu.Unlock()
		c.notice(q, Event{Room: f.Room, Seq: f.Seq, Name: f.Event, Data: clone(f.Data)})
	case codec.TypeLeft:
		if f.Reason == codec.LeftMoved {
			c.roomMoved(cn, f.Room)
			return nil
		}
		ev := Event{Room: f.Room, Left: true, Reason: f.Reason}
		c.mu.Lock()
		if rec := c.rooms[f.Room]; rec != nil {
			if f.Reason == "shutdown" && !c.opts.Reconnect.Disabled {
				rec.live = false // the server is going away: join again when it is back
				if rec.q != nil {
					rec.q.push(ev)
					c.mu.Unlock()
					return nil
				}
			} else if q := c.unlink(rec); q != nil {
				endRoom(q, &ev)
				c.mu.Unlock()
				return nil
			}
		} else if c.opts.RoomEvents {
			c.mu.Unlock()
			return nil
		}
		c.mu.Unlock()
		c.deliver(ev)
	case codec.TypeError:
		// Before connected, the error refuses the connect; after it, the
		// close that follows says what happened.
		select {
		case cn.handshake <- result{err: &codec.Error{Code: f.Code, Message: f.Message}}:
		default:
		}
	}
	return nil
}

// joiningLocked reports whether a join written on the connection and not
// answered yet goes to the room that gaveUp, an abandoned join, was
// answered for: the same kind and parameters (a retry), or a rejoin of
// room. Its joined frame will hold the room, and a leave for the
// abandoned join would reach the server after it and take the room from
// under it. c.mu is held.
func (c *Client) joiningLocked(gaveUp *call, room string) bool {
	for _, p := range c.pending {
		switch {
		case p.done:
		case p.kind == callJoin && p.joinKind == gaveUp.joinKind && bytes.Equal(p.params, gaveUp.params):
			return true
		case p.kind == callRejoin && p.rec != nil && p.rec.id == room:
			return true
		}
	}
	return false
}

// answer routes a joined or reply frame to the request with its ref.
func (c *Client) answer(cn *conn, f *codec.Frame) {
	fr := *f
	fr.Snapshot = clone(f.Snapshot)
	fr.Data = clone(f.Data)
	var err error
	if f.Type == codec.TypeReply && f.Code != "" {
		err = &codec.Error{Code: f.Code, Message: f.Message}
	}
	c.mu.Lock()
	cl := c.pending[f.Ref]
	if cl == nil || cl.done {
		gaveUp, abandoned := cn.abandoned[f.Ref]
		delete(cn.abandoned, f.Ref)
		leave := abandoned && f.Type == codec.TypeJoined && c.rooms[f.Room] == nil && !c.joiningLocked(gaveUp, f.Room)
		if rec, ok := cn.abandonedLeaves[f.Ref]; ok {
			delete(cn.abandonedLeaves, f.Ref)
			c.leaveAnswered(cn, rec, err)
		}
		c.mu.Unlock()
		if leave {
			// A join whose caller gave up: nobody holds the room.
			_ = cn.write(codec.AppendLeave(nil, c.nextRef.Add(1), f.Room))
		}
		return
	}
	if err == nil {
		want := codec.TypeReply
		if cl.kind == callJoin || cl.kind == callRejoin {
			want = codec.TypeJoined
		}
		if f.Type != want {
			err = fmt.Errorf("client: unexpected %s frame in answer to a request", f.Type)
		}
	}
	switch cl.kind {
	case callRejoin:
		c.rejoined(cn, cl, &fr, err) // unlocks
		return
	case callJoin:
		if err == nil {
			rec := &roomState{id: fr.Room, kind: cl.joinKind, params: cl.params, epoch: fr.Epoch, seq: fr.Seq, live: true,
				snapshot: fr.Snapshot, resumeNotice: cl.resumeNotice}
			if old := c.rooms[fr.Room]; old != nil {
				endRoom(c.unlink(old), nil) // the new Room takes the events over
			}
			if cl.perRoom {
				rec.q = c.newRoomEvents(cl.handler)
			}
			c.rooms[fr.Room] = rec
			cl.rec = rec
		}
	case callLeave:
		c.leaveAnswered(cn, cl.rec, err)
	}
	c.settle(cl, result{frame: fr, err: err})
	c.mu.Unlock()
}

// leaveAnswered handles the server's answer on cn to the leave of rec
// (nil for a room the client did not track), err being its refusal: out
// of the room (or never in it, forbidden), the room ends; any other
// refusal keeps it, and joins it again if it moved meanwhile. Called
// with Client.mu held.
func (c *Client) leaveAnswered(cn *conn, rec *roomState, err error) {
	if rec == nil || c.rooms[rec.id] != rec {
		return
	}
	var ce *codec.Error
	if err == nil || (errors.As(err, &ce) && ce.Code == codec.CodeForbidden) {
		endRoom(c.unlink(rec), nil)
		return
	}
	rec.leaving = false // refused: still in the room
	if rec.movedWhileLeaving {
		rec.movedWhileLeaving = false
		go c.roomMoved(cn, rec.id)
	}
}

// rejoined handles the answer to a rejoin. Called with c.mu held; it
// unlocks it.
func (c *Client) rejoined(cn *conn, cl *call, f *codec.Frame, err error) {
	rec := cl.rec
	if c.rooms[rec.id] != rec {
		// Left while the rejoin was on its way, or joined afresh.
		leave := err == nil && c.rooms[f.Room] == nil
		c.settle(cl, result{frame: *f})
		c.mu.Unlock()
		if leave {
			_ = cn.write(codec.AppendLeave(nil, c.nextRef.Add(1), f.Room))
		}
		return
	}
	if err != nil {
		if transient(err) {
			c.settle(cl, result{err: err}) // restore tries again
			c.mu.Unlock()
			return
		}
		ev := Event{Room: rec.id, Left: true, Reason: ReasonRejoinFailed, Err: err}
		q := c.unlink(rec)
		endRoom(q, &ev)
		c.settle(cl, result{err: err})
		c.mu.Unlock()
		if q == nil {
			c.deliver(ev)
		}
		return
	}
	if f.Room != rec.id {
		// The server names the room differently now (its secret
		// changed): sends waiting for it follow the new id.
		old := rec.id
		delete(c.rooms, old)
		rec.id = f.Room
		c.rooms[rec.id] = rec
		for e := c.queue.Front(); e != nil; e = e.Next() {
			if q := e.Value.(*call); q.kind == callSend && q.room == old {
				q.room = rec.id
			}
		}
	}
	rec.live = true
	recovered := f.Recovered && cl.epoch != "" && f.Epoch == cl.epoch
	rec.epoch = f.Epoch
	if !recovered {
		rec.seq = f.Seq
		rec.snapshot = f.Snapshot
	}
	var ev *Event
	switch {
	case !recovered:
		ev = &Event{Room: f.Room, Seq: f.Seq, Name: EventRejoined, Data: f.Snapshot}
	case rec.resumeNotice:
		ev = &Event{Room: f.Room, Seq: rec.seq, Name: EventResumed}
	}
	q := rec.q
	if ev != nil && q != nil {
		// Before the rejoin is settled: once restore sees every room
		// joined, the client reports StateOpen, and a room's reader must
		// not find the events this notice replaces still buffered.
		q.push(*ev)
		ev = nil
	}
	c.settle(cl, result{frame: *f})
	c.mu.Unlock()
	if ev != nil {
		c.deliver(*ev)
	}
}

// transient reports whether a refused rejoin is worth trying again.
func transient(err error) bool {
	var ce *codec.Error
	return errors.As(err, &ce) && (ce.Code == codec.CodeUnavailable || ce.Code == codec.CodeRateLimited)
}

// unavailable reports whether err is a refusal with code unavailable,
// which a rejoin outlasts without counting it toward giving the room up.
func unavailable(err error) bool {
	var ce *codec.Error
	return errors.As(err, &ce) && ce.Code == codec.CodeUnavailable
}
