package engine

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/lxzan/gws"
	"github.com/parlorhq/parlor/codec"
	"github.com/parlorhq/parlor/room"
	"go.uber.org/zap"
	"golang.org/x/time/rate"
)

const (
	sessionKey = "parlor.session"
	// maxBatchFrames and maxBatchBytes bound one server-to-client message.
	maxBatchFrames = 64
	maxBatchBytes  = 256 << 10
	// closeGrace bounds how long closing a stuck connection may take.
	closeGrace = 200 * time.Millisecond
)

// session is one client connection. Its frames are handled on the gws read
// goroutine, one message at a time; rooms reach it through the room.Session
// methods from their own goroutines.
type session struct {
	e    *Engine
	id   string
	user string
	conn *gws.Conn
	log  *zap.Logger
	out  outbox

	// Read goroutine only.
	connected bool
	limiter   *rate.Limiter
	strikes   *rate.Limiter

	connectedFlag atomic.Bool
	closed        atomic.Bool
	timerMu       sync.Mutex
	pingTimer     *time.Timer
	pongTimer     *time.Timer
	connectTimer  *time.Timer
	lastHeard     atomic.Int64 // unix nanos of the last frame from the peer
	deadlineSet   atomic.Int64 // unix nanos when the read deadline was last moved
	pingSent      atomic.Int64 // unix nanos of the last ping

	roomsMu sync.Mutex
	rooms   map[string]*room.Room
}

func newSession(e *Engine, conn *gws.Conn, user string) *session {
	var idb [16]byte
	_, _ = rand.Read(idb[:])
	s := &session{
		e:     e,
		id:    base64.RawURLEncoding.EncodeToString(idb[:]),
		user:  user,
		conn:  conn,
		rooms: make(map[string]*room.Room),
	}
	s.out.limit = e.cfg.OutboxBytes
	s.log = e.log.With(zap.String("user", user), zap.String("conn", s.id))
	if e.cfg.RateLimit > 0 {
		s.limiter = rate.NewLimiter(rate.Limit(e.cfg.RateLimit), e.cfg.RateBurst)
		s.strikes = rate.NewLimiter(1, e.cfg.RateStrikes)
	}
	return s
}

// ID implements room.Session.
func (s *session) ID() string { return s.id }

// UserID implements room.Session.
func (s *session) UserID() string { return s.user }

// Deliver implements room.Session: it queues frames without blocking and
// closes the connection with 4008 when the outbox overflows.
func (s *session) Deliver(frames []byte) bool {
	switch s.out.push(frames) {
	case pushStart:
		s.startWriter()
		return true
	case pushQueued:
		return true
	case pushOverflow:
		s.log.Info("slow consumer closed", zap.Int("limit", s.out.limit))
		s.abort(CloseSlowConsumer, "slow consumer")
	}
	return false
}

// RoomJoined implements room.Session.
func (s *session) RoomJoined(r *room.Room) {
	s.roomsMu.Lock()
	s.rooms[r.ID()] = r
	s.roomsMu.Unlock()
}

// RoomLeft implements room.Session.
func (s *session) RoomLeft(r *room.Room, _ room.LeaveReason) {
	s.roomsMu.Lock()
	if s.rooms[r.ID()] == r {
		delete(s.rooms, r.ID())
	}
	s.roomsMu.Unlock()
}

func (s *session) room(id string) *room.Room {
	s.roomsMu.Lock()
	defer s.roomsMu.Unlock()
	return s.rooms[id]
}

func (s *session) roomCount() int {
	s.roomsMu.Lock()
	defer s.roomsMu.Unlock()
	return len(s.rooms)
}

func (s *session) startWriter() {
	s.e.wg.Add(1)
	go s.writeLoop()
}

// writeLoop drains the outbox, one WebSocket message per batch, and sends
// a pending close frame at the end.
func (s *session) writeLoop() {
	defer s.e.wg.Done()
	// The batch slice is reused across writer runs; the outbox hands it
	// over under its lock (next keeps it when the writer stops).
	batch := s.out.takeSpare()
	var deadlineAt time.Time
	for {
		var size int
		var code uint16
		var reason string
		batch, size, code, reason = s.out.next(batch[:0], maxBatchFrames, maxBatchBytes)
		if len(batch) == 0 {
			if code != 0 {
				_ = s.conn.SetWriteDeadline(time.Now().Add(s.e.cfg.WriteTimeout))
				_ = s.conn.WriteClose(code, []byte(reason))
			}
			return
		}
		// Move the write deadline only when it has aged, not per batch.
		if now := time.Now(); now.Sub(deadlineAt) > s.e.cfg.WriteTimeout/4 {
			deadlineAt = now
			_ = s.conn.SetWriteDeadline(now.Add(s.e.cfg.WriteTimeout))
		}
		err := s.conn.Writev(gws.OpcodeBinary, batch...)
		clear(batch)
		s.out.written(size)
		if err != nil {
			s.out.kill()
			return
		}
	}
}

