package engine

import (
	"math/rand/v2"
	"time"
)

// The heartbeat: the server pings every HeartbeatInterval and closes a
// connection that has sent nothing, not even a pong, for HeartbeatTimeout
// after a ping. A read deadline three and a half heartbeats away is the
// backstop.
// The deadlines live in the heartbeat wheel (heartbeatwheel.go), which
// calls beat when one comes due and then writes the due pings itself
// (ping, below) when that cannot block it; otherwise a parked writer
// (writers.go) writes the ping, so a connection that blocks its writes
// holds up nobody else's heartbeat.

// extendDeadline records that the peer was heard from and pushes the read
// deadline out. The deadline is only a backstop (readBackstop); the pong
// check below closes silent peers first, with a clear close code.
func (s *session) extendDeadline() {
	now := time.Now()
	s.lastHeard.Store(monoNanos(now))
	s.pushDeadline(now)
}

// monoNanos is t in nanoseconds since monoBase, on the monotonic clock.
// The heartbeat's times and deadlines (beat, the wheel) and the sessions'
// activity times use it, not the wall clock, which an NTP step or a VM
// restored from a snapshot moves back or forth: stepped back a minute, it
// would stop every ping and pong check for that minute.
func monoNanos(t time.Time) int64 { return int64(t.Sub(monoBase)) }

// readBackstop is how far past the moment it is moved the read deadline
// lies: three and a half heartbeats and the timeout. The wheel moves it
// at a ping only when it was last moved an interval and a half ago or
// more, so every other ping of an idle connection (a timer in the
// runtime's heap moved per call), and it still lies an interval and the
// timeout past the latest ping that may move it.
func (s *session) readBackstop() time.Duration {
	return 3*s.e.cfg.HeartbeatInterval + s.e.cfg.HeartbeatInterval/2 + s.e.cfg.HeartbeatTimeout
}

// pushDeadline moves the read deadline readBackstop past now, unless it
// was moved recently. The reader also calls it after running a room's
// handler inline: time it spent there is no silence of the peer, and a
// deadline that passed meanwhile would fail the next read even with data
// waiting.
func (s *session) pushDeadline(now time.Time) {
	// 0 is never: the deadline open set (the handshake's) is moved by the
	// first call, whenever it comes.
	if set := s.deadlineSet.Load(); set != 0 && monoNanos(now)-set < int64(s.e.cfg.HeartbeatInterval/4) {
		return // moved recently enough
	}
	s.deadlineSet.Store(monoNanos(now))
	_ = s.conn.SetReadDeadline(now.Add(s.readBackstop()))
}

// open arms the handshake timeout and the heartbeat. The first ping
// comes at a random point of the second half of the first interval, so
// that connections opened together (a reconnect storm after a restart)
// are not pinged together, then every HeartbeatInterval.
func (s *session) open() {
	now := time.Now()
	_ = s.conn.SetReadDeadline(now.Add(s.e.cfg.HandshakeTimeout + s.e.cfg.HeartbeatTimeout))
	n := monoNanos(now)
	interval := int64(s.e.cfg.HeartbeatInterval)
	s.connectDue = n + int64(s.e.cfg.HandshakeTimeout)
	s.pingDue = n + interval - rand.Int64N(interval/2+1)
	s.beatDue = min(s.connectDue, s.pingDue)
	s.sock = socketFD(s.conn.NetConn())
	s.e.beats.add(s)
}

