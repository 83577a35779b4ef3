package tictactoe_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/parlorhq/parlor/client"
	"github.com/parlorhq/parlor/codec"
	"github.com/parlorhq/parlor/engine"
	"github.com/parlorhq/parlor/games"
	"github.com/parlorhq/parlor/games/gamestest"
	"github.com/parlorhq/parlor/games/tictactoe"
	"github.com/parlorhq/parlor/internal/testserver"
	"github.com/parlorhq/parlor/room/roomtest"
)

const kind = "games.tictactoe"

// env is an engine serving tic-tac-toe with a fake clock, collecting the
// finished games.
type env struct {
	s        *testserver.Server
	clock    *roomtest.FakeClock
	finished chan games.FinishedGame
}

// start serves tic-tac-toe configured by cfg, on a fake clock.
func start(t *testing.T, cfg games.Config) *env {
	t.Helper()
	e := &env{clock: roomtest.NewFakeClock(time.Time{}), finished: make(chan games.FinishedGame, 16)}
	cfg.OnFinished = func(_ context.Context, g games.FinishedGame) { e.finished <- g }
	ecfg := engine.Config{MaxConnsPerUser: 1000}
	ecfg.Room.Clock = e.clock
	e.s = testserver.Start(t, ecfg, games.NewModule(tictactoe.Game{}, cfg))
	return e
}

// finishedGame waits for the next game handed to OnFinished.
func (e *env) finishedGame(t *testing.T) games.FinishedGame {
	t.Helper()
	select {
	case g := <-e.finished:
		return g
	case <-time.After(gamestest.Timeout):
		t.Fatal("no finished game")
		return games.FinishedGame{}
	}
}

func cell(i int) tictactoe.Move { return tictactoe.Move{Cell: &i} }

// expectMove waits for ply's moved and state events on p and checks them.
func expectMove(t *testing.T, p *gamestest.Player, seat, c, ply int) tictactoe.View {
	t.Helper()
	var m games.Moved
	p.Expect(games.EventMoved, &m)
	var got tictactoe.Move
	if err := codec.UnmarshalData(m.Move, &got); err != nil || got.Cell == nil || *got.Cell != c {
		t.Fatalf("%s: moved %+v (%v), want cell %d", p.User, m, err, c)
	}
	if m.Seat != seat || m.Ply != ply {
		t.Fatalf("%s: moved seat %d ply %d, want seat %d ply %d", p.User, m.Seat, m.Ply, seat, ply)
	}
	var st games.StateUpdate
	p.Expect(games.EventState, &st)
	var v tictactoe.View
	if err := codec.UnmarshalData(st.View, &v); err != nil {
		t.Fatal(err)
	}
	if st.Ply != ply || v.Board[c] != "XO"[seat] {
		t.Fatalf("%s: state ply %d board %s after seat %d took %d", p.User, st.Ply, v.Board, seat, c)
	}
	return v
}

// play makes the moves in order, alternating seats from X, and checks
// that every member sees each of them.
func play(t *testing.T, players [2]*gamestest.Player, watchers []*gamestest.Player, cells ...int) {
	t.Helper()
	for ply, c := range cells {
		seat := ply % 2
		players[seat].MustMove(cell(c))
		for _, p := range append(players[:], watchers...) {
			expectMove(t, p, seat, c, ply+1)
		}
	}
}

func expectOver(t *testing.T, p *gamestest.Player, winner int, reason string) games.GameOver {
	t.Helper()
	var over games.GameOver
	p.Expect(games.EventGameOver, &over)
	if over.Winner != winner || over.Reason != reason {
		t.Fatalf("%s: game over %+v, want winner %d reason %s", p.User, over, winner, reason)
	}
	return over
}

