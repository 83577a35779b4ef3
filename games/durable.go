package games

import (
	"context"
	"errors"
	"fmt"
	"time"

	"go.uber.org/zap"

	"github.com/parlorhq/parlor/codec"
	"github.com/parlorhq/parlor/room"
)

// Durable matches. With Config.Store set, a match room's ordered stream is
// its log: every ordered event is queued by emit, and flush writes the
// queued events to the store in one Write before broadcasting them. The
// handlers flush before they reply, so a move is stored, with the clocks
// as they stand after it, before the mover gets its reply, and nobody
// sees an event the store does not have. A room rebuilt from its log
// (restore) takes the log's epoch and seq, so clients resume it with the
// ordinary join with epoch and since, and Replay sends what they missed.

// StoreTimeout bounds each call a match room makes to Config.Store.
const StoreTimeout = 5 * time.Second

// ErrNotSaved is the error a client gets when the store refused or failed
// a write: nothing of the request was broadcast and the match room
// closes, so that its members rejoin and find the match as stored.
var ErrNotSaved = &codec.Error{Code: codec.CodeUnavailable, Message: "games: the match could not be saved; rejoin"}

// sentMove is the last move a seat sent: its client message id and the
// ply it made, for resends after a restart.
type sentMove struct {
	cmid string
	ply  int
}

// storeCtx returns the context of one store call.
func storeCtx() (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.Background(), StoreTimeout)
}

// emit queues an ordered event for the next flush and returns its entry,
// valid until the next emit, or nil if data does not encode.
func (h *match) emit(r *room.Room, event string, data any) *Entry {
	raw, err := codec.MarshalData(data)
	if err != nil {
		r.Logger().Error("games: encode event", zap.String("event", event), zap.Error(err))
		return nil
	}
	seq := r.Seq() + uint64(len(h.pending)) + 1
	h.pending = append(h.pending, Entry{Seq: seq, Event: event, Data: raw, At: r.Now().UnixMilli()})
	return &h.pending[len(h.pending)-1]
}

// flush writes the queued events, and fin if the match just finished, to
// the store, then broadcasts the events, with the private views of a
// position in their place among them (broadcastState). It reports false
// if the write failed: then nothing is broadcast, the room is closed,
// and the room takes no more writes (its members rejoin and the match is
// rebuilt from the store).
func (h *match) flush(r *room.Room, fin *FinishedGame) bool {
	if h.broken {
		h.pending, h.private = h.pending[:0], nil
		return false
	}
	if len(h.pending) == 0 && fin == nil {
		h.sendPrivate(r)
		return true
	}
	if st := h.m.cfg.Store; st != nil && h.stored {
		ctx, cancel := storeCtx()
		err := st.Append(ctx, Write{Match: h.id, Entries: h.pending, Finished: fin})
		cancel()
		if err != nil {
			h.fail(r, "append", err)
			return false
		}
	}
	for i := range h.pending {
		if h.private != nil && h.private.at == i {
			h.sendPrivate(r)
		}
		e := &h.pending[i]
		if seq := r.BroadcastRaw(e.Event, e.Data); seq != e.Seq {
			r.Logger().Error("games: event seq moved", zap.Uint64("want", e.Seq), zap.Uint64("got", seq))
		}
		*e = Entry{}
	}
	h.pending = h.pending[:0]
	h.sendPrivate(r)
	return true
}

// fail gives up on a room whose store write failed.
func (h *match) fail(r *room.Room, op string, err error) {
	h.broken = true
	h.pending, h.private = h.pending[:0], nil
	lvl := zap.ErrorLevel
	if errors.Is(err, ErrSeqConflict) {
		lvl = zap.WarnLevel // another owner wrote: this room is stale
	}
	r.Logger().Log(lvl, "games: store "+op+" failed; closing the match room", zap.String("room", h.id), zap.Error(err))
	h.stopTimers()
	if errors.Is(err, ErrSeqConflict) {
		// Another node owns the match now. Shutdown, not Close: members
		// leave with reason shutdown, so that clients keep the room and
		// join it again where it runs next.
		r.Shutdown()
		return
	}
	r.Close()
}

