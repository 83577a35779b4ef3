package gameclient_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"time"

	"github.com/parlorhq/parlor/client"
	"github.com/parlorhq/parlor/client/gameclient"
	"github.com/parlorhq/parlor/engine"
	"github.com/parlorhq/parlor/games"
	"github.com/parlorhq/parlor/games/chess"
	"github.com/parlorhq/parlor/games/tictactoe"
)

// serve starts a server with tic-tac-toe and chess whose users say who
// they are in a header, and returns its URL and a function to stop it.
func serve() (url string, stop func()) {
	e, _ := engine.New(engine.Config{
		Authenticate: func(r *http.Request) (string, error) { return r.Header.Get("X-Demo-User"), nil },
		Secret:       []byte("example secret"),
	})
	_ = e.Register(games.NewModule(tictactoe.Game{}, games.Config{}))
	_ = e.Register(games.NewModule(chess.Game{}, games.Config{}))
	srv := httptest.NewServer(e)
	return "ws" + strings.TrimPrefix(srv.URL, "http"), func() {
		_ = e.Shutdown(context.Background())
		srv.Close()
	}
}

// bot connects as user and plays its side of the match game-1 between
// ada (seat 0) and bob (seat 1) with choose.
func bot(ctx context.Context, url, user, kind string, choose gameclient.Chooser) (*games.Result, error) {
	c, err := client.Dial(ctx, url, client.Options{Header: http.Header{"X-Demo-User": {user}}})
	if err != nil {
		return nil, err
	}
	defer c.Close()
	m, err := gameclient.Join(ctx, c, kind, games.JoinParams{Seats: []string{"ada", "bob"}, Nonce: "game-1"})
	if err != nil {
		return nil, err
	}
	return m.Play(ctx, choose)
}

// Two bots play tic-tac-toe, each marking the first free cell.
func ExampleMatch_Play() {
	url, stop := serve()
	defer stop()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()

	firstFree := func(m *gameclient.Match) (any, error) {
		var v tictactoe.View
		if err := m.DecodeView(&v); err != nil {
			return nil, err
		}
		return tictactoe.Move{Cell: &v.Legal[0]}, nil
	}
	var wg sync.WaitGroup
	var res *games.Result
	wg.Go(func() { res, _ = bot(ctx, url, "ada", "games.tictactoe", firstFree) })
	wg.Go(func() { _, _ = bot(ctx, url, "bob", "games.tictactoe", firstFree) })
	wg.Wait()
	fmt.Printf("seat %d wins by %s\n", res.Winner, res.Reason)
	// Output: seat 0 wins by line
}

// A chess bot that plays a list of moves in UCI notation: here black
// mates in two.
func ExampleJoin() {
	url, stop := serve()
	defer stop()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()

	moves := func(uci ...string) gameclient.Chooser {
		return func(m *gameclient.Match) (any, error) {
			var v chess.View
			if err := m.DecodeView(&v); err != nil {
				return nil, err
			}
			return chess.Move{UCI: uci[len(v.Moves)/2]}, nil
		}
	}
	var wg sync.WaitGroup
	var res *games.Result
	wg.Go(func() { res, _ = bot(ctx, url, "ada", "games.chess", moves("f2f3", "g2g4")) })
	wg.Go(func() { _, _ = bot(ctx, url, "bob", "games.chess", moves("e7e5", "d8h4")) })
	wg.Wait()
	fmt.Printf("seat %d wins by %s\n", res.Winner, res.Reason)
	// Output: seat 1 wins by checkmate
}