// closeAfterFlush closes the connection with code once queued frames are
// written.
func (s *session) closeAfterFlush(code uint16, reason string) {
	if s.out.closeAfterFlush(code, reason) {
		s.startWriter()
	}
}

// abort closes the connection with code now, dropping queued frames. It
// never blocks the caller, which may be a room goroutine.
func (s *session) abort(code uint16, reason string) {
	s.out.kill()
	s.e.wg.Add(1)
	go func() {
		defer s.e.wg.Done()
		if code == CloseSlowConsumer {
			// The peer is not reading: discard what the kernel still
			// holds for it and reset the connection, rather than keep an
			// orphaned send buffer (up to megabytes) until TCP gives up.
			if tc, ok := s.conn.NetConn().(*net.TCPConn); ok {
				_ = tc.SetLinger(0)
			}
		}
		_ = s.conn.SetWriteDeadline(time.Now().Add(closeGrace))
		_ = s.conn.WriteClose(code, []byte(reason))
		_ = s.conn.NetConn().Close()
	}()
}

// drop closes the TCP connection at once.
func (s *session) drop() {
	s.out.kill()
	_ = s.conn.NetConn().Close()
}

// sendFrame queues a frame the session itself produced.
func (s *session) sendFrame(frame []byte) { s.Deliver(frame) }

func (s *session) reply(ref uint64, err error) {
	if err == nil {
		s.sendFrame(codec.AppendReply(make([]byte, 0, 16), ref, "", "", nil))
		return
	}
	ce := codec.AsError(err)
	s.sendFrame(codec.AppendReply(make([]byte, 0, 24+len(ce.Message)), ref, ce.Code, ce.Message, nil))
}

// protocolError tells the client what was wrong and closes the connection.
func (s *session) protocolError(code uint16, err error) {
	ce := codec.AsError(err)
	s.log.Debug("protocol error", zap.String("code", string(ce.Code)), zap.String("reason", ce.Message))
	s.sendFrame(codec.AppendError(nil, ce.Code, ce.Message))
	s.closeAfterFlush(code, ce.Message)
}

// extendDeadline records that the peer was heard from and pushes the read
// deadline out. The deadline is only a backstop two heartbeats away; the
// pong check below closes silent peers first, with a clear close code.
func (s *session) extendDeadline() {
	now := time.Now()
	s.lastHeard.Store(now.UnixNano())
	if now.UnixNano()-s.deadlineSet.Load() < int64(s.e.cfg.HeartbeatInterval/4) {
		return // moved recently enough
	}
	s.deadlineSet.Store(now.UnixNano())
	_ = s.conn.SetReadDeadline(now.Add(2*s.e.cfg.HeartbeatInterval + s.e.cfg.HeartbeatTimeout))
}

// open starts the connect timer and the heartbeat.
func (s *session) open() {
	_ = s.conn.SetReadDeadline(time.Now().Add(s.e.cfg.HandshakeTimeout + s.e.cfg.HeartbeatTimeout))
	s.timerMu.Lock()
	defer s.timerMu.Unlock()
	s.connectTimer = time.AfterFunc(s.e.cfg.HandshakeTimeout, func() {
		if !s.connectedFlag.Load() {
			s.protocolError(ClosePolicy, &codec.Error{Code: codec.CodeUnauthorized, Message: "no connect frame in time"})
		}
	})
	s.pingTimer = time.AfterFunc(s.e.cfg.HeartbeatInterval, s.ping)
	s.pongTimer = time.AfterFunc(time.Hour, s.checkPong)
	s.pongTimer.Stop()
}