// beat runs when one of the session's heartbeat deadlines has come: the
// handshake timeout, the pong check and the next ping. It returns the
// next deadline, or keep false once the session needs no more, and
// whether a ping is due: the wheel writes it (ping) once it has let go
// of its shard's lock. The wheel calls beat under that lock, so it never
// blocks: closing is handed to another goroutine.
func (s *session) beat(now int64) (next int64, keep, ping bool) {
	if s.closed.Load() {
		return 0, false, false
	}
	cfg := &s.e.cfg
	if s.connectDue != 0 && now >= s.connectDue {
		s.connectDue = 0
		if !s.isConnected() {
			s.protocolError(ClosePolicy, ErrConnectTimeout)
		}
	}
	if s.pongDue != 0 && now >= s.pongDue {
		s.pongDue = 0
		if !s.checkPong(now) {
			return 0, false, false
		}
	}
	if now >= s.pingDue {
		// While a ping is unanswered, its pong check stays armed:
		// re-arming it with every ping would put it off forever when
		// HeartbeatTimeout is not shorter than HeartbeatInterval.
		if s.lastHeard.Load() >= s.pingSent.Load() {
			sent := monoNanos(time.Now())
			s.pingSent.Store(sent)
			s.pongDue = sent + int64(cfg.HeartbeatTimeout)
		}
		// Keep the schedule: the next ping is due an interval after this
		// one was, not after the tick that sent it, which may be late.
		// A peer heard from since the read deadline last moved (a pong
		// moves nothing itself: socket.go) gets it moved here, when it
		// was moved an interval and a half ago or more (readBackstop).
		if set := s.deadlineSet.Load(); s.lastHeard.Load() > set && now-set >= int64(cfg.HeartbeatInterval)*3/2 {
			s.pushDeadline(time.Now())
		}
		s.pingDue += int64(cfg.HeartbeatInterval)
		if s.pingDue <= now {
			s.pingDue = now + int64(cfg.HeartbeatInterval)
		}
		ping = true
	}
	next = s.pingDue
	if s.connectDue != 0 {
		next = min(next, s.connectDue)
	}
	if s.pongDue != 0 {
		next = min(next, s.pongDue)
	}
	return next, true, ping
}

// checkPong closes the connection with CloseHeartbeatTimeout when nothing,
// not even a pong, arrived since the last ping, HeartbeatTimeout ago. It
// reports whether the connection stays open.
func (s *session) checkPong(now int64) bool {
	timeout := int64(s.e.cfg.HeartbeatTimeout)
	if s.inHandler.Load() {
		// The reader is running a room's handler inline, so a pong that
		// arrived meanwhile is not read yet: a slow OnMessage (a store
		// that takes its time) must not pass for a silent peer. Check
		// again later.
		s.pongDue = now + timeout
		return true
	}
	sent := s.pingSent.Load()
	if s.lastHeard.Load() < sent && now-sent >= timeout {
		s.log.Info("heartbeat timeout")
		s.abort(CloseHeartbeatTimeout, "heartbeat timeout")
		return false
	}
	return true
}

// ping writes a heartbeat ping to s from the wheel's goroutine. When no
// writer holds the outbox and the socket has room for the ping (writable,
// a poll that does not wait), the wheel writes it itself: no goroutine is
// woken for it, and it cannot land inside a batch, since the outbox's
// writer slot is held meanwhile (frames queued then are written after
// it). Otherwise a writer writes it (startPing), as it would any frame,
// and the wheel goes on.
func (s *session) ping() {
	if s.closed.Load() {
		return
	}
	if !s.out.claim() {
		s.startPing() // a writer runs, or the connection is closing
		return
	}
	direct := writable(s.sock)
	if direct {
		s.writePing()
		// No deadline is left armed: on an idle connection it would fire
		// long after the ping, a timer and a wake-up for nothing. The
		// writer sets its own at its next run (writeLoop).
		_ = s.conn.SetWriteDeadline(time.Time{})
		s.deadlineAt = 0
	}
	if s.out.release() {
		s.startWriter()
	}
	if !direct {
		s.startPing()
	}
}

// writePing writes a WebSocket ping, with a write deadline of its own:
// the one the last write set may have passed long ago on an idle
// connection. The wheel runs it (ping) or a parked writer (startPing).
func (s *session) writePing() {
	if s.closed.Load() || s.out.isClosed() {
		// Closed, or closing: a connection that lingers after its close
		// frame has its write side shut (closeLingering), and a write
		// there fails and makes gws close the socket at once.
		return
	}
	_ = s.conn.SetWriteDeadline(time.Now().Add(s.e.cfg.WriteTimeout))
	_ = s.conn.WritePing(nil)
}