func TestPlayToWin(t *testing.T) {
	e := start(t, games.Config{})
	x, o := gamestest.Pair(t, e.s, kind, "alice", "bob")
	if x.Room != o.Room || x.Joined.Seat != 0 || o.Joined.Seat != 1 || o.Joined.Status != games.StatusPlaying {
		t.Fatalf("joined %+v / %+v", x.Joined, o.Joined)
	}
	x.Next(games.EventStarted)
	carol := gamestest.Watch(t, e.s, kind, "carol", x.Room)
	if carol.Joined.Seat != -1 || carol.Joined.Spectators != 1 {
		t.Fatalf("spectator snapshot %+v", carol.Joined)
	}

	play(t, [2]*gamestest.Player{x, o}, []*gamestest.Player{carol}, 0, 3, 1, 4, 2)
	for _, p := range []*gamestest.Player{x, o, carol} {
		expectOver(t, p, 0, "line")
	}
	g := e.finishedGame(t)
	if g.Result != (games.Result{Winner: 0, Reason: "line"}) || len(g.Moves) != 5 || g.Players[0] != "alice" || g.Room != x.Room {
		t.Fatalf("finished game %+v", g)
	}
	final, err := games.Replay(tictactoe.Game{}, g.Moves)
	if err != nil || final.Key() != "XXXOO....-" {
		t.Fatalf("replay: %v, %v", final, err)
	}
	if err := x.Move(cell(8)); gamestest.Code(err) != games.CodeGameOver {
		t.Fatalf("move after the end: %v", err)
	}
}

func TestPlayToDraw(t *testing.T) {
	e := start(t, games.Config{})
	x, o := gamestest.Pair(t, e.s, kind, "alice", "bob")
	play(t, [2]*gamestest.Player{x, o}, nil, 0, 1, 2, 4, 3, 5, 7, 6, 8)
	expectOver(t, x, -1, "board_full")
	expectOver(t, o, -1, "board_full")
	if g := e.finishedGame(t); g.Result.Winner != -1 || len(g.Moves) != 9 {
		t.Fatalf("finished game %+v", g)
	}
}

func TestSpectatorCannotAct(t *testing.T) {
	e := start(t, games.Config{})
	x, _ := gamestest.Pair(t, e.s, kind, "alice", "bob")
	carol := gamestest.Watch(t, e.s, kind, "carol", x.Room)
	for _, ev := range []string{games.EventMove, games.EventResign, games.EventOfferDraw, games.EventRematch} {
		if err := carol.Do(ev, cell(0)); gamestest.Code(err) != games.CodeNotPlayer {
			t.Errorf("spectator %s: %v, want not_player", ev, err)
		}
	}
	// Spectators may read the log.
	var log games.LogReply
	r, err := carol.Send(games.EventLog, games.LogRequest{})
	if err != nil || r.Decode(&log) != nil || len(log.Moves) != 0 {
		t.Fatalf("log: %v %+v", err, log)
	}
}

func TestWatchNeedsRunningMatch(t *testing.T) {
	e := start(t, games.Config{})
	p := gamestest.Dial(t, e.s, kind, "carol")
	if err := p.Join(games.JoinParams{Room: "no-such-room", Spectate: true}); gamestest.Code(err) != codec.CodeNotFound {
		t.Fatalf("watch a room that is not running: %v", err)
	}
	// With the engine as RoomFinder, Resolve refuses before any room exists.
	e2 := &env{finished: make(chan games.FinishedGame, 1)}
	e2.s = testserver.Start(t, engine.Config{})
	if err := e2.s.Engine.Register(games.NewModule(tictactoe.Game{}, games.Config{Rooms: e2.s.Engine})); err != nil {
		t.Fatal(err)
	}
	p2 := gamestest.Dial(t, e2.s, kind, "carol")
	if err := p2.Join(games.JoinParams{Room: "no-such-room"}); gamestest.Code(err) != codec.CodeNotFound {
		t.Fatalf("watch with a finder: %v", err)
	}
	if n := e2.s.Engine.Stats().Rooms; n != 0 {
		t.Fatalf("%d rooms after a refused watch", n)
	}
	x, _ := gamestest.Pair(t, e2.s, kind, "alice", "bob")
	if w := gamestest.Watch(t, e2.s, kind, "dave", x.Room); w.Joined.Status != games.StatusPlaying {
		t.Fatalf("watch %+v", w.Joined)
	}
}

