package games

import (
	"bytes"
	"context"
	"fmt"
	"reflect"
	"slices"
	"time"

	"github.com/parlorhq/parlor/codec"
	"github.com/parlorhq/parlor/room"
	"github.com/vmihailenco/msgpack/v5"
	"go.uber.org/zap"
)

// match is the handler of one match room. All of its state is owned by the
// room goroutine.
type match struct {
	room.BaseHandler
	m     *Module
	id    string
	seats int
	tc    TimeControl
	// baseTTL is the room's idle TTL before OnCreate raised it to hold
	// seats through a disconnect; a finished match needs no held seats
	// and goes back to it.
	baseTTL time.Duration
	// playTTL is the idle TTL OnCreate set for a match being played. A
	// waiting match keeps its room until its start timeout instead, so
	// that its challenge expires (and is told) even when nobody is in it.
	playTTL time.Duration

	players []string // by seat; nil until the first player joins
	seatOf  map[string]int
	joined  []bool // the seat's player has joined at least once
	present []bool // the seat's player has a connection in the room

	status  string
	state   State
	ply     int
	log     []LoggedMove
	result  *Result
	started time.Time
	ended   time.Time

	remaining []time.Duration // see gameclock.go
	turnStart time.Time
	flag      *room.Timer
	grace     []*room.Timer
	startWait *room.Timer

	drawBy       int    // seat whose draw offer is pending, or -1
	drawAccepted []bool // seats that agreed to the pending draw
	rematchVotes []bool
	rematch      *Rematch

	spectators map[string]struct{}

	// Durability (see durable.go).
	pending  []Entry       // ordered events not yet stored and broadcast
	private  *privateViews // a position's private views, sent by flush
	stored   bool          // the match is in Config.Store
	broken   bool          // a store write failed: the room is closing
	lastMove []sentMove    // by seat: the seat's last move
	// unclaimed is set on a match rebuilt while being played until one of
	// its players joins: its clocks and grace periods wait for them.
	unclaimed bool
	// presenceStored counts, by seat, the player_left and player_back
	// events stored (Config.MaxPresenceEvents).
	presenceStored []int

	// Per-user counts in the module's Ledger (see Config.MaxMatches).
	creator       string // the player whose join created the match
	challengeOpen bool   // creator's challenge is counted: seats still empty
	counted       []bool // by seat: the player's match is counted
	released      bool   // the counts have been given back

	// Challenge notices (challenge.go).
	challenge bool        // created by a challenge, not arranged by the server
	nonce     string      // the nonce the match was created with
	created   int64       // when the match was created, in Unix ms (MatchInfo.Created)
	endedBy   string      // the player who declined or cancelled
	notices   chan func() // notices waiting for delivery; nil until the first
}

func newMatch(m *Module, id string) *match {
	return &match{
		m:          m,
		id:         id,
		seats:      m.seats,
		tc:         m.cfg.TimeControl,
		status:     StatusWaiting,
		drawBy:     -1,
		spectators: make(map[string]struct{}),
	}
}

// OnCreate sets up the game's initial state, and makes the room outlive
// its members for at least the grace period, so that a match whose players
// all dropped is still there when they come back.
func (h *match) OnCreate(r *room.Room) error {
	h.baseTTL = r.IdleTTL()
	h.state = h.m.game.Setup()
	if h.state == nil {
		return fmt.Errorf("games: %s Setup returned nil", h.m.game.Name())
	}
	if err := h.load(r); err != nil {
		return err
	}
	keep := h.m.cfg.Grace + time.Second
	if h.m.cfg.Grace < 0 {
		keep = heldSeatIdleTTL
	}
	h.playTTL = max(h.baseTTL, keep)
	if h.playTTL > r.IdleTTL() && h.status != StatusOver {
		r.SetIdleTTL(h.playTTL)
	}
	return nil
}

// heldSeatIdleTTL keeps an empty match room when seats are held without a
// time limit (negative Config.Grace).
const heldSeatIdleTTL = 24 * time.Hour

