package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"time"

	"github.com/parlorhq/parlor/internal/loadgen"
)

// spawnServer runs this binary with -serve in a child process.
func spawnServer(cfg config) (*target, error) {
	cmd, err := childCommand(cfg)
	if err != nil {
		return nil, err
	}
	ch, err := loadgen.StartChild(cmd)
	if err != nil {
		return nil, err
	}
	wsURL, err := ch.URL(15 * time.Second)
	if err != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = ch.Stop(ctx)
		return nil, err
	}
	return &target{url: wsURL, kind: kindChild, stats: childStats(wsURL, ""),
		goroutines: childStats(wsURL, "?goroutines"), stop: ch.Stop}, nil
}

// childCommand is the command line of the child: this binary with -serve
// (and -heartbeat), under taskset when -server-cpu pins it, with
// GOMAXPROCS=-server-procs if set.
func childCommand(cfg config) (*exec.Cmd, error) {
	exe, err := os.Executable()
	if err != nil {
		return nil, err
	}
	procs, cpus := cfg.serverProcs, cfg.serverCPU
	args := []string{exe, "-serve", "127.0.0.1:0", "-heartbeat", cfg.heartbeat.String()}
	if cfg.cpuProfile != "" {
		args = append(args, "-cpuprofile", cfg.cpuProfile)
	}
	if cpus != "" {
		taskset, err := exec.LookPath("taskset")
		if err != nil {
			return nil, fmt.Errorf("-server-cpu needs taskset: %w", err)
		}
		args = append([]string{taskset, "-c", cpus}, args...)
	}
	cmd := exec.Command(args[0], args[1:]...)
	cmd.Env = os.Environ()
	if procs > 0 {
		cmd.Env = append(cmd.Env, "GOMAXPROCS="+strconv.Itoa(procs))
	}
	cmd.Stderr = os.Stderr
	return cmd, nil
}

// childStats returns a function that fetches the serverStats of the child
// serving wsURL, with query (empty, or "?goroutines" for the count alone).
func childStats(wsURL, query string) func() (serverStats, error) {
	statsURL := "http://" + strings.TrimSuffix(strings.TrimPrefix(wsURL, "ws://"), "/ws") + statsPath + query
	return func() (serverStats, error) {
		var st serverStats
		resp, err := http.Get(statsURL)
		if err != nil {
			return st, err
		}
		defer resp.Body.Close()
		return st, json.NewDecoder(resp.Body).Decode(&st)
	}
}

// saveHeapProfile fetches the heap profile of the child serving wsURL
// and writes it to path.
func saveHeapProfile(wsURL, path string) error {
	return saveFromServer(wsURL, heapPath, path)
}