func TestMoveOutOfTurn(t *testing.T) {
	e := start(t, games.Config{})
	x, o := gamestest.Pair(t, e.s, kind, "alice", "bob")
	if err := o.Move(cell(0)); gamestest.Code(err) != games.CodeNotYourTurn {
		t.Fatalf("O moves first: %v", err)
	}
	x.MustMove(cell(0))
	if err := x.Move(cell(1)); gamestest.Code(err) != games.CodeNotYourTurn {
		t.Fatalf("X moves twice: %v", err)
	}
	o.MustMove(cell(1))
}

func TestIllegalMoveLeavesStateUnchanged(t *testing.T) {
	e := start(t, games.Config{})
	x, o := gamestest.Pair(t, e.s, kind, "alice", "bob")
	x.MustMove(cell(4))
	expectMove(t, o, 0, 4, 1)
	for _, tc := range []struct {
		move any
		code codec.Code
	}{
		{cell(4), games.CodeIllegalMove},
		{cell(9), games.CodeIllegalMove},
		{cell(-1), games.CodeIllegalMove},
		{map[string]string{"cell": "x"}, codec.CodeBadRequest},
		{map[string]int{}, codec.CodeBadRequest},
		{"e2e4", codec.CodeBadRequest},
	} {
		if err := o.Move(tc.move); gamestest.Code(err) != tc.code {
			t.Errorf("move %v: %v, want %s", tc.move, err, tc.code)
		}
	}
	w := gamestest.Watch(t, e.s, kind, "carol", x.Room)
	var v tictactoe.View
	if err := codec.UnmarshalData(w.Joined.View, &v); err != nil {
		t.Fatal(err)
	}
	if w.Joined.Ply != 1 || w.Joined.Turn != 1 || v.Board != "....X...." || w.Joined.LogLen != 1 {
		t.Fatalf("after refused moves: %+v board %s", w.Joined, v.Board)
	}
	o.MustMove(cell(0))
	expectMove(t, x, 0, 4, 1)
	expectMove(t, x, 1, 0, 2)
}

// TestSimultaneousMoves sends two moves for the same ply at once, many
// times: exactly one of each pair applies.
func TestSimultaneousMoves(t *testing.T) {
	e := start(t, games.Config{})
	x, o := gamestest.Pair(t, e.s, kind, "alice", "bob")
	// A second tab of each player.
	x2 := &gamestest.Player{T: t, Server: e.s, Client: e.s.Dial("alice"), User: "alice", Kind: kind}
	o2 := &gamestest.Player{T: t, Server: e.s, Client: e.s.Dial("bob"), User: "bob", Kind: kind}
	for _, p := range []*gamestest.Player{x2, o2} {
		if err := p.Join(games.JoinParams{Room: x.Room}); err != nil || p.Joined.Seat < 0 {
			t.Fatalf("second tab: %v %+v", err, p.Joined)
		}
	}
	race := func(a, b *gamestest.Player, ma, mb any) (errA, errB error) {
		var wg sync.WaitGroup
		wg.Add(2)
		go func() { defer wg.Done(); errA = a.Move(ma) }()
		go func() { defer wg.Done(); errB = b.Move(mb) }()
		wg.Wait()
		return errA, errB
	}
	one := func(ply int, errA, errB error, codes ...codec.Code) {
		t.Helper()
		if (errA == nil) == (errB == nil) {
			t.Fatalf("ply %d: both or neither applied: %v / %v", ply, errA, errB)
		}
		err := errA
		if err == nil {
			err = errB
		}
		for _, c := range codes {
			if gamestest.Code(err) == c {
				return
			}
		}
		t.Fatalf("ply %d: refused with %v, want one of %v", ply, err, codes)
	}
	type plyMove struct {
		Cell int `msgpack:"cell"`
		Ply  int `msgpack:"ply"`
	}
	// Ply 0 and 1: the same seat's two tabs, different cells.
	errA, errB := race(x, x2, cell(0), cell(1))
	one(0, errA, errB, games.CodeNotYourTurn, games.CodeIllegalMove)
	errA, errB = race(o, o2, cell(3), cell(4))
	one(1, errA, errB, games.CodeNotYourTurn, games.CodeIllegalMove)
	// Ply 2: both players claim it, naming the ply: only X's can apply,
	// and O's is refused whether it arrives before X's or after it.
	errA, errB = race(x, o, plyMove{Cell: 6, Ply: 2}, plyMove{Cell: 7, Ply: 2})
	if errA != nil || (gamestest.Code(errB) != games.CodeNotYourTurn && gamestest.Code(errB) != codec.CodeConflict) {
		t.Fatalf("ply 2: X %v, O %v", errA, errB)
	}
	w := gamestest.Watch(t, e.s, kind, "carol", x.Room)
	if w.Joined.Ply != 3 || w.Joined.LogLen != 3 {
		t.Fatalf("after three contested plies: %+v", w.Joined)
	}
	// A stale ply is refused.
	if err := o.Move(plyMove{Cell: 8, Ply: 2}); gamestest.Code(err) != codec.CodeConflict {
		t.Fatalf("stale ply: %v", err)
	}
}

