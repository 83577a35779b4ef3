package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/parlorhq/parlor/internal/loopback"
)

// The kinds of target, as the report names them.
const (
	kindInProcess = "in-process"
	kindChild     = "child process"
	kindExternal  = "external"
)

// target is the server under test.
type target struct {
	url   string
	kind  string                      // kindInProcess, kindChild or kindExternal
	stats func() (serverStats, error) // nil for an external server
	// goroutines reads the server's goroutine count alone, without the
	// GC that stats forces; nil for an external server.
	goroutines func() (serverStats, error)
	stop       func(ctx context.Context) error // nil for an external server
}

// openTarget starts the server under test, or checks the -url of an
// external one.
func openTarget(cfg config) (*target, error) {
	switch {
	case cfg.url != "":
		if err := checkURL(cfg.url, cfg.allowRemote); err != nil {
			return nil, err
		}
		return &target{url: cfg.url, kind: kindExternal}, nil
	case cfg.spawn:
		return spawnServer(cfg)
	default:
		wsURL, stop, err := startServer("127.0.0.1:0", false, cfg.heartbeat)
		if err != nil {
			return nil, err
		}
		return &target{url: wsURL, kind: kindInProcess, stats: localStats, goroutines: localGoroutines, stop: stop}, nil
	}
}

// checkURL validates an external -url.
func checkURL(raw string, allowRemote bool) error {
	err := loopback.CheckURL(raw)
	switch {
	case errors.Is(err, loopback.ErrNotLoopback) && allowRemote:
		return nil
	case errors.Is(err, loopback.ErrNotLoopback):
		return fmt.Errorf("refusing -url %s: %w; pass -allow-remote to test your own server elsewhere", raw, err)
	case err != nil:
		return fmt.Errorf("-url %s: %w", raw, err)
	}
	return nil
}

// close stops the server if this command started it.
func (t *target) close() {
	if t.stop == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := t.stop(ctx); err != nil {
		fmt.Fprintln(os.Stderr, "parlor-load: stopping server:", err)
	}
}

// readStats reads the server's stats; the zero serverStats when it does
// not report any.
func (t *target) readStats() (serverStats, error) {
	if t.stats == nil {
		return serverStats{}, nil
	}
	st, err := t.stats()
	if err != nil {
		return st, fmt.Errorf("server stats: %w", err)
	}
	return st, nil
}

// who names what the server's figures measure.
func (t *target) who() string {
	if t.kind == kindInProcess {
		return "process (server + clients)"
	}
	return "server"
}
