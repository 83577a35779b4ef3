package main

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"sync/atomic"
	"time"

	"github.com/parlorhq/parlor/client"
	"github.com/parlorhq/parlor/client/gameclient"
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
	// bd, with -breakdown, times each move from its store write's end.
	bd *breakdown
	// from is the end of -warmup: moves sent (or due) before it are not
	// measured.
	from time.Time
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
	ms, err := p.join(ctx)
	defer ms.leave()
	if err != nil {
		return err
	}
	for time.Now().Before(deadline) && ctx.Err() == nil {
		err := p.move(ctx, ms)
		if errors.Is(err, errTimeUp) {
			return nil
		}
		if err != nil {
			return err
		}
		if ms[0].Turn < 0 {
			p.matches++
			return nil
		}
		if p.think > 0 {
			time.Sleep(p.think)
		}
	}
	return nil
}

// join joins both bots to a new match and waits until both see it
// playing. The bots that joined are in the result even with an error.
func (p *player) join(ctx context.Context) (ms pair, err error) {
	p.round++
	params := games.JoinParams{Seats: p.users[:], Nonce: fmt.Sprintf("load-%d-%d", p.id, p.round)}
	for i, c := range p.conns {
		if ms[i], err = gameclient.Join(ctx, c, p.kind, params); err != nil {
			return ms, fmt.Errorf("join: %w", err)
		}
	}
	return ms, ms.awaitStart(ctx)
}

// move plays a random legal move for the bot whose turn it is, at once or
// when the schedule says, waits until both bots have the new position and
// records the latency from the send (or due) time.
func (p *player) move(ctx context.Context, ms pair) error {
	sent := time.Now()
	if p.pacer != nil {
		due, ok := p.pacer.Next(p.paceCtx)
		if !ok {
			return errTimeUp
		}
		sent = due
	}
	m, move, err := p.choose(ms)
	if err != nil {
		return err
	}
	ply, err := m.Move(ctx, move)
	if err != nil {
		return fmt.Errorf("ply %d: move: %w", m.Ply, err)
	}
	if err := ms.awaitPly(ctx, ply); err != nil {
		return err
	}
	if !sent.Before(p.from) {
		p.lat.Record(p.id, time.Since(sent))
		if p.bd != nil {
			p.bd.replied(m.Room.ID())
		}
	}
	p.moves.Add(1)
	return nil
}

// choose returns the match of the bot to move and a random legal move of
// its view, encoded.
func (p *player) choose(ms pair) (*gameclient.Match, []byte, error) {
	for _, m := range ms {
		if !m.MyTurn() {
			continue
		}
		moves, err := p.bot.moves(m.View)
		if err != nil {
			return nil, nil, fmt.Errorf("decode view: %w", err)
		}
		if len(moves) == 0 {
			return nil, nil, fmt.Errorf("ply %d: no legal moves but turn %d", m.Ply, m.Turn)
		}
		return m, moves[p.rng.IntN(len(moves))], nil
	}
	return nil, nil, fmt.Errorf("ply %d: no bot may move (turn %d)", ms[0].Ply, ms[0].Turn)
}
