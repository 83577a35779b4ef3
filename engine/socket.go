package engine

import (
	"sync"
	"time"

	"github.com/lxzan/gws"
)

// socketHandler receives gws events and passes them to the session.
type socketHandler struct {
	e *Engine
}

func sessionOf(c *gws.Conn) *session {
	v, _ := c.Session().Load(sessionKey)
	s, _ := v.(*session)
	return s
}

func (h *socketHandler) OnOpen(c *gws.Conn) {
	if s := sessionOf(c); s != nil {
		s.open()
	}
}

func (h *socketHandler) OnClose(c *gws.Conn, err error) {
	if s := sessionOf(c); s != nil {
		s.close(err)
	}
}

func (h *socketHandler) OnPing(c *gws.Conn, payload []byte) {
	s := sessionOf(c)
	if s != nil && !s.spend() {
		return // past the rate limit: no pong
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
		// still costs a token, so a pong flood runs out of strikes.
		s.extendDeadline()
		s.spend()
	}
}

func (h *socketHandler) OnMessage(c *gws.Conn, m *gws.Message) {
	defer m.Close()
	s := sessionOf(c)
	if s == nil {
		return
	}
	s.extendDeadline()
	s.lastData.Store(s.lastHeard.Load())
	s.e.presence.touch(s.pres)
	if obs := h.e.obs; obs != nil {
		s.readAt = time.Since(monoBase)
		obs.MessageRead(len(m.Bytes()))
	}
	if m.Opcode != gws.OpcodeBinary {
		s.protocolError(CloseUnsupported, ErrTextMessage)
		return
	}
	s.handleMessage(m.Bytes())
}

// readBufferSize is the size of gws's read buffer, which every connection
// holds for its whole life, busy or idle. gws reads a payload at least
// this large straight into the message, past the buffer, so a small one
// costs only a syscall more when many small frames arrive at once.
// gws's default is 4 KiB.
const readBufferSize = 1 << 10

// sessionSlot is the connection's gws.SessionStorage: it holds one value,
// the *session under sessionKey, where gws's default keeps a map per
// connection.
type sessionSlot struct {
	mu  sync.Mutex
	key string
	val any
	set bool
}

func newSessionSlot() gws.SessionStorage { return &sessionSlot{} }

// Len implements gws.SessionStorage.
func (s *sessionSlot) Len() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.set {
		return 1
	}
	return 0
}

// Load implements gws.SessionStorage.
func (s *sessionSlot) Load(key string) (any, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.set || s.key != key {
		return nil, false
	}
	return s.val, true
}

// Delete implements gws.SessionStorage.
func (s *sessionSlot) Delete(key string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.set && s.key == key {
		s.key, s.val, s.set = "", nil, false
	}
}

// Store implements gws.SessionStorage. The slot holds one key: storing
// another replaces it.
func (s *sessionSlot) Store(key string, value any) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.key, s.val, s.set = key, value, true
}

// Range implements gws.SessionStorage.
func (s *sessionSlot) Range(f func(key string, value any) bool) {
	s.mu.Lock()
	key, val, set := s.key, s.val, s.set
	s.mu.Unlock()
	if set {
		f(key, val)
	}
}
