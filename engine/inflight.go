package engine

import (
	"encoding/binary"
	"sync"
	"sync/atomic"
	"time"

	"github.com/parlorhq/parlor/codec"
	"github.com/parlorhq/parlor/room"
)

// Request timing for Config.Observer. A request's answer is queued by the
// room goroutine (a send's reply, a joined frame) or by the session itself
// (an error reply), always through session.Deliver. So the read goroutine
// notes each join, leave and send with its ref and the time its message was
// read, and Deliver, when the connection has requests in flight, peeks at
// the type and ref of each frame it queues to find the answer. Nothing of
// this runs without an Observer.

// inflightSends bounds the sends of one connection timed at once. A client
// with more sends in flight gets them answered as usual; past the bound,
// each new send takes the slot of the oldest, which is then not timed.
const inflightSends = 32

// monoBase is the origin of the request clock: times are kept as
// durations since it, which read the monotonic clock and take 8 bytes.
var monoBase = time.Now()

// inflightReq is one request waiting for its answer.
type inflightReq struct {
	ref    uint64
	kind   string
	start  time.Duration // since monoBase
	typ    codec.Type
	resume bool // a join with an epoch: Observer.Resumed is told its outcome
	used   bool
}

// inflight is a connection's requests waiting for their answer: the join or
// leave the read goroutine is waiting for, and the sends queued to rooms.
type inflight struct {
	n     *atomic.Int32 // requests in flight: the session's pending
	mu    sync.Mutex
	wait  inflightReq // the join or leave; the read goroutine waits for it
	sends [inflightSends]inflightReq
}

// add notes a request; a join or leave takes the waiting slot.
func (in *inflight) add(req inflightReq) {
	req.used = true
	in.mu.Lock()
	defer in.mu.Unlock()
	if req.typ != codec.TypeSend {
		if !in.wait.used {
			in.n.Add(1)
		}
		in.wait = req
		return
	}
	oldest := 0
	for i := range in.sends {
		if !in.sends[i].used {
			in.sends[i] = req
			in.n.Add(1)
			return
		}
		if in.sends[i].start < in.sends[oldest].start {
			oldest = i
		}
	}
	// Every slot is taken: the oldest send gives its slot up (its answer,
	// if it comes, is not timed), so that one never answered cannot keep
	// the connection's later sends from being timed.
	in.sends[oldest] = req
}

// take removes and returns the request that ref answers, preferring the
// join or leave being waited for.
func (in *inflight) take(ref uint64) (inflightReq, bool) {
	in.mu.Lock()
	defer in.mu.Unlock()
	if in.wait.used && in.wait.ref == ref {
		req := in.wait
		in.wait = inflightReq{}
		in.n.Add(-1)
		return req, true
	}
	for i := range in.sends {
		if in.sends[i].used && in.sends[i].ref == ref {
			req := in.sends[i]
			in.sends[i] = inflightReq{}
			in.n.Add(-1)
			return req, true
		}
	}
	return inflightReq{}, false
}

// track notes request f of a room of kind, when the engine has an
// Observer. Call it before the request can be answered. It runs on the
// read goroutine, which alone sets s.inflight: a connection that sends no
// request never allocates one. Deliver reads it only once pending, which
// add increments after, is non-zero.
func (s *session) track(f *codec.Frame, kind string) {
	if s.e.obs == nil {
		return
	}
	if s.inflight == nil {
		s.inflight = &inflight{n: &s.pending}
	}
	s.inflight.add(inflightReq{ref: f.Ref, kind: kind, typ: f.Type, resume: f.Type == codec.TypeJoin && f.Epoch != "", start: s.readAt})
}

// moduleKind is m's kind, or "" for no module.
func moduleKind(m room.Module) string {
	if m == nil {
		return ""
	}
	return m.Kind()
}

// roomKind is r's kind, or "" for no room.
func roomKind(r *room.Room) string {
	if r == nil {
		return ""
	}
	return r.Kind()
}

// requestKind is the kind of the room a send or leave names: r's when it
// runs here, else that of h, the membership of a room another node owns;
// "" for neither.
func requestKind(r *room.Room, h *remoteHandle) string {
	if r == nil && h != nil {
		return h.kind
	}
	return roomKind(r)
}

// untrack forgets the send ref, which gets no answer on this connection
// (the client sends it again after its rejoin, under a new ref), so that
// its slot is free for the next one. Any goroutine may call it: s.inflight
// is read only once pending is non-zero, as Deliver reads it.
func (s *session) untrack(ref uint64) {
	if s.e.obs == nil || s.pending.Load() == 0 {
		return
	}
	s.inflight.take(ref)
}

// answered is called by Deliver, with an Observer, for every frame queued
// to a connection that has requests in flight: if frame answers one, the
// Observer is told.
func (s *session) answered(frame []byte) {
	// Server frames are fixed arrays whose second byte is the type and
	// whose third starts the ref of replies and joined frames.
	if len(frame) < 4 {
		return
	}
	t := codec.Type(frame[1])
	if t != codec.TypeReply && t != codec.TypeJoined {
		return
	}
	ref, n := peekUint(frame[2:])
	if n == 0 {
		return
	}
	req, ok := s.inflight.take(ref)
	if !ok {
		return
	}
	// A reply's code follows the ref; the empty string (0xa0) is success.
	// A joined frame ends with its recovered flag.
	success := t == codec.TypeJoined || (2+n < len(frame) && frame[2+n] == 0xa0)
	obs := s.e.obs
	obs.RequestDone(req.kind, req.typ, success, time.Since(monoBase)-req.start)
	if req.resume {
		outcome := ResumeRefused
		if t == codec.TypeJoined {
			outcome = ResumeNotRecovered
			if frame[len(frame)-1] == 0xc3 {
				outcome = ResumeRecovered
			}
		}
		obs.Resumed(req.kind, outcome)
	}
}

// peekUint reads the msgpack unsigned integer at the start of b and
// returns it with its encoded length, or n 0 when b starts with none.
func peekUint(b []byte) (v uint64, n int) {
	if len(b) == 0 {
		return 0, 0
	}
	switch c := b[0]; {
	case c < 0x80:
		return uint64(c), 1
	case c == 0xcc && len(b) >= 2:
		return uint64(b[1]), 2
	case c == 0xcd && len(b) >= 3:
		return uint64(binary.BigEndian.Uint16(b[1:])), 3
	case c == 0xce && len(b) >= 5:
		return uint64(binary.BigEndian.Uint32(b[1:])), 5
	case c == 0xcf && len(b) >= 9:
		return binary.BigEndian.Uint64(b[1:]), 9
	}
	return 0, 0
}

// observeWritten tells the Observer about a message written to the
// client: its frames, bytes, the outbox then, and its frames by type.
func (s *session) observeWritten(obs Observer, batch [][]byte, size, queued int) {
	obs.MessageWritten(len(batch), size, queued)
	// Count runs of one type: a batch is usually all events.
	var run codec.Type
	n := 0
	for _, f := range batch {
		t := codec.Type(0)
		if len(f) > 1 {
			t = codec.Type(f[1])
		}
		if t != run && n > 0 {
			obs.FramesWritten(run, n)
			n = 0
		}
		run = t
		n++
	}
	if n > 0 {
		obs.FramesWritten(run, n)
	}
}
