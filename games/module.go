package games

import (
	"context"
	"reflect"
	"sync"
	"time"

	"github.com/parlorhq/parlor/codec"
	"github.com/parlorhq/parlor/room"
)

// Defaults of Config, exported for documentation and tests.
const (
	// DefaultGrace is how long a disconnected player's seat is held.
	DefaultGrace = 30 * time.Second
	// DefaultStartTimeout is how long a match waits for all its players.
	DefaultStartTimeout = 2 * time.Minute
	// DefaultMaxSpectators bounds the spectators of one match.
	DefaultMaxSpectators = 1000
	// DefaultMaxMoveBytes bounds the msgpack bytes of one move payload.
	DefaultMaxMoveBytes = 256
	// DefaultMaxChallenges bounds the challenges one user has waiting.
	DefaultMaxChallenges = 10
	// DefaultMaxMatches bounds the matches one user is in that are not
	// over.
	DefaultMaxMatches = 30
	// DefaultMaxQueued bounds the quick-match queues one user waits in.
	DefaultMaxQueued = 1
	// DefaultQuickMatchStrikes is how many quick-match pairings in a row
	// a user may leave without a move before a cooldown.
	DefaultQuickMatchStrikes = 3
	// DefaultQuickMatchCooldown is how long that cooldown lasts, from the
	// last pairing.
	DefaultQuickMatchCooldown = time.Minute
	// DefaultReplayLimit bounds the events a match room replays from its
	// store to one resuming client.
	DefaultReplayLimit = 1000
	// DefaultMaxPresenceEvents bounds the player_left and player_back
	// events a match stores per seat.
	DefaultMaxPresenceEvents = 256
	// FinishedHookTimeout bounds the context given to Config.OnFinished.
	FinishedHookTimeout = 10 * time.Second
)

// TimeControl is a match's chess clock: each seat starts with Base and
// gains Increment after each of its moves. The zero value means untimed.
type TimeControl struct {
	// Base is each seat's starting time. Zero means untimed.
	Base time.Duration
	// Increment is added to a seat's clock after each of its moves.
	Increment time.Duration
}

// Timed reports whether tc runs clocks.
func (tc TimeControl) Timed() bool { return tc.Base > 0 }

// RoomFinder looks up running rooms. *engine.Engine implements it.
type RoomFinder interface {
	// Room returns the running room with this id, if any.
	Room(id string) (*room.Room, bool)
}

