package client

import (
	"context"

	"github.com/parlorhq/parlor/codec"
)

// Room is a room the client joined: the server's answer to the join, and a
// handle to send to the room, leave it and (with per-room delivery, see
// Options.RoomEvents) read its events.
//
// The fields are the join's answer and never change. The room may be
// joined again after a reconnect, with a new seq, epoch and snapshot (an
// EventRejoined): ID, LastSeq, LastEpoch and LastSnapshot follow it.
type Room struct {
	// Room is the id of the room joined.
	Room string
	// Seq is the room's seq at the time of the join: events with a larger
	// seq follow.
	Seq uint64
	// Snapshot is the module's raw msgpack snapshot.
	Snapshot []byte
	// Epoch names this incarnation of the room's ordered stream; the
	// client presents it, with the last seq it saw, when it joins again
	// after a reconnect.
	Epoch string

	c   *Client
	rec *roomState  // what the client tracks of the room; kept after it is left
	q   *roomEvents // nil when the room's events go to Client.Events
}

// Joined is the answer to a join, the name Join's result had before it
// became a handle.
//
// Deprecated: use Room.
type Joined = Room

// Decode decodes the join's snapshot into v.
func (r *Room) Decode(v any) error { return codec.UnmarshalData(r.Snapshot, v) }

// Client returns the client the room was joined on.
func (r *Room) Client() *Client { return r.c }

// ID returns the room's id: Room, unless the server named the room
// differently when the client joined it again after a reconnect.
func (r *Room) ID() string {
	if r.rec == nil {
		return r.Room
	}
	r.c.mu.Lock()
	defer r.c.mu.Unlock()
	return r.rec.id
}

// LastSeq returns the seq of the last ordered event the client received
// in the room, or the seq of the latest join if none followed it.
func (r *Room) LastSeq() uint64 {
	if r.rec == nil {
		return r.Seq
	}
	r.c.mu.Lock()
	defer r.c.mu.Unlock()
	return r.rec.seq
}

// LastEpoch returns the epoch of the latest join of the room.
func (r *Room) LastEpoch() string {
	if r.rec == nil {
		return r.Epoch
	}
	r.c.mu.Lock()
	defer r.c.mu.Unlock()
	return r.rec.epoch
}

// LastSnapshot returns the snapshot of the latest join of the room that
// did not recover: Snapshot, or that of the last EventRejoined.
func (r *Room) LastSnapshot() []byte {
	if r.rec == nil {
		return r.Snapshot
	}
	r.c.mu.Lock()
	defer r.c.mu.Unlock()
	return r.rec.snapshot
}

// Events returns the room's events in the order the server sent them,
// with the client's notices for the room: EventRejoined, EventGap, and
// left notices. It is closed after a left notice (except one with reason
// "shutdown" on a client that reconnects: it joins the room again when
// the server is back), when the room is left (Leave returned), when the
// same room is joined again on this client (the new Room takes its
// events over), and when the client ends.
//
// It is nil when the room's events go to Client.Events instead (neither
// Options.RoomEvents nor a JoinOption asked for per-room delivery) or to
// the handler of WithHandler.
func (r *Room) Events() <-chan Event {
	if r.q == nil || r.q.handler != nil {
		return nil
	}
	return r.q.ch
}

// Done is closed when the room's delivery has ended: after the last event
// went out on Events (or to the handler) and Events was closed. It is nil
// when the room's events go to Client.Events.
func (r *Room) Done() <-chan struct{} {
	if r.q == nil {
		return nil
	}
	return r.q.done
}

// Send sends an event to the room and waits for the server's reply; see
// Client.Send.
func (r *Room) Send(ctx context.Context, event string, data any, opts ...SendOption) (Reply, error) {
	return r.c.Send(ctx, r.ID(), event, data, opts...)
}

// Leave leaves the room; see Client.Leave. The room's Events channel is
// closed once the events received before the leave have gone out.
func (r *Room) Leave(ctx context.Context) error {
	return r.c.Leave(ctx, r.ID())
}

// JoinOption sets a per-call option of Join.
type JoinOption func(*joinOptions)

type joinOptions struct {
	perRoom      bool
	handler      func(Event)
	resumeNotice bool
}

// WithResumeNotices also delivers an EventResumed notice when the room is
// joined again after a reconnect with what was missed replayed, so that
// the room has a notice after every rejoin (EventRejoined otherwise).
// Default: only EventRejoined.
func WithResumeNotices() JoinOption {
	return func(o *joinOptions) { o.resumeNotice = true }
}

// WithRoomEvents delivers this room's events on its Room's Events
// channel, whatever Options.RoomEvents says.
func WithRoomEvents() JoinOption {
	return func(o *joinOptions) { o.perRoom = true }
}

// WithHandler delivers this room's events to h instead of a channel. h is
// called on the room's own goroutine, one event at a time, in order; the
// room's buffer fills while h runs (see Options.RoomBuffer). h must
// return: Close waits for it.
func WithHandler(h func(Event)) JoinOption {
	return func(o *joinOptions) { o.perRoom, o.handler = true, h }
}
