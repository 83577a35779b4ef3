package main

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/parlorhq/parlor/internal/loadgen"
)

// TestMatchToEnd: the two bots of a game play a tic-tac-toe match to its
// end, counting and timing every move, and once they have left, each
// bot's room has delivered its last event.
func TestMatchToEnd(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cfg := config{game: "tictactoe", games: 1, dialConc: 2, seed: 1}
	b, err := cfg.validate()
	if err != nil {
		t.Fatal(err)
	}
	wsURL, stop, err := openServer(cfg, b, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer stop()
	conns, err := dialAll(ctx, wsURL, cfg)
	defer loadgen.CloseAll(conns)
	if err != nil {
		t.Fatal(err)
	}
	var moves atomic.Int64
	p := newPlayer(cfg, b, conns, 0)
	p.lat, p.moves = loadgen.NewRecorder(0), &moves

	ms, err := p.join(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for ms[0].Turn >= 0 {
		if err := p.move(ctx, ms); err != nil {
			t.Fatal(err)
		}
	}
	for seat, m := range ms {
		if m.ViewPly != m.Ply || m.Ply < 5 || m.Ply > 9 || m.Seat != seat {
			t.Fatalf("seat %d: ply %d, view of ply %d, seat %d", seat, m.Ply, m.ViewPly, m.Seat)
		}
	}
	if n := moves.Load(); n != int64(ms[0].Ply) || p.lat.Snapshot().Count() != n {
		t.Fatalf("%d moves counted, %d timed; %d played", n, p.lat.Snapshot().Count(), ms[0].Ply)
	}

	ms.leave()
	for seat, m := range ms {
		select {
		case <-m.Room.Done():
		case <-ctx.Done():
			t.Fatalf("seat %d: the room's delivery did not end after the leave", seat)
		}
	}
}
