package room

import (
	"github.com/parlorhq/parlor/codec"
	"github.com/vmihailenco/msgpack/v5"
)

// Broadcast sends an event to every session of every member. It assigns
// the room's next seq, encodes the frame once and hands the same bytes to
// every recipient. data may be nil, a []byte or msgpack.RawMessage holding
// one encoded msgpack value, or any value msgpack encodes.
// Room goroutine only.
func (r *Room) Broadcast(event string, data any) (seq uint64, err error) {
	raw, err := encodeData(data)
	if err != nil {
		return 0, err
	}
	return r.BroadcastRaw(event, raw), nil
}

// BroadcastRaw is Broadcast for a payload that is already encoded; it
// skips the interface conversion on hot paths. Room goroutine only.
func (r *Room) BroadcastRaw(event string, raw []byte) uint64 {
	r.seq++
	frame := r.encodeEvent(r.seq, event, raw)
	r.recordReplay(r.seq, frame)
	r.publish(frame)
	return r.seq
}

// BroadcastEphemeral sends an event with seq 0 to every session of every
// member except the users listed in except. Ephemeral events (typing,
// cursors) are outside the ordered stream: they are never replayed and do
// not advance the room's seq. Room goroutine only.
func (r *Room) BroadcastEphemeral(event string, data any, except ...string) error {
	raw, err := encodeData(data)
	if err != nil {
		return err
	}
	frame := r.encodeEvent(0, event, raw)
	if len(except) == 0 {
		r.publish(frame)
		return nil
	}
	for user, m := range r.members {
		if contains(except, user) {
			continue
		}
		for _, s := range m.sessions {
			s.Deliver(frame)
		}
	}
	return nil
}

// SendTo sends an ephemeral (seq 0) event to every session of one member,
// for per-player views and private notices. It does nothing if user is not
// a member. Room goroutine only.
func (r *Room) SendTo(user, event string, data any) error {
	m := r.members[user]
	if m == nil {
		return nil
	}
	raw, err := encodeData(data)
	if err != nil {
		return err
	}
	frame := r.encodeEvent(0, event, raw)
	for _, s := range m.sessions {
		s.Deliver(frame)
	}
	return nil
}

// Seq returns the seq of the last broadcast. Room goroutine only.
func (r *Room) Seq() uint64 { return r.seq }

// SetSeq moves the room's seq forward to seq, for modules that persist
// their stream and restore it in OnCreate. It never moves backwards.
// Room goroutine only.
func (r *Room) SetSeq(seq uint64) {
	if seq > r.seq {
		r.seq = seq
	}
}

// Members returns the user ids of the current members, in no particular
// order. Room goroutine only.
func (r *Room) Members() []string {
	out := make([]string, 0, len(r.members))
	for u := range r.members {
		out = append(out, u)
	}
	return out
}

// IsMember reports whether user has at least one session in the room.
// Room goroutine only.
func (r *Room) IsMember(user string) bool { return r.members[user] != nil }

// SessionCount returns how many sessions user has in the room.
// Room goroutine only.
func (r *Room) SessionCount(user string) int {
	if m := r.members[user]; m != nil {
		return len(m.sessions)
	}
	return 0
}

// Kick removes every session of user from the room. Each gets a left frame
// with reason "kicked", and OnLeave runs with LeaveKicked.
// Room goroutine only.
func (r *Room) Kick(user string) {
	m := r.members[user]
	if m == nil {
		return
	}
	sessions := m.sessions
	m.sessions = nil
	for _, s := range sessions {
		r.detach(s, LeaveKicked, true)
	}
	delete(r.members, user)
	r.safe("OnLeave", func() { r.handler.OnLeave(r, user, LeaveKicked) })
	r.scheduleIdle()
}

// Close disposes the room once the current hook returns: members leave
// with LeaveClosed and OnDispose runs with DisposeClosed.
// Room goroutine only.
func (r *Room) Close() { r.closeReason = DisposeClosed }

// encodeEvent encodes one event frame into a new slice of the right size.
// That slice is the only allocation of a broadcast, shared by every
// recipient.
func (r *Room) encodeEvent(seq uint64, event string, raw []byte) []byte {
	return codec.AppendEvent(make([]byte, 0, eventFrameSize(r.id, event, raw)), r.id, seq, event, raw)
}

// eventFrameSize bounds the encoded size of an event frame.
func eventFrameSize(room, event string, raw []byte) int {
	n := len(raw)
	if n == 0 {
		n = 1
	}
	// array header + type + 3 string/int headers of at most 9 bytes each
	return 2 + 9 + len(room) + 9 + 5 + len(event) + n
}

// publish hands an encoded frame to the fanout, or delivers it directly.
func (r *Room) publish(frame []byte) {
	if r.cfg.Fanout != nil {
		r.cfg.Fanout.Publish(r.id, frame)
		return
	}
	for _, m := range r.members {
		for _, s := range m.sessions {
			s.Deliver(frame)
		}
	}
}

// encodeData turns a hook's payload into one encoded msgpack value.
func encodeData(v any) ([]byte, error) {
	switch d := v.(type) {
	case nil:
		return nil, nil
	case []byte:
		return d, nil
	case msgpack.RawMessage:
		return d, nil
	}
	return codec.MarshalData(v)
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}