// OnJoin seats a player (first join, second tab or reconnect) or admits a
// spectator, and returns the joiner's Snapshot.
func (h *match) OnJoin(r *room.Room, j *room.Join) (any, error) {
	var p JoinParams
	if err := decodeStrict(j.Params, &p); err != nil {
		return nil, err
	}
	if p.Decline {
		return h.decline(r, j.User)
	}
	if h.players == nil {
		if p.Room != "" || p.Quick {
			// Watching must not create a match: this room has none.
			if len(r.Members()) == 0 {
				r.Close()
			}
			return nil, codec.Errorf(codec.CodeNotFound, "no such match")
		}
		players, err := p.players(j.User, h.seats)
		if err != nil {
			return nil, err
		}
		cfg := &h.m.cfg
		// The nonce is judged at the millisecond the match's record keeps
		// as its creation (MatchInfo.Created), so that a rebuilt match
		// judges it as this join does (arrangedRecord).
		created := r.Now().UnixMilli()
		arranged, misseated := h.m.checkArranged(p.Nonce, players, time.UnixMilli(created))
		if misseated {
			if len(r.Members()) == 0 {
				r.Close()
			}
			return nil, ErrSeatedAsArranged
		}
		if !arranged {
			if err := h.m.canChallenge(r.Logger(), j.User, players); err != nil {
				if len(r.Members()) == 0 {
					r.Close()
				}
				return nil, err
			}
		}
		if err := cfg.Ledger.joinMatch(j.User, true, cfg.MaxMatches, cfg.MaxChallenges); err != nil {
			if len(r.Members()) == 0 {
				r.Close()
			}
			return nil, err
		}
		if !arranged {
			if err := cfg.Ledger.chargeChallenge(j.User, r.Now(), cfg.ChallengeRate, cfg.ChallengeRateWindow); err != nil {
				cfg.Ledger.leaveMatch(j.User, true)
				if len(r.Members()) == 0 {
					r.Close()
				}
				return nil, err
			}
		}
		h.seat(r, players)
		h.creator, h.challengeOpen = j.User, true
		h.challenge, h.nonce, h.created = !arranged, p.Nonce, created
		h.counted[h.seatOf[j.User]] = true
		if err := h.create(r); err != nil {
			h.release()
			h.stopTimers()
			h.players = nil
			if len(r.Members()) == 0 {
				r.Close()
			}
			return nil, err
		}
		if arranged {
			h.m.arranged.forget(p.Nonce)
		}
		h.noticeChallenge(r, ChallengeOffered)
	} else if p.Room == "" && len(p.Seats) > 0 && !slices.Equal(p.Seats, h.players) {
		return nil, codec.Errorf(codec.CodeConflict, "this match is seated differently")
	}
	seat, ok := h.seatOf[j.User]
	if !ok {
		if _, again := h.spectators[j.User]; !again {
			if limit := h.m.cfg.MaxSpectators; limit < 0 || len(h.spectators) >= limit {
				return nil, codec.Errorf(codec.CodeTooMany, "no room for more spectators")
			}
			h.spectators[j.User] = struct{}{}
		}
		return h.snapshot(r, -1), nil
	}
	if !h.counted[seat] && h.status != StatusOver {
		cfg := &h.m.cfg
		if err := cfg.Ledger.joinMatch(j.User, false, cfg.MaxMatches, cfg.MaxChallenges); err != nil {
			return nil, err
		}
		h.counted[seat] = true
	}
	h.joined[seat] = true
	wasAway := !h.present[seat]
	h.present[seat] = true
	stopTimer(&h.grace[seat])
	h.claim(r)
	switch h.status {
	case StatusWaiting:
		if !slices.Contains(h.joined, false) {
			h.start(r)
		}
	case StatusPlaying:
		if wasAway {
			h.emitPresence(r, seat, EventPlayerBack, Presence{Seat: seat, User: j.User})
		}
	}
	if !h.flush(r, nil) {
		return nil, ErrNotSaved
	}
	return h.snapshot(r, seat), nil
}

// seat records the match's players and starts waiting for them.
func (h *match) seat(r *room.Room, players []string) {
	h.seatPlayers(players)
	if d := h.m.cfg.StartTimeout; d > 0 {
		h.armStartTimeout(r, d)
	}
}

// seatPlayers records the match's players.
func (h *match) seatPlayers(players []string) {
	h.players = slices.Clone(players)
	h.seatOf = make(map[string]int, len(players))
	for i, u := range players {
		h.seatOf[u] = i
	}
	h.joined = make([]bool, h.seats)
	h.present = make([]bool, h.seats)
	h.counted = make([]bool, h.seats)
	h.grace = make([]*room.Timer, h.seats)
	h.lastMove = make([]sentMove, h.seats)
}

