package games

import (
	"errors"
	"slices"

	"github.com/parlorhq/parlor/codec"
	"github.com/parlorhq/parlor/room"
)

// OnMessage handles the events of a match room (see EventMove and the
// others). What an event changes is stored before the reply.
func (h *match) OnMessage(r *room.Room, m *room.Message) (any, error) {
	reply, err := h.onMessage(r, m)
	if !h.flush(r, nil) {
		return nil, ErrNotSaved
	}
	return reply, err
}

func (h *match) onMessage(r *room.Room, m *room.Message) (any, error) {
	if m.Event == EventLog {
		return h.onLog(m)
	}
	seat, ok := h.seatOf[m.User]
	if !ok {
		switch m.Event {
		case EventMove, EventResign, EventOfferDraw, EventAcceptDraw, EventDeclineDraw, EventRematch, EventCancel:
			return nil, codec.Errorf(CodeNotPlayer, "spectators cannot %s", m.Event)
		}
		return nil, room.ErrUnknownEvent
	}
	if m.Event != EventMove {
		if err := noPayload(m.Data); err != nil {
			return nil, err
		}
	}
	switch m.Event {
	case EventMove:
		return h.onMove(r, seat, m)
	case EventResign:
		if err := h.playing(); err != nil {
			return nil, err
		}
		h.finish(r, forfeit(h.state, h.seats, seat, ReasonResignation))
		return nil, nil
	case EventOfferDraw:
		return nil, h.onOfferDraw(r, seat)
	case EventAcceptDraw:
		return nil, h.onAcceptDraw(r, seat)
	case EventDeclineDraw:
		return nil, h.onDeclineDraw(r, seat)
	case EventRematch:
		return h.onRematch(r, seat)
	case EventCancel:
		return nil, h.cancel(r, m.User)
	}
	return nil, room.ErrUnknownEvent
}

// playing returns nil while the match is being played, or the error for
// acting before it starts or after it ends.
func (h *match) playing() error {
	switch h.status {
	case StatusWaiting:
		return codec.Errorf(codec.CodeConflict, "the match has not started")
	case StatusOver:
		return codec.Errorf(CodeGameOver, "the match is over")
	}
	return nil
}

// onMove applies one move: turn and ply checks, the flag, the game's
// rules, then the clocks, the log and the broadcasts.
func (h *match) onMove(r *room.Room, seat int, m *room.Message) (any, error) {
	if reply, ok := h.resent(seat, m.ClientMsgID); ok {
		return reply, nil // a resend of a move stored before a restart
	}
	if err := h.playing(); err != nil {
		return nil, err
	}
	move, ply, err := h.m.decodeMove(m.Data)
	if err != nil {
		return nil, err
	}
	if h.state.Turn() != seat {
		return nil, codec.Errorf(CodeNotYourTurn, "it is seat %d's turn", h.state.Turn())
	}
	if ply != nil && *ply != h.ply {
		return nil, codec.Errorf(codec.CodeConflict, "the move is for ply %d, the match is at ply %d", *ply, h.ply)
	}
	now := r.Now()
	if h.flagFallen(seat, now) {
		h.finish(r, forfeit(h.state, h.seats, seat, ReasonTimeout))
		return nil, codec.Errorf(CodeGameOver, "your flag fell")
	}
	next, err := h.state.Apply(seat, move)
	if err != nil {
		return nil, moveError(err)
	}
	if next == nil {
		return nil, codec.Errorf(codec.CodeInternal, "game returned no state")
	}
	h.chargeMove(seat, now)
	h.m.cfg.Ledger.moved(m.User)
	h.state = next
	h.ply++
	if obs := h.m.cfg.Observer; obs != nil {
		obs.Moved(h.m.kind)
	}
	h.log = append(h.log, LoggedMove{Seat: seat, Move: move, At: now, AtMS: now.UnixMilli()})
	if h.drawBy >= 0 && h.drawBy != seat {
		h.clearDraw() // moving on declines the opponent's offer
	}
	res := next.Result()
	turn := next.Turn()
	if res != nil {
		turn = -1
		stopTimer(&h.flag)
	} else {
		h.armFlag(r)
	}
	moved := Moved{Seat: seat, Move: move, Ply: h.ply, Turn: turn, Clocks: h.clocksMS(now)}
	if h.m.hidden {
		moved.Move = nilValue
	}
	if e := h.emit(r, EventMoved, moved); e != nil {
		e.Move, e.ClientMsgID = move, m.ClientMsgID // for a rebuild, and resends
	}
	h.lastMove[seat] = sentMove{cmid: m.ClientMsgID, ply: h.ply}
	h.broadcastState(r)
	if res != nil {
		h.finish(r, *res)
	} else {
		h.noticeTurn(r)
	}
	// A resend of this move (same client message id) is answered by the
	// room's send dedup with this reply, without reaching OnMessage.
	return MoveReply{Ply: h.ply}, nil
}