// ping sends a WebSocket ping and arms the pong check.
func (s *session) ping() {
	if s.closed.Load() {
		return
	}
	// While a ping is unanswered, its pong check stays armed: re-arming
	// it with every ping would put it off forever when HeartbeatTimeout
	// is not shorter than HeartbeatInterval.
	outstanding := s.lastHeard.Load() < s.pingSent.Load()
	if !outstanding {
		s.pingSent.Store(time.Now().UnixNano())
	}
	_ = s.conn.SetWriteDeadline(time.Now().Add(s.e.cfg.WriteTimeout))
	if err := s.conn.WritePing(nil); err != nil {
		return
	}
	s.timerMu.Lock()
	defer s.timerMu.Unlock()
	if !s.closed.Load() {
		if !outstanding {
			s.pongTimer.Reset(s.e.cfg.HeartbeatTimeout)
		}
		s.pingTimer.Reset(s.e.cfg.HeartbeatInterval)
	}
}

// checkPong closes the connection with CloseHeartbeatTimeout when nothing,
// not even a pong, arrived since the last ping.
func (s *session) checkPong() {
	if s.closed.Load() {
		return
	}
	sent := s.pingSent.Load()
	// A newer ping may have gone out since this check was armed; it gets
	// its own check.
	if s.lastHeard.Load() < sent && time.Now().UnixNano()-sent >= int64(s.e.cfg.HeartbeatTimeout) {
		s.log.Info("heartbeat timeout")
		s.abort(CloseHeartbeatTimeout, "heartbeat timeout")
	}
}

// close runs when the connection has closed: it leaves every room and
// releases the user's connection slot.
func (s *session) close() {
	if !s.closed.CompareAndSwap(false, true) {
		return
	}
	s.out.kill()
	s.timerMu.Lock()
	if s.pingTimer != nil {
		s.pingTimer.Stop()
		s.pongTimer.Stop()
	}
	if s.connectTimer != nil {
		s.connectTimer.Stop()
	}
	s.timerMu.Unlock()
	s.roomsMu.Lock()
	rooms := make([]*room.Room, 0, len(s.rooms))
	for _, r := range s.rooms {
		rooms = append(rooms, r)
	}
	s.roomsMu.Unlock()
	for _, r := range rooms {
		r.Disconnect(s)
	}
	s.e.releaseConn(s.user)
	s.e.sessions.update(s.id, func(m map[string]*session) { delete(m, s.id) })
}

// handleMessage decodes one client message and handles its frames.
func (s *session) handleMessage(msg []byte) {
	err := codec.DecodeMessage(msg, s.e.cfg.MaxFramesPerMessage, s.handleFrame)
	if err != nil && !s.closed.Load() {
		code := CloseMalformed
		if errIsPolicy(err) {
			code = ClosePolicy
		}
		s.protocolError(code, err)
	}
}

// errIsPolicy reports errors that close with 1008 rather than 1007.
func errIsPolicy(err error) bool { return err == error(errConnectFirst) }

var (
	errConnectFirst = &codec.Error{Code: codec.CodeUnauthorized, Message: "connect frame required first"}
	errServerFrame  = &codec.Error{Code: codec.CodeBadRequest, Message: "frame type not accepted from clients"}
	errNotJoined    = &codec.Error{Code: codec.CodeForbidden, Message: "not joined to that room"}
	errNoEvent      = &codec.Error{Code: codec.CodeBadRequest, Message: "event name required"}
	errUnknownKind  = &codec.Error{Code: codec.CodeNotFound, Message: "unknown room kind"}
	errTooManyRooms = &codec.Error{Code: codec.CodeTooMany, Message: "too many rooms on this connection"}
	errRateLimited  = &codec.Error{Code: codec.CodeRateLimited, Message: "rate limit exceeded"}
	errDupConnect   = &codec.Error{Code: codec.CodeConflict, Message: "already connected"}
	errShutdown     = &codec.Error{Code: codec.CodeUnavailable, Message: "server shutting down"}
)

