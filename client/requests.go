package client

import (
	"container/list"
	"context"
	"encoding/binary"
	"encoding/hex"
	"time"

	"github.com/parlorhq/parlor/codec"
)

// callKind is the kind of a request.
type callKind uint8

const (
	callJoin callKind = iota
	callRejoin
	callLeave
	callSend
)

// call is one request, from the call that makes it until its answer.
//
// Joins and sends wait in Client.queue, in the order they were made, until
// they are answered: when the connection is lost they stay there and are
// written again on the next connection. Leaves and rejoins belong to one
// connection and are only in Client.pending.
type call struct {
	kind callKind
	room string // send, leave
	// send
	event string
	data  []byte
	cmid  string
	// join
	joinKind string
	params   []byte
	joinOptions
	// rejoin; leave of a tracked room
	rec   *roomState
	epoch string // the epoch and since the rejoin presented
	since uint64

	ref   uint64        // the ref on the current connection; 0 when not written there
	tries int           // connections lost while the call was written on them
	elem  *list.Element // the call's place in Client.queue, or nil
	done  bool          // answered, failed or abandoned; guarded by Client.mu
	ch    chan result   // receives the outcome once
}

// build encodes the call's frame with ref. Called with Client.mu held.
func (cl *call) build(ref uint64) []byte {
	switch cl.kind {
	case callJoin:
		return codec.AppendJoin(nil, ref, cl.joinKind, cl.params, "", 0)
	case callRejoin:
		cl.epoch, cl.since = cl.rec.epoch, cl.rec.seq
		return codec.AppendJoin(nil, ref, cl.rec.kind, cl.rec.params, cl.epoch, cl.since)
	case callLeave:
		return codec.AppendLeave(nil, ref, cl.room)
	default:
		return codec.AppendSend(nil, ref, cl.room, cl.event, cl.data, cl.cmid)
	}
}

// size bounds the encoded size of the call's frame from above.
func (cl *call) size() int {
	const overhead = 64 // array header, type, ref, string headers
	return overhead + len(cl.room) + len(cl.event) + len(cl.data) + len(cl.cmid) + len(cl.joinKind) + len(cl.params)
}

// settle gives the call its outcome, once. Called with Client.mu held;
// the send never blocks since ch has room for the one result.
func (c *Client) settle(cl *call, res result) {
	if cl.done {
		return
	}
	cl.done = true
	if cl.elem != nil {
		c.queue.Remove(cl.elem)
		cl.elem = nil
	}
	if cl.ref != 0 && c.pending[cl.ref] == cl {
		delete(c.pending, cl.ref)
	}
	cl.ch <- res
}

// Join joins a room of module kind with params (nil, []byte of msgpack, or
// any value msgpack encodes) and returns the room. The client remembers
// the room and joins it again after a reconnect, or after the room moved
// between cluster nodes, with the same kind and params (and the room's
// epoch and last seq). A join that was not answered when the connection
// was lost is sent again on the next connection. So params must name the
// same room each time: a join that creates something (a chat group) needs
// a nonce that makes the creation idempotent (chat.CreateGroup.Nonce,
// which chatclient.CreateGroup sets).
//
// The room's events go to Client.Events, unless Options.RoomEvents or a
// JoinOption (WithRoomEvents, WithHandler) gives the room its own
// delivery. Joining a room the client is already in returns a new Room
// that takes the room's events over; the old Room's Events is closed.
func (c *Client) Join(ctx context.Context, kind string, params any, opts ...JoinOption) (*Room, error) {
	raw, err := encode(params)
	if err != nil {
		return nil, err
	}
	cl := &call{kind: callJoin, joinKind: kind, params: raw}
	cl.perRoom = c.opts.RoomEvents
	for _, opt := range opts {
		opt(&cl.joinOptions)
	}
	f, err := c.request(ctx, cl)
	if err != nil {
		return nil, err
	}
	r := &Room{Room: f.Room, Seq: f.Seq, Snapshot: f.Snapshot, Epoch: f.Epoch, c: c, rec: cl.rec}
	if cl.rec != nil {
		r.q = cl.rec.q
	}
	return r, nil
}

// Leave leaves a room; the client stops joining it again after reconnects.
// When the client is between connections, or the connection is lost
// before the server answers, Leave returns nil: the next connection does
// not join the room. (A module that keeps per-user state, such as a game
// seat, may keep it until its own grace period ends.) When the server
// refuses the leave with a code other than forbidden (not in the room),
// the client keeps the room. When ctx ends before the server answers,
// Leave returns ctx's error and the room is not joined again: the
// server's answer, when it comes, ends it as above.
func (c *Client) Leave(ctx context.Context, room string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	cl := &call{kind: callLeave, room: room, ch: make(chan result, 1)}
	c.wmu.Lock()
	c.mu.Lock()
	if c.finished {
		err := c.err
		c.mu.Unlock()
		c.wmu.Unlock()
		return err
	}
	rec := c.rooms[room]
	cn := c.cur
	// Tell the server only when this connection is in the room, or may be
	// (a room the client does not track, on a ready connection).
	if cn == nil || (rec != nil && !rec.live) || (rec == nil && !c.ready) {
		if rec != nil {
			endRoom(c.unlink(rec), nil)
		}
		c.mu.Unlock()
		c.wmu.Unlock()
		return nil
	}
	if rec != nil {
		// Not joined again from now on; its events still count until the
		// server answers.
		rec.leaving = true
		cl.rec = rec
	}
	cl.ref = c.nextRef.Add(1)
	c.pending[cl.ref] = cl
	msg := cl.build(cl.ref)
	c.mu.Unlock()
	_ = cn.write(msg) // a failed write is a lost connection: Leave returns nil
	c.wmu.Unlock()
	_, err := c.wait(ctx, cl)
	return err
}

