// Package gameclient is the typed Go client of the games toolkit
// (package games): it joins matches by challenge, quick match or id, sends
// moves and the other match events, and keeps the match's state up to
// date from its events, so that a bot plays in a few lines:
//
//	m, err := gameclient.Challenge(ctx, c, "games.tictactoe", "bob", nonce)
//	res, err := m.Play(ctx, func(m *gameclient.Match) (any, error) {
//		var v tictactoe.View
//		if err := m.DecodeView(&v); err != nil {
//			return nil, err
//		}
//		return tictactoe.Move{Cell: &v.Legal[0]}, nil
//	})
//
// A Match is used from one goroutine: Next (or Play) reads its events and
// updates its fields.
package gameclient

import (
	"context"
	"errors"
	"fmt"

	"github.com/vmihailenco/msgpack/v5"

	"github.com/parlorhq/parlor/client"
	"github.com/parlorhq/parlor/codec"
	"github.com/parlorhq/parlor/games"
)

// Match is a match room joined through the games toolkit. Its exported
// fields are the match as the client knows it: set from the join's
// snapshot, and updated by Next from each event.
type Match struct {
	// Room is the match's room, joined with per-room delivery. It is
	// replaced when Next joins the match again after a gap.
	Room *client.Room
	// Kind is the module's kind, such as "games.chess".
	Kind string
	// Seat is the client's seat, or -1 for a spectator.
	Seat int
	// Players lists the players by seat.
	Players []string
	// Status is games.StatusWaiting, StatusPlaying or StatusOver.
	Status string
	// Turn is the seat to move, or -1 unless the match is playing.
	Turn int
	// Ply is the number of moves played.
	Ply int
	// View is the position as the client may see it (the game's View
	// type, encoded); see DecodeView. It is the view after ViewPly moves.
	View msgpack.RawMessage
	// ViewPly is the number of moves View reflects: it lags Ply between a
	// moved event and the state event that follows it.
	ViewPly int
	// Clocks is each seat's remaining time in milliseconds, as of the
	// last event that carried them; nil if untimed.
	Clocks []int64
	// Result is the outcome once the match is over.
	Result *games.Result
	// Rematch is the next match once every seat asked for one.
	Rematch *games.Rematch
}

// Join joins a match of module kind with p, with per-room delivery, and
// returns it. Use Challenge, Watch or QuickMatch for the usual forms.
func Join(ctx context.Context, c *client.Client, kind string, p games.JoinParams) (*Match, error) {
	r, err := c.Join(ctx, kind, p, client.WithRoomEvents())
	if err != nil {
		return nil, err
	}
	var snap games.Snapshot
	if err := r.Decode(&snap); err != nil {
		_ = r.Leave(ctx)
		return nil, fmt.Errorf("gameclient: snapshot: %w", err)
	}
	m := &Match{Room: r, Kind: kind}
	m.apply(&snap)
	return m, nil
}

// Challenge joins the match between the client's user and opponent
// identified by nonce (1 to games.MaxNonceLen bytes, the same for both
// players; the challenger makes it up and passes it on through the host's
// app). The first of the two to join takes seat 0.
func Challenge(ctx context.Context, c *client.Client, kind, opponent, nonce string) (*Match, error) {
	return Join(ctx, c, kind, games.JoinParams{Opponent: opponent, Nonce: nonce})
}

// Decline declines the challenge that challenger sent the client's user
// with nonce: the match ends with reason "declined" and the challenger
// is told. It returns the match's final snapshot, having left the room.
func Decline(ctx context.Context, c *client.Client, kind, challenger, nonce string) (games.Snapshot, error) {
	var snap games.Snapshot
	r, err := c.Join(ctx, kind, games.JoinParams{Opponent: challenger, Nonce: nonce, Decline: true}, client.WithRoomEvents())
	if err != nil {
		return snap, err
	}
	err = r.Decode(&snap)
	if lerr := r.Leave(ctx); err == nil {
		err = lerr
	}
	return snap, err
}

// Watch joins the running match roomID: as a spectator, or in their seat
// for one of its players (to resume from another connection).
func Watch(ctx context.Context, c *client.Client, kind, roomID string) (*Match, error) {
	return Join(ctx, c, kind, games.JoinParams{Room: roomID, Spectate: true})
}

// QuickMatch waits in the module's quick-match queue (the module needs
// games.Config.QuickMatch) until the queue pairs the client with other
// players, then leaves the queue and joins that match. ctx bounds the
// wait.
func QuickMatch(ctx context.Context, c *client.Client, kind string) (*Match, error) {
	q, err := c.Join(ctx, kind, games.JoinParams{Quick: true}, client.WithRoomEvents())
	if err != nil {
		return nil, err
	}
	matched, err := awaitMatched(ctx, q)
	// Out of line whatever happened; a failed leave only means the
	// connection is gone, which takes the client out of line too.
	_ = q.Leave(context.WithoutCancel(ctx))
	if err != nil {
		return nil, err
	}
	return Join(ctx, c, kind, games.JoinParams{Seats: matched.Seats, Nonce: matched.Nonce})
}

