package main

import (
	"context"
	"fmt"
	"time"

	"github.com/parlorhq/parlor/engine"
	"github.com/parlorhq/parlor/games"
	"github.com/parlorhq/parlor/internal/loopback"
	"github.com/parlorhq/parlor/room"
)

// maxRoomsPerBot is the in-process engine's MaxRoomsPerUser: more match
// rooms than a bot can start in a grace period.
const maxRoomsPerBot = 1 << 20

// maxChallengesPerBot is the in-process module's ChallengeRate: bots start
// matches back to back, far more than the default 20 a minute.
const maxChallengesPerBot = 1 << 30

// startServer serves an engine with module on addr, a loopback address.
func startServer(m *games.Module, addr string) (wsURL string, stop func(context.Context) error, err error) {
	e, err := engine.New(engine.Config{
		// Load-test identities: the user is whatever ?user= says. Never
		// authenticate like this outside a load test.
		Authenticate: loopback.AuthenticateQuery,
		Secret:       []byte("parlor-gameload"),
		// Fast bots send more than 50 frames a second.
		RateLimit: -1,
		// Matches are many and short: free them at once.
		Room: room.Config{IdleTTL: -1},
		// The games module keeps an empty match room for its seat grace
		// period (31s by default) even once the match is over, and each
		// room counts against the bot that created it meanwhile: a bot
		// plays far more than the default 256 matches in that time.
		MaxRoomsPerUser: maxRoomsPerBot,
	})
	if err != nil {
		return "", nil, err
	}
	if err := e.Register(m); err != nil {
		return "", nil, err
	}
	bound, stop, err := loopback.Serve(addr, e, e)
	if err != nil {
		return "", nil, err
	}
	return "ws://" + bound + "/", stop, nil
}

// openServer returns the URL of the server under test: -url once checked,
// a child process serving b's module (-spawn), or a server this command
// starts with it; stop shuts down either of the latter.
func openServer(cfg config, b bot, bd *breakdown) (wsURL string, stop func(), err error) {
	switch {
	case cfg.url != "":
		if err := loopback.CheckURL(cfg.url); err != nil {
			return "", nil, fmt.Errorf("-url %s: %w", cfg.url, err)
		}
		return cfg.url, func() {}, nil
	case cfg.spawn:
		return spawnServer(cfg)
	}
	return serveGame(cfg, b, bd, "127.0.0.1:0")
}

// serveGame serves b's module on addr with the store of -store.
func serveGame(cfg config, b bot, bd *breakdown, addr string) (wsURL string, stop func(), err error) {
	store, closeStore, err := openStore(cfg, bd)
	if err != nil {
		return "", nil, err
	}
	wsURL, stopServer, err := startServer(b.module(games.Config{Store: store, ChallengeRate: maxChallengesPerBot}), addr)
	if err != nil {
		closeStore()
		return "", nil, err
	}
	return wsURL, func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		_ = stopServer(ctx)
		closeStore()
	}, nil
}
