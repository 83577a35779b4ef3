package games

import (
	"context"
	"errors"
	"slices"
	"time"

	"github.com/parlorhq/parlor/codec"
	"github.com/parlorhq/parlor/room"
	"go.uber.org/zap"
)

// A challenge is a match created by its first player's join with
// {opponent, nonce} or {seats, nonce}, and waiting for the other players.
// The module tells the players of its life through Config.Notifier (the
// user channel: they need not be in the match room) and tells the host
// through Config.OnChallenge (for example to write it into the players'
// direct conversation). Matches the server arranged itself, quick-match
// pairings and rematches, are not challenges: nobody is notified of them,
// except for "your turn".

// Notifier reaches a user who is not in the match room. *engine.Engine
// implements it: Notify broadcasts on the user's channel.
type Notifier interface {
	// Notify sends user an event; an error means the user was not
	// reached (not connected, or past their notification bounds).
	Notify(user, event string, data any) error
}

// Events the module sends through Config.Notifier.
const (
	// EventChallenge: a challenge changed state. Payload ChallengeNotice.
	EventChallenge = "games.challenge"
	// EventYourTurn: it is the recipient's turn in a match where they have
	// no connection in the room. Payload YourTurn.
	EventYourTurn = "games.your_turn"
)

// Challenge states, in ChallengeNotice.State.
const (
	// ChallengeOffered: the challenger created the match. Sent to the
	// other players.
	ChallengeOffered = "offered"
	// ChallengeAccepted: every player joined and the match started. Sent
	// to the challenger.
	ChallengeAccepted = "accepted"
	// ChallengeDeclined: a challenged player declined (JoinParams.Decline).
	// Sent to the challenger.
	ChallengeDeclined = "declined"
	// ChallengeCancelled: a player who had joined cancelled the challenge
	// (EventCancel). Sent to the other players.
	ChallengeCancelled = "cancelled"
	// ChallengeExpired: Config.StartTimeout ran out before every player
	// joined. Sent to every player.
	ChallengeExpired = "expired"
	// ChallengeFinished: the match that the challenge started is over.
	// Given to Config.OnChallenge only; the players in the room get
	// game_over.
	ChallengeFinished = "finished"
)

// EventCancel, sent to a match room by a player who joined it while it
// waits for the other players, withdraws the challenge: the match ends
// with reason ReasonCancelled. It takes no payload. Once the match has
// started it is refused with conflict.
const EventCancel = "cancel"

// Reasons of a challenge that ended before it started.
const (
	// ReasonDeclined: a challenged player declined.
	ReasonDeclined = "declined"
	// ReasonCancelled: a player withdrew the challenge.
	ReasonCancelled = "cancelled"
)

// ChallengeNotice is the payload of EventChallenge and what
// Config.OnChallenge receives.
type ChallengeNotice struct {
	// State is ChallengeOffered, ChallengeAccepted, ChallengeDeclined,
	// ChallengeCancelled, ChallengeExpired or ChallengeFinished.
	State string `msgpack:"state"`
	// Game is the game's name ("chess").
	Game string `msgpack:"game"`
	// Room is the match's room id.
	Room string `msgpack:"room"`
	// From is the challenger: the player whose join created the match.
	From string `msgpack:"from"`
	// Players lists the players by seat.
	Players []string `msgpack:"players"`
	// Nonce is the match's nonce: the other players accept by joining
	// with {opponent: From, nonce} (or the seats and the nonce), and
	// decline by adding decline: true.
	Nonce string `msgpack:"nonce"`
	// BaseMS and IncrementMS are the time control; zero if untimed.
	BaseMS int64 `msgpack:"base_ms,omitempty"`
	// IncrementMS is the time control's increment in milliseconds.
	IncrementMS int64 `msgpack:"increment_ms,omitempty"`
	// ExpiresMS, for an offered challenge, is when it expires, in Unix
	// milliseconds; zero if it waits for as long as its room lives.
	ExpiresMS int64 `msgpack:"expires_ms,omitempty"`
	// By is the player who declined or cancelled.
	By string `msgpack:"by,omitempty"`
	// Result is the outcome of a finished match.
	Result *Result `msgpack:"result,omitempty"`
	// Ply is the number of moves played in a finished match.
	Ply int `msgpack:"ply,omitempty"`
	// Restored marks an offered challenge that Module.RestoreChallenges
	// took up again after a restart: it goes to OnChallenge only, for the
	// host to rebuild what it keeps in memory, since the players were
	// told of it before.
	Restored bool `msgpack:"restored,omitempty"`
}

