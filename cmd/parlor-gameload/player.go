package main

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"sync/atomic"
	"time"

	"github.com/parlorhq/parlor/client"
	"github.com/parlorhq/parlor/games"
	"github.com/parlorhq/parlor/internal/loadgen"
)

// player drives the two bots of one game.
type player struct {
	kind    string
	bot     bot
	conns   [2]*client.Client
	users   [2]string
	rng     *rand.Rand
	think   time.Duration
	id      int
	round   int
	matches int64
	lat     *loadgen.Recorder // move-to-all-updated latency, shared
	moves   *atomic.Int64     // moves played by every player, shared
	// pacer hands out the moves' due times in an open loop (-rate), until
	// paceCtx ends; nil in a closed loop.
	pacer   *loadgen.Pacer
	paceCtx context.Context
}

// errTimeUp: the schedule ended before the next move was due.
var errTimeUp = errors.New("time is up")

// botName is the user of the bot in seat of game.
func botName(game, seat int) string { return fmt.Sprintf("bot-%d-%d", game, seat) }

// play plays matches until the deadline.
func (p *player) play(ctx context.Context, deadline time.Time) error {
	for time.Now().Before(deadline) && ctx.Err() == nil {
		if err := p.match(ctx, deadline); err != nil {
			return err
		}
	}
	return nil
}

// match plays one match, or stops it at the deadline.
func (p *player) match(ctx context.Context, deadline time.Time) error {
	roomID, snap, err := p.join(ctx)
	if roomID != "" {
		defer p.leave(roomID)
	}
	if err != nil {
		return err
	}
	if snap.Status != games.StatusPlaying {
		return fmt.Errorf("match not playing after both joined: %s", snap.Status)
	}
	view, turn, ply := []byte(snap.View), snap.Turn, snap.Ply
	for time.Now().Before(deadline) && ctx.Err() == nil {
		st, err := p.move(ctx, roomID, view, turn, ply)
		if errors.Is(err, errTimeUp) {
			return nil
		}
		if err != nil {
			return err
		}
		ply++
		if st.Turn < 0 {
			p.matches++
			return nil
		}
		view, turn = st.View, st.Turn
		if p.think > 0 {
			time.Sleep(p.think)
		}
	}
	return nil
}

// join joins both bots to a new match, and returns its room and the
// snapshot of the second join. roomID is set once a bot has joined, even
// with an error.
func (p *player) join(ctx context.Context) (roomID string, snap games.Snapshot, err error) {
	p.round++
	params := games.JoinParams{Seats: p.users[:], Nonce: fmt.Sprintf("load-%d-%d", p.id, p.round)}
	for _, c := range p.conns {
		j, err := c.Join(ctx, p.kind, params)
		if err != nil {
			return roomID, snap, fmt.Errorf("join: %w", err)
		}
		roomID = j.Room
		if err := j.Decode(&snap); err != nil {
			return roomID, snap, err
		}
	}
	return roomID, snap, nil
}

// leave makes both bots leave the match's room.
func (p *player) leave(roomID string) {
	for _, c := range p.conns {
		_ = c.Leave(context.Background(), roomID)
	}
}

// move plays a random legal move of view for the bot whose turn it is,
// at once or when the schedule says, waits until both bots have the state
// of ply+1, records the latency from the send (or due) time and returns
// that state.
func (p *player) move(ctx context.Context, roomID string, view []byte, turn, ply int) (games.StateUpdate, error) {
	sent := time.Now()
	if p.pacer != nil {
		due, ok := p.pacer.Next(p.paceCtx)
		if !ok {
			return games.StateUpdate{}, errTimeUp
		}
		sent = due
	}
	moves, err := p.bot.moves(view)
	if err != nil {
		return games.StateUpdate{}, fmt.Errorf("decode view: %w", err)
	}
	if len(moves) == 0 {
		return games.StateUpdate{}, fmt.Errorf("ply %d: no legal moves but turn %d", ply, turn)
	}
	move := moves[p.rng.IntN(len(moves))]
	if _, err := p.conns[turn].Send(ctx, roomID, games.EventMove, move); err != nil {
		return games.StateUpdate{}, fmt.Errorf("ply %d: move: %w", ply, err)
	}
	var st games.StateUpdate
	for _, c := range p.conns {
		if st, err = waitState(ctx, c, roomID, ply+1); err != nil {
			return st, err
		}
	}
	p.lat.Record(p.id, time.Since(sent))
	p.moves.Add(1)
	return st, nil
}

// waitState waits on c for the state event of ply in roomID.
func waitState(ctx context.Context, c *client.Client, roomID string, ply int) (games.StateUpdate, error) {
	timeout := time.NewTimer(30 * time.Second)
	defer timeout.Stop()
	for {
		select {
		case ev, ok := <-c.Events():
			if !ok {
				return games.StateUpdate{}, fmt.Errorf("connection closed: %v", c.Err())
			}
			if ev.Room != roomID || ev.Name != games.EventState {
				continue
			}
			var st games.StateUpdate
			if err := ev.Decode(&st); err != nil {
				return st, err
			}
			if st.Ply == ply {
				return st, nil
			}
		case <-timeout.C:
			return games.StateUpdate{}, fmt.Errorf("no state for ply %d within 30s", ply)
		case <-ctx.Done():
			return games.StateUpdate{}, ctx.Err()
		}
	}
}
