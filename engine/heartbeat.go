package engine

import "time"

// The heartbeat: the server pings every HeartbeatInterval and closes a
// connection that has sent nothing, not even a pong, for HeartbeatTimeout
// after a ping. A read deadline two heartbeats away is the backstop.

// extendDeadline records that the peer was heard from and pushes the read
// deadline out. The deadline is only a backstop two heartbeats away; the
// pong check below closes silent peers first, with a clear close code.
func (s *session) extendDeadline() {
	now := time.Now()
	s.lastHeard.Store(now.UnixNano())
	s.pushDeadline(now)
}

// pushDeadline moves the read deadline two heartbeats past now, unless it
// was moved recently. The reader also calls it after running a room's
// handler inline: time it spent there is no silence of the peer, and a
// deadline that passed meanwhile would fail the next read even with data
// waiting.
func (s *session) pushDeadline(now time.Time) {
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
			s.protocolError(ClosePolicy, ErrConnectTimeout)
		}
		// Its work is done: a long-lived connection keeps two timers,
		// not three.
		s.timerMu.Lock()
		s.connectTimer = nil
		s.timerMu.Unlock()
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
	if s.inHandler.Load() {
		// The reader is running a room's handler inline, so a pong that
		// arrived meanwhile is not read yet: a slow OnMessage (a store
		// that takes its time) must not pass for a silent peer. Check
		// again later.
		s.timerMu.Lock()
		if !s.closed.Load() {
			s.pongTimer.Reset(s.e.cfg.HeartbeatTimeout)
		}
		s.timerMu.Unlock()
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