// Config tunes a game module. The zero value is usable: every field
// documents its default.
type Config struct {
	// TimeControl sets the clocks of every match. Zero means untimed.
	TimeControl TimeControl
	// Grace is how long the seat of a player whose last connection left
	// is held during a match. A player who comes back within it resumes;
	// after it the player forfeits (reason "forfeit"). Zero means
	// DefaultGrace (30s); a negative value holds seats for as long as the
	// room lives.
	Grace time.Duration
	// StartTimeout is how long a match waits for every seat to join once
	// its first player has. If it runs out, the match ends with no winner
	// and reason "aborted", and OnFinished is not called. Zero means
	// DefaultStartTimeout (2m); negative waits for as long as the room
	// lives. With a Store, prefer a positive one: a waiting match whose
	// room stops stays open in the store without counting against its
	// creator's MaxChallenges, and RestoreChallenges counts every such
	// match again, with no deadline (docs/games.md).
	StartTimeout time.Duration
	// OnFinished, if set, receives every match that started and ended:
	// by the game's rules, resignation, agreement, timeout, forfeit, or
	// "aborted" when the room was disposed mid-match (for example at
	// shutdown). It runs on the room goroutine after game_over has been
	// broadcast and before the reply to the move that ended the game, with
	// a context bounded by FinishedHookTimeout: store the game there, or
	// hand it off to a queue if storing is slow. Nil means finished games
	// are dropped.
	OnFinished func(ctx context.Context, g FinishedGame)
	// QuickMatch enables joins with {quick: true}: a queue room per module
	// that pairs waiting players. Default: off (such joins get not_found).
	QuickMatch bool
	// MaxSpectators bounds the spectators of one match; more get too_many.
	// Zero means DefaultMaxSpectators (1000); negative allows none.
	MaxSpectators int
	// MaxMoveBytes bounds the msgpack bytes of one move payload, its
	// "ply" key included; a larger move is refused with too_large and
	// changes nothing. Zero means DefaultMaxMoveBytes (256).
	MaxMoveBytes int
	// MaxChallenges bounds, per user, the open challenges: matches the
	// user created (was the first to join) whose other players have not
	// all joined yet. One more is refused with limit_exceeded
	// (ErrTooManyChallenges). Zero or negative means DefaultMaxChallenges
	// (10).
	MaxChallenges int
	// MaxMatches bounds, per user, the matches the user has joined as a
	// player that are not over (waiting or being played). Joining one
	// more is refused with limit_exceeded (ErrTooManyMatches); watching is
	// not counted. Zero or negative means DefaultMaxMatches (30).
	MaxMatches int
	// MaxQueued bounds, per user, the quick-match queues the user waits
	// in at once, across the modules sharing Ledger. One more is refused
	// with limit_exceeded (ErrTooManyQueued). Zero or negative means
	// DefaultMaxQueued (1).
	MaxQueued int
	// ChallengeRate bounds, per user, the challenges the user creates
	// (matches the server did not arrange) in any ChallengeRateWindow,
	// across the modules sharing Ledger: each one tells its players and
	// OnChallenge (a DM note in the arcade), and so does its cancellation,
	// so this bounds the churn a user can cause in others' notices. One
	// more is refused with rate_limited, its message ending with
	// retry_after_ms=N, and creates nothing. Zero or negative means
	// DefaultChallengeRate (20).
	ChallengeRate int
	// ChallengeRateWindow is the window of ChallengeRate. Zero or negative
	// means DefaultChallengeRateWindow (1m).
	ChallengeRateWindow time.Duration
	// QuickMatchStrikes and QuickMatchCooldown throttle users who join the
	// quick-match queue and then do not play. Each pairing the queue
	// makes counts against both players until they make a move in any
	// match (which clears the count). A user whose count has reached
	// QuickMatchStrikes is refused with rate_limited when joining a queue
	// until QuickMatchCooldown has passed since their last pairing; the
	// message ends with retry_after_ms=N. After that the count starts
	// again from zero. Zero or negative mean DefaultQuickMatchStrikes (3)
	// and DefaultQuickMatchCooldown (1m).
	QuickMatchStrikes int
	// QuickMatchCooldown: see QuickMatchStrikes.
	QuickMatchCooldown time.Duration
	// Ledger keeps the per-user counts those limits are checked against.
	// Give the modules of every game the same Ledger to bound users
	// across games. Nil means a Ledger of the module's own.
	Ledger *Ledger
	// Store, if set, makes matches durable: every ordered event of a match
	// (moves with their clocks, offers, the result) is written to it
	// before it is broadcast and before the reply, and a match room
	// created for a stored match is rebuilt from its log, with the same
	// epoch and seqs, so that matches survive restarts and deploys and
	// clients resume them. Finished games stay in it (History). Nil
	// means matches live in memory only: a restart loses them.
	Store Store
	// ReplayLimit bounds how many events a match room replays from Store
	// to a client that resumes after missing more than the room's replay
	// buffer holds; a client that missed more gets a snapshot
	// (recovered: false). Zero means DefaultReplayLimit (1000); negative
	// replays none from the store.
	ReplayLimit int
	// MaxPresenceEvents bounds the player_left and player_back events a
	// match stores per seat, so that a player who leaves and comes back
	// in a loop cannot grow its log (and the time its rebuild takes)
	// without a move. Past it they still go to the members present, as
	// ephemeral events (seq 0) that a resume's replay does not bring back;
	// a snapshot says who is present. Zero means DefaultMaxPresenceEvents
	// (256); negative stores none.
	MaxPresenceEvents int
	// Rooms, if set, lets spectator joins ({room: id}) be refused with
	// not_found before a room is created; pass the *engine.Engine. Nil
	// means the room checks instead: a room that has no match refuses the
	// join with not_found and closes at once.
	Rooms RoomFinder

	// CanChallenge decides whether user from may challenge user to. It
	// is called for each other player when a challenge creates a match
	// (a refused join creates nothing and counts nothing), and for each
	// pair of players before the quick-match queue pairs them (a refused
	// pair is not made: both keep waiting for someone else). Matches the
	// server arranged (pairings, rematches) are not checked again when
	// their players join. Return nil to allow; a *codec.Error reaches the
	// client as is, any other error refuses with ErrNotAllowed
	// (forbidden). It runs on the room goroutine with a 2s context, so it
	// must be fast. Nil means anyone may challenge anyone.
	CanChallenge func(ctx context.Context, from, to string) error
	// Secret signs the nonces of the matches the server arranges
	// (quick-match pairings, rematches), so that their first join is
	// known as arranged on any node that shares it and after a restart:
	// not checked by CanChallenge or ChallengeRate again, and not told as
	// a challenge, within StartTimeout of the pairing (DefaultStartTimeout
	// when StartTimeout is not positive). Pass the engine's Secret(),
	// set in engine.Config so that it outlives the process. Nil means
	// only the module that arranged a match knows it, until it stops: a
	// first join on another node or after a restart is taken as a
	// challenge.
	Secret []byte
	// Notifier, if set, reaches players outside the match room: the
	// challenge notices (EventChallenge) and "your turn" (EventYourTurn)
	// for a player with no connection in the room. Pass the
	// *engine.Engine, whose user channel carries them. Notices are
	// delivered in order, off the room goroutine, at most
	// NoticeQueue waiting per match; the user channel's own
	// bounds (NotifyRate, NotifyMaxBytes) apply per recipient. Nil means
	// nobody is notified.
	Notifier Notifier
	// NoticeQueue bounds, per match, the notices (Notifier and
	// OnChallenge calls) waiting to be delivered while an earlier one is
	// under way; past it, new ones are dropped and logged, so a slow
	// notifier costs a match a bounded amount of memory. Zero or negative
	// means DefaultNoticeQueue (16).
	NoticeQueue int
	// OnChallenge, if set, receives every state of every challenge
	// (ChallengeNotice), in order per match, off the room goroutine, with
	// a context bounded by FinishedHookTimeout: a host writes them into
	// the players' conversation there. Nil means none.
	OnChallenge func(ctx context.Context, n ChallengeNotice)

	// Clock runs the module's own timers: the start timeouts of the
	// challenges RestoreChallenges takes up, until a room takes them
	// over. Give it the engine's room clock (engine.Config.Room.Clock)
	// so both agree. Nil means room.RealClock{}.
	Clock room.Clock

	// Observer, if set, is told of every move applied and every match
	// that started and ended, for metrics (package metrics implements
	// it). Nil means none.
	Observer Observer
}