// create stores a new match's record, once its players are seated, as
// created at h.created (Unix ms).
func (h *match) create(r *room.Room) error {
	st := h.m.cfg.Store
	if st == nil {
		return nil
	}
	ctx, cancel := storeCtx()
	defer cancel()
	err := st.Create(ctx, MatchInfo{
		ID:          h.id,
		Kind:        h.m.kind,
		Players:     h.players,
		Creator:     h.creator,
		Nonce:       h.nonce,
		Epoch:       r.Epoch(),
		Start:       h.state.Key(),
		TimeControl: h.tc,
		Created:     h.created,
	})
	if err != nil {
		r.Logger().Error("games: store create", zap.String("room", h.id), zap.Error(err))
		return ErrNotSaved
	}
	h.stored = true
	return nil
}

// load rebuilds the match from the store, if it is stored.
func (h *match) load(r *room.Room) error {
	st := h.m.cfg.Store
	if st == nil {
		return nil
	}
	ctx, cancel := storeCtx()
	info, log, err := st.Load(ctx, h.id)
	cancel()
	if errors.Is(err, ErrNotFound) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("games: load match %s: %w", h.id, err)
	}
	return h.restore(r, info, log)
}

// restore rebuilds the match from its record and log: the log's moves
// replayed through the game's Apply from Setup, and the offers, result and
// clocks as the log left them. The room takes the stored epoch and seq.
//
// Clocks: the seat to move resumes from the time it had left when the
// last stored event happened, counted from the first join of one of its
// players, so the time the match was not running is charged to nobody.
// Disconnect grace starts again then for every seat not joined: a
// spectator's look at a match nobody came back to changes nothing (the
// match is unclaimed until then). A log that ends with a move that
// finished the game but not with its game_over (written apart by an
// earlier version, for a game with private views) ends the match as the
// move did.
func (h *match) restore(r *room.Room, info MatchInfo, log []Entry) error {
	if info.Kind != h.m.kind {
		return fmt.Errorf("games: match %s is %s, not %s", h.id, info.Kind, h.m.kind)
	}
	if start := h.state.Key(); info.Start != start {
		return fmt.Errorf("games: match %s started from %q, the game sets up %q", h.id, info.Start, start)
	}
	if len(info.Players) != h.seats {
		return fmt.Errorf("games: match %s has %d players for %d seats", h.id, len(info.Players), h.seats)
	}
	h.tc = info.TimeControl
	h.seatPlayers(info.Players)
	h.creator, h.nonce, h.created = info.Creator, info.Nonce, info.Created
	h.stored = true
	// The record does not say whether the server arranged the match; a
	// nonce signed with Config.Secret does (arrangedRecord). Any other
	// rebuilt match counts as a challenge, so its outcome is still told.
	h.challenge = !h.m.arrangedRecord(info)
	for i := range log {
		if err := h.replay(&log[i]); err != nil {
			return fmt.Errorf("games: rebuild match %s at seq %d: %w", h.id, log[i].Seq, err)
		}
	}
	r.SetEpoch(info.Epoch)
	if n := len(log); n > 0 {
		r.SetSeq(log[n-1].Seq)
	}
	now := r.Now()
	switch h.status {
	case StatusWaiting:
		if h.m.restored.take(h.id) != nil {
			// The counts RestoreChallenges made are the room's now.
			h.challengeOpen = true
			h.counted[h.seatOf[h.creator]] = true
		}
		if deadline := h.m.challengeDeadline(info); !deadline.IsZero() {
			h.armStartTimeout(r, max(deadline.Sub(now), 0))
		}
	case StatusPlaying:
		h.turnStart = now
		if res := h.state.Result(); res != nil {
			h.end(r, *res)
			break
		}
		h.unclaimed = true
	}
	return nil
}

// claim starts the clocks and the grace periods of a match rebuilt while
// being played, at the first join of one of its players (restore): the
// seat to move resumes its clock from now, and every seat not present
// has the grace period to come back.
func (h *match) claim(r *room.Room) {
	if !h.unclaimed {
		return
	}
	h.unclaimed = false
	if h.status != StatusPlaying {
		return
	}
	h.turnStart = r.Now()
	h.armFlag(r)
	for seat := range h.seats {
		if !h.present[seat] {
			h.armGrace(r, seat)
		}
	}
}

