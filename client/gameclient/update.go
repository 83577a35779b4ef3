package gameclient

import (
	"context"
	"fmt"

	"github.com/parlorhq/parlor/client"
	"github.com/parlorhq/parlor/games"
)

// Update is one event of a match, decoded. Event is the raw event; the
// field of its kind is set, and the others are nil.
type Update struct {
	// Event is the event as received. Its Name is one of the games.Event*
	// names the server sends, or client.EventRejoined or client.EventGap
	// when the match was joined again (Snapshot is then set).
	Event client.Event
	// Started is set for games.EventStarted.
	Started *games.Started
	// Moved is set for games.EventMoved.
	Moved *games.Moved
	// State is set for games.EventState.
	State *games.StateUpdate
	// GameOver is set for games.EventGameOver.
	GameOver *games.GameOver
	// Seat is set for draw offers and declines and rematch offers.
	Seat *games.SeatEvent
	// Presence is set for games.EventPlayerLeft and EventPlayerBack.
	Presence *games.Presence
	// Rematch is set for games.EventRematchReady.
	Rematch *games.Rematch
	// Snapshot is set when the match was joined again: after a reconnect
	// the server could not replay (client.EventRejoined), or after events
	// were dropped (client.EventGap), when Next joins the match again by
	// id for a fresh snapshot.
	Snapshot *games.Snapshot
}

// Next waits for the match's next event, updates the Match from it and
// returns it decoded. When the room's buffer overflowed (client.EventGap),
// Next joins the match again by id and returns the fresh snapshot. It
// returns ErrClosed (or the client's error) when the room's events end,
// after a left notice, which it returns as an Update first.
func (m *Match) Next(ctx context.Context) (Update, error) {
	var ev client.Event
	var ok bool
	select {
	case ev, ok = <-m.Room.Events():
	case <-ctx.Done():
		return Update{}, ctx.Err()
	}
	if !ok {
		return Update{}, errOrClosed(m.Room.Client())
	}
	u := Update{Event: ev}
	var err error
	switch ev.Name {
	case client.EventRejoined:
		u.Snapshot = new(games.Snapshot)
		if err = ev.Decode(u.Snapshot); err == nil {
			m.apply(u.Snapshot)
		}
	case client.EventGap:
		u.Snapshot, err = m.refresh(ctx)
	case games.EventStarted:
		u.Started = new(games.Started)
		if err = ev.Decode(u.Started); err == nil {
			m.Status, m.Players, m.Turn, m.Clocks = games.StatusPlaying, u.Started.Players, u.Started.Turn, u.Started.Clocks
		}
	case games.EventMoved:
		u.Moved = new(games.Moved)
		if err = ev.Decode(u.Moved); err == nil {
			m.Ply, m.Turn, m.Clocks = u.Moved.Ply, u.Moved.Turn, u.Moved.Clocks
		}
	case games.EventState:
		u.State = new(games.StateUpdate)
		if err = ev.Decode(u.State); err == nil {
			m.View, m.ViewPly = u.State.View, u.State.Ply
		}
	case games.EventGameOver:
		u.GameOver = new(games.GameOver)
		if err = ev.Decode(u.GameOver); err == nil {
			m.Status, m.Turn, m.Clocks = games.StatusOver, -1, u.GameOver.Clocks
			m.Result = &games.Result{Winner: u.GameOver.Winner, Reason: u.GameOver.Reason}
		}
	case games.EventDrawOffered, games.EventDrawDeclined, games.EventRematchOffered:
		u.Seat = new(games.SeatEvent)
		err = ev.Decode(u.Seat)
	case games.EventPlayerLeft, games.EventPlayerBack:
		u.Presence = new(games.Presence)
		err = ev.Decode(u.Presence)
	case games.EventRematchReady:
		u.Rematch = new(games.Rematch)
		if err = ev.Decode(u.Rematch); err == nil {
			m.Rematch = u.Rematch
		}
	}
	if err != nil {
		return u, fmt.Errorf("gameclient: %s: %w", ev.Name, err)
	}
	return u, nil
}

// refresh joins the match again by id, for a fresh snapshot; the new room
// takes the events over.
func (m *Match) refresh(ctx context.Context) (*games.Snapshot, error) {
	r, err := m.Room.Client().Join(ctx, m.Kind, games.JoinParams{Room: m.Room.ID()}, client.WithRoomEvents())
	if err != nil {
		return nil, err
	}
	var snap games.Snapshot
	if err := r.Decode(&snap); err != nil {
		return nil, err
	}
	if ch := m.Room.Events(); ch != nil {
		// The old room's events are in the snapshot: read them to their
		// end (the join ended its delivery), so that its delivery
		// goroutine is not left blocked until the client closes.
		go func() {
			for range ch {
			}
		}()
	}
	m.Room = r
	m.apply(&snap)
	return &snap, nil
}

// Wait reads events (see Next) until one called name has arrived, or one
// that joined the match again (Update.Snapshot is set: the event waited
// for may be among those missed, so check the Match), and returns it.
func (m *Match) Wait(ctx context.Context, name string) (Update, error) {
	for {
		u, err := m.Next(ctx)
		if err != nil {
			return u, err
		}
		if u.Event.Name == name || u.Snapshot != nil {
			return u, nil
		}
	}
}

// Chooser picks the client's next move from the match (its View, decoded
// with DecodeView). Play calls it only when it is the client's turn.
type Chooser func(m *Match) (move any, err error)

// Play plays the match to its end: whenever it is the client's turn it
// asks choose for a move and plays it, and otherwise reads the match's
// events. It returns the result once the match is over. A refused move or
// an error from choose ends it.
func (m *Match) Play(ctx context.Context, choose Chooser) (*games.Result, error) {
	played := -1 // the ply of the client's last move, until its events arrive
	for !m.Over() {
		if m.MyTurn() && m.Ply > played {
			move, err := choose(m)
			if err != nil {
				return nil, err
			}
			if played, err = m.Move(ctx, move); err != nil {
				return nil, err
			}
			continue
		}
		if _, err := m.Next(ctx); err != nil {
			return nil, err
		}
	}
	return m.Result, nil
}