func TestDisconnectWithinGraceResumes(t *testing.T) {
	e := start(t, games.Config{Grace: 30 * time.Second})
	x, o := gamestest.Pair(t, e.s, kind, "alice", "bob")
	x.MustMove(cell(0))
	o.Close()
	var left games.Presence
	x.Expect(games.EventPlayerLeft, &left)
	if left.Seat != 1 || left.User != "bob" || left.GraceMS != 30000 {
		t.Fatalf("player_left %+v", left)
	}
	e.clock.Advance(29 * time.Second)
	if err := o.Reconnect(); err != nil {
		t.Fatal(err)
	}
	if o.Joined.Seat != 1 || o.Joined.Status != games.StatusPlaying || o.Joined.Ply != 1 || o.Joined.Turn != 1 {
		t.Fatalf("resumed snapshot %+v", o.Joined)
	}
	var back games.Presence
	x.Expect(games.EventPlayerBack, &back)
	if back.Seat != 1 {
		t.Fatalf("player_back %+v", back)
	}
	e.clock.Advance(time.Minute) // the grace timer was stopped: nothing happens
	o.MustMove(cell(4))
	expectMove(t, x, 1, 4, 2)
}

func TestDisconnectBeyondGraceForfeits(t *testing.T) {
	e := start(t, games.Config{Grace: 30 * time.Second})
	x, o := gamestest.Pair(t, e.s, kind, "alice", "bob")
	x.MustMove(cell(0))
	o.Close()
	x.Next(games.EventPlayerLeft)
	e.clock.Advance(30 * time.Second)
	expectOver(t, x, 0, games.ReasonForfeit)
	if g := e.finishedGame(t); g.Result.Reason != games.ReasonForfeit || len(g.Moves) != 1 {
		t.Fatalf("finished %+v", g)
	}
	// Coming back later shows the result.
	if err := o.Reconnect(); err != nil {
		t.Fatal(err)
	}
	if o.Joined.Status != games.StatusOver || o.Joined.Result == nil || o.Joined.Result.Winner != 0 {
		t.Fatalf("snapshot after forfeit %+v", o.Joined)
	}
}

func TestClocksAndFlagFall(t *testing.T) {
	e := start(t, games.Config{TimeControl: games.TimeControl{Base: time.Minute, Increment: 2 * time.Second}})
	x, o := gamestest.Pair(t, e.s, kind, "alice", "bob")
	var st games.Started
	x.Expect(games.EventStarted, &st)
	if len(st.Clocks) != 2 || st.Clocks[0] != 60000 || st.Clocks[1] != 60000 {
		t.Fatalf("started %+v", st)
	}
	e.clock.Advance(10 * time.Second)
	x.MustMove(cell(0))
	var m games.Moved
	o.Expect(games.EventMoved, &m)
	if m.Clocks[0] != 52000 || m.Clocks[1] != 60000 {
		t.Fatalf("clocks after X's move %v, want [52000 60000]", m.Clocks)
	}
	e.clock.Advance(15 * time.Second)
	w := gamestest.Watch(t, e.s, kind, "carol", x.Room)
	if c := w.Joined.Clocks; c[0] != 52000 || c[1] != 45000 || w.Joined.BaseMS != 60000 || w.Joined.IncrementMS != 2000 {
		t.Fatalf("snapshot clocks %v", w.Joined)
	}
	// Nobody sends anything: O's flag falls at 60 s.
	e.clock.Advance(45 * time.Second)
	over := expectOver(t, x, 0, games.ReasonTimeout)
	if over.Clocks[1] != 0 || over.Clocks[0] != 52000 {
		t.Fatalf("clocks at the end %v", over.Clocks)
	}
	if err := o.Move(cell(4)); gamestest.Code(err) != games.CodeGameOver {
		t.Fatalf("move after the flag fell: %v", err)
	}
}