// awaitMatched waits for the queue's matched event.
func awaitMatched(ctx context.Context, q *client.Room) (*games.Matched, error) {
	for {
		select {
		case ev, ok := <-q.Events():
			if !ok {
				return nil, fmt.Errorf("gameclient: quick-match queue closed: %w", errOrClosed(q.Client()))
			}
			if ev.Left {
				return nil, fmt.Errorf("gameclient: left the quick-match queue (%s)", ev.Reason)
			}
			if ev.Name != games.EventMatched {
				continue
			}
			var mt games.Matched
			if err := ev.Decode(&mt); err != nil {
				return nil, fmt.Errorf("gameclient: matched: %w", err)
			}
			return &mt, nil
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
}

// errOrClosed returns why c ended, or ErrClosed.
func errOrClosed(c *client.Client) error {
	if err := c.Err(); err != nil {
		return err
	}
	return ErrClosed
}

// ErrClosed: the match's events ended (the room was left, or the client
// closed) while Next waited.
var ErrClosed = errors.New("gameclient: match closed")

// ErrNoRematch: JoinRematch was called before every seat agreed to a
// rematch (Match.Rematch is nil).
var ErrNoRematch = errors.New("gameclient: no rematch agreed yet")

// apply sets the match from a snapshot.
func (m *Match) apply(s *games.Snapshot) {
	m.Seat, m.Players, m.Status = s.Seat, s.Players, s.Status
	m.Turn, m.Ply, m.View, m.ViewPly = s.Turn, s.Ply, s.View, s.Ply
	m.Clocks, m.Result, m.Rematch = s.Clocks, s.Result, s.Rematch
}

// ID returns the match's room id.
func (m *Match) ID() string { return m.Room.ID() }

// MyTurn reports whether the client holds the seat to move and View is
// up to date, so that the next move can be chosen from it.
func (m *Match) MyTurn() bool {
	return m.Status == games.StatusPlaying && m.Seat >= 0 && m.Turn == m.Seat && m.ViewPly == m.Ply
}

// Over reports whether the match has ended; Result says how.
func (m *Match) Over() bool { return m.Status == games.StatusOver }

// Won reports whether the match is over and the client's seat won it.
func (m *Match) Won() bool {
	return m.Over() && m.Result != nil && m.Seat >= 0 && m.Result.Winner == m.Seat
}

// DecodeView decodes View into v, a pointer to the game's view type (for
// example *tictactoe.View or *chess.View).
func (m *Match) DecodeView(v any) error { return codec.UnmarshalData(m.View, v) }

// Move plays move, the game's own move value (for example tictactoe.Move
// or chess.Move), and returns the number of moves played, this one
// included. A refusal is a *codec.Error with a stable code, such as
// games.CodeIllegalMove, games.CodeNotYourTurn or games.CodeGameOver.
func (m *Match) Move(ctx context.Context, move any) (ply int, err error) {
	rep, err := m.Room.Send(ctx, games.EventMove, move)
	if err != nil {
		return 0, err
	}
	var mr games.MoveReply
	if err := rep.Decode(&mr); err != nil {
		return 0, fmt.Errorf("gameclient: move reply: %w", err)
	}
	return mr.Ply, nil
}

// Resign resigns the match.
func (m *Match) Resign(ctx context.Context) error { return m.do(ctx, games.EventResign) }

// OfferDraw offers a draw, or accepts the one the opponent offered.
func (m *Match) OfferDraw(ctx context.Context) error { return m.do(ctx, games.EventOfferDraw) }

// AcceptDraw accepts the pending draw offer.
func (m *Match) AcceptDraw(ctx context.Context) error { return m.do(ctx, games.EventAcceptDraw) }

// DeclineDraw declines the pending draw offer.
func (m *Match) DeclineDraw(ctx context.Context) error { return m.do(ctx, games.EventDeclineDraw) }

// Cancel withdraws the client's challenge while the match waits for the
// other players; the match ends with reason "cancelled".
func (m *Match) Cancel(ctx context.Context) error { return m.do(ctx, games.EventCancel) }

// RequestRematch asks for a rematch once the match is over. When every
// seat has asked, Next returns an update with Rematch set; join it with
// JoinRematch.
func (m *Match) RequestRematch(ctx context.Context) error { return m.do(ctx, games.EventRematch) }

// JoinRematch joins the rematch every seat agreed to (Match.Rematch).
func (m *Match) JoinRematch(ctx context.Context) (*Match, error) {
	if m.Rematch == nil {
		return nil, ErrNoRematch
	}
	return Join(ctx, m.Room.Client(), m.Kind, games.JoinParams{Seats: m.Rematch.Seats, Nonce: m.Rematch.Nonce})
}

// Log fetches the move log from ply from on.
func (m *Match) Log(ctx context.Context, from int) ([]games.LoggedMove, error) {
	rep, err := m.Room.Send(ctx, games.EventLog, games.LogRequest{From: from})
	if err != nil {
		return nil, err
	}
	var lr games.LogReply
	if err := rep.Decode(&lr); err != nil {
		return nil, fmt.Errorf("gameclient: log reply: %w", err)
	}
	return lr.Moves, nil
}

// Leave leaves the match room. A player's seat is held for the module's
// grace period. Events still buffered for the room are discarded (read
// them with Next before leaving to see them), so that a match left
// without reading its last events holds nothing until the client closes.
func (m *Match) Leave(ctx context.Context) error {
	err := m.Room.Leave(ctx)
	if ch := m.Room.Events(); ch != nil && err == nil {
		go func() {
			for range ch { // ends once the room's delivery has ended
			}
		}()
	}
	return err
}

func (m *Match) do(ctx context.Context, event string) error {
	_, err := m.Room.Send(ctx, event, nil)
	return err
}
