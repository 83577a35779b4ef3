package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"time"
)

// child is a server running in a child process (-spawn).
type child struct {
	cmd    *exec.Cmd
	stdin  io.Closer
	exited chan error
}

// spawnServer runs this binary with -serve in a child process.
func spawnServer(cfg config) (*target, error) {
	cmd, err := childCommand(cfg)
	if err != nil {
		return nil, err
	}
	ch, lines, err := startChild(cmd)
	if err != nil {
		return nil, err
	}
	var wsURL string
	select {
	case wsURL = <-lines:
	case <-time.After(15 * time.Second):
	}
	if wsURL == "" {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = ch.stop(ctx)
		return nil, errors.New("server child did not report its address")
	}
	return &target{url: wsURL, kind: kindChild, stats: childStats(wsURL, ""),
		goroutines: childStats(wsURL, "?goroutines"), stop: ch.stop}, nil
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

// startChild starts cmd. The child's first line of output comes on lines;
// the rest is discarded.
func startChild(cmd *exec.Cmd) (*child, <-chan string, error) {
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return nil, nil, err
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, nil, err
	}
	ch := &child{cmd: cmd, stdin: stdin, exited: make(chan error, 1)}
	lines := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		if sc.Scan() {
			lines <- sc.Text()
		}
		_, _ = io.Copy(io.Discard, stdout)
		ch.exited <- cmd.Wait()
	}()
	return ch, lines, nil
}

// stop closes the child's stdin, which asks it to shut down, and waits
// for it to exit; it kills the child if ctx ends first.
func (ch *child) stop(ctx context.Context) error {
	_ = ch.stdin.Close()
	select {
	case err := <-ch.exited:
		return err
	case <-ctx.Done():
		_ = ch.cmd.Process.Kill() // our own child, by pid
		<-ch.exited
		return fmt.Errorf("server child did not stop in time; killed it")
	}
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
	heapURL := "http://" + strings.TrimSuffix(strings.TrimPrefix(wsURL, "ws://"), "/ws") + heapPath
	resp, err := http.Get(heapURL)
	if err != nil {
		return fmt.Errorf("heap profile: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("heap profile: %s", resp.Status)
	}
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if _, err := io.Copy(f, resp.Body); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
