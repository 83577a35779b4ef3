package chess_test

import (
	"context"
	"fmt"
	"log"
	"net/http"
	"time"

	"github.com/parlorhq/parlor/codec"
	"github.com/parlorhq/parlor/engine"
	"github.com/parlorhq/parlor/games"
	"github.com/parlorhq/parlor/games/chess"
)

// Play the rules directly: moves are msgpack maps in UCI or SAN, and every
// state is a new value.
func Example() {
	var s games.State = chess.Game{}.Setup()
	for _, m := range []chess.Move{{SAN: "f3"}, {UCI: "e7e5"}, {SAN: "g4"}, {SAN: "Qh4"}} {
		raw, err := codec.MarshalData(m)
		if err != nil {
			log.Fatal(err)
		}
		next, err := s.Apply(s.Turn(), raw)
		if err != nil {
			log.Fatal(err)
		}
		s = next
	}
	v := s.View(-1).(*chess.View)
	fmt.Println(v.FEN)
	fmt.Println(v.Moves, v.Check)
	fmt.Printf("%+v\n", *s.Result())

	// A move after the end is refused.
	raw, _ := codec.MarshalData(chess.Move{UCI: "e2e4"})
	_, err := s.Apply(0, raw)
	fmt.Println(err)
	// Output:
	// rnb1kbnr/pppp1ppp/8/4p3/6Pq/5P2/PPPPP2P/RNBQKBNR w KQkq - 1 3
	// [f3 e5 g4 Qh4#] true
	// {Winner:1 Reason:checkmate}
	// game_over: the game is over
}

// Serve chess matches with clocks, and keep every finished game as PGN.
func Example_module() {
	e, err := engine.New(engine.Config{
		Authenticate: func(r *http.Request) (string, error) { return r.Header.Get("X-User"), nil }, // the host's auth
		Secret:       []byte("a stable secret shared by all nodes"),
	})
	if err != nil {
		log.Fatal(err)
	}
	game := chess.Game{} // or chess.NewGame(chess.Options{FEN: ...})
	err = e.Register(games.NewModule(game, games.Config{
		TimeControl: games.TimeControl{Base: 5 * time.Minute, Increment: 3 * time.Second},
		OnFinished: func(_ context.Context, f games.FinishedGame) {
			pgn, err := game.PGN(f, chess.PGNOptions{Site: "https://example.com"})
			if err != nil {
				log.Print(err)
				return
			}
			log.Print(pgn) // store it instead
		},
	}))
	if err != nil {
		log.Fatal(err)
	}
	http.Handle("/ws", e)
}
