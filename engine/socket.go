package engine

import (
	"sync/atomic"
	"time"

	"github.com/lxzan/gws"
	"github.com/parlorhq/parlor/codec"
)

// socketHandler receives gws events and passes them to the session.
type socketHandler struct {
	e *Engine
}

func sessionOf(c *gws.Conn) *session {
	if slot, ok := c.Session().(*sessionSlot); ok {
		return slot.s.Load()
	}
	return nil
}

func (h *socketHandler) OnOpen(c *gws.Conn) {
	if s := sessionOf(c); s != nil {
		s.open()
	}
}

// OnClose is the last call of the connection's read loop, started by
// ServeHTTP, and so marks the loop done.
func (h *socketHandler) OnClose(c *gws.Conn, err error) {
	defer h.e.wg.Done()
	if s := sessionOf(c); s != nil {
		s.close(err)
	}
}

func (h *socketHandler) OnPing(c *gws.Conn, payload []byte) {
	s := sessionOf(c)
	if s != nil && !s.spend() {
		return // past the rate limit: no pong
	}
	if s != nil && s.out.isClosed() {
		// Closing: no pong, as for a ping (writePing), since the write
		// side of a lingering connection is shut.
		return
	}
	// The connection's write deadline is whatever the last write set, and
	// may have passed long ago on an idle connection; a pong written
	// under it would fail and gws would drop the connection. Give the
	// pong a deadline of its own.
	_ = c.SetWriteDeadline(time.Now().Add(h.e.cfg.WriteTimeout))
	_ = c.WritePong(payload)
	if s != nil {
		s.extendDeadline()
	}
}

func (h *socketHandler) OnPong(c *gws.Conn, _ []byte) {
	if s := sessionOf(c); s != nil {
		// A pong proves the peer alive even past the rate limit; it
		// still costs a token, so a pong flood runs out of strikes. The
		// heartbeat wheel moves the read deadline (beat): the runtime's
		// timer calls would grow the idle reader's stack for good.
		s.lastHeard.Store(monoNanos(time.Now()))
		s.spend()
	}
}

func (h *socketHandler) OnMessage(c *gws.Conn, m *gws.Message) {
	defer m.Close()
	s := sessionOf(c)
	if s == nil {
		return
	}
	if firstFrameIs(m.Bytes(), codec.TypeSend) {
		// The hot path stays on the reader, which holds its own outbox
		// meanwhile: the ack and the room's event for this connection
		// are queued, then written at once by the reader itself. A
		// writer that still holds the outbox (descheduled after its
		// last write) keeps it: the frames then go out as it takes
		// them, the ack perhaps apart from the event.
		s.out.hold()
		defer s.endMessageHold()
		s.onMessage(m)
		return
	}
	s.handleAside(m)
}

// onMessage handles a data message from the peer.
func (s *session) onMessage(m *gws.Message) {
	s.extendDeadline()
	s.lastData.Store(s.lastHeard.Load())
	s.e.presence.touch(s.pres)
	if obs := s.e.obs; obs != nil {
		s.readAt = time.Since(monoBase)
		obs.MessageRead(len(m.Bytes()))
	}
	if m.Opcode != gws.OpcodeBinary {
		s.protocolError(CloseUnsupported, ErrTextMessage)
		return
	}
	s.handleMessage(m.Bytes())
}

// endMessageHold ends the reader's hold of its outbox for the message it
// handled, unless a frame of the message ended it already (a join or a
// leave, which wait for their room: handleFrame).
func (s *session) endMessageHold() {
	held := s.out.byReader
	s.out.byReader = false
	s.flushHeld(held)
}

// flushHeld writes what was queued while the reader held its outbox
// (held: OnMessage's hold took the writer slot), or hands it to a writer
// (writeHeld). Frames queued by others meanwhile (another room's events)
// waited for the message's handler, and go out with its ack.
//
// When the send went to the mailbox of a busy room instead (handleSend
// set replyHold), the hold waits for its reply: the room goroutine that
// queues the reply writes (deliver), so that the sender's copy of its
// event, the ack and what arrived meanwhile (in a direct conversation,
// the other member's message being stored when the send came) go out as
// one WebSocket message, where they took up to three. handleSend holds
// only for a send with at most the running op ahead of it, and a frame
// that comes to wait behind the hold waits Config.ReplyHold at most
// (up to a quarter more): then the engine's hold queues write what was
// queued, and the reply goes out on its own (replyhold.go). A reply
// queued before the hand-over ends it at once.
func (s *session) flushHeld(held bool) {
	wait := s.replyHold
	s.replyHold = false // it concerns this message only
	if !held {
		return
	}
	if wait {
		tok := s.nextHoldToken()
		s.awaitReply.Store(tok)
		// A close queued meanwhile (a protocol error in the same
		// message, a shutdown) may have found awaitReply still unset:
		// then the hold ends here and writes it, as it does when a
		// reply came first. closeAfterFlush marks the outbox closed
		// before its own attempt to end the hold, so one of the two
		// ends it.
		if s.replies.Load() == s.replyBase && !s.out.isClosed() {
			// The reply's deliver writes, or the hold's time limit,
			// Config.ReplyHold after a frame came to wait behind the
			// hold (replyhold.go): frames queued from here on file it
			// themselves (deliver), and these were queued before.
			if !s.out.empty() {
				s.e.holds.add(s, tok)
			}
			return
		}
		if !s.awaitReply.CompareAndSwap(tok, 0) {
			return // the reply's deliver (or the close) writes
		}
	}
	s.writeHeld()
}

// firstFrameIs reports whether msg starts with a frame of type t: a
// msgpack fixarray whose first element, the type, is a positive fixint.
func firstFrameIs(msg []byte, t codec.Type) bool {
	return len(msg) >= 2 && msg[0]&0xf0 == 0x90 && msg[1] == byte(t)
}

// readBufferSize is the size of gws's read buffer, which every connection
// holds for its whole life, busy or idle. gws reads a payload at least
// this large straight into the message, past the buffer, so a small one
// costs only a syscall more when many small frames arrive at once.
// gws's default is 4 KiB.
const readBufferSize = 1 << 10

// sessionSlot is the connection's gws.SessionStorage. It holds one
// entry, the connection's *session under sessionKey, where gws's default
// keeps a map per connection: 8 bytes, read without a lock by every
// event of the connection (sessionOf). gws itself stores nothing in it;
// a value of any other key or type is not kept.
type sessionSlot struct {
	s atomic.Pointer[session]
}

func newSessionSlot() gws.SessionStorage { return &sessionSlot{} }

// Len implements gws.SessionStorage.
func (s *sessionSlot) Len() int {
	if s.s.Load() != nil {
		return 1
	}
	return 0
}

// Load implements gws.SessionStorage.
func (s *sessionSlot) Load(key string) (any, bool) {
	if key != sessionKey {
		return nil, false
	}
	if v := s.s.Load(); v != nil {
		return v, true
	}
	return nil, false
}

// Delete implements gws.SessionStorage.
func (s *sessionSlot) Delete(key string) {
	if key == sessionKey {
		s.s.Store(nil)
	}
}

// Store implements gws.SessionStorage: it keeps a *session stored under
// sessionKey and ignores anything else.
func (s *sessionSlot) Store(key string, value any) {
	if v, ok := value.(*session); ok && key == sessionKey {
		s.s.Store(v)
	}
}

// Range implements gws.SessionStorage.
func (s *sessionSlot) Range(f func(key string, value any) bool) {
	if v := s.s.Load(); v != nil {
		f(sessionKey, v)
	}
}
