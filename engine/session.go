package engine

import (
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
	"go.uber.org/zap/zapcore"
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
	log  sessionLog
	// pending counts the requests in flight, timed for Config.Observer
	// (always 0 without one). It sits beside out, which Deliver touches
	// anyway, so that checking it costs no extra cache line.
	pending atomic.Int32
	// sock is the socket's descriptor, for the wheel's writability poll
	// before it writes a ping itself (heartbeat.go); -1 when unknown. It
	// fills the padding before out.
	sock int32
	out  outbox
	// cred names the credential the connection was opened with
	// (Config.Credential). It is read and written under the user's
	// userConns lock once the session is registered.
	cred string

	// Read goroutine only. handleSend sets replyHold when its send went
	// to the room's mailbox and no reply was queued since replyBase, the
	// count of replies before the send; replyRef is the send's ref (its
	// low 32 bits) and holdGen numbers the reader's holds (replyhold.go).
	// They fill the padding after connected.
	connected bool
	replyHold bool
	holdGen   uint16
	replyRef  uint32
	limiter   *rate.Limiter
	strikes   *rate.Limiter
	names     codec.Interner // room ids and event names of sends

	// connFlags holds connFlag bits, set by the read goroutine at connect
	// and read by any goroutine.
	connFlags   atomic.Uint32
	closed      atomic.Bool
	lastHeard   atomic.Int64 // monoNanos of the last frame from the peer
	lastData    atomic.Int64 // monoNanos of the last data message, or of the upgrade
	deadlineSet atomic.Int64 // monoNanos when the read deadline was last moved
	pingSent    atomic.Int64 // monoNanos of the last ping
	// inHandler is set while the reader runs a room's OnMessage inline
	// (room.Room.SendInline); the pong check waits for it (heartbeat.go).
	inHandler atomic.Bool
	// replies counts the replies queued to the connection. awaitReply is
	// the hold's token while the reader's hold of the outbox waits for
	// the reply to a send it queued to a busy room, 0 otherwise: the
	// hold's generation and the send's ref (replyhold.go). The goroutine
	// that queues that reply, or the hold's time limit, takes the token
	// back and writes (flushHeld, deliver).
	replies    atomic.Uint32
	awaitReply atomic.Uint64
	// replyBase is read goroutine only (see replyHold).
	replyBase uint32
	// closeSent is the first close code the server sent, for
	// Config.Observer.
	closeSent atomic.Uint32
	// The heartbeat wheel's (heartbeatwheel.go): the shard, set once by
	// open; the rest under the shard's lock. beatDue is the earliest of
	// the deadlines that follow it (monoNanos; 0: none armed), beatSlot
	// and beatIdx where the session is filed (beatIdx -1: nowhere).
	beatShard  *beatShard
	beatSlot   int32
	beatIdx    int32
	beatDue    int64
	connectDue int64
	pingDue    int64
	pongDue    int64

	roomsMu sync.Mutex
	// rooms holds the local rooms joined, at most MaxRoomsPerConn and
	// mostly one or two: a slice searched by id costs 8 bytes a room,
	// where a map costs about 250 bytes for the first.
	rooms []*room.Room
	// remote holds the rooms owned by other nodes of a cluster
	// (remote.go); nil without a cluster.
	remote map[string]*remoteHandle
	// userSub is this session's hold on its user's cluster topic
	// (clusteruser.go); nil without a cluster.
	userSub *userSub

	// pres is the user's presence, counted from the upgrade to close.
	pres *presenceEntry

	// For Config.Observer only: the requests in flight (nil until the
	// first; pending counts them), when the message being handled was
	// read, since monoBase (both read goroutine only).
	inflight *inflight
	readAt   time.Duration

	// deadlineAt is when the writer last moved the write deadline. Only
	// the running writer touches it; the outbox lock orders one writer
	// run after the previous one. It outlives a run because a writer run
	// drains one burst of frames, and moving the deadline (a poller call)
	// on every run cost more than the batching saved.
	// It is kept since monoBase (0: no deadline armed by the writer).
	deadlineAt time.Duration
}

func newSession(e *Engine, conn *gws.Conn, user, cred string) *session {
	var idb [16]byte
	_, _ = rand.Read(idb[:])
	s := &session{
		e:    e,
		id:   base64.RawURLEncoding.EncodeToString(idb[:]),
		user: user,
		cred: cred,
		conn: conn,
		sock: -1, // until open
	}
	s.out.limit = e.cfg.OutboxBytes
	if e.cluster != nil {
		s.remote = make(map[string]*remoteHandle)
	}
	s.lastData.Store(monoNanos(time.Now()))
	s.log = sessionLog{s}
	s.pres = e.presence.connect(user)
	if e.cfg.RateLimit > 0 {
		s.limiter = rate.NewLimiter(rate.Limit(e.cfg.RateLimit), e.cfg.RateBurst)
		s.strikes = rate.NewLimiter(1, e.cfg.RateStrikes)
	}
	return s
}

