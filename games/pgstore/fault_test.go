package pgstore

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/parlorhq/parlor/client"
	"github.com/parlorhq/parlor/codec"
	"github.com/parlorhq/parlor/games"
	"github.com/parlorhq/parlor/games/gamestest"
	"github.com/parlorhq/parlor/games/tictactoe"
	"github.com/parlorhq/parlor/internal/pgtest"
	"github.com/parlorhq/parlor/parlortest"
	"github.com/parlorhq/parlor/room"
)

// TestDatabaseRestart stops the real server under the store and starts it
// again: while it is down every call fails with ErrUnavailable and
// nothing is acked; once it is back the store works again by itself, and
// the log holds each acked entry once.
func TestDatabaseRestart(t *testing.T) {
	ctx := context.Background()
	c := pgtest.StartCluster(t)
	s, err := Open(ctx, c.DSN, Options{Timeout: 3 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	newMatch(t, s, "m")
	if err := s.Append(ctx, games.Write{Match: "m", Entries: []games.Entry{moved(1, 0)}}); err != nil {
		t.Fatal(err)
	}

	c.Down()
	fin := games.FinishedGame{Kind: "games.test", Room: "m", Players: []string{"a", "b"}, Ended: time.UnixMilli(5)}
	if err := s.Append(ctx, games.Write{Match: "m", Entries: []games.Entry{moved(2, 0)}, Finished: &fin}); !isUnavailable(err) {
		t.Fatalf("Append with the database down: %v, want ErrUnavailable", err)
	}
	if err := s.Create(ctx, games.MatchInfo{ID: "m2", Kind: "games.test", Players: []string{"a", "b"}}); !isUnavailable(err) {
		t.Fatalf("Create with the database down: %v", err)
	}
	if _, _, err := s.Load(ctx, "m"); !isUnavailable(err) {
		t.Fatalf("Load with the database down: %v", err)
	}
	if _, err := s.Entries(ctx, "m", 0, 10); !isUnavailable(err) {
		t.Fatalf("Entries with the database down: %v", err)
	}
	if _, err := s.Finished(ctx, "a", games.HistoryCursor{}, 10); !isUnavailable(err) {
		t.Fatalf("Finished with the database down: %v", err)
	}

	c.Up()
	// The pool drops the dead connections and dials new ones; a call may
	// still meet a dead one first, and then fails as unavailable too.
	for try := 1; ; try++ {
		err = s.Append(ctx, games.Write{Match: "m", Entries: []games.Entry{moved(2, 0)}, Finished: &fin})
		if err == nil {
			t.Logf("the store worked again at try %d", try)
			break
		}
		if !isUnavailable(err) || try == 5 {
			t.Fatalf("Append after the restart, try %d: %v", try, err)
		}
	}
	_, log, err := s.Load(ctx, "m")
	if err != nil || len(log) != 2 || log[0].ClientMsgID != "c1" || log[1].ClientMsgID != "c2" {
		t.Fatalf("the log after the restart: %+v, %v", log, err)
	}
	if list, err := s.Finished(ctx, "b", games.HistoryCursor{}, 10); err != nil || len(list) != 1 {
		t.Fatalf("b's history after the restart: %+v, %v", list, err)
	}
}

// leftAfter waits until p's connection has left the match room, and
// returns the seats of the moves it was sent until then.
func leftAfter(t *testing.T, p *gamestest.Player) []int {
	t.Helper()
	var seats []int
	parlortest.Wait(t, p.Client, gamestest.Timeout, func(ev client.Event) bool {
		var m games.Moved
		if ev.Room == p.Room && ev.Name == games.EventMoved && ev.Decode(&m) == nil {
			seats = append(seats, m.Seat)
		}
		return ev.Room == p.Room && ev.Left
	})
	return seats
}

// TestMoveWhileDatabaseDown: tic-tac-toe on this store, over real
// WebSockets, with the real server stopped under it. The mover gets the
// unavailable code, the opponent no moved event, and the match room
// closes; a match on another store plays on. Once the server is back, the
// players rejoin, find the match as stored, and the move is made again,
// once.
func TestMoveWhileDatabaseDown(t *testing.T) {
	c := pgtest.StartCluster(t)
	s, err := Open(context.Background(), c.DSN, Options{Timeout: 3 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	srv := parlortest.Start(t, parlortest.Config{Modules: []room.Module{
		games.NewModule(tictactoe.Game{}, games.Config{Store: s}),
	}})
	other := parlortest.Start(t, parlortest.Config{Modules: []room.Module{
		games.NewModule(tictactoe.Game{}, games.Config{Store: openStore(t, pgtest.NewSchema(t), Options{})}),
	}})
	x, o := gamestest.Pair(t, srv, "games.tictactoe", "alice", "bob")
	carol, dave := gamestest.Pair(t, other, "games.tictactoe", "carol", "dave")
	cell := func(i int) tictactoe.Move { return tictactoe.Move{Cell: &i} }
	x.MustMove(cell(4))
	o.Next(games.EventMoved)

	c.Down()
	if err := o.Move(cell(0)); gamestest.Code(err) != codec.CodeUnavailable {
		t.Fatalf("a move with the database down: %v, want unavailable", err)
	}
	for _, p := range []*gamestest.Player{x, o} {
		if seats := leftAfter(t, p); slices.Contains(seats, 1) {
			t.Fatalf("%s saw moves by seats %v: the unsaved move was broadcast", p.User, seats)
		}
	}
	carol.MustMove(cell(0)) // another store's match is untouched
	dave.MustMove(cell(1))

	c.Up()
	for _, p := range []*gamestest.Player{x, o} {
		var err error
		for try := 1; try <= 5; try++ {
			if err = p.Join(games.JoinParams{Room: p.Room}); err == nil {
				break
			}
			time.Sleep(200 * time.Millisecond)
		}
		if err != nil {
			t.Fatalf("%s rejoins: %v", p.User, err)
		}
		if p.Joined.Ply != 1 || p.Joined.Turn != 1 || p.Joined.Status != games.StatusPlaying {
			t.Fatalf("%s finds the match as %+v, want as stored: one move, o to play", p.User, p.Joined)
		}
	}
	o.MustMove(cell(0))
	var m games.Moved
	x.Expect(games.EventMoved, &m)
	if m.Seat != 1 {
		t.Fatalf("x saw %+v", m)
	}
	_, log, err := s.Load(context.Background(), o.Room)
	if err != nil {
		t.Fatal(err)
	}
	var moves int
	for _, e := range log {
		if e.Event == games.EventMoved {
			moves++
		}
	}
	if moves != 2 {
		t.Fatalf("the stored log has %d moves, want 2", moves)
	}
}
