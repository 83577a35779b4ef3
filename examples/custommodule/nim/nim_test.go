package nim_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/parlorhq/parlor/client/gameclient"
	"github.com/parlorhq/parlor/codec"
	"github.com/parlorhq/parlor/games"
	"github.com/parlorhq/parlor/games/gamestest"
	"github.com/parlorhq/parlor/parlortest"
	"github.com/parlorhq/parlor/room"

	"example.com/custommodule/nim"
)

func ctx(t *testing.T) context.Context {
	c, cancel := context.WithTimeout(context.Background(), parlortest.Timeout)
	t.Cleanup(cancel)
	return c
}

// serve starts an engine with the Nim module on loopback.
func serve(t *testing.T, cfg games.Config, fakeClock bool) *parlortest.Server {
	return parlortest.Start(t, parlortest.Config{
		Modules:   []room.Module{games.NewModule(nim.Game{Stones: 10}, cfg)},
		FakeClock: fakeClock,
	})
}

// perfect takes what leaves a multiple of four, or one stone when it
// cannot.
func perfect(m *gameclient.Match) (any, error) {
	var v nim.View
	if err := m.DecodeView(&v); err != nil {
		return nil, err
	}
	take := v.Left % (nim.MaxTake + 1)
	if take == 0 {
		take = 1
	}
	return nim.Move{Take: take}, nil
}

// Two bots play a whole match over WebSockets: with 10 stones the first
// player wins with perfect play.
func TestBotsPlay(t *testing.T) {
	srv := serve(t, games.Config{}, false)
	players := []string{"alice", "bob"}
	var ms [2]*gameclient.Match
	for i, u := range players {
		m, err := gameclient.Join(ctx(t), srv.Dial(u), nim.Kind, games.JoinParams{Seats: players, Nonce: "n1"})
		if err != nil {
			t.Fatalf("%s joins: %v", u, err)
		}
		ms[i] = m
	}
	var wg sync.WaitGroup
	for _, m := range ms {
		wg.Go(func() {
			if _, err := m.Play(ctx(t), perfect); err != nil {
				t.Errorf("seat %d: %v", m.Seat, err)
			}
		})
	}
	wg.Wait()
	for _, m := range ms {
		if m.Result == nil || m.Result.Winner != 0 || m.Result.Reason != "last_stone" {
			t.Fatalf("seat %d: result %+v", m.Seat, m.Result)
		}
	}
	if !ms[0].Won() {
		t.Fatal("alice did not win")
	}
}

// The toolkit enforces turns, and the game's own rules refuse bad moves
// with stable codes; a refused move changes nothing for anyone.
func TestRules(t *testing.T) {
	srv := serve(t, games.Config{}, false)
	alice, bob := gamestest.Pair(t, srv, nim.Kind, "alice", "bob")
	carol := gamestest.Watch(t, srv, nim.Kind, "carol", alice.Room)

	cases := []struct {
		who  *gamestest.Player
		move any
		want codec.Code
	}{
		{bob, nim.Move{Take: 1}, games.CodeNotYourTurn},
		{alice, nim.Move{Take: 4}, games.CodeIllegalMove},
		{alice, nim.Move{Take: 0}, games.CodeIllegalMove},
		{alice, map[string]any{"take": 1, "extra": true}, codec.CodeBadRequest},
		{carol, nim.Move{Take: 1}, games.CodeNotPlayer},
	}
	for _, c := range cases {
		if code := gamestest.Code(c.who.Move(c.move)); code != c.want {
			t.Errorf("%s plays %v: %q, want %q", c.who.User, c.move, code, c.want)
		}
	}
	alice.MustMove(nim.Move{Take: 2})
	var st games.StateUpdate
	carol.Expect(games.EventState, &st)
	var v nim.View
	if err := codec.UnmarshalData(st.View, &v); err != nil || v.Left != 8 || v.Turn != 1 {
		t.Fatalf("carol sees %+v (%v), want 8 left and seat 1 to move", v, err)
	}
}

// The rooms' timers run on the kit's fake clock: a player who lets their
// flag fall loses on time, without the test waiting.
func TestFlagFallsOnFakeClock(t *testing.T) {
	srv := serve(t, games.Config{TimeControl: games.TimeControl{Base: time.Minute}}, true)
	alice := srv.Dial("alice")
	bob := srv.Dial("bob")
	players := []string{"alice", "bob"}
	ma, err := gameclient.Join(ctx(t), alice, nim.Kind, games.JoinParams{Seats: players, Nonce: "timed"})
	if err != nil {
		t.Fatal(err)
	}
	mb, err := gameclient.Join(ctx(t), bob, nim.Kind, games.JoinParams{Seats: players, Nonce: "timed"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ma.Move(ctx(t), nim.Move{Take: 1}); err != nil {
		t.Fatal(err)
	}
	srv.Advance(59 * time.Second) // bob thinks, still in time
	if _, err := mb.Wait(ctx(t), games.EventState); err != nil || mb.Over() {
		t.Fatalf("before the flag: over %v, %v", mb.Over(), err)
	}
	srv.Advance(time.Second)
	u, err := mb.Wait(ctx(t), games.EventGameOver)
	if err != nil {
		t.Fatal(err)
	}
	if u.GameOver.Reason != games.ReasonTimeout || u.GameOver.Winner != 0 || mb.Won() {
		t.Fatalf("game over %+v", u.GameOver)
	}
	if _, err := mb.Move(ctx(t), nim.Move{Take: 1}); gamestest.Code(err) != games.CodeGameOver {
		t.Fatalf("move after the flag fell: %v", err)
	}
}