// sessionLog logs for one session, adding its user and connection id to
// each entry. It holds only the session, so an idle connection keeps no
// logger of its own (a zap.Logger with the two fields costs about 200
// bytes even when built lazily). The zero sessionLog logs nothing.
type sessionLog struct{ s *session }

// Debug logs at debug level.
func (l sessionLog) Debug(msg string, fields ...zap.Field) { l.write(zap.DebugLevel, msg, fields) }

// Info logs at info level.
func (l sessionLog) Info(msg string, fields ...zap.Field) { l.write(zap.InfoLevel, msg, fields) }

// Warn logs at warn level.
func (l sessionLog) Warn(msg string, fields ...zap.Field) { l.write(zap.WarnLevel, msg, fields) }

// Error logs at error level.
func (l sessionLog) Error(msg string, fields ...zap.Field) { l.write(zap.ErrorLevel, msg, fields) }

func (l sessionLog) write(lvl zapcore.Level, msg string, fields []zap.Field) {
	if l.s == nil || l.s.e == nil || l.s.e.log == nil {
		return
	}
	ce := l.s.e.log.Check(lvl, msg)
	if ce == nil {
		return
	}
	all := make([]zap.Field, 0, 2+len(fields))
	all = append(all, zap.String("user", l.s.user), zap.String("conn", l.s.id))
	ce.Write(append(all, fields...)...)
}

// ID implements room.Session.
func (s *session) ID() string { return s.id }

// UserID implements room.Session.
func (s *session) UserID() string { return s.user }

// Deliver implements room.Session: it queues frames without blocking and
// closes the connection with 4008 when the outbox overflows. A reply goes
// to one connection only, so when no writer holds the outbox the caller
// writes it itself if that cannot block (writeHeld); anything else,
// which may be one delivery of a large fan-out, is handed to a writer.
func (s *session) Deliver(frames []byte) bool {
	reply := firstFrameIs(frames, codec.TypeReply)
	return s.deliver(frames, reply, reply)
}

// deliverDirect is Deliver for a delivery to a small room (hub.go): the
// caller writes it itself when it can (writeHeld), as it does a reply.
func (s *session) deliverDirect(frames []byte) bool { return s.deliver(frames, true, false) }

// deliver queues frames; with direct, a caller that starts the outbox's
// writer writes them itself when that cannot block. A reply also ends a
// hold that waits for one (flushHeld): its caller writes what the hold
// kept queued, the reply last.
func (s *session) deliver(frames []byte, direct, reply bool) bool {
	if s.pending.Load() != 0 {
		s.answered(frames)
	}
	res := s.out.push(frames)
	if reply {
		s.replies.Add(1) // after the push: whoever sees it finds the reply queued
	}
	switch res {
	case pushStart:
		if direct {
			s.writeHeld()
		} else {
			s.startWriter()
		}
		return true
	case pushQueued, pushFirst:
		tok := s.awaitReply.Load()
		switch {
		case tok == 0:
		case !reply || !holdAnswers(tok, frames):
			// A frame behind a hold that waits for a reply: the hold
			// ends Config.ReplyHold from now, unless the reply ends it
			// first (replyhold.go). (A late reply to an earlier send,
			// whose own hold has ended, is such a frame too.) Only the
			// first frame behind it files the hold: the frames queued
			// before it were written, or filed it already (here, or
			// flushHeld for those queued before the hold waited).
			if res == pushFirst {
				s.e.holds.add(s, tok)
			}
		case s.awaitReply.CompareAndSwap(tok, 0):
			// Only the reply the hold waits for ends it.
			s.writeHeld()
		}
		return true
	case pushOverflow:
		s.log.Info("slow consumer closed", zap.Int("limit", s.out.limit))
		if obs := s.e.obs; obs != nil {
			obs.SlowConsumer()
		}
		s.abort(CloseSlowConsumer, "slow consumer")
	}
	return false
}

// RoomJoined implements room.Session.
func (s *session) RoomJoined(r *room.Room) {
	s.roomsMu.Lock()
	if i := s.roomIndex(r.ID()); i >= 0 {
		s.rooms[i] = r // a room of that id that replaced an older one
	} else {
		s.rooms = append(s.rooms, r)
	}
	s.roomsMu.Unlock()
}

