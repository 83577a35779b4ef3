package gameclient_test

import (
	"context"
	"sync"
	"testing"

	"go.uber.org/goleak"

	"github.com/parlorhq/parlor/client"
	"github.com/parlorhq/parlor/client/gameclient"
	"github.com/parlorhq/parlor/codec"
	"github.com/parlorhq/parlor/games"
	"github.com/parlorhq/parlor/games/chess"
	"github.com/parlorhq/parlor/games/tictactoe"
	"github.com/parlorhq/parlor/parlortest"
	"github.com/parlorhq/parlor/room"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

const (
	tttKind   = "games.tictactoe"
	chessKind = "games.chess"
)

func ctx(t *testing.T) context.Context {
	c, cancel := context.WithTimeout(context.Background(), parlortest.Timeout)
	t.Cleanup(cancel)
	return c
}

func start(t *testing.T, cfg games.Config) *parlortest.Server {
	return parlortest.Start(t, parlortest.Config{Modules: []room.Module{
		games.NewModule(tictactoe.Game{}, cfg),
		games.NewModule(chess.Game{}, cfg),
	}})
}

// firstFree plays the first free cell.
func firstFree(m *gameclient.Match) (any, error) {
	var v tictactoe.View
	if err := m.DecodeView(&v); err != nil {
		return nil, err
	}
	return tictactoe.Move{Cell: &v.Legal[0]}, nil
}

// script plays the given moves in order.
func script(moves ...string) gameclient.Chooser {
	i := 0
	return func(*gameclient.Match) (any, error) {
		i++
		return chess.Move{UCI: moves[i-1]}, nil
	}
}

// playBoth plays a challenge between two bots and returns each side's
// match and result.
func playBoth(t *testing.T, srv *parlortest.Server, kind string, choose [2]gameclient.Chooser) [2]*gameclient.Match {
	t.Helper()
	users := [2]string{"alice", "bob"}
	var ms [2]*gameclient.Match
	for i, u := range users {
		m, err := gameclient.Challenge(ctx(t), srv.Dial(u), kind, users[1-i], "n1")
		if err != nil {
			t.Fatalf("%s: challenge: %v", u, err)
		}
		ms[i] = m
	}
	var wg sync.WaitGroup
	for i, m := range ms {
		wg.Go(func() {
			if _, err := m.Play(ctx(t), choose[i]); err != nil {
				t.Errorf("%s: play: %v", users[i], err)
			}
		})
	}
	wg.Wait()
	return ms
}

func TestTicTacToeBots(t *testing.T) {
	srv := start(t, games.Config{})
	ms := playBoth(t, srv, tttKind, [2]gameclient.Chooser{firstFree, firstFree})
	// X takes 0, 2, 4 and 6: the diagonal 2-4-6 wins on the seventh move.
	for i, m := range ms {
		if m.Seat != i || !m.Over() || m.Ply != 7 || m.Result == nil || m.Result.Winner != 0 || m.Result.Reason != "line" {
			t.Fatalf("seat %d: %+v, result %+v", i, m, m.Result)
		}
		var v tictactoe.View
		if err := m.DecodeView(&v); err != nil || v.Board != "XOXOXOX.." {
			t.Fatalf("seat %d: board %q (%v)", i, v.Board, err)
		}
	}
	if !ms[0].Won() || ms[1].Won() {
		t.Fatal("Won is wrong")
	}
	log, err := ms[1].Log(ctx(t), 0)
	if err != nil || len(log) != 7 {
		t.Fatalf("log: %d moves, %v", len(log), err)
	}
}

func TestChessFoolsMate(t *testing.T) {
	srv := start(t, games.Config{})
	ms := playBoth(t, srv, chessKind, [2]gameclient.Chooser{
		script("f2f3", "g2g4"),
		script("e7e5", "d8h4"),
	})
	for i, m := range ms {
		if m.Result == nil || m.Result.Winner != 1 || m.Result.Reason != "checkmate" {
			t.Fatalf("seat %d: result %+v", i, m.Result)
		}
	}
	var v chess.View
	if err := ms[0].DecodeView(&v); err != nil || !v.Check || len(v.Moves) != 4 {
		t.Fatalf("final view %+v (%v)", v, err)
	}
}

// Refusals keep their codes; a spectator follows the match; a resign
// ends it; a rematch is joined through the match.
func TestMatchRequests(t *testing.T) {
	srv := start(t, games.Config{})
	alice, err := gameclient.Challenge(ctx(t), srv.Dial("alice"), tttKind, "bob", "n2")
	if err != nil {
		t.Fatal(err)
	}
	bob, err := gameclient.Challenge(ctx(t), srv.Dial("bob"), tttKind, "alice", "n2")
	if err != nil {
		t.Fatal(err)
	}
	carol, err := gameclient.Watch(ctx(t), srv.Dial("carol"), tttKind, alice.ID())
	if err != nil {
		t.Fatal(err)
	}
	if carol.Seat != -1 || carol.Status != games.StatusPlaying || bob.Status != games.StatusPlaying {
		t.Fatalf("carol seat %d status %s; bob status %s", carol.Seat, carol.Status, bob.Status)
	}
	cell := 4
	if _, err := bob.Move(ctx(t), tictactoe.Move{Cell: &cell}); codeOf(err) != games.CodeNotYourTurn {
		t.Fatalf("bob moves first: %v", err)
	}
	if ply, err := alice.Move(ctx(t), tictactoe.Move{Cell: &cell}); err != nil || ply != 1 {
		t.Fatalf("alice moves: ply %d, %v", ply, err)
	}
	if _, err := bob.Move(ctx(t), tictactoe.Move{Cell: &cell}); codeOf(err) != games.CodeIllegalMove {
		t.Fatalf("bob takes the same cell: %v", err)
	}
	u, err := carol.Wait(ctx(t), games.EventState)
	if err != nil || carol.Ply != 1 || carol.ViewPly != 1 || u.State == nil {
		t.Fatalf("carol after the move: ply %d view ply %d, %v", carol.Ply, carol.ViewPly, err)
	}
	if err := bob.Resign(ctx(t)); err != nil {
		t.Fatal(err)
	}
	u, err = carol.Wait(ctx(t), games.EventGameOver)
	if err != nil || u.GameOver.Reason != games.ReasonResignation || carol.Result.Winner != 0 {
		t.Fatalf("carol's game over: %+v, %v", u.GameOver, err)
	}
	for _, m := range []*gameclient.Match{alice, bob} {
		if err := m.RequestRematch(ctx(t)); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := alice.Wait(ctx(t), games.EventRematchReady); err != nil {
		t.Fatal(err)
	}
	next, err := alice.JoinRematch(ctx(t))
	if err != nil {
		t.Fatal(err)
	}
	if next.Seat != 1 || next.ID() == alice.ID() {
		t.Fatalf("rematch: seat %d, room %s", next.Seat, next.ID())
	}
}

func TestQuickMatch(t *testing.T) {
	srv := start(t, games.Config{QuickMatch: true})
	var wg sync.WaitGroup
	var ms [2]*gameclient.Match
	for i, u := range []string{"alice", "bob"} {
		c := srv.Dial(u)
		wg.Go(func() {
			m, err := gameclient.QuickMatch(ctx(t), c, tttKind)
			if err != nil {
				t.Errorf("%s: quick match: %v", u, err)
				return
			}
			ms[i] = m
		})
	}
	wg.Wait()
	if t.Failed() {
		return
	}
	if ms[0].ID() != ms[1].ID() || ms[0].Seat == ms[1].Seat {
		t.Fatalf("paired into %s seat %d and %s seat %d", ms[0].ID(), ms[0].Seat, ms[1].ID(), ms[1].Seat)
	}
}

// A player who does not read the match's events for a while gets a gap,
// and Next joins the match again for the current position; the opponent
// plays on undisturbed.
func TestMatchGapRefresh(t *testing.T) {
	srv := start(t, games.Config{})
	slow, err := gameclient.Challenge(ctx(t), srv.DialOptions("alice", client.Options{RoomBuffer: 1}), tttKind, "bob", "n3")
	if err != nil {
		t.Fatal(err)
	}
	bob, err := gameclient.Challenge(ctx(t), srv.Dial("bob"), tttKind, "alice", "n3")
	if err != nil {
		t.Fatal(err)
	}
	// alice plays three moves without reading, bob answers each after
	// reading it: far more than one event waits in alice's room.
	for _, cells := range [][2]int{{0, 3}, {4, 5}, {1, 6}} {
		x, o := cells[0], cells[1]
		if _, err := slow.Move(ctx(t), tictactoe.Move{Cell: &x}); err != nil {
			t.Fatal(err)
		}
		waitView(t, bob, bob.Ply+1)
		if _, err := bob.Move(ctx(t), tictactoe.Move{Cell: &o}); err != nil {
			t.Fatal(err)
		}
		waitView(t, bob, bob.Ply+1)
	}
	var gap bool
	for slow.Ply < 6 || slow.ViewPly < 6 {
		u, err := slow.Next(ctx(t))
		if err != nil {
			t.Fatal(err)
		}
		if u.Event.Name == client.EventGap {
			gap = true
			if u.Snapshot == nil || u.Snapshot.Ply != 6 {
				t.Fatalf("gap refresh: %+v", u.Snapshot)
			}
		}
	}
	if !gap {
		t.Fatal("no gap with a one-event buffer")
	}
	if !slow.MyTurn() {
		t.Fatal("alice's turn not seen after the refresh")
	}
	var v tictactoe.View
	if err := slow.DecodeView(&v); err != nil || v.Board != "XX.OXOO.." {
		t.Fatalf("alice's board %q (%v)", v.Board, err)
	}
	// The refreshed room carries the events on.
	cell := 8
	if _, err := slow.Move(ctx(t), tictactoe.Move{Cell: &cell}); err != nil {
		t.Fatal(err)
	}
	if _, err := slow.Wait(ctx(t), games.EventGameOver); err != nil || !slow.Won() {
		t.Fatalf("alice's win: %+v, %v", slow.Result, err)
	}
}

// waitView reads m's events until its view shows ply moves.
func waitView(t *testing.T, m *gameclient.Match, ply int) {
	t.Helper()
	for m.ViewPly < ply {
		if _, err := m.Next(ctx(t)); err != nil {
			t.Fatal(err)
		}
	}
}

func codeOf(err error) codec.Code {
	if ce, ok := err.(*codec.Error); ok {
		return ce.Code
	}
	return ""
}

// TestDeclineAndCancel: the challenged user declines one challenge, the
// challenger cancels another; both matches end before they start.
func TestDeclineAndCancel(t *testing.T) {
	srv := start(t, games.Config{})
	alice, err := gameclient.Challenge(ctx(t), srv.Dial("alice"), tttKind, "bob", "n1")
	if err != nil {
		t.Fatal(err)
	}
	snap, err := gameclient.Decline(ctx(t), srv.Dial("bob"), tttKind, "alice", "n1")
	if err != nil || snap.Status != games.StatusOver || snap.Result == nil || snap.Result.Reason != games.ReasonDeclined {
		t.Fatalf("decline: %+v, %v", snap, err)
	}
	for !alice.Over() {
		if _, err := alice.Next(ctx(t)); err != nil {
			t.Fatal(err)
		}
	}
	second, err := gameclient.Challenge(ctx(t), alice.Room.Client(), tttKind, "bob", "n2")
	if err != nil {
		t.Fatal(err)
	}
	if err := second.Cancel(ctx(t)); err != nil {
		t.Fatal(err)
	}
	for !second.Over() {
		if _, err := second.Next(ctx(t)); err != nil {
			t.Fatal(err)
		}
	}
	if second.Result.Reason != games.ReasonCancelled {
		t.Fatalf("cancelled match: %+v", second.Result)
	}
}