// moveError turns a failed Apply into the error the mover sees: coded
// errors as they are, anything else as illegal_move.
func moveError(err error) error {
	var ce *codec.Error
	if errors.As(err, &ce) {
		return ce
	}
	return codec.Errorf(CodeIllegalMove, "%v", err)
}

// clearDraw withdraws the pending draw offer.
func (h *match) clearDraw() {
	h.drawBy = -1
	h.drawAccepted = nil
}

// onOfferDraw offers a draw, or agrees to the pending one.
func (h *match) onOfferDraw(r *room.Room, seat int) error {
	if err := h.playing(); err != nil {
		return err
	}
	switch {
	case h.drawBy == seat:
		return codec.Errorf(codec.CodeConflict, "you already offered a draw")
	case h.drawBy >= 0:
		return h.onAcceptDraw(r, seat)
	}
	h.drawBy = seat
	h.drawAccepted = make([]bool, h.seats)
	h.drawAccepted[seat] = true
	h.emit(r, EventDrawOffered, SeatEvent{Seat: seat})
	return nil
}

// onAcceptDraw agrees to the pending draw; once every seat has, the match
// is drawn by agreement.
func (h *match) onAcceptDraw(r *room.Room, seat int) error {
	if err := h.playing(); err != nil {
		return err
	}
	switch {
	case h.drawBy < 0:
		return codec.Errorf(codec.CodeConflict, "no draw offer is pending")
	case h.drawBy == seat:
		return codec.Errorf(codec.CodeConflict, "you offered the draw")
	}
	h.drawAccepted[seat] = true
	if !slices.Contains(h.drawAccepted, false) {
		h.finish(r, Result{Winner: -1, Reason: ReasonAgreement})
	}
	return nil
}

// onDeclineDraw declines the pending draw offer.
func (h *match) onDeclineDraw(r *room.Room, seat int) error {
	if err := h.playing(); err != nil {
		return err
	}
	switch {
	case h.drawBy < 0:
		return codec.Errorf(codec.CodeConflict, "no draw offer is pending")
	case h.drawBy == seat:
		return codec.Errorf(codec.CodeConflict, "you offered the draw")
	}
	h.clearDraw()
	h.emit(r, EventDrawDeclined, SeatEvent{Seat: seat})
	return nil
}

// onRematch records a seat's wish for a rematch. Once every seat has
// asked, the rematch's JoinParams are broadcast (and returned to each
// later asker).
func (h *match) onRematch(r *room.Room, seat int) (any, error) {
	if h.status != StatusOver {
		return nil, codec.Errorf(codec.CodeConflict, "the match is not over")
	}
	if h.rematch != nil {
		return h.rematch, nil
	}
	if h.rematchVotes == nil {
		h.rematchVotes = make([]bool, h.seats)
	}
	if h.rematchVotes[seat] {
		return nil, nil
	}
	h.rematchVotes[seat] = true
	if slices.Contains(h.rematchVotes, false) {
		h.emit(r, EventRematchOffered, SeatEvent{Seat: seat})
		return nil, nil
	}
	// Rotate the seats: for two players, colours swap.
	seats := append(slices.Clone(h.players[1:]), h.players[0])
	h.rematch = &Rematch{Seats: seats, Nonce: h.m.newArrangedNonce(seats, r.Now())}
	h.emit(r, EventRematchReady, h.rematch)
	return h.rematch, nil
}

// onLog returns the move log from the requested ply on.
func (h *match) onLog(m *room.Message) (any, error) {
	var req LogRequest
	if err := decodeStrict(m.Data, &req); err != nil {
		return nil, err
	}
	if h.m.hidden && h.status != StatusOver {
		return nil, codec.Errorf(codec.CodeForbidden, "moves are private until the match is over")
	}
	if req.From < 0 || req.From > len(h.log) {
		return nil, codec.Errorf(codec.CodeBadRequest, "from must be 0 to %d", len(h.log))
	}
	return LogReply{Moves: h.log[req.From:]}, nil
}