// armStartTimeout aborts the match if its seats are not all filled
// within d, and keeps its room alive until then, members or not.
func (h *match) armStartTimeout(r *room.Room, d time.Duration) {
	h.startWait = r.After(d, func() {
		h.startWait = nil
		if h.status == StatusWaiting {
			h.end(r, Result{Winner: -1, Reason: ReasonAborted})
		}
	})
	if hold := d + time.Second; hold > r.IdleTTL() {
		r.SetIdleTTL(hold)
	}
}

// start begins play once every seat has joined.
func (h *match) start(r *room.Room) {
	stopTimer(&h.startWait)
	if h.playTTL > 0 && r.IdleTTL() != h.playTTL {
		r.SetIdleTTL(h.playTTL)
	}
	if h.challengeOpen {
		h.challengeOpen = false
		h.m.cfg.Ledger.challengeAccepted(h.creator)
	}
	now := r.Now()
	h.status = StatusPlaying
	h.started = now
	h.startClocks(r, now)
	h.emit(r, EventStarted, Started{Players: h.players, Turn: h.state.Turn(), Clocks: h.clocksMS(now)})
	for seat, here := range h.present {
		if !here {
			h.holdSeat(r, seat)
		}
	}
	h.noticeChallenge(r, ChallengeAccepted)
	h.noticeTurn(r)
}

// errNoChallenge: a decline found no challenge to decline.
var errNoChallenge = &codec.Error{Code: codec.CodeNotFound, Message: "games: no such challenge"}

// ErrSeatedAsArranged refuses the join that would create a match the
// server arranged (a quick-match pairing, a rematch) with its players in
// other seats than it gave them (Matched.Seats, Rematch.Seats): conflict.
var ErrSeatedAsArranged = &codec.Error{Code: codec.CodeConflict, Message: "games: join with the seats the server gave"}

// decline ends a challenge that user, one of its players who has not
// joined, declines, and returns the final snapshot.
func (h *match) decline(r *room.Room, user string) (any, error) {
	if h.players == nil {
		if len(r.Members()) == 0 {
			r.Close()
		}
		return nil, errNoChallenge
	}
	seat, ok := h.seatOf[user]
	switch {
	case !ok:
		return nil, codec.Errorf(codec.CodeForbidden, "you are not one of the players")
	case h.status != StatusWaiting:
		return nil, codec.Errorf(codec.CodeConflict, "the challenge was already answered")
	case h.joined[seat], user == h.creator:
		// The creator's join is not kept in a rebuilt match (joined is
		// rebuilt all false): the creator is the one who cannot decline.
		return nil, codec.Errorf(codec.CodeConflict, "you joined this match: cancel it instead")
	}
	h.endedBy = user
	h.end(r, Result{Winner: -1, Reason: ReasonDeclined})
	if !h.flush(r, nil) {
		return nil, ErrNotSaved
	}
	return h.snapshot(r, seat), nil
}

// cancel withdraws the challenge of a match still waiting for players, at
// the request of user, a player who joined it.
func (h *match) cancel(r *room.Room, user string) error {
	if h.status != StatusWaiting {
		return codec.Errorf(codec.CodeConflict, "the match has started: resign instead")
	}
	h.endedBy = user
	h.end(r, Result{Winner: -1, Reason: ReasonCancelled})
	return nil
}

// OnLeave holds a player's seat for the grace period, or forgets a
// spectator.
func (h *match) OnLeave(r *room.Room, user string, reason room.LeaveReason) {
	if _, ok := h.spectators[user]; ok {
		delete(h.spectators, user)
		return
	}
	seat, ok := h.seatOf[user]
	if !ok {
		return
	}
	h.present[seat] = false
	if reason == room.LeaveShutdown || reason == room.LeaveClosed {
		return
	}
	if h.status == StatusPlaying {
		h.holdSeat(r, seat)
		h.flush(r, nil)
	}
}

// holdSeat arms the grace timer of an absent player and tells the room.
func (h *match) holdSeat(r *room.Room, seat int) {
	ms := int64(-1)
	if grace := h.m.cfg.Grace; grace > 0 {
		ms = grace.Milliseconds()
	}
	h.armGrace(r, seat)
	h.emitPresence(r, seat, EventPlayerLeft, Presence{Seat: seat, User: h.players[seat], GraceMS: ms})
}

