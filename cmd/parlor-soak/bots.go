package main

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"time"

	"github.com/parlorhq/parlor/client"
	"github.com/parlorhq/parlor/codec"
	"github.com/parlorhq/parlor/games"
	"github.com/parlorhq/parlor/games/tictactoe"
	"github.com/parlorhq/parlor/internal/loadgen"
)

// bots is one pair of bots playing tic-tac-toe matches back to back.
func (l *load) bots(ctx context.Context, name string) {
	users := []string{name + "a", name + "b"}
	cs, err := l.dialBots(ctx, users)
	if err != nil {
		return
	}
	defer loadgen.CloseAll(cs)
	rng := rand.New(rand.NewPCG(rand.Uint64(), rand.Uint64()))
	for m := 0; ctx.Err() == nil; m++ {
		if err := l.playMatch(ctx, cs, users, fmt.Sprintf("%s-%d", name, m), rng); err != nil {
			if ctx.Err() == nil {
				l.cnt.errors.Add(1)
				fmt.Fprintf(os.Stderr, "parlor-soak: %s: match: %v\n", name, err)
				sleep(ctx, time.Second)
			}
		}
	}
}

// dialBots connects the bots, holding a dialing slot, and drains their
// events: the moves are known from the replies. A failure is counted,
// unless ctx ended.
func (l *load) dialBots(ctx context.Context, users []string) ([]*client.Client, error) {
	if !l.acquire(ctx) {
		return nil, ctx.Err()
	}
	defer l.release()
	cs := make([]*client.Client, len(users))
	for i, u := range users {
		c, err := l.dial(ctx, u, clientOptions)
		if err != nil {
			if ctx.Err() == nil {
				l.cnt.errors.Add(1)
				fmt.Fprintf(os.Stderr, "parlor-soak: %s: dial: %v\n", u, err)
			}
			loadgen.CloseAll(cs)
			return nil, err
		}
		cs[i] = c
		go func() {
			for range c.Events() {
			}
		}()
	}
	return cs, nil
}

// playMatch plays one match with random moves and leaves its room.
func (l *load) playMatch(ctx context.Context, cs []*client.Client, users []string, nonce string, rng *rand.Rand) error {
	room, err := joinMatch(ctx, cs, users, nonce)
	if err != nil {
		return err
	}
	defer func() {
		for _, c := range cs {
			lctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			_ = c.Leave(lctx, room)
			cancel()
		}
	}()
	var board [9]int // 0 empty, 1 seat 0, 2 seat 1
	for ply := 0; ; ply++ {
		if !sleep(ctx, l.cfg.think) {
			return nil
		}
		var free []int
		for i, v := range board {
			if v == 0 {
				free = append(free, i)
			}
		}
		cell := free[rng.IntN(len(free))]
		seat := ply % 2
		if err := sendMove(ctx, cs[seat], room, cell); err != nil {
			return err
		}
		l.cnt.moves.Add(1)
		board[cell] = seat + 1
		if won(board) || len(free) == 1 {
			l.cnt.matches.Add(1)
			return nil
		}
	}
}

// joinMatch joins the bots to a new match and returns its room.
func joinMatch(ctx context.Context, cs []*client.Client, users []string, nonce string) (string, error) {
	params := games.JoinParams{Seats: users, Nonce: nonce}
	var room string
	for _, c := range cs {
		jctx, cancel := context.WithTimeout(ctx, 30*time.Second)
		j, err := c.Join(jctx, "games."+tictactoe.Game{}.Name(), params)
		cancel()
		if err != nil {
			return "", err
		}
		room = j.Room
	}
	return room, nil
}

// sendMove sends the move to cell.
func sendMove(ctx context.Context, c *client.Client, room string, cell int) error {
	mv, _ := codec.MarshalData(tictactoe.Move{Cell: &cell})
	sctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	_, err := c.Send(sctx, room, games.EventMove, mv)
	return err
}

// won reports whether a line is complete.
func won(b [9]int) bool {
	for _, l := range [8][3]int{{0, 1, 2}, {3, 4, 5}, {6, 7, 8}, {0, 3, 6}, {1, 4, 7}, {2, 5, 8}, {0, 4, 8}, {2, 4, 6}} {
		if b[l[0]] != 0 && b[l[0]] == b[l[1]] && b[l[1]] == b[l[2]] {
			return true
		}
	}
	return false
}
