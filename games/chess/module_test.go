package chess

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/parlorhq/parlor/codec"
	"github.com/parlorhq/parlor/engine"
	"github.com/parlorhq/parlor/games"
	"github.com/parlorhq/parlor/games/gamestest"
	"github.com/parlorhq/parlor/internal/testserver"
	"github.com/parlorhq/parlor/room/roomtest"
)

// These tests play chess over real WebSockets: an engine on loopback with
// the games toolkit's module for chess, and Go clients.

const kind = "games.chess"

// env is an engine serving one chess game on a fake clock, collecting the
// finished matches.
type env struct {
	s        *testserver.Server
	game     *Game
	clock    *roomtest.FakeClock
	finished chan games.FinishedGame
}

// serve starts an engine with chess from fen ("" for standard) and cfg.
func serve(t *testing.T, fen string, cfg games.Config) *env {
	t.Helper()
	g, err := NewGame(Options{FEN: fen})
	if err != nil {
		t.Fatal(err)
	}
	e := &env{game: g, clock: roomtest.NewFakeClock(time.Time{}), finished: make(chan games.FinishedGame, 4)}
	cfg.OnFinished = func(_ context.Context, f games.FinishedGame) { e.finished <- f }
	var ecfg engine.Config
	ecfg.Room.Clock = e.clock
	e.s = testserver.Start(t, ecfg, games.NewModule(g, cfg))
	return e
}

func (e *env) finishedGame(t *testing.T) games.FinishedGame {
	t.Helper()
	select {
	case f := <-e.finished:
		return f
	case <-time.After(gamestest.Timeout):
		t.Fatal("no finished game")
		return games.FinishedGame{}
	}
}

// decodeView decodes a view from a snapshot or state event.
func decodeView(t *testing.T, raw []byte) View {
	t.Helper()
	var v View
	if err := codec.UnmarshalData(raw, &v); err != nil {
		t.Fatal(err)
	}
	return v
}

// expectMoved waits for ply's moved and state events on p and returns the
// view.
func expectMoved(t *testing.T, p *gamestest.Player, seat, ply int, move string) View {
	t.Helper()
	var m games.Moved
	p.Expect(games.EventMoved, &m)
	var sent Move
	if err := codec.UnmarshalData(m.Move, &sent); err != nil || sent != parse(move) {
		t.Fatalf("%s: moved %+v (%v), want %s", p.User, sent, err, move)
	}
	if m.Seat != seat || m.Ply != ply {
		t.Fatalf("%s: moved seat %d ply %d, want seat %d ply %d", p.User, m.Seat, m.Ply, seat, ply)
	}
	var st games.StateUpdate
	p.Expect(games.EventState, &st)
	v := decodeView(t, st.View)
	last := v.LastMove
	if st.Ply != ply || len(v.Moves) != ply || last == nil ||
		(last.UCI != move && strings.TrimRight(last.SAN, "+#") != strings.TrimRight(move, "+#")) {
		t.Fatalf("%s: state ply %d view %+v after %s", p.User, st.Ply, v, move)
	}
	return v
}

// playAll makes the moves in order, white first, and checks that both
// players and every watcher see each of them. It returns the last view.
func playAll(t *testing.T, white, black *gamestest.Player, watchers []*gamestest.Player, moves ...string) View {
	t.Helper()
	var v View
	for i, mv := range moves {
		seat, p := i%2, white
		if seat == 1 {
			p = black
		}
		p.MustMove(parse(mv))
		for _, q := range append([]*gamestest.Player{white, black}, watchers...) {
			v = expectMoved(t, q, seat, i+1, mv)
		}
	}
	return v
}

func expectOver(t *testing.T, p *gamestest.Player, winner int, reason string) {
	t.Helper()
	var over games.GameOver
	p.Expect(games.EventGameOver, &over)
	if over.Winner != winner || over.Reason != reason {
		t.Fatalf("%s: game over %+v, want winner %d reason %s", p.User, over, winner, reason)
	}
}

