package games_test

import (
	"context"
	"fmt"
	"net/http"
	"time"

	"github.com/parlorhq/parlor/engine"
	"github.com/parlorhq/parlor/games"
	"github.com/parlorhq/parlor/games/tictactoe"
)

// A host serves tic-tac-toe with five-minute clocks, quick matching, and a
// hook that stores finished games.
func ExampleNewModule() {
	e, err := engine.New(engine.Config{
		Authenticate: func(r *http.Request) (string, error) { return "", fmt.Errorf("use the host's sessions") },
		Secret:       []byte("a long random secret shared by every node"),
	})
	if err != nil {
		panic(err)
	}
	defer func() { _ = e.Shutdown(context.Background()) }()
	m := games.NewModule(tictactoe.Game{}, games.Config{
		TimeControl: games.TimeControl{Base: 5 * time.Minute, Increment: 2 * time.Second},
		QuickMatch:  true,
		Rooms:       e,
		Secret:      e.Secret(), // pairings stay arranged across restarts and nodes
		OnFinished: func(ctx context.Context, g games.FinishedGame) {
			fmt.Println(g.Players, g.Result.Reason, len(g.Moves)) // store it instead
		},
	})
	if err := e.Register(m); err != nil {
		panic(err)
	}
	fmt.Println(m.Kind())
	// The room id of alice's challenge to bob, to link to before either joins.
	id := games.RoomID(e.Secret(), m.Kind(), "c0ffee", "alice", "bob")
	fmt.Println(len(id))
	// Output:
	// games.tictactoe
	// 64
}

// Replay rebuilds a match's final position from its move log.
func ExampleReplay() {
	var log []games.LoggedMove
	for i, cell := range []string{"\x81\xa4cell\x04", "\x81\xa4cell\x00", "\x81\xa4cell\x08"} {
		log = append(log, games.LoggedMove{Seat: i % 2, Move: []byte(cell)})
	}
	s, err := games.Replay(tictactoe.Game{}, log)
	fmt.Println(s.Key(), err)
	// Output:
	// O...X...XO <nil>
}

// A host lists a user's finished games, a page at a time, from the store
// its game modules write to.
func ExampleHistory_Page() {
	ctx := context.Background()
	store := games.NewMemoryStore() // games/boltstore in production
	ttt := games.NewModule(tictactoe.Game{}, games.Config{Store: store})

	// What a match room writes when its match ends.
	players := []string{"alice", "bob"}
	_ = store.Create(ctx, games.MatchInfo{ID: "m1", Kind: ttt.Kind(), Players: players})
	g := games.FinishedGame{Kind: ttt.Kind(), Room: "m1", Players: players,
		Result: games.Result{Winner: 1, Reason: "line"}, Ended: time.Date(2026, 1, 2, 15, 4, 0, 0, time.UTC)}
	_ = store.Append(ctx, games.Write{Match: "m1", Finished: &g})

	history := games.NewHistory(store, ttt)
	for cur := (games.HistoryCursor{}); ; {
		page, err := history.Page(ctx, "alice", cur, 20)
		if err != nil {
			panic(err)
		}
		for _, g := range page.Games {
			fmt.Println(g.Game, g.Opponents, g.Outcome(), g.Result.Reason, g.Ended.Format(time.DateOnly))
		}
		if !page.More {
			break
		}
		cur = page.Next
	}
	// Output: tictactoe [bob] loss line 2026-01-02
}

// A host lets only connections challenge each other, has the engine's
// user channel carry the challenges and "your turn", and hears every step
// of every challenge (to write it into the players' conversation, for
// example).
func ExampleConfig_challenges() {
	e, err := engine.New(engine.Config{
		Authenticate: func(r *http.Request) (string, error) { return "", fmt.Errorf("use the host's sessions") },
		Secret:       []byte("a long random secret shared by every node"),
	})
	if err != nil {
		panic(err)
	}
	defer func() { _ = e.Shutdown(context.Background()) }()
	connected := map[[2]string]bool{{"alice", "bob"}: true}
	m := games.NewModule(tictactoe.Game{}, games.Config{
		CanChallenge: func(_ context.Context, from, to string) error {
			if connected[[2]string{from, to}] || connected[[2]string{to, from}] {
				return nil
			}
			return fmt.Errorf("not connected") // the challenger sees forbidden
		},
		Notifier: e, // games.challenge and games.your_turn on the user channel
		OnChallenge: func(ctx context.Context, n games.ChallengeNotice) {
			fmt.Println(n.From, n.State, n.Game) // chat.AddGameNote, for example
		},
	})
	if err := e.Register(m); err != nil {
		panic(err)
	}
	fmt.Println(m.Kind())
	// Output: games.tictactoe
}
