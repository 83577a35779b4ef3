package games

import (
	"slices"

	"github.com/parlorhq/parlor/codec"
)

// MaxNonceLen bounds JoinParams.Nonce, in bytes.
const MaxNonceLen = 64

// JoinParams are the join parameters of a game module (a msgpack map with
// these snake_case keys). One of three forms:
//
//   - Challenge: {opponent, nonce} or {seats, nonce}. The room is the
//     match of these players with this nonce (see RoomID); both players
//     join with the same nonce, which the challenger makes up and sends to
//     the opponent through the host's app. With seats the seating is
//     fixed; with opponent, the first of the two to join takes seat 0.
//     Games of more than two seats must use seats.
//     A challenged player declines with the same parameters and
//     decline: true: the match ends with reason "declined" and the join's
//     reply is its final snapshot; leave the room after it.
//   - Watch or resume: {room}, optionally with spectate: true. It joins a
//     running match by id: its players take their seats, anyone else
//     watches. It never creates a match: a room that is not running is
//     not_found.
//   - Quick match: {quick: true}, when Config.QuickMatch is on. The
//     joiner waits in the module's queue room until paired, then receives
//     a "matched" event whose payload is the challenge to join next.
//
// A key not listed here is refused with bad_request.
type JoinParams struct {
	// Opponent is the user challenged, for two-seat games.
	Opponent string `msgpack:"opponent,omitempty"`
	// Seats lists every player in seat order, the joiner included.
	Seats []string `msgpack:"seats,omitempty"`
	// Nonce tells apart matches between the same players: 1 to
	// MaxNonceLen bytes, random for a new challenge.
	Nonce string `msgpack:"nonce,omitempty"`
	// Room is the id of a running match to watch or resume.
	Room string `msgpack:"room,omitempty"`
	// Spectate marks a watch join; it is implied by Room and documents
	// intent. A seated player joining by id takes their seat regardless.
	Spectate bool `msgpack:"spectate,omitempty"`
	// Quick asks for a quick match.
	Quick bool `msgpack:"quick,omitempty"`
	// Decline declines the challenge of these players with this nonce,
	// instead of accepting it.
	Decline bool `msgpack:"decline,omitempty"`
	// Seat is the joiner's seat in Seats, as a quick match's matched
	// event names it, so that its payload joins the match as it is. When
	// given, it must be the joiner's seat.
	Seat *int `msgpack:"seat,omitempty"`
}

// players validates a challenge by user and returns its players: Seats, or
// user and Opponent.
func (p *JoinParams) players(user string, seats int) ([]string, error) {
	if p.Spectate {
		return nil, codec.Errorf(codec.CodeBadRequest, "spectate needs a room")
	}
	if p.Nonce == "" || len(p.Nonce) > MaxNonceLen {
		return nil, codec.Errorf(codec.CodeBadRequest, "nonce must be 1 to %d bytes", MaxNonceLen)
	}
	var players []string
	switch {
	case len(p.Seats) > 0:
		if len(p.Seats) != seats {
			return nil, codec.Errorf(codec.CodeBadRequest, "seats must list %d players", seats)
		}
		if p.Opponent != "" && !slices.Contains(p.Seats, p.Opponent) {
			return nil, codec.Errorf(codec.CodeBadRequest, "opponent is not in seats")
		}
		players = p.Seats
	case p.Opponent != "":
		if seats != 2 {
			return nil, codec.Errorf(codec.CodeBadRequest, "a game of %d seats needs seats", seats)
		}
		players = []string{user, p.Opponent}
	default:
		return nil, codec.Errorf(codec.CodeBadRequest, "give opponent or seats, room, or quick")
	}
	for i, u := range players {
		if u == "" || len(u) > codec.MaxIDLen {
			return nil, codec.Errorf(codec.CodeBadRequest, "invalid player id")
		}
		if slices.Contains(players[:i], u) {
			return nil, codec.Errorf(codec.CodeBadRequest, "a player can take only one seat")
		}
	}
	if !slices.Contains(players, user) {
		return nil, codec.Errorf(codec.CodeForbidden, "you must be one of the players")
	}
	if p.Seat != nil && (*p.Seat < 0 || *p.Seat >= len(players) || players[*p.Seat] != user) {
		return nil, codec.Errorf(codec.CodeBadRequest, "seat is not the joiner's seat in seats")
	}
	return players, nil
}