func TestMatchScholarsMate(t *testing.T) {
	e := serve(t, "", games.Config{})
	white, black := gamestest.Pair(t, e.s, kind, "alice", "bob")
	carol := gamestest.Watch(t, e.s, kind, "carol", white.Room)
	v := decodeView(t, carol.Joined.View)
	if carol.Joined.Seat != -1 || v.FEN != StartFEN || v.Turn != "w" || len(v.Legal) != 20 {
		t.Fatalf("spectator joined %+v, view %+v", carol.Joined, v)
	}
	if err := carol.Move(Move{UCI: "e2e4"}); gamestest.Code(err) != games.CodeNotPlayer {
		t.Fatalf("spectator moves: %v", err)
	}

	v = playAll(t, white, black, []*gamestest.Player{carol}, "e2e4", "e5", "Bc4", "b8c6", "Qh5", "Nf6", "h5f7")
	if !v.Check || v.Result == nil || *v.Result != (games.Result{Winner: 0, Reason: ReasonCheckmate}) ||
		len(v.Legal) != 0 || v.LastMove.SAN != "Qxf7#" {
		t.Fatalf("final view %+v", v)
	}
	for _, p := range []*gamestest.Player{white, black, carol} {
		expectOver(t, p, 0, ReasonCheckmate)
	}
	if err := black.Move(Move{UCI: "e8f7"}); gamestest.Code(err) != games.CodeGameOver {
		t.Fatalf("move after mate: %v", err)
	}

	f := e.finishedGame(t)
	pgn, err := e.game.PGN(f, PGNOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(pgn, `[White "alice"]`) || !strings.Contains(pgn, "4. Qxf7# {White wins by checkmate} 1-0") {
		t.Fatalf("PGN\n%s", pgn)
	}
	if lib := parsePGN(t, pgn); lib.Position().String() != v.FEN {
		t.Fatalf("PGN reads back to %s", lib.Position())
	}
}

// Sam Loyd's stalemate in ten moves.
func TestMatchStalemate(t *testing.T) {
	e := serve(t, "", games.Config{})
	white, black := gamestest.Pair(t, e.s, kind, "alice", "bob")
	v := playAll(t, white, black, nil,
		"e3", "a5", "Qh5", "Ra6", "Qxa5", "h5", "h4", "Rah6", "Qxc7", "f6",
		"Qxd7+", "Kf7", "Qxb7", "Qd3", "Qxb8", "Qh7", "Qxc8", "Kg6", "Qe6")
	if v.Check || v.Result == nil || v.Result.Reason != ReasonStalemate || v.Turn != "b" {
		t.Fatalf("final view %+v", v)
	}
	expectOver(t, white, -1, ReasonStalemate)
	expectOver(t, black, -1, ReasonStalemate)
	if f := e.finishedGame(t); f.Result != (games.Result{Winner: -1, Reason: ReasonStalemate}) || len(f.Moves) != 19 {
		t.Fatalf("finished %+v", f)
	}
}

func TestMatchResignation(t *testing.T) {
	e := serve(t, "", games.Config{})
	white, black := gamestest.Pair(t, e.s, kind, "alice", "bob")
	playAll(t, white, black, nil, "d4", "Nf6", "c4")
	if err := black.Do(games.EventResign, nil); err != nil {
		t.Fatal(err)
	}
	expectOver(t, white, 0, games.ReasonResignation)
	expectOver(t, black, 0, games.ReasonResignation)
	if err := black.Move(Move{SAN: "e6"}); gamestest.Code(err) != games.CodeGameOver {
		t.Fatalf("move after resigning: %v", err)
	}
	pgn, err := e.game.PGN(e.finishedGame(t), PGNOptions{})
	if err != nil || !strings.Contains(pgn, "1. d4 Nf6 2. c4 {White wins by resignation} 1-0") {
		t.Fatalf("PGN %v\n%s", err, pgn)
	}
}

func TestMatchAgreedDraw(t *testing.T) {
	e := serve(t, "", games.Config{})
	white, black := gamestest.Pair(t, e.s, kind, "alice", "bob")
	playAll(t, white, black, nil, "e4", "c5")
	if err := white.Do(games.EventOfferDraw, nil); err != nil {
		t.Fatal(err)
	}
	var offer games.SeatEvent
	black.Expect(games.EventDrawOffered, &offer)
	if offer.Seat != 0 {
		t.Fatalf("offer %+v", offer)
	}
	if err := black.Do(games.EventAcceptDraw, nil); err != nil {
		t.Fatal(err)
	}
	expectOver(t, white, -1, games.ReasonAgreement)
	expectOver(t, black, -1, games.ReasonAgreement)
	if f := e.finishedGame(t); f.Result != (games.Result{Winner: -1, Reason: games.ReasonAgreement}) || len(f.Moves) != 2 {
		t.Fatalf("finished %+v", f)
	}
}

func TestMatchThreefoldClaim(t *testing.T) {
	e := serve(t, "", games.Config{})
	white, black := gamestest.Pair(t, e.s, kind, "alice", "bob")
	v := playAll(t, white, black, nil, "Nf3", "Nf6", "Ng1", "Ng8", "Nf3", "Nf6", "Ng1")
	if len(v.Claimable) != 0 {
		t.Fatalf("claimable %v", v.Claimable)
	}
	if err := white.Move(Move{Claim: ClaimThreefold}); gamestest.Code(err) != games.CodeNotYourTurn {
		t.Fatalf("claim out of turn: %v", err)
	}
	if err := black.Move(Move{Claim: ClaimThreefold}); gamestest.Code(err) != games.CodeIllegalMove {
		t.Fatalf("early claim: %v", err)
	}
	black.MustMove(Move{SAN: "Ng8"})
	v = expectMoved(t, white, 1, 8, "Ng8")
	if len(v.Claimable) != 1 || v.Claimable[0] != ClaimThreefold {
		t.Fatalf("claimable %v", v.Claimable)
	}
	white.MustMove(Move{Claim: ClaimThreefold})
	expectOver(t, black, -1, ReasonThreefold)
	f := e.finishedGame(t)
	if final, err := games.Replay(e.game, f.Moves); err != nil || final.Result() == nil || final.Result().Reason != ReasonThreefold {
		t.Fatalf("replay of the log: %v", err)
	}
}

func TestMatchFlagFall(t *testing.T) {
	e := serve(t, "", games.Config{TimeControl: games.TimeControl{Base: time.Minute, Increment: time.Second}})
	white, black := gamestest.Pair(t, e.s, kind, "alice", "bob")
	white.Next(games.EventStarted)
	e.clock.Advance(10 * time.Second)
	playAll(t, white, black, nil, "e4")
	e.clock.Advance(59 * time.Second)
	black.MustMove(Move{UCI: "c7c5"})
	expectMoved(t, white, 1, 2, "c7c5")
	// White thinks until the flag falls.
	e.clock.Advance(51 * time.Second)
	expectOver(t, white, 1, games.ReasonTimeout)
	expectOver(t, black, 1, games.ReasonTimeout)
	if err := white.Move(Move{UCI: "g1f3"}); gamestest.Code(err) != games.CodeGameOver {
		t.Fatalf("move after the flag fell: %v", err)
	}
	pgn, err := e.game.PGN(e.finishedGame(t), PGNOptions{})
	if err != nil || !strings.Contains(pgn, `[TimeControl "60+1"]`) || !strings.Contains(pgn, `[Termination "time forfeit"]`) ||
		!strings.Contains(pgn, "{Black wins on time} 0-1") {
		t.Fatalf("PGN %v\n%s", err, pgn)
	}
}

// A flag fall against a bare king is a draw.
func TestMatchFlagFallAgainstBareKing(t *testing.T) {
	e := serve(t, "4k3/8/8/8/8/8/8/4K2Q w - - 0 1", games.Config{TimeControl: games.TimeControl{Base: time.Minute}})
	white, black := gamestest.Pair(t, e.s, kind, "alice", "bob")
	if v := decodeView(t, white.Joined.View); v.StartFEN != "4k3/8/8/8/8/8/8/4K2Q w - - 0 1" {
		t.Fatalf("view %+v", v)
	}
	white.Next(games.EventStarted)
	e.clock.Advance(time.Minute)
	expectOver(t, white, -1, games.ReasonTimeout)
	expectOver(t, black, -1, games.ReasonTimeout)
}

func TestMatchRefusedMoves(t *testing.T) {
	e := serve(t, "", games.Config{})
	white, black := gamestest.Pair(t, e.s, kind, "alice", "bob")
	if err := black.Move(Move{UCI: "e7e5"}); gamestest.Code(err) != games.CodeNotYourTurn {
		t.Fatalf("black moves first: %v", err)
	}
	for _, tc := range []struct {
		move any
		code codec.Code
		msg  string
	}{
		{Move{UCI: "e2e5"}, games.CodeIllegalMove, "e2e5 is not a legal move"},
		{Move{SAN: "Ke2"}, games.CodeIllegalMove, "Ke2 is not a legal move"},
		{Move{UCI: "e7e5"}, games.CodeIllegalMove, "not yours"},
		{Move{Claim: ClaimFiftyMove}, games.CodeIllegalMove, "fifty-move"},
		{Move{UCI: "e2"}, codec.CodeBadRequest, "not a UCI move"},
		{map[string]int{"uci": 1}, codec.CodeBadRequest, ""},
		{map[string]string{}, codec.CodeBadRequest, "empty move"},
		{"e2e4", codec.CodeBadRequest, ""},
		{map[string]string{"uci": "e2e4", "comment": "gg"}, codec.CodeBadRequest, "unknown field"},
	} {
		err := white.Move(tc.move)
		if gamestest.Code(err) != tc.code || !strings.Contains(err.Error(), tc.msg) {
			t.Errorf("move %v: %v, want %s containing %q", tc.move, err, tc.code, tc.msg)
		}
	}
	// Nothing changed.
	w := gamestest.Watch(t, e.s, kind, "carol", white.Room)
	if v := decodeView(t, w.Joined.View); w.Joined.Ply != 0 || w.Joined.Turn != 0 || w.Joined.LogLen != 0 || v.FEN != StartFEN {
		t.Fatalf("after refused moves: %+v, view %+v", w.Joined, v)
	}
	playAll(t, white, black, []*gamestest.Player{w}, "e2e4")
	if err := white.Move(Move{UCI: "d2d4"}); gamestest.Code(err) != games.CodeNotYourTurn {
		t.Fatalf("white moves twice: %v", err)
	}
}