// withDefaults returns c with zero fields replaced by their defaults.
func (c Config) withDefaults() Config {
	if c.Grace == 0 {
		c.Grace = DefaultGrace
	}
	if c.StartTimeout == 0 {
		c.StartTimeout = DefaultStartTimeout
	}
	if c.MaxSpectators == 0 {
		c.MaxSpectators = DefaultMaxSpectators
	}
	if c.MaxMoveBytes <= 0 {
		c.MaxMoveBytes = DefaultMaxMoveBytes
	}
	if c.MaxChallenges <= 0 {
		c.MaxChallenges = DefaultMaxChallenges
	}
	if c.MaxMatches <= 0 {
		c.MaxMatches = DefaultMaxMatches
	}
	if c.MaxQueued <= 0 {
		c.MaxQueued = DefaultMaxQueued
	}
	if c.ChallengeRate <= 0 {
		c.ChallengeRate = DefaultChallengeRate
	}
	if c.ChallengeRateWindow <= 0 {
		c.ChallengeRateWindow = DefaultChallengeRateWindow
	}
	if c.QuickMatchStrikes <= 0 {
		c.QuickMatchStrikes = DefaultQuickMatchStrikes
	}
	if c.QuickMatchCooldown <= 0 {
		c.QuickMatchCooldown = DefaultQuickMatchCooldown
	}
	if c.NoticeQueue <= 0 {
		c.NoticeQueue = DefaultNoticeQueue
	}
	if c.ReplayLimit == 0 {
		c.ReplayLimit = DefaultReplayLimit
	}
	if c.MaxPresenceEvents == 0 {
		c.MaxPresenceEvents = DefaultMaxPresenceEvents
	}
	if c.Ledger == nil {
		c.Ledger = NewLedger()
	}
	if c.Clock == nil {
		c.Clock = room.RealClock{}
	}
	if c.TimeControl.Base < 0 {
		c.TimeControl = TimeControl{}
	}
	return c
}

// Module is the room module of one Game: kind "games." + Game.Name().
// It implements room.Module; register it with the engine.
type Module struct {
	game  Game
	cfg   Config
	kind  string
	seats int
	// hidden is true for games whose moves are private (Hidden).
	hidden bool
	// quick holds the ids of the quick-match queue rooms Resolve has handed
	// out (one per engine secret), so NewHandler can tell them apart.
	quick sync.Map
	// arranged holds the matches the server arranged (policy.go).
	arranged *arranged
	// restored holds the stored challenges RestoreChallenges took up and
	// no room has taken over (restore.go).
	restored *restoredChallenges
}