// RoomLeft implements room.Session.
func (s *session) RoomLeft(r *room.Room, reason room.LeaveReason) {
	telling := false
	s.roomsMu.Lock()
	if i := s.roomIndex(r.ID()); i >= 0 && s.rooms[i] == r {
		last := len(s.rooms) - 1
		s.rooms[i] = s.rooms[last]
		s.rooms[last] = nil
		s.rooms = s.rooms[:last]
		if last == 0 {
			s.rooms = nil // an idle connection that left keeps no array
		}
		if s.e.cluster != nil && s.lost(reason) && s.movesInPlace() {
			s.beginMove()
			telling = true
		}
	}
	s.roomsMu.Unlock()
	if s.e.cluster != nil {
		s.roomMoved(r.ID(), reason)
	}
	if telling {
		s.endMove()
	}
}

func (s *session) room(id string) *room.Room {
	s.roomsMu.Lock()
	defer s.roomsMu.Unlock()
	if i := s.roomIndex(id); i >= 0 {
		return s.rooms[i]
	}
	return nil
}

// roomIndex returns the index of the room id in s.rooms, or -1. The
// caller holds roomsMu.
func (s *session) roomIndex(id string) int {
	for i, r := range s.rooms {
		if r.ID() == id {
			return i
		}
	}
	return -1
}

func (s *session) roomCount() int {
	s.roomsMu.Lock()
	defer s.roomsMu.Unlock()
	return len(s.rooms) + len(s.remote)
}

// writeLoop drains the outbox, one WebSocket message per batch, and sends
// a pending close frame at the end. It runs on a writer goroutine
// (writers.go).
func (s *session) writeLoop() {
	// The batch slice is reused across writer runs; the outbox hands it
	// over under its lock (next keeps it when the writer stops).
	batch := s.out.takeSpare()
	for {
		var size int
		var code uint16
		var reason string
		batch, size, code, reason = s.out.next(batch[:0], maxBatchFrames, maxBatchBytes)
		if len(batch) == 0 {
			if code != 0 {
				s.closeLingering(code, reason)
			}
			return
		}
		err := s.writeBatch(batch, size)
		clear(batch)
		s.out.written(size)
		if err != nil {
			s.out.kill()
			return
		}
	}
}

// writeBatch writes batch (size bytes) as one WebSocket message and
// tells the observer. It moves the write deadline only when it has aged,
// not per batch.
func (s *session) writeBatch(batch [][]byte, size int) error {
	if now := time.Now(); s.deadlineAt == 0 || now.Sub(monoBase)-s.deadlineAt > s.e.cfg.WriteTimeout/4 {
		s.deadlineAt = now.Sub(monoBase)
		_ = s.conn.SetWriteDeadline(now.Add(s.e.cfg.WriteTimeout))
	}
	err := s.conn.Writev(gws.OpcodeBinary, batch...)
	if obs := s.e.obs; obs != nil && err == nil {
		s.observeWritten(obs, batch, size, s.out.queuedAtTake)
	}
	return err
}

// closeAfterFlush closes the connection with code once queued frames are
// written.
func (s *session) closeAfterFlush(code uint16, reason string) {
	s.closeSent.CompareAndSwap(0, uint32(code))
	if s.out.closeAfterFlush(code, reason) || s.awaitReply.Swap(0) != 0 {
		// A hold waiting for a reply is ended too: the close does not
		// wait for the room.
		s.startWriter()
	}
}

// abort closes the connection with code now, dropping queued frames. It
// never blocks the caller, which may be a room goroutine.
func (s *session) abort(code uint16, reason string) {
	s.closeSent.CompareAndSwap(0, uint32(code))
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

// close runs when the connection has closed, with the error that ended
// its read loop: it leaves every room and releases the user's connection
// slot.
func (s *session) close(cause error) {
	if !s.closed.CompareAndSwap(false, true) {
		return
	}
	if obs := s.e.obs; obs != nil {
		obs.Disconnected(s.closeCode(cause))
	}
	s.out.kill()
	s.e.beats.remove(s)
	s.roomsMu.Lock()
	rooms := append([]*room.Room(nil), s.rooms...)
	s.roomsMu.Unlock()
	for _, r := range rooms {
		r.Disconnect(s)
	}
	if s.e.cluster != nil {
		s.leaveRemoteRooms()
		s.e.unstall(s)
		s.e.releaseUserSub(s.userSub)
	}
	s.e.releaseConn(s.user, s)
	s.e.presence.disconnect(s.pres)
	s.e.sessions.update(s.id, func(m map[string]*session) { delete(m, s.id) })
}