func TestResignation(t *testing.T) {
	e := start(t, games.Config{})
	x, o := gamestest.Pair(t, e.s, kind, "alice", "bob")
	if err := o.Do(games.EventResign, nil); err != nil {
		t.Fatal(err)
	}
	expectOver(t, x, 0, games.ReasonResignation)
	if err := x.Do(games.EventResign, nil); gamestest.Code(err) != games.CodeGameOver {
		t.Fatalf("resign after the end: %v", err)
	}
}

func TestDrawOffers(t *testing.T) {
	e := start(t, games.Config{})
	x, o := gamestest.Pair(t, e.s, kind, "alice", "bob")
	if err := x.Do(games.EventAcceptDraw, nil); gamestest.Code(err) != codec.CodeConflict {
		t.Fatalf("accept without an offer: %v", err)
	}
	if err := x.Do(games.EventOfferDraw, nil); err != nil {
		t.Fatal(err)
	}
	var ev games.SeatEvent
	o.Expect(games.EventDrawOffered, &ev)
	if ev.Seat != 0 {
		t.Fatalf("draw_offered %+v", ev)
	}
	if err := x.Do(games.EventAcceptDraw, nil); gamestest.Code(err) != codec.CodeConflict {
		t.Fatalf("accept your own offer: %v", err)
	}
	if err := o.Do(games.EventDeclineDraw, nil); err != nil {
		t.Fatal(err)
	}
	x.Expect(games.EventDrawDeclined, &ev)
	if ev.Seat != 1 {
		t.Fatalf("draw_declined %+v", ev)
	}
	// An offer stands through the offerer's own move; the opponent's
	// move declines it.
	if err := x.Do(games.EventOfferDraw, nil); err != nil {
		t.Fatal(err)
	}
	x.MustMove(cell(0))
	o.MustMove(cell(1))
	if err := x.Do(games.EventOfferDraw, nil); err != nil {
		t.Fatal(err)
	}
	if err := o.Do(games.EventAcceptDraw, nil); err != nil {
		t.Fatal(err)
	}
	expectOver(t, x, -1, games.ReasonAgreement)
	if g := e.finishedGame(t); g.Result.Reason != games.ReasonAgreement {
		t.Fatalf("finished %+v", g)
	}
}

func TestRematchSwapsSeats(t *testing.T) {
	e := start(t, games.Config{})
	x, o := gamestest.Pair(t, e.s, kind, "alice", "bob")
	if err := x.Do(games.EventRematch, nil); gamestest.Code(err) != codec.CodeConflict {
		t.Fatalf("rematch during play: %v", err)
	}
	if err := x.Do(games.EventResign, nil); err != nil {
		t.Fatal(err)
	}
	if err := x.Do(games.EventRematch, nil); err != nil {
		t.Fatal(err)
	}
	o.Next(games.EventRematchOffered)
	r, err := o.Send(games.EventRematch, nil)
	if err != nil {
		t.Fatal(err)
	}
	var fromReply, fromEvent games.Rematch
	if err := r.Decode(&fromReply); err != nil {
		t.Fatal(err)
	}
	x.Expect(games.EventRematchReady, &fromEvent)
	if fromEvent.Nonce != fromReply.Nonce || fromEvent.Seats[0] != "bob" || fromEvent.Seats[1] != "alice" {
		t.Fatalf("rematch %+v / %+v", fromEvent, fromReply)
	}
	params := games.JoinParams{Seats: fromEvent.Seats, Nonce: fromEvent.Nonce}
	x2 := gamestest.Dial(t, e.s, kind, "alice")
	o2 := gamestest.Dial(t, e.s, kind, "bob")
	if err := x2.Join(params); err != nil {
		t.Fatal(err)
	}
	if err := o2.Join(params); err != nil {
		t.Fatal(err)
	}
	if o2.Room == x.Room || o2.Joined.Seat != 0 || x2.Joined.Seat != 1 || o2.Joined.Status != games.StatusPlaying {
		t.Fatalf("rematch snapshots %+v / %+v", o2.Joined, x2.Joined)
	}
	o2.MustMove(cell(4)) // bob is X now
}