// NewModule returns the module that hosts matches of g. It panics if
// g.NewMove does not return a non-nil pointer.
func NewModule(g Game, cfg Config) *Module {
	if v := reflect.ValueOf(g.NewMove()); v.Kind() != reflect.Pointer || v.IsNil() {
		panic("games: " + g.Name() + " NewMove must return a non-nil pointer")
	}
	cfg = cfg.withDefaults()
	return &Module{game: g, cfg: cfg, kind: KindPrefix + g.Name(), seats: g.Seats(), hidden: hiddenMoves(g), arranged: newArranged(cfg.StartTimeout),
		restored: newRestoredChallenges()}
}

// KindPrefix starts the kind of every game module.
const KindPrefix = "games."

// Kind returns "games." + the game's name.
func (m *Module) Kind() string { return m.kind }

// Game returns the game the module hosts.
func (m *Module) Game() Game { return m.game }

// Resolve turns join parameters (see JoinParams) into a room id: the
// keyed match id for a challenge, the given id to watch or resume a
// running match, or the module's queue room for a quick match.
func (m *Module) Resolve(ctx context.Context, req *room.ResolveRequest) (string, error) {
	var p JoinParams
	if err := decodeStrict(req.Params, &p); err != nil {
		return "", err
	}
	switch {
	case p.Quick:
		if !m.cfg.QuickMatch {
			return "", codec.Errorf(codec.CodeNotFound, "quick match is not enabled for %s", m.kind)
		}
		if p.Room != "" || p.Opponent != "" || len(p.Seats) > 0 || p.Nonce != "" || p.Decline {
			return "", codec.Errorf(codec.CodeBadRequest, "quick takes no other parameters")
		}
		id := req.KeyedID(quickMember)
		m.quick.Store(id, struct{}{})
		return id, nil
	case p.Room != "":
		if p.Opponent != "" || len(p.Seats) > 0 || p.Nonce != "" || p.Decline {
			return "", codec.Errorf(codec.CodeBadRequest, "room takes no challenge parameters")
		}
		if len(p.Room) > codec.MaxIDLen {
			return "", codec.Errorf(codec.CodeBadRequest, "room id too long")
		}
		if m.cfg.Rooms != nil {
			r, ok := m.cfg.Rooms.Room(p.Room)
			if ok && r.Kind() != m.kind || !ok && !m.isStored(ctx, p.Room) {
				return "", codec.Errorf(codec.CodeNotFound, "no such match")
			}
		}
		return p.Room, nil
	}
	players, err := p.players(req.User, m.seats)
	if err != nil {
		return "", err
	}
	id := req.KeyedID(matchMembers(p.Nonce, players)...)
	if p.Decline && m.cfg.Rooms != nil {
		// Declining must not create a match either.
		if _, ok := m.cfg.Rooms.Room(id); !ok && !m.isStored(ctx, id) {
			return "", errNoChallenge
		}
	}
	return id, nil
}

// isStored reports whether Config.Store holds a match of this module with
// id, whose room can be rebuilt. It reads the match's record only.
func (m *Module) isStored(ctx context.Context, id string) bool {
	if m.cfg.Store == nil {
		return false
	}
	ctx, cancel := context.WithTimeout(ctx, StoreTimeout)
	defer cancel()
	info, err := m.cfg.Store.Info(ctx, id)
	return err == nil && info.Kind == m.kind
}

// NewHandler returns the handler of a new room: a quick-match queue or a
// match.
func (m *Module) NewHandler(roomID string) room.Handler {
	if _, ok := m.quick.Load(roomID); ok {
		return newQueue(m)
	}
	return newMatch(m, roomID)
}

// RoomID returns the id of the match between players with nonce, as
// Resolve computes it for a challenge: the keyed hash (room.KeyedID, with
// the engine's secret) of the module's kind, the sorted players and the
// nonce. Hosts use it to link to a match before anyone joins.
func RoomID(secret []byte, kind, nonce string, players ...string) string {
	return room.KeyedID(secret, kind, matchMembers(nonce, players)...)
}

// quickMember is the one "member" keyed into a quick-match queue's id. It
// has no ':' prefix of the kinds matchMembers uses, so it is never a
// match id.
const quickMember = "quick"

// matchMembers is what a match id is keyed on. Every player is prefixed
// "p:" and the nonce "n:", so that whatever the user ids are, no two
// different (players, nonce) pairs give the same sorted list: a user named
// "n:x" becomes "p:n:x".
func matchMembers(nonce string, players []string) []string {
	out := make([]string, 0, len(players)+1)
	for _, p := range players {
		out = append(out, "p:"+p)
	}
	return append(out, "n:"+nonce)
}
