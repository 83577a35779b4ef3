package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/parlorhq/parlor/chat"
	"github.com/parlorhq/parlor/chat/boltstore"
	"github.com/parlorhq/parlor/engine"
	"github.com/parlorhq/parlor/internal/loopback"
)

// server is the engine with the chat modules, served on loopback.
type server struct {
	url  string // the WebSocket URL
	eng  *engine.Engine
	bolt *boltstore.Store
	stop func() // shuts down the engine and closes the store
}

// startServer opens the -store and serves an engine with the chat modules
// on it, rate limits off.
func startServer(cfg config) (*server, error) {
	st, bolt, closeStore, err := openStore(cfg)
	if err != nil {
		return nil, err
	}
	eng, err := engine.New(engine.Config{
		Authenticate: loopback.AuthenticateQuery,
		Secret:       []byte("parlor-chatload secret"),
		RateLimit:    -1,
		JoinTimeout:  time.Minute,
	})
	if err == nil {
		err = chat.New(chat.Config{Store: st, MessageRate: -1, HistoryOnJoin: -1}).Register(eng)
	}
	var bound string
	var stopServer func(context.Context) error
	if err == nil {
		bound, stopServer, err = loopback.Serve("127.0.0.1:0", eng, eng)
	}
	if err != nil {
		closeStore()
		return nil, err
	}
	stop := func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		_ = stopServer(ctx)
		closeStore()
	}
	return &server{url: "ws://" + bound + "/", eng: eng, bolt: bolt, stop: stop}, nil
}

// openStore opens the -store; bolt is nil for the memory store. close
// closes the store and removes the temporary directory of a default -db.
func openStore(cfg config) (st chat.Store, bolt *boltstore.Store, close func(), err error) {
	switch cfg.store {
	case "memory":
		st = chat.NewMemoryStore()
		return st, nil, func() { _ = st.Close() }, nil
	case "postgres":
		st, close, err = openPostgres(cfg)
		return st, nil, close, err
	case "bolt":
	default:
		return nil, nil, nil, fmt.Errorf("unknown -store %q", cfg.store)
	}
	path, dir := cfg.db, ""
	if path == "" {
		if dir, err = os.MkdirTemp("", "parlor-chatload"); err != nil {
			return nil, nil, nil, err
		}
		path = filepath.Join(dir, "chat.db")
	}
	removeDir := func() {
		if dir != "" {
			_ = os.RemoveAll(dir)
		}
	}
	if bolt, err = boltstore.Open(path, boltstore.Options{MaxBatchDelay: cfg.batchDelay}); err != nil {
		removeDir()
		return nil, nil, nil, err
	}
	return bolt, bolt, func() { _ = bolt.Close(); removeDir() }, nil
}
