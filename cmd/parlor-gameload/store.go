package main

import (
	"os"
	"path/filepath"

	"github.com/parlorhq/parlor/games"
	"github.com/parlorhq/parlor/games/boltstore"
)

// openStore opens the store of -store for the in-process server (nil for
// none) and returns it with the function that closes it (and removes a
// bbolt file this command created). With bd, a bbolt store reports its
// transactions and Appends to it.
func openStore(cfg config, bd *breakdown) (games.Store, func(), error) {
	switch cfg.store {
	case "memory":
		s := games.NewMemoryStore()
		return s, func() { _ = s.Close() }, nil
	case "bolt":
		path, dir := cfg.db, ""
		if path == "" {
			var err error
			if dir, err = os.MkdirTemp("", "parlor-gameload-"); err != nil {
				return nil, nil, err
			}
			path = filepath.Join(dir, "games.db")
		}
		opts := boltstore.Options{ApplyDelay: cfg.applyDelay, MatchDelay: cfg.matchDelay}
		if bd != nil {
			opts.Observe, opts.ObserveAnswer, opts.ObserveCommit = bd.observe, bd.answered, bd.committed
		}
		s, err := boltstore.Open(path, opts)
		if err != nil {
			return nil, nil, err
		}
		var st games.Store = s
		if bd != nil {
			st = timedStore{Store: s, b: bd}
		}
		return st, func() {
			_ = s.Close()
			if dir != "" {
				_ = os.RemoveAll(dir)
			}
		}, nil
	}
	return nil, func() {}, nil
}