// YourTurn is the payload of EventYourTurn.
type YourTurn struct {
	// Game is the game's name.
	Game string `msgpack:"game"`
	// Room is the match's room id: join it with {room} to play.
	Room string `msgpack:"room"`
	// Players lists the players by seat.
	Players []string `msgpack:"players"`
	// Ply is the number of moves played.
	Ply int `msgpack:"ply"`
}

// DefaultNoticeQueue is the default of Config.NoticeQueue.
const DefaultNoticeQueue = 16

// noticeChallenge tells the players (Config.Notifier) and the host
// (Config.OnChallenge) that the match's challenge is now in state.
func (h *match) noticeChallenge(r *room.Room, state string) {
	if !h.challenge || h.m.cfg.Notifier == nil && h.m.cfg.OnChallenge == nil {
		return
	}
	n := ChallengeNotice{
		State:       state,
		Game:        h.m.game.Name(),
		Room:        h.id,
		From:        h.creator,
		Players:     slices.Clone(h.players),
		Nonce:       h.nonce,
		BaseMS:      h.tc.Base.Milliseconds(),
		IncrementMS: h.tc.Increment.Milliseconds(),
		By:          h.endedBy,
	}
	var to []string
	switch state {
	case ChallengeOffered:
		if d := h.m.cfg.StartTimeout; d > 0 {
			n.ExpiresMS = time.UnixMilli(h.created).Add(d).UnixMilli()
		}
		to = h.others(h.creator)
	case ChallengeAccepted, ChallengeDeclined:
		to = []string{h.creator}
	case ChallengeCancelled:
		to = h.others(h.endedBy)
	case ChallengeExpired:
		to = n.Players
	case ChallengeFinished:
		res := *h.result
		n.Result, n.Ply = &res, h.ply
	}
	h.deliver(r, func() {
		if nt := h.m.cfg.Notifier; nt != nil {
			for _, u := range to {
				h.notify(r, nt, u, EventChallenge, n)
			}
		}
		if hook := h.m.cfg.OnChallenge; hook != nil {
			ctx, cancel := context.WithTimeout(context.Background(), FinishedHookTimeout)
			defer cancel()
			hook(ctx, n)
		}
	})
}

// noticeTurn tells the player to move, if they have no connection in the
// room, that it is their turn.
func (h *match) noticeTurn(r *room.Room) {
	nt := h.m.cfg.Notifier
	turn := h.turn()
	if nt == nil || turn < 0 || h.present[turn] {
		return
	}
	u := h.players[turn]
	yt := YourTurn{Game: h.m.game.Name(), Room: h.id, Players: slices.Clone(h.players), Ply: h.ply}
	h.deliver(r, func() { h.notify(r, nt, u, EventYourTurn, yt) })
}

// notify sends one notice; a user who is not connected is not an error.
func (h *match) notify(r *room.Room, nt Notifier, user, event string, data any) {
	err := nt.Notify(user, event, data)
	if err == nil {
		return
	}
	var ce *codec.Error
	if errors.As(err, &ce) {
		r.Logger().Debug("games: notice not delivered", zap.String("user", user), zap.String("event", event), zap.Error(err))
	}
}

// others returns the players other than user.
func (h *match) others(user string) []string {
	out := make([]string, 0, len(h.players))
	for _, u := range h.players {
		if u != user {
			out = append(out, u)
		}
	}
	return out
}

// deliver runs fn off the room goroutine, after the notices queued before
// it: one goroutine per match delivers them in order, so that a slow
// notifier or hook never holds up the match, and the players get
// "offered" before "cancelled". At most Config.NoticeQueue wait; more are
// dropped.
func (h *match) deliver(r *room.Room, fn func()) {
	if h.notices == nil {
		h.notices = make(chan func(), h.m.cfg.NoticeQueue)
		go runNotices(r.Logger(), h.notices)
	}
	select {
	case h.notices <- fn:
	default:
		r.Logger().Warn("games: notice dropped: too many waiting", zap.String("room", h.id))
	}
}

// closeNotices lets the delivery goroutine finish what is queued and end.
func (h *match) closeNotices() {
	if h.notices != nil {
		close(h.notices)
		h.notices = nil
	}
}

// runNotices delivers queued notices until the queue is closed.
func runNotices(log *zap.Logger, q <-chan func()) {
	for fn := range q {
		func() {
			defer func() {
				if v := recover(); v != nil {
					log.Error("games: a notice hook panicked", zap.Any("panic", v), zap.Stack("stack"))
				}
			}()
			fn()
		}()
	}
}
