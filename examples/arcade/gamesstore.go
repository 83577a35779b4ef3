package main

import (
	"context"
	"fmt"
	"path/filepath"

	"github.com/parlorhq/parlor/games"
	gamesbolt "github.com/parlorhq/parlor/games/boltstore"
	gamespg "github.com/parlorhq/parlor/games/pgstore"
)

// closingGamesStore is a games store the arcade closes on shutdown.
type closingGamesStore interface {
	games.Store
	Close() error
}

// openGamesStore opens the games store: the PostgreSQL database named by
// cfg.Postgres if set (schema parlor_games, beside the chat's), else the
// bbolt file games.db in the data directory.
func openGamesStore(cfg Config) (closingGamesStore, error) {
	if cfg.Postgres == "" {
		return gamesbolt.Open(filepath.Join(cfg.DataDir, gamesDBFile), gamesbolt.Options{})
	}
	ctx, cancel := context.WithTimeout(context.Background(), postgresOpenTimeout)
	defer cancel()
	st, err := gamespg.Open(ctx, cfg.Postgres, gamespg.Options{})
	if err != nil {
		return nil, fmt.Errorf("postgres: %w", err)
	}
	return st, nil
}
