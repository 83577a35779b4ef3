package client

import (
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
	// leaving: a Leave is on its way; the room is not joined again.
	leaving bool
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
		if f.Seq > 0 {
			c.mu.Lock()
			if rec := c.rooms[f.Room]; rec != nil {
				if f.Seq <= rec.seq {
					// Already delivered (a replay overlapping what the
					// client has) or included in the snapshot.
					c.mu.Unlock()
					return nil
				}
				rec.seq = f.Seq
			}
			c.mu.Unlock()
		}
		c.deliver(Event{Room: f.Room, Seq: f.Seq, Name: f.Event, Data: clone(f.Data)})
	case codec.TypeLeft:
		c.mu.Lock()
		if rec := c.rooms[f.Room]; rec != nil {
			if f.Reason == "shutdown" && !c.opts.Reconnect.Disabled {
				rec.live = false // the server is going away: join again when it is back
			} else {
				delete(c.rooms, f.Room)
			}
		}
		c.mu.Unlock()
		c.deliver(Event{Room: f.Room, Left: true, Reason: f.Reason})
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
		_, abandoned := cn.abandoned[f.Ref]
		delete(cn.abandoned, f.Ref)
		leave := abandoned && f.Type == codec.TypeJoined && c.rooms[f.Room] == nil
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
			c.rooms[fr.Room] = &roomState{id: fr.Room, kind: cl.joinKind, params: cl.params, epoch: fr.Epoch, seq: fr.Seq, live: true}
		}
	case callLeave:
		if rec := cl.rec; rec != nil && c.rooms[rec.id] == rec {
			var ce *codec.Error
			if err == nil || (errors.As(err, &ce) && ce.Code == codec.CodeForbidden) {
				delete(c.rooms, rec.id) // out of the room (or never in it)
			} else {
				rec.leaving = false // refused: still in the room
			}
		}
	}
	c.settle(cl, result{frame: fr, err: err})
	c.mu.Unlock()
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
		delete(c.rooms, rec.id)
		c.settle(cl, result{err: err})
		c.mu.Unlock()
		c.deliver(Event{Room: rec.id, Left: true, Reason: ReasonRejoinFailed, Err: err})
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
	}
	c.settle(cl, result{frame: *f})
	c.mu.Unlock()
	if !recovered {
		c.deliver(Event{Room: f.Room, Seq: f.Seq, Name: EventRejoined, Data: f.Snapshot})
	}
}

// transient reports whether a refused rejoin is worth trying again.
func transient(err error) bool {
	var ce *codec.Error
	return errors.As(err, &ce) && (ce.Code == codec.CodeUnavailable || ce.Code == codec.CodeRateLimited)
}