// emitPresence queues a player_left or player_back event of seat as an
// ordered, stored event while the seat has stored fewer than
// Config.MaxPresenceEvents of them, and sends it to the members present
// as an ephemeral event past that.
func (h *match) emitPresence(r *room.Room, seat int, event string, p Presence) {
	if h.presenceStored == nil {
		h.presenceStored = make([]int, h.seats)
	}
	if h.presenceStored[seat] < h.m.cfg.MaxPresenceEvents {
		h.presenceStored[seat]++
		h.emit(r, event, p)
		return
	}
	_ = r.BroadcastEphemeral(event, p)
}

// armGrace arms the grace timer of an absent player: once it runs out,
// the player forfeits.
func (h *match) armGrace(r *room.Room, seat int) {
	if grace := h.m.cfg.Grace; grace > 0 {
		stopTimer(&h.grace[seat])
		h.grace[seat] = r.After(grace, func() {
			h.grace[seat] = nil
			if h.status == StatusPlaying && !h.present[seat] {
				h.finish(r, forfeit(h.state, h.seats, seat, ReasonForfeit))
			}
		})
	}
}

// OnDispose stops the match's timers. A match still being played is
// aborted and handed to OnFinished, unless it is stored and the server is
// shutting down, or none of its players joined it since it was rebuilt
// (a spectator looked in): then it stays in the store as it is, to be
// rebuilt when its room is next created.
func (h *match) OnDispose(r *room.Room, reason room.DisposeReason) {
	keep := h.broken || h.unclaimed || h.stored && reason == room.DisposeShutdown
	if h.status == StatusPlaying && !keep {
		h.end(r, Result{Winner: -1, Reason: ReasonAborted})
	}
	h.stopTimers()
	h.release()
	h.closeNotices()
}

// release gives back the per-user counts of the match's players, once the
// match is over or its room is gone.
func (h *match) release() {
	if h.released {
		return
	}
	h.released = true
	for seat, counted := range h.counted {
		if counted {
			u := h.players[seat]
			h.m.cfg.Ledger.leaveMatch(u, h.challengeOpen && u == h.creator)
		}
	}
	h.challengeOpen = false
}

func (h *match) stopTimers() {
	stopTimer(&h.flag)
	stopTimer(&h.startWait)
	for i := range h.grace {
		stopTimer(&h.grace[i])
	}
}

// finish ends a match that is being played with res.
func (h *match) finish(r *room.Room, res Result) {
	if h.status != StatusPlaying {
		return
	}
	h.end(r, res)
}

// end ends the match with res: it freezes the clocks, broadcasts
// game_over and hands a started match to OnFinished.
func (h *match) end(r *room.Room, res Result) {
	now := r.Now()
	h.stopClocks(now)
	wasPlaying := h.status == StatusPlaying
	h.status = StatusOver
	h.result = &res
	h.ended = now
	h.stopTimers()
	h.release()
	h.clearDraw()
	if r.IdleTTL() != h.baseTTL {
		// No seat is held once the match is over: an empty finished
		// room lives as long as any other.
		r.SetIdleTTL(h.baseTTL)
	}
	h.emit(r, EventGameOver, GameOver{Winner: res.Winner, Reason: res.Reason, Ply: h.ply, Clocks: h.clocksMS(now)})
	if !wasPlaying {
		if h.flush(r, nil) {
			h.noticeChallenge(r, endedChallenge(res.Reason))
		}
		return
	}
	g := h.finished()
	if h.flush(r, &g) {
		if obs := h.m.cfg.Observer; obs != nil {
			obs.Finished(h.m.kind, res)
		}
		h.handOff(r, g)
		h.noticeChallenge(r, ChallengeFinished)
	}
}

// endedChallenge is the state of a challenge that ended with reason
// before its match started.
func endedChallenge(reason string) string {
	switch reason {
	case ReasonDeclined:
		return ChallengeDeclined
	case ReasonCancelled:
		return ChallengeCancelled
	}
	return ChallengeExpired
}

// finished returns the match, once over, as a FinishedGame.
func (h *match) finished() FinishedGame {
	return FinishedGame{
		Kind:        h.m.kind,
		Room:        h.id,
		Players:     slices.Clone(h.players),
		Moves:       slices.Clone(h.log),
		Result:      *h.result,
		TimeControl: h.tc,
		Started:     h.started,
		Ended:       h.ended,
	}
}

// handOff gives the finished match to Config.OnFinished.
func (h *match) handOff(r *room.Room, g FinishedGame) {
	hook := h.m.cfg.OnFinished
	if hook == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), FinishedHookTimeout)
	defer cancel()
	defer func() {
		if v := recover(); v != nil {
			r.Logger().Error("games: OnFinished panicked", zap.Any("panic", v), zap.Stack("stack"))
		}
	}()
	hook(ctx, g)
}

