package main

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/parlorhq/parlor/client/gameclient"
	"github.com/parlorhq/parlor/games"
)

// pair is one match as each of its two bots sees it, by seat. Each bot
// reads the events of its own room.
type pair [2]*gameclient.Match

// leave makes the bots that joined leave the match, and reads the rest of
// each room's events: a room's delivery ends only once its last event has
// been read (or the client closed).
func (ms pair) leave() {
	for _, m := range ms {
		if m != nil && m.Leave(context.Background()) == nil {
			for range m.Room.Events() {
			}
		}
	}
}

// stateTimeout bounds the wait for both bots to see a match start, or a
// move's new position.
const stateTimeout = 30 * time.Second

// awaitStart waits until both bots see the match playing: the bot that
// joined first learns it from the started event.
func (ms pair) awaitStart(ctx context.Context) error {
	wctx, cancel := context.WithTimeout(ctx, stateTimeout)
	defer cancel()
	for _, m := range ms {
		for m.Status == games.StatusWaiting {
			if _, err := m.Wait(wctx, games.EventStarted); err != nil {
				return waitError(ctx, "the start", err)
			}
		}
		if m.Status != games.StatusPlaying {
			return fmt.Errorf("match not playing after both joined: %s", m.Status)
		}
	}
	return nil
}

// awaitPly waits until both bots have the state event of ply, the
// position after ply moves.
func (ms pair) awaitPly(ctx context.Context, ply int) error {
	wctx, cancel := context.WithTimeout(ctx, stateTimeout)
	defer cancel()
	for _, m := range ms {
		for m.ViewPly < ply {
			if _, err := m.Wait(wctx, games.EventState); err != nil {
				return waitError(ctx, fmt.Sprintf("the state of ply %d", ply), err)
			}
		}
	}
	return nil
}

// waitError says why the wait for what ended with err, where ctx is the
// run's context: the wait's own time limit, or err itself.
func waitError(ctx context.Context, what string, err error) error {
	if errors.Is(err, context.DeadlineExceeded) && ctx.Err() == nil {
		return fmt.Errorf("no %s within %v", what, stateTimeout)
	}
	return fmt.Errorf("waiting for %s: %w", what, err)
}
