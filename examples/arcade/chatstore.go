package main

import (
	"context"
	"fmt"
	"path/filepath"
	"time"

	"github.com/parlorhq/parlor/chat"
	"github.com/parlorhq/parlor/chat/boltstore"
	"github.com/parlorhq/parlor/chat/pgstore"
)

// postgresOpenTimeout bounds connecting to PostgreSQL and migrating the
// chat schema at start-up, and the games schema after it.
const postgresOpenTimeout = 30 * time.Second

// openChatStore opens the chat store: the PostgreSQL database named by
// cfg.Postgres if set, else the bbolt file chat.db in the data directory.
// The matches follow the same choice (gamesstore.go); the server key
// stays in the data directory.
func openChatStore(cfg Config) (chat.Store, error) {
	if cfg.Postgres == "" {
		return boltstore.Open(filepath.Join(cfg.DataDir, chatDBFile), boltstore.Options{})
	}
	ctx, cancel := context.WithTimeout(context.Background(), postgresOpenTimeout)
	defer cancel()
	st, err := pgstore.Open(ctx, cfg.Postgres, pgstore.Options{})
	if err != nil {
		return nil, fmt.Errorf("postgres: %w", err)
	}
	return st, nil
}