// turn is the seat to move, or -1 unless the match is being played.
func (h *match) turn() int {
	if h.status != StatusPlaying {
		return -1
	}
	return h.state.Turn()
}

// snapshot is what a joiner at seat (-1: spectator) gets.
func (h *match) snapshot(r *room.Room, seat int) Snapshot {
	return Snapshot{
		Room:        h.id,
		Game:        h.m.game.Name(),
		Players:     h.players,
		Seat:        seat,
		Status:      h.status,
		Turn:        h.turn(),
		Ply:         h.ply,
		View:        h.view(seat),
		Clocks:      h.clocksMS(r.Now()),
		BaseMS:      h.tc.Base.Milliseconds(),
		IncrementMS: h.tc.Increment.Milliseconds(),
		Present:     h.present,
		DrawOffer:   h.drawBy,
		Result:      h.result,
		Rematch:     h.rematch,
		LogLen:      len(h.log),
		Spectators:  len(h.spectators),
	}
}

// nilValue is msgpack nil, for a view that fails to encode.
var nilValue = msgpack.RawMessage{0xc0}

// view encodes the state as seat sees it.
func (h *match) view(seat int) msgpack.RawMessage { return encodeView(h.state.View(seat)) }

// encodeView encodes a view, or msgpack nil if it does not encode.
func encodeView(v any) msgpack.RawMessage {
	raw, err := codec.MarshalData(v)
	if err != nil || len(raw) == 0 {
		return nilValue
	}
	return raw
}

// broadcastState sends every member the new position: one ordered
// broadcast when every seat sees what spectators see, or else a private
// view per player and the spectators' view to the rest (seq 0).
func (h *match) broadcastState(r *room.Room) {
	turn := h.turn()
	spectator := h.state.View(-1)
	public := encodeView(spectator)
	var private []msgpack.RawMessage
	for seat := range h.seats {
		v := h.state.View(seat)
		if sameValue(v, spectator) {
			continue // the same value: no need to encode it again
		}
		raw := encodeView(v)
		if private == nil && bytes.Equal(raw, public) {
			continue
		}
		if private == nil {
			private = make([]msgpack.RawMessage, h.seats)
			for s := range seat {
				private[s] = public
			}
		}
		private[seat] = raw
	}
	if private == nil {
		h.emit(r, EventState, StateUpdate{Ply: h.ply, Turn: turn, View: public})
		return
	}
	for seat := range private {
		if private[seat] == nil {
			private[seat] = public
		}
	}
	// Private views are not ordered events: flush sends them after the
	// ordered ones queued before them, once those are stored with the
	// rest of the request's, in one write: a move that ends the game is
	// stored with its game_over.
	if h.private != nil && !h.flush(r, nil) {
		return // (an earlier position of this request: never, today)
	}
	h.private = &privateViews{at: len(h.pending), ply: h.ply, turn: turn, views: private, public: public}
}

// privateViews is a position's views, one per seat, for a game whose
// seats see different things, waiting in the match for flush.
type privateViews struct {
	at        int // the pending entries to broadcast before it
	ply, turn int
	views     []msgpack.RawMessage // by seat
	public    msgpack.RawMessage   // the spectators'
}

// sendPrivate sends the views flush holds, if any: each player's own,
// and the spectators' to the rest (seq 0).
func (h *match) sendPrivate(r *room.Room) {
	p := h.private
	if p == nil {
		return
	}
	h.private = nil
	for seat, u := range h.players {
		_ = r.SendTo(u, EventState, StateUpdate{Ply: p.ply, Turn: p.turn, View: p.views[seat]})
	}
	_ = r.BroadcastEphemeral(EventState, StateUpdate{Ply: p.ply, Turn: p.turn, View: p.public}, h.players...)
}

// sameValue reports whether a and b are the same comparable value, such
// as the same pointer. Values that cannot be compared (slices, or structs
// holding them behind interfaces) are never the same.
func sameValue(a, b any) (same bool) {
	ta := reflect.TypeOf(a)
	if ta == nil || ta != reflect.TypeOf(b) || !ta.Comparable() {
		return false
	}
	defer func() {
		if recover() != nil {
			same = false
		}
	}()
	return a == b
}

// stopTimer stops *t, if armed, and clears it.
func stopTimer(t **room.Timer) {
	if *t != nil {
		(*t).Stop()
		*t = nil
	}
}