// replay applies one stored event to the match being rebuilt.
func (h *match) replay(e *Entry) error {
	at := time.UnixMilli(e.At)
	switch e.Event {
	case EventStarted:
		var p Started
		if err := codec.UnmarshalData(e.Data, &p); err != nil {
			return err
		}
		h.status, h.started = StatusPlaying, at
		h.setClocks(p.Clocks)
	case EventMoved:
		var p Moved
		if err := codec.UnmarshalData(e.Data, &p); err != nil {
			return err
		}
		if p.Seat < 0 || p.Seat >= h.seats {
			return fmt.Errorf("seat %d out of range", p.Seat)
		}
		next, err := h.state.Apply(p.Seat, e.Move)
		if err != nil {
			return err
		}
		h.state = next
		h.ply++
		h.log = append(h.log, LoggedMove{Seat: p.Seat, Move: e.Move, At: at, AtMS: e.At})
		h.lastMove[p.Seat] = sentMove{cmid: e.ClientMsgID, ply: h.ply}
		h.setClocks(p.Clocks)
		if h.drawBy >= 0 && h.drawBy != p.Seat {
			h.clearDraw()
		}
	case EventGameOver:
		var p GameOver
		if err := codec.UnmarshalData(e.Data, &p); err != nil {
			return err
		}
		h.status, h.ended = StatusOver, at
		h.result = &Result{Winner: p.Winner, Reason: p.Reason}
		h.setClocks(p.Clocks)
		h.clearDraw()
	case EventDrawOffered:
		var p SeatEvent
		if err := codec.UnmarshalData(e.Data, &p); err != nil {
			return err
		}
		h.drawBy = p.Seat
		h.drawAccepted = make([]bool, h.seats)
		if p.Seat >= 0 && p.Seat < h.seats {
			h.drawAccepted[p.Seat] = true
		}
	case EventDrawDeclined:
		h.clearDraw()
	case EventRematchOffered:
		var p SeatEvent
		if err := codec.UnmarshalData(e.Data, &p); err != nil {
			return err
		}
		if h.rematchVotes == nil {
			h.rematchVotes = make([]bool, h.seats)
		}
		if p.Seat >= 0 && p.Seat < h.seats {
			h.rematchVotes[p.Seat] = true
		}
	case EventRematchReady:
		var p Rematch
		if err := codec.UnmarshalData(e.Data, &p); err != nil {
			return err
		}
		h.rematch = &p
	case EventPlayerLeft, EventPlayerBack:
		var p Presence
		if err := codec.UnmarshalData(e.Data, &p); err != nil {
			return err
		}
		if p.Seat >= 0 && p.Seat < h.seats {
			if h.presenceStored == nil {
				h.presenceStored = make([]int, h.seats)
			}
			h.presenceStored[p.Seat]++
		}
	}
	return nil
}

// setClocks sets the remaining times from a stored event's clocks (ms).
func (h *match) setClocks(ms []int64) {
	if !h.timed() || len(ms) != h.seats {
		return
	}
	h.remaining = make([]time.Duration, h.seats)
	for i, v := range ms {
		h.remaining[i] = time.Duration(v) * time.Millisecond
	}
}

// resent returns the reply to a move seat already made with client
// message id cmid, if it is the seat's last move.
func (h *match) resent(seat int, cmid string) (MoveReply, bool) {
	if cmid == "" || h.lastMove == nil || h.lastMove[seat].cmid != cmid {
		return MoveReply{}, false
	}
	return MoveReply{Ply: h.lastMove[seat].ply}, true
}

// Replay implements room.Replayer: a client that resumes after missing
// more than the room's replay buffer holds (after a restart, it holds
// nothing) gets the missed events from the store, as they were
// broadcast. At most Config.ReplayLimit events are replayed.
func (h *match) Replay(r *room.Room, since uint64, emit func(seq uint64, event string, data []byte)) bool {
	st := h.m.cfg.Store
	head := r.Seq()
	if st == nil || !h.stored || since >= head {
		return since == head
	}
	missed := head - since
	if limit := h.m.cfg.ReplayLimit; limit < 0 || missed > uint64(limit) {
		return false
	}
	ctx, cancel := storeCtx()
	defer cancel()
	entries, err := st.Entries(ctx, h.id, since, int(missed))
	if err != nil {
		r.Logger().Warn("games: replay from the store", zap.String("room", h.id), zap.Uint64("since", since), zap.Error(err))
		return false
	}
	for _, e := range entries {
		emit(e.Seq, e.Event, e.Data)
	}
	return true
}

var _ room.Replayer = (*match)(nil)