// Send sends an event to a room and waits for the server's reply. A
// rejected request returns a *codec.Error carrying the server's code.
//
// Every send carries a client message id (WithClientMsgID, or a random
// one). When the connection is lost before the reply, the client sends it
// again with the same id once the room is joined again, and the server,
// which applies a send only once per id, answers it with its first reply,
// which Send returns. ctx (or Options.RequestTimeout) bounds the whole
// wait.
func (c *Client) Send(ctx context.Context, room, event string, data any, opts ...SendOption) (Reply, error) {
	var o sendOptions
	for _, opt := range opts {
		opt(&o)
	}
	raw, err := encode(data)
	if err != nil {
		return Reply{}, err
	}
	if o.clientMsgID == "" {
		o.clientMsgID = c.newClientMsgID()
	}
	f, err := c.request(ctx, &call{kind: callSend, room: room, event: event, data: raw, cmid: o.clientMsgID})
	if err != nil {
		return Reply{}, err
	}
	return Reply{Data: f.Data}, nil
}

// newClientMsgID returns a client message id: the client's random 64-bit
// prefix and a counter, 32 hex digits in all. Ids are unique (the prefix
// is drawn per client) and increase within one client, so a store that
// indexes them appends instead of inserting at random places.
func (c *Client) newClientMsgID() string {
	var b [16]byte
	copy(b[:8], c.idPrefix[:])
	binary.BigEndian.PutUint64(b[8:], c.nextMsgID.Add(1))
	return hex.EncodeToString(b[:])
}

// request queues a join or send, writes it if the connection is ready, and
// waits for its answer.
func (c *Client) request(ctx context.Context, cl *call) (*codec.Frame, error) {
	if err := ctx.Err(); err != nil {
		return nil, err // never send a request that was already abandoned
	}
	if cl.size() > maxWrite {
		return nil, &codec.Error{Code: codec.CodeTooLarge, Message: "client: the request is larger than the client's write limit"}
	}
	cl.ch = make(chan result, 1)
	c.wmu.Lock()
	c.mu.Lock()
	if c.finished {
		err := c.err
		c.mu.Unlock()
		c.wmu.Unlock()
		return nil, err
	}
	cl.elem = c.queue.PushBack(cl)
	var msg []byte
	cn := c.cur
	if c.ready && cn != nil && (cl.kind != callSend || !c.heldByMove(cl.room)) {
		cl.ref = c.nextRef.Add(1)
		c.pending[cl.ref] = cl
		msg = cl.build(cl.ref)
	}
	c.mu.Unlock()
	if msg != nil {
		_ = cn.write(msg) // a failed write is a lost connection: the call waits for the next one
	}
	c.wmu.Unlock()
	return c.wait(ctx, cl)
}

// wait waits for the call's outcome, or for ctx (bounded by
// RequestTimeout).
func (c *Client) wait(ctx context.Context, cl *call) (*codec.Frame, error) {
	// RequestTimeout bounds a ctx without a deadline: a pooled timer
	// does it, where a context derived from ctx would cost five
	// allocations more on every call.
	var expired <-chan time.Time
	var fired bool
	if _, ok := ctx.Deadline(); !ok {
		t := getTimer(c.opts.RequestTimeout)
		defer func() { putTimer(t, fired) }()
		expired = t.C
	}
	var res result
	var ended error
	select {
	case res = <-cl.ch:
	case <-ctx.Done():
		ended = ctx.Err()
	case <-expired:
		fired, ended = true, context.DeadlineExceeded
	}
	if ended != nil {
		c.mu.Lock()
		if !cl.done {
			if cl.ref != 0 && c.pending[cl.ref] == cl && c.cur != nil {
				switch {
				case cl.kind == callJoin:
					// The server may still join: leave when it answers.
					c.cur.abandoned[cl.ref] = cl
				case cl.kind == callLeave && cl.rec != nil:
					// The server may still take the room's leave, or
					// may have moved the room meanwhile (a moved room
					// that is being left is not joined again): its
					// answer ends the room all the same.
					c.cur.abandonedLeaves[cl.ref] = cl.rec
				}
			}
			c.settle(cl, result{err: ended})
		}
		c.mu.Unlock()
		res = <-cl.ch // ours, or the answer that came first
	}
	if res.err != nil {
		return nil, res.err
	}
	return &res.frame, nil
}
