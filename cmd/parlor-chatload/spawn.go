package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/parlorhq/parlor/internal/loadgen"
	"github.com/parlorhq/parlor/internal/loopback"
)

// childStartTimeout bounds how long a -spawn child may take to report its
// address, and childStopTimeout how long it may take to shut down.
const (
	childStartTimeout = 30 * time.Second
	childStopTimeout  = 30 * time.Second
)

// spawnServer runs the server in a child process: this binary with -serve
// and the store flags. The child prints its WebSocket URL on its first
// line of output and serves until its stdin closes. With -pin, the child
// pins itself to cfg.pins.Server.
func spawnServer(cfg config) (*server, error) {
	exe, err := os.Executable()
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(exe, "-serve", "127.0.0.1:0", "-store", cfg.store, "-db", cfg.db, "-dsn", cfg.dsn,
		"-batch-delay", cfg.batchDelay.String(), "-apply-delay", cfg.applyDelay.String())
	cmd.Stderr = os.Stderr
	if cfg.pins != nil {
		cfg.pins.PinChild(cmd)
	}
	ch, err := loadgen.StartChild(cmd)
	if err != nil {
		return nil, err
	}
	stop := func() { stopChild(ch) }
	wsURL, err := ch.URL(childStartTimeout)
	if err != nil {
		stop()
		return nil, err
	}
	base := "http://" + strings.TrimSuffix(strings.TrimPrefix(wsURL, "ws://"), "/")
	return &server{url: wsURL, base: base, child: true, stats: fetchStats(base), stop: stop}, nil
}

// stopChild stops the server child, killing it after childStopTimeout.
func stopChild(ch *loadgen.Child) {
	ctx, cancel := context.WithTimeout(context.Background(), childStopTimeout)
	defer cancel()
	if err := ch.Stop(ctx); errors.Is(err, loadgen.ErrChildKilled) {
		fmt.Fprintln(os.Stderr, "parlor-chatload:", err)
	}
}

// fetchStats returns a function that fetches the serverStats of the
// server at base.
func fetchStats(base string) func() (serverStats, error) {
	return func() (serverStats, error) {
		var st serverStats
		resp, err := http.Get(base + statsPath)
		if err != nil {
			return st, err
		}
		defer resp.Body.Close()
		return st, json.NewDecoder(resp.Body).Decode(&st)
	}
}

// serveChild is the -serve mode: serve on cfg.serve until stdin closes or
// a signal comes.
func serveChild(cfg config) error {
	if !loopback.IsAddr(cfg.serve) {
		return fmt.Errorf("-serve %s: only loopback addresses", cfg.serve)
	}
	if cfg.pinCPU >= 0 {
		if err := loadgen.PinProcess(cfg.pinCPU); err != nil {
			return err
		}
	}
	srv, err := startServer(cfg, cfg.serve, true)
	if err != nil {
		return err
	}
	defer srv.stop()
	fmt.Println(srv.url) // the parent reads this line
	ctx, cancel := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer cancel()
	loadgen.WaitParent(ctx)
	return nil
}

// fetchProfile saves what the server at base answers on path (a
// net/http/pprof handler with ?seconds=) to file.
func fetchProfile(base, path, file string) error {
	resp, err := http.Get(base + path)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("%s: %s", path, resp.Status)
	}
	f, err := os.Create(file)
	if err != nil {
		return err
	}
	_, err = io.Copy(f, resp.Body)
	return errors.Join(err, f.Close())
}