func TestQuickMatch(t *testing.T) {
	e := start(t, games.Config{QuickMatch: true})
	a := gamestest.Dial(t, e.s, kind, "alice")
	b := gamestest.Dial(t, e.s, kind, "bob")
	if err := a.Join(games.JoinParams{Quick: true}); err != nil {
		t.Fatal(err)
	}
	if err := b.Join(games.JoinParams{Quick: true}); err != nil {
		t.Fatal(err)
	}
	var ma, mb games.Matched
	a.Expect(games.EventMatched, &ma)
	b.Expect(games.EventMatched, &mb)
	if ma.Nonce != mb.Nonce || ma.Seat != 0 || mb.Seat != 1 || ma.Opponent != "bob" || mb.Opponent != "alice" {
		t.Fatalf("matched %+v / %+v", ma, mb)
	}
	queue := a.Room
	for _, p := range []*gamestest.Player{a, b} {
		ctx, cancel := context.WithTimeout(context.Background(), gamestest.Timeout)
		if err := p.Client.Leave(ctx, queue); err != nil {
			t.Fatal(err)
		}
		cancel()
	}
	// Matched is the challenge to join.
	var mm games.JoinParams
	raw, _ := codec.MarshalData(ma)
	if err := codec.UnmarshalData(raw, &mm); err != nil {
		t.Fatal(err)
	}
	if err := a.Join(mm); err != nil {
		t.Fatal(err)
	}
	if err := b.Join(games.JoinParams{Opponent: mb.Opponent, Seats: mb.Seats, Nonce: mb.Nonce}); err != nil {
		t.Fatal(err)
	}
	if a.Room != b.Room || a.Room == queue || b.Joined.Status != games.StatusPlaying {
		t.Fatalf("after matching: %s %s %+v", a.Room, b.Room, b.Joined)
	}
	a.MustMove(cell(0))

	off := start(t, games.Config{})
	c := gamestest.Dial(t, off.s, kind, "carol")
	if err := c.Join(games.JoinParams{Quick: true}); gamestest.Code(err) != codec.CodeNotFound {
		t.Fatalf("quick match when off: %v", err)
	}
}

