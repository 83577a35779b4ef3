package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"syscall"
	"time"

	"github.com/parlorhq/parlor/internal/loadgen"
	"github.com/parlorhq/parlor/internal/loopback"
)

// The server in a process of its own (-spawn): this binary with -serve,
// which prints its WebSocket URL on its first line of output and serves
// until its stdin closes, so that the bots' goroutines, CPU and garbage
// are not the server's.

// childStartTimeout bounds how long a -spawn child may take to report its
// address, and childStopTimeout how long it may take to shut down.
const (
	childStartTimeout = 30 * time.Second
	childStopTimeout  = 30 * time.Second
)

// spawnServer starts the child and returns its URL and the function that
// stops it. With -pin, the child pins itself to cfg.pins.Server.
func spawnServer(cfg config) (wsURL string, stop func(), err error) {
	exe, err := os.Executable()
	if err != nil {
		return "", nil, err
	}
	cmd := exec.Command(exe, "-serve", "127.0.0.1:0", "-game", cfg.game, "-store", cfg.store, "-db", cfg.db,
		"-apply-delay", cfg.applyDelay.String(), "-match-delay", cfg.matchDelay.String())
	cmd.Stderr = os.Stderr
	if cfg.pins != nil {
		cfg.pins.PinChild(cmd)
	}
	ch, err := loadgen.StartChild(cmd)
	if err != nil {
		return "", nil, err
	}
	stop = func() { stopChild(ch) }
	if wsURL, err = ch.URL(childStartTimeout); err != nil {
		stop()
		return "", nil, err
	}
	return wsURL, stop, nil
}

// stopChild stops the server child, killing it after childStopTimeout.
func stopChild(ch *loadgen.Child) {
	ctx, cancel := context.WithTimeout(context.Background(), childStopTimeout)
	defer cancel()
	if err := ch.Stop(ctx); errors.Is(err, loadgen.ErrChildKilled) {
		fmt.Fprintln(os.Stderr, "parlor-gameload:", err)
	}
}

// serveChild is the -serve mode: serve -game with -store on cfg.serve
// until stdin closes or a signal comes.
func serveChild(cfg config) error {
	if !loopback.IsAddr(cfg.serve) {
		return fmt.Errorf("-serve %s: only loopback addresses", cfg.serve)
	}
	if cfg.pinCPU >= 0 {
		if err := loadgen.PinProcess(cfg.pinCPU); err != nil {
			return err
		}
	}
	b, ok := bots[cfg.game]
	if !ok {
		return fmt.Errorf("-game %q: want tictactoe or chess", cfg.game)
	}
	wsURL, stop, err := serveGame(cfg, b, nil, cfg.serve)
	if err != nil {
		return err
	}
	defer stop()
	fmt.Println(wsURL) // the parent reads this line
	ctx, cancel := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer cancel()
	loadgen.WaitParent(ctx)
	return nil
}
