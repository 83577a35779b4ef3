package engine

import (
	"context"
	"errors"
	"time"

	"github.com/parlorhq/parlor/codec"
	"github.com/parlorhq/parlor/room"
	"go.uber.org/zap"
)

// handleMessage decodes one client message and handles its frames.
func (s *session) handleMessage(msg []byte) {
	err := codec.DecodeMessageInterned(msg, s.e.cfg.MaxFramesPerMessage, &s.names, s.handleFrame)
	if err != nil && !s.closed.Load() {
		code := CloseMalformed
		if errIsPolicy(err) {
			code = ClosePolicy
		}
		s.protocolError(code, err)
	}
}

// handleFrame handles one decoded frame. Request errors become replies; a
// returned error is a protocol violation that closes the connection.
func (s *session) handleFrame(f *codec.Frame) error {
	if s.closed.Load() || s.out.isClosed() {
		return nil // closing: frames still in flight are ignored
	}
	if obs := s.e.obs; obs != nil {
		obs.FrameRead(f.Type)
	}
	if !s.spend() {
		// A request is answered, unless the strikes ran out and the
		// connection is closing.
		if !s.out.isClosed() && (f.Type == codec.TypeConnect || f.Type == codec.TypeJoin || f.Type == codec.TypeLeave || f.Type == codec.TypeSend) {
			s.reply(f.Ref, ErrRateLimited)
		}
		return nil
	}
	if !s.connected {
		if f.Type != codec.TypeConnect {
			return ErrConnectFirst
		}
		s.connected = true
		flags := connFlagConnected
		if f.Features&codec.FeatureRoomMoves != 0 {
			flags |= connFlagRoomMoves
		}
		s.connFlags.Store(flags)
		s.extendDeadline()
		hb := uint32(s.e.cfg.HeartbeatInterval / time.Millisecond)
		resumed := false
		if f.Token != "" {
			if old, ok := s.e.verifyResumeToken(s.user, f.Token); ok {
				resumed = true
				s.e.takeOver(s.user, old, s)
			}
		}
		// A connection admitted over the user's limit makes room now
		// that it is known whether it took over one of its own.
		s.e.settleConn(s)
		if s.e.cluster != nil {
			s.userSub = s.e.holdUserSub(s.user)
		}
		token := s.e.resumeToken(s.user, s.id)
		s.sendFrame(codec.AppendConnected(make([]byte, 0, 80+len(s.user)+len(token)), f.Ref, s.id, s.user, hb, token, resumed))
		return nil
	}
	switch f.Type {
	case codec.TypeConnect:
		s.reply(f.Ref, ErrDupConnect)
	case codec.TypeJoin:
		s.endMessageHold() // a join waits for its room: write what is queued first
		s.waitRoom(f, s.handleJoin)
	case codec.TypeLeave:
		s.endMessageHold()
		s.waitRoom(f, s.handleLeave)
	case codec.TypeSend:
		s.handleSend(f)
	default:
		return ErrServerFrame
	}
	return nil
}

// waitRoom runs a join or a leave, which holds the reader until its room
// answers: pongs that arrive meanwhile are not read, so the pong check
// must wait (inHandler), and the read deadline is moved afterwards, as
// for a send run inline (handleSend).
func (s *session) waitRoom(f *codec.Frame, handle func(*codec.Frame)) {
	s.inHandler.Store(true)
	defer func() {
		s.inHandler.Store(false)
		s.pushDeadline(time.Now())
	}()
	handle(f)
}