func TestChallengeParams(t *testing.T) {
	e := start(t, games.Config{})
	p := gamestest.Dial(t, e.s, kind, "alice")
	for _, tc := range []struct {
		params games.JoinParams
		code   codec.Code
	}{
		{games.JoinParams{Opponent: "bob"}, codec.CodeBadRequest},                            // no nonce
		{games.JoinParams{Opponent: "alice", Nonce: "n"}, codec.CodeBadRequest},              // oneself
		{games.JoinParams{Seats: []string{"bob", "carol"}, Nonce: "n"}, codec.CodeForbidden}, // not a player
		{games.JoinParams{Seats: []string{"alice"}, Nonce: "n"}, codec.CodeBadRequest},       // too few
		{games.JoinParams{Seats: []string{"alice", "bob"}, Opponent: "x", Nonce: "n"}, codec.CodeBadRequest},
		{games.JoinParams{}, codec.CodeBadRequest},
	} {
		if err := p.Join(tc.params); gamestest.Code(err) != tc.code {
			t.Errorf("join %+v: %v, want %s", tc.params, err, tc.code)
		}
	}
	// Opponent form: the first to join takes seat 0; the room id is
	// RoomID's.
	b := gamestest.Dial(t, e.s, kind, "bob")
	if err := b.Join(games.JoinParams{Opponent: "alice", Nonce: "n1"}); err != nil {
		t.Fatal(err)
	}
	if err := p.Join(games.JoinParams{Opponent: "bob", Nonce: "n1"}); err != nil {
		t.Fatal(err)
	}
	if b.Joined.Seat != 0 || p.Joined.Seat != 1 || p.Room != b.Room {
		t.Fatalf("seats %d %d rooms %s %s", b.Joined.Seat, p.Joined.Seat, b.Room, p.Room)
	}
	if id := games.RoomID([]byte("parlor test secret"), kind, "n1", "bob", "alice"); id != p.Room {
		t.Fatalf("RoomID %s, joined %s", id, p.Room)
	}
	// Seats that disagree with the match's are refused.
	c := gamestest.Dial(t, e.s, kind, "alice")
	if err := c.Join(games.JoinParams{Seats: []string{"alice", "bob"}, Nonce: "n1"}); gamestest.Code(err) != codec.CodeConflict {
		t.Fatalf("disagreeing seats: %v", err)
	}
}

func TestStartTimeoutAborts(t *testing.T) {
	e := start(t, games.Config{StartTimeout: time.Minute})
	a := gamestest.Dial(t, e.s, kind, "alice")
	if err := a.Join(games.JoinParams{Opponent: "bob", Nonce: "n"}); err != nil {
		t.Fatal(err)
	}
	if a.Joined.Status != games.StatusWaiting {
		t.Fatalf("snapshot %+v", a.Joined)
	}
	if err := a.Move(cell(0)); gamestest.Code(err) != codec.CodeConflict {
		t.Fatalf("move before the start: %v", err)
	}
	e.clock.Advance(time.Minute)
	expectOver(t, a, -1, games.ReasonAborted)
	select {
	case g := <-e.finished:
		t.Fatalf("a match that never started was handed off: %+v", g)
	default:
	}
}

func TestMoveRetryIsIdempotent(t *testing.T) {
	e := start(t, games.Config{})
	x, o := gamestest.Pair(t, e.s, kind, "alice", "bob")
	send := func() (games.MoveReply, error) {
		ctx, cancel := context.WithTimeout(context.Background(), gamestest.Timeout)
		defer cancel()
		r, err := x.Client.Send(ctx, x.Room, games.EventMove, cell(4), client.WithClientMsgID("m-1"))
		var mr games.MoveReply
		if err == nil {
			err = r.Decode(&mr)
		}
		return mr, err
	}
	first, err := send()
	if err != nil || first.Ply != 1 {
		t.Fatalf("first send: %+v %v", first, err)
	}
	again, err := send()
	if err != nil || again != first {
		t.Fatalf("retry: %+v %v, want %+v", again, err, first)
	}
	o.MustMove(cell(0))
	// A late resend, after the opponent moved, still gets the first reply
	// and changes nothing.
	late, err := send()
	if err != nil || late != first {
		t.Fatalf("late retry: %+v %v, want %+v", late, err, first)
	}
	w := gamestest.Watch(t, e.s, kind, "carol", x.Room)
	var v tictactoe.View
	if err := codec.UnmarshalData(w.Joined.View, &v); err != nil {
		t.Fatal(err)
	}
	if w.Joined.Ply != 2 || v.Board != "O...X...." {
		t.Fatalf("ply %d board %s after retried moves, want ply 2 O...X....", w.Joined.Ply, v.Board)
	}
	// The opponent saw the move once.
	var m games.Moved
	o.Expect(games.EventMoved, &m)
	if m.Ply != 1 {
		t.Fatalf("bob's first moved event is ply %d", m.Ply)
	}
	o.Expect(games.EventMoved, &m)
	if m.Ply != 2 {
		t.Fatalf("bob's second moved event is ply %d, want 2 (his own move, the retry not applied)", m.Ply)
	}
}
