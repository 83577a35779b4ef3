package games

import "github.com/vmihailenco/msgpack/v5"

// Events a client sends to a match room ("send" frames). Those other than
// EventMove and EventLog take no payload: anything but none, nil or an
// empty map is refused with bad_request.
const (
	// EventMove plays a move: the payload is the game's own move (see
	// Game.NewMove), at most Config.MaxMoveBytes long (else too_large),
	// with no key the move type lacks (else bad_request). It may add a
	// "ply" key: that must equal the number of moves played so far, or
	// the move is refused with conflict (so games must not use "ply" in
	// moves). The toolkit takes "ply" out and re-encodes the move from
	// the game's type before applying, logging and broadcasting it. The
	// reply is MoveReply; a resend with the same client message id gets
	// the first reply and is not applied again.
	EventMove = "move"
	// EventResign resigns the match.
	EventResign = "resign"
	// EventOfferDraw offers a draw, or accepts one the opponent offered.
	EventOfferDraw = "offer_draw"
	// EventAcceptDraw accepts a pending draw offer.
	EventAcceptDraw = "accept_draw"
	// EventDeclineDraw declines a pending draw offer.
	EventDeclineDraw = "decline_draw"
	// EventRematch asks for a rematch once the match is over.
	EventRematch = "rematch"
	// EventLog asks for the move log from LogRequest.From; the reply is
	// LogReply. Spectators may send it. Games with private moves (Hidden)
	// serve it only once the match is over.
	EventLog = "log"
)

// Events the server sends to a match room's members, and one (matched) of
// the quick-match queue. Unless noted, they are ordered broadcasts with a
// seq.
const (
	// EventStarted: every seat has joined and the clocks run. Payload Started.
	EventStarted = "started"
	// EventMoved: a move was applied. Payload Moved.
	EventMoved = "moved"
	// EventState: the position after a move, as each member may see it.
	// Payload StateUpdate. When every seat's view equals the spectators'
	// view it is one ordered broadcast; otherwise each player gets their
	// own view and spectators theirs, with seq 0 (rejoin for a snapshot
	// after a reconnect).
	EventState = "state"
	// EventGameOver: the match ended. Payload GameOver.
	EventGameOver = "game_over"
	// EventDrawOffered: a seat offered a draw. Payload SeatEvent.
	EventDrawOffered = "draw_offered"
	// EventDrawDeclined: a seat declined the pending draw offer. Payload
	// SeatEvent.
	EventDrawDeclined = "draw_declined"
	// EventPlayerLeft: a player's last connection left during the match;
	// their seat is held for the grace period. Payload Presence.
	EventPlayerLeft = "player_left"
	// EventPlayerBack: a player came back within the grace period. Payload
	// Presence.
	EventPlayerBack = "player_back"
	// EventRematchOffered: a seat asked for a rematch. Payload SeatEvent.
	EventRematchOffered = "rematch_offered"
	// EventRematchReady: every seat asked for a rematch. Payload Rematch,
	// which is the JoinParams of the new match.
	EventRematchReady = "rematch"
	// EventMatched: sent (seq 0) to each player the quick-match queue
	// paired. Payload Matched, which is the JoinParams of the match.
	EventMatched = "matched"
)

// Match statuses in Snapshot.Status.
const (
	// StatusWaiting: not every seat has joined yet.
	StatusWaiting = "waiting"
	// StatusPlaying: the match is on.
	StatusPlaying = "playing"
	// StatusOver: the match has ended; see Snapshot.Result.
	StatusOver = "over"
)

// Result reasons the toolkit itself gives; games add their own.
const (
	// ReasonResignation: a player resigned.
	ReasonResignation = "resignation"
	// ReasonAgreement: the players agreed to a draw.
	ReasonAgreement = "agreement"
	// ReasonTimeout: a player's flag fell.
	ReasonTimeout = "timeout"
	// ReasonForfeit: a player stayed away longer than the grace period.
	ReasonForfeit = "forfeit"
	// ReasonAborted: the match never started, or its room was disposed
	// while it was on.
	ReasonAborted = "aborted"
)

