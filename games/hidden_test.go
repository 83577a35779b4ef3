package games_test

import (
	"fmt"
	"testing"

	"github.com/parlorhq/parlor/codec"
	"github.com/parlorhq/parlor/engine"
	"github.com/parlorhq/parlor/games"
	"github.com/parlorhq/parlor/games/gamestest"
	"github.com/parlorhq/parlor/internal/testserver"
)

// sealedBid is a game with hidden information: each seat bids once, in
// turn, and sees only its own bid until both are in; the higher bid wins.
type sealedBid struct{}

func (sealedBid) Name() string       { return "sealedbid" }
func (sealedBid) Seats() int         { return 2 }
func (sealedBid) Setup() games.State { return bidState{n: 0} }
func (sealedBid) NewMove() any       { return new(bid) }
func (sealedBid) HiddenMoves() bool  { return true }

type bid struct {
	Bid int `msgpack:"bid"`
}

// bidView shows -1 for a bid the viewer may not see yet.
type bidView struct {
	Bids [2]int `msgpack:"bids"`
}

type bidState struct {
	bids [2]int
	n    int
}

func (s bidState) Turn() int {
	if s.n == 2 {
		return -1
	}
	return s.n
}

func (s bidState) Apply(seat int, raw []byte) (games.State, error) {
	if seat != s.Turn() {
		return nil, codec.Errorf(games.CodeNotYourTurn, "not your turn")
	}
	var b bid
	if err := codec.UnmarshalData(raw, &b); err != nil {
		return nil, err
	}
	if b.Bid < 1 {
		return nil, codec.Errorf(games.CodeIllegalMove, "bid at least 1")
	}
	s.bids[seat] = b.Bid
	s.n++
	return s, nil
}

func (s bidState) Result() *games.Result {
	switch {
	case s.n < 2:
		return nil
	case s.bids[0] > s.bids[1]:
		return &games.Result{Winner: 0, Reason: "higher_bid"}
	case s.bids[1] > s.bids[0]:
		return &games.Result{Winner: 1, Reason: "higher_bid"}
	}
	return &games.Result{Winner: -1, Reason: "tie"}
}

func (s bidState) View(seat int) any {
	v := bidView{Bids: [2]int{-1, -1}}
	for i := range s.n {
		if s.n == 2 || i == seat {
			v.Bids[i] = s.bids[i]
		}
	}
	return v
}

func (s bidState) Key() string { return fmt.Sprint(s.bids, s.n) }

// TestHiddenInformation checks that each player sees only its own view,
// spectators the public one, and that moves stay private until the end.
func TestHiddenInformation(t *testing.T) {
	s := testserver.Start(t, engine.Config{}, games.NewModule(sealedBid{}, games.Config{}))
	a, b := gamestest.Pair(t, s, "games.sealedbid", "alice", "bob")
	w := gamestest.Watch(t, s, "games.sealedbid", "carol", a.Room)

	a.MustMove(bid{Bid: 7})
	want := map[*gamestest.Player][2]int{a: {7, -1}, b: {-1, -1}, w: {-1, -1}}
	for p, bids := range want {
		var m games.Moved
		p.Expect(games.EventMoved, &m)
		if len(m.Move) > 0 && !(len(m.Move) == 1 && m.Move[0] == 0xc0) {
			t.Fatalf("%s: moved event shows the move %x", p.User, m.Move)
		}
		var st games.StateUpdate
		ev := p.Expect(games.EventState, &st)
		var v bidView
		if err := codec.UnmarshalData(st.View, &v); err != nil {
			t.Fatal(err)
		}
		if v.Bids != bids || ev.Seq != 0 {
			t.Fatalf("%s sees %v (seq %d), want %v with seq 0", p.User, v.Bids, ev.Seq, bids)
		}
	}
	if err := w.Do(games.EventLog, nil); gamestest.Code(err) != codec.CodeForbidden {
		t.Fatalf("log during play: %v", err)
	}
	// A joiner's snapshot holds its own view.
	a2 := gamestest.Dial(t, s, "games.sealedbid", "alice")
	if err := a2.Join(games.JoinParams{Room: a.Room}); err != nil {
		t.Fatal(err)
	}
	var v bidView
	if err := codec.UnmarshalData(a2.Joined.View, &v); err != nil || v.Bids != [2]int{7, -1} {
		t.Fatalf("snapshot view %v %v", v, err)
	}

	b.MustMove(bid{Bid: 9})
	for _, p := range []*gamestest.Player{a, b, w} {
		var over games.GameOver
		p.Expect(games.EventGameOver, &over)
		if over.Winner != 1 || over.Reason != "higher_bid" {
			t.Fatalf("%s: %+v", p.User, over)
		}
	}
	var log games.LogReply
	r, err := w.Send(games.EventLog, games.LogRequest{})
	if err != nil || r.Decode(&log) != nil || len(log.Moves) != 2 {
		t.Fatalf("log after the end: %v %+v", err, log)
	}
}