// handleFrame handles one decoded frame. Request errors become replies; a
// returned error is a protocol violation that closes the connection.
func (s *session) handleFrame(f *codec.Frame) error {
	if s.closed.Load() || s.out.isClosed() {
		return nil // closing: frames still in flight are ignored
	}
	if s.limiter != nil && !s.limiter.Allow() {
		if !s.strikes.Allow() {
			s.log.Info("rate limit abuse closed")
			s.closeAfterFlush(CloseRateLimited, "rate limit exceeded")
			return nil
		}
		if f.Type == codec.TypeConnect || f.Type == codec.TypeJoin || f.Type == codec.TypeLeave || f.Type == codec.TypeSend {
			s.reply(f.Ref, errRateLimited)
		}
		return nil
	}
	if !s.connected {
		if f.Type != codec.TypeConnect {
			return errConnectFirst
		}
		s.connected = true
		s.connectedFlag.Store(true)
		s.extendDeadline()
		hb := uint32(s.e.cfg.HeartbeatInterval / time.Millisecond)
		resumed := false
		if f.Token != "" {
			if old, ok := s.e.verifyResumeToken(s.user, f.Token); ok {
				resumed = true
				s.e.takeOver(s.user, old, s)
			}
		}
		token := s.e.resumeToken(s.user, s.id)
		s.sendFrame(codec.AppendConnected(make([]byte, 0, 80+len(s.user)+len(token)), f.Ref, s.id, s.user, hb, token, resumed))
		return nil
	}
	switch f.Type {
	case codec.TypeConnect:
		s.reply(f.Ref, errDupConnect)
	case codec.TypeJoin:
		s.handleJoin(f)
	case codec.TypeLeave:
		s.handleLeave(f)
	case codec.TypeSend:
		s.handleSend(f)
	default:
		return errServerFrame
	}
	return nil
}

func (s *session) handleJoin(f *codec.Frame) {
	if s.e.shutting.Load() {
		s.reply(f.Ref, errShutdown)
		return
	}
	m := s.e.module(f.Kind)
	if m == nil {
		s.reply(f.Ref, errUnknownKind)
		return
	}
	params := clone(f.Params)
	ctx, cancel := context.WithTimeout(s.e.ctx, s.e.cfg.JoinTimeout)
	defer cancel()
	id, err := s.resolve(ctx, m, f.Kind, params)
	if err == nil && (id == "" || len(id) > codec.MaxIDLen) {
		s.log.Error("module resolved an invalid room id", zap.String("kind", f.Kind), zap.Int("len", len(id)))
		err = room.ErrPanic
	}
	// A rejoin of a room this connection is already in adds no room.
	if err == nil && s.room(id) == nil && s.roomCount() >= s.e.cfg.MaxRoomsPerConn {
		err = errTooManyRooms
	}
	for attempt := 0; err == nil; attempt++ {
		var r *room.Room
		r, err = s.e.roomFor(id, f.Kind, m)
		if err != nil {
			break
		}
		if r.Kind() != f.Kind {
			err = &codec.Error{Code: codec.CodeNotFound, Message: "no such room of that kind"}
			break
		}
		err = r.JoinFrom(ctx, s, f.Ref, params, f.Epoch, f.Seq)
		if err != room.ErrClosed || attempt == 2 {
			break
		}
		// The room is stopping. It leaves the registry before Done is
		// closed, so once it is done the next attempt gets a fresh room.
		select {
		case <-r.Done():
			err = nil
		case <-ctx.Done():
			err = ctx.Err()
		}
	}
	if err != nil {
		if err == context.DeadlineExceeded || err == context.Canceled {
			err = &codec.Error{Code: codec.CodeUnavailable, Message: "join timed out"}
		}
		s.reply(f.Ref, err)
	}
}

// resolve calls the module's Resolve, turning a panic into an error.
func (s *session) resolve(ctx context.Context, m room.Module, kind string, params []byte) (id string, err error) {
	defer func() {
		if v := recover(); v != nil {
			s.log.Error("panic in Resolve", zap.String("kind", kind), zap.Any("panic", v), zap.Stack("stack"))
			err = room.ErrPanic
		}
	}()
	return m.Resolve(ctx, room.NewResolveRequest(kind, s.e.secret, s.user, params))
}

func (s *session) handleLeave(f *codec.Frame) {
	r := s.room(f.Room)
	if r == nil {
		s.reply(f.Ref, errNotJoined)
		return
	}
	ctx, cancel := context.WithTimeout(s.e.ctx, s.e.cfg.JoinTimeout)
	defer cancel()
	err := r.Leave(ctx, s)
	if err == room.ErrClosed {
		err = nil // the room is gone, and so is the membership
	}
	s.reply(f.Ref, err)
}

func (s *session) handleSend(f *codec.Frame) {
	r := s.room(f.Room)
	if r == nil {
		s.reply(f.Ref, errNotJoined)
		return
	}
	if f.Event == "" {
		s.reply(f.Ref, errNoEvent)
		return
	}
	if err := r.Send(s, f.Ref, f.Event, clone(f.Data), f.ClientMsgID); err != nil {
		s.reply(f.Ref, err)
	}
}

// clone copies b, which aliases a pooled read buffer.
func clone(b []byte) []byte {
	if len(b) == 0 {
		return nil
	}
	return append([]byte(nil), b...)
}