// Snapshot is what a member gets when joining a match room.
type Snapshot struct {
	// Room is the match's room id.
	Room string `msgpack:"room"`
	// Game is the game's name.
	Game string `msgpack:"game"`
	// Players lists the players by seat.
	Players []string `msgpack:"players"`
	// Seat is the joiner's seat, or -1 for a spectator.
	Seat int `msgpack:"seat"`
	// Status is StatusWaiting, StatusPlaying or StatusOver.
	Status string `msgpack:"status"`
	// Turn is the seat to move, or -1 unless the match is playing.
	Turn int `msgpack:"turn"`
	// Ply is the number of moves played.
	Ply int `msgpack:"ply"`
	// View is the position as the joiner may see it (State.View).
	View msgpack.RawMessage `msgpack:"view"`
	// Clocks is each seat's remaining time in milliseconds, counted down
	// to the moment of the snapshot for the seat to move; nil if untimed.
	Clocks []int64 `msgpack:"clocks,omitempty"`
	// BaseMS and IncrementMS are the time control; zero if untimed.
	BaseMS int64 `msgpack:"base_ms,omitempty"`
	// IncrementMS is the time control's increment in milliseconds.
	IncrementMS int64 `msgpack:"increment_ms,omitempty"`
	// Present says, by seat, whether the player is connected.
	Present []bool `msgpack:"present"`
	// DrawOffer is the seat whose draw offer is pending, or -1.
	DrawOffer int `msgpack:"draw_offer"`
	// Result is the outcome once the match is over.
	Result *Result `msgpack:"result,omitempty"`
	// Rematch is the next match once every seat asked for a rematch.
	Rematch *Rematch `msgpack:"rematch,omitempty"`
	// LogLen is the length of the move log (EventLog fetches it).
	LogLen int `msgpack:"log_len"`
	// Spectators is the number of spectators.
	Spectators int `msgpack:"spectators"`
}

// Started is the payload of EventStarted.
type Started struct {
	// Players lists the players by seat.
	Players []string `msgpack:"players"`
	// Turn is the seat to move.
	Turn int `msgpack:"turn"`
	// Clocks is each seat's time in milliseconds; nil if untimed.
	Clocks []int64 `msgpack:"clocks,omitempty"`
}

// Moved is the payload of EventMoved.
type Moved struct {
	// Seat is the seat that moved.
	Seat int `msgpack:"seat"`
	// Move is the move as the player sent it; nil in games whose moves
	// are private (Hidden).
	Move msgpack.RawMessage `msgpack:"move"`
	// Ply is the number of moves played, this one included.
	Ply int `msgpack:"ply"`
	// Turn is the seat to move next, or -1 if the move ended the game.
	Turn int `msgpack:"turn"`
	// Clocks is each seat's remaining time in milliseconds after the
	// move (increment included); nil if untimed.
	Clocks []int64 `msgpack:"clocks,omitempty"`
}

// StateUpdate is the payload of EventState.
type StateUpdate struct {
	// Ply is the number of moves played.
	Ply int `msgpack:"ply"`
	// Turn is the seat to move, or -1 if the game is over.
	Turn int `msgpack:"turn"`
	// View is the position as the recipient may see it (State.View).
	View msgpack.RawMessage `msgpack:"view"`
}

// GameOver is the payload of EventGameOver.
type GameOver struct {
	// Winner is the winning seat, or -1 for a draw or an aborted match.
	Winner int `msgpack:"winner"`
	// Reason says how the match ended (see Result.Reason).
	Reason string `msgpack:"reason"`
	// Ply is the number of moves played.
	Ply int `msgpack:"ply"`
	// Clocks is each seat's remaining time in milliseconds; nil if untimed.
	Clocks []int64 `msgpack:"clocks,omitempty"`
}

// SeatEvent is the payload of draw and rematch offers and declines.
type SeatEvent struct {
	// Seat is the seat that acted.
	Seat int `msgpack:"seat"`
}

// Presence is the payload of EventPlayerLeft and EventPlayerBack.
type Presence struct {
	// Seat is the player's seat.
	Seat int `msgpack:"seat"`
	// User is the player.
	User string `msgpack:"user"`
	// GraceMS is how long the seat is held, in milliseconds; 0 in
	// player_back, and -1 when seats are held without limit.
	GraceMS int64 `msgpack:"grace_ms"`
}

// Rematch is the payload of EventRematchReady: the JoinParams of the new
// match, with the seats rotated (swapped for two players).
type Rematch struct {
	// Seats lists the players of the rematch by seat.
	Seats []string `msgpack:"seats"`
	// Nonce is the rematch's nonce.
	Nonce string `msgpack:"nonce"`
}

// Matched is the payload of EventMatched: the JoinParams of the match the
// queue paired the recipient into.
type Matched struct {
	// Seats lists the players by seat.
	Seats []string `msgpack:"seats"`
	// Nonce is the match's nonce.
	Nonce string `msgpack:"nonce"`
	// Seat is the recipient's seat.
	Seat int `msgpack:"seat"`
	// Opponent is the other player, in two-seat games.
	Opponent string `msgpack:"opponent,omitempty"`
}

// QueueSnapshot is what a joiner of the quick-match queue gets.
type QueueSnapshot struct {
	// Waiting is the number of players waiting, the joiner included.
	Waiting int `msgpack:"waiting"`
}

// MoveReply is the reply to EventMove.
type MoveReply struct {
	// Ply is the number of moves played, this one included.
	Ply int `msgpack:"ply"`
}

// LogRequest is the payload of EventLog; any other key is refused with
// bad_request.
type LogRequest struct {
	// From is the first ply to return (0 for the whole log).
	From int `msgpack:"from"`
}

// LogReply is the reply to EventLog.
type LogReply struct {
	// Moves are the log's entries from LogRequest.From on.
	Moves []LoggedMove `msgpack:"moves"`
}