func (s *session) handleJoin(f *codec.Frame) {
	m := s.e.module(f.Kind)
	s.track(f, moduleKind(m))
	if s.e.shutting.Load() {
		s.reply(f.Ref, ErrShutdown)
		return
	}
	if m == nil {
		s.reply(f.Ref, ErrUnknownKind)
		return
	}
	params := clone(f.Params)
	ctx, cancel := context.WithTimeout(s.e.opsCtx, s.e.cfg.JoinTimeout)
	defer cancel()
	id, err := s.resolve(ctx, m, f.Kind, params)
	if err == nil && (id == "" || len(id) > codec.MaxIDLen) {
		s.log.Error("module resolved an invalid room id", zap.String("kind", f.Kind), zap.Int("len", len(id)))
		err = room.ErrPanic
	}
	// A rejoin of a room this connection is already in adds no room.
	if err == nil && s.room(id) == nil && (s.remote == nil || s.remoteRoom(id) == nil) && s.roomCount() >= s.e.cfg.MaxRoomsPerConn {
		err = ErrTooManyRooms
	}
	if err == nil && s.e.cluster != nil {
		err = s.joinCluster(ctx, f, m, id, params)
		if err != nil {
			s.reply(f.Ref, waitErr(err, ErrJoinTimeout))
		}
		return
	}
	for attempt := 0; err == nil; attempt++ {
		var r *room.Room
		r, err = s.e.roomFor(id, f.Kind, m, s.user)
		if err != nil {
			break
		}
		if r.Kind() != f.Kind {
			err = ErrWrongKind
			break
		}
		err = r.JoinFrom(ctx, s, f.Ref, params, f.Epoch, f.Seq)
		if !errors.Is(err, room.ErrClosed) || attempt == 2 {
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
		s.reply(f.Ref, waitErr(err, ErrJoinTimeout))
	}
}

// waitErr is the error a client sees for a request whose wait for a room
// ended with err: timeout when the request's deadline passed, ErrShutdown
// when the engine stopped waiting to shut down, otherwise err itself.
func waitErr(err, timeout error) error {
	switch {
	case errors.Is(err, context.DeadlineExceeded):
		return timeout
	case errors.Is(err, context.Canceled):
		return ErrShutdown
	}
	return err
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
	var h *remoteHandle
	if r == nil && s.remote != nil {
		h = s.remoteRoom(f.Room)
	}
	s.track(f, requestKind(r, h))
	if h != nil {
		s.leaveRemote(h, f.Ref)
		return
	}
	if r == nil {
		s.reply(f.Ref, ErrNotJoined)
		return
	}
	ctx, cancel := context.WithTimeout(s.e.opsCtx, s.e.cfg.JoinTimeout)
	defer cancel()
	err := r.Leave(ctx, s)
	if errors.Is(err, room.ErrClosed) {
		err = nil // the room is gone, and so is the membership
	}
	s.reply(f.Ref, waitErr(err, ErrLeaveTimeout))
}

// handleSend runs a send frame. While the engine shuts down, a send to a
// room that stopped or is stopping for the shutdown gets no answer, where
// it would otherwise be refused (ErrNotJoined once the session is out of
// the room, room.ErrClosed while the room stops): Shutdown closes every
// session with CloseGoingAway once the rooms have stopped, and a client
// that resumes writes the send again, with its client message id, to
// whichever node runs the room next, so that a rolling deploy shows the
// application no refusal. A client that does not reconnect sees the send
// fail with the connection, as any request written just before a close.
func (s *session) handleSend(f *codec.Frame) {
	s.replyHold = false
	r := s.room(f.Room)
	var h *remoteHandle
	if r == nil && s.remote != nil {
		h = s.remoteRoom(f.Room)
	}
	s.track(f, requestKind(r, h))
	if r == nil && h == nil {
		if s.e.shutting.Load() {
			// Its room stopped for the shutdown, or it was never
			// joined: left unanswered, as said above.
			s.untrack(f.Ref)
			return
		}
		err := s.notJoinedErr(f.Room)
		if err == ErrNotJoined && s.moveBeingTold() {
			// Perhaps a send of the room whose left frame is being
			// queued, written before the client knew: its answer must not
			// overtake that frame (beginMove).
			s.untrack(f.Ref)
			return
		}
		s.reply(f.Ref, err)
		return
	}
	if f.Event == "" {
		s.reply(f.Ref, ErrNoEvent)
		return
	}
	if h != nil {
		s.sendRemote(h, f)
		return
	}
	s.inHandler.Store(true)
	base := s.replies.Load()
	err := r.SendInline(s, f.Ref, f.Event, clone(f.Data), f.ClientMsgID)
	s.inHandler.Store(false)
	// A send that ran inline was answered; one queued to the mailbox with
	// at most the running op ahead of it lets the reader's hold wait for
	// its reply (flushHeld).
	// A room that stopped meanwhile may never run the op (it can land in
	// the mailbox after the last drain), so it gets no hold.
	// A negative Config.ReplyHold turns the hold off.
	s.replyHold = err == nil && s.e.cfg.ReplyHold > 0 && s.replies.Load() == base && r.MailboxLen() <= 1 && !stopped(r.Done())
	s.replyBase = base
	s.replyRef = uint32(f.Ref)
	s.pushDeadline(time.Now())
	if err != nil {
		if errors.Is(err, room.ErrClosed) && s.e.shutting.Load() {
			return // the room stops for the shutdown: as said above
		}
		s.reply(f.Ref, err)
		return
	}
	if obs := s.e.obs; obs != nil {
		obs.MailboxDepth(r.Kind(), r.MailboxLen())
	}
}

// clone copies b, which aliases a pooled read buffer.
func clone(b []byte) []byte {
	if len(b) == 0 {
		return nil
	}
	return append([]byte(nil), b...)
}

// stopped reports whether done, a room's Done channel, is closed.
func stopped(done <-chan struct{}) bool {
	select {
	case <-done:
		return true
	default:
		return false
	}
}
