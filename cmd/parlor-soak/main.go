// Command parlor-soak runs a steady, mixed load for a long time and checks
// that the server's memory, goroutines and file descriptors stay flat: the
// way leaks show up that a short benchmark never sees.
//
// # The load
//
// -clients clients, one user each, for -duration:
//
//   - chat: all clients but the bots are members of -rooms chat groups
//     (about the same size each). Each sends -rate messages per second to
//     its group (with jittered gaps), waiting for each ack, and reads what
//     the others send. Every -churn on average (jittered) a chat client
//     closes its connection and a new one takes its place and joins the
//     group again: sessions, joins and leaves come and go all the time.
//   - games: -games pairs of bots play tic-tac-toe matches back to back,
//     one move every -think, a new match room for each match.
//
// # The server
//
// With no -url, an engine with the chat modules (on a new bbolt file in
// the temporary directory) and tic-tac-toe runs in this process on
// 127.0.0.1, with the engine's and chat's default limits, rooms kept 5s
// after their last member leaves (Room.IdleTTL) and a games grace of 5s,
// so that rooms come and go within the run. The figures are then those of
// the whole process: the server and the clients, whose number is
// constant, so a leak on either side shows.
//
// With -url ws://HOST:PORT/ws (the fault server: go run
// ./internal/faultserver -data DIR), the load goes to that server, and the
// figures are the server's own, from its /debug/stats (-stats-url, by
// default http://HOST:PORT/debug/stats). Only a server on loopback
// (localhost, 127.0.0.0/8, ::1) is accepted, like the fault server.
//
// # Output and verdict
//
// Every -interval, one row: elapsed time, heap in use, the anonymous and
// file-backed resident memory (RssAnon is heap, stacks and runtime;
// RssFile is mostly the bbolt file mapped in, which grows with the stored
// history and is not a leak), goroutines, open file descriptors, sessions
// and rooms, and the load in the interval (messages acked, delivered,
// matches finished, reconnects, errors). Memory is sampled right after a
// forced GC that also returns free memory to the OS (debug.FreeOSMemory),
// so that it shows what is retained: without that, the resident memory of
// a Go process creeps up towards its GC goal (twice the live heap by
// default) for minutes, which says nothing about leaks.
//
// At the end, a verdict per metric. Samples taken during -warmup are
// ignored; the rest are split in thirds, and a metric is flat when the
// mean of the last third is at most the mean of the first third plus
// max(-tolerance × that mean, the metric's absolute slack): 2 MiB for the
// heap, 8 MiB for RssAnon, 5% of the clients for goroutines, 2% of the
// clients for descriptors (clients reconnecting at the sample time
// account for those). RssFile is reported, not judged. The command exits
// with status 1 when a metric is not flat, or when a request failed.
//
// -memprofile FILE writes a heap profile at the end of the load, to find
// what grew.
//
//	go run ./cmd/parlor-soak -clients 500 -duration 3m
//	go run ./cmd/parlor-soak -url ws://127.0.0.1:8090/ws -clients 500 -duration 10m
package main

import (
	"context"
	"fmt"
	"os"

	"github.com/parlorhq/parlor/internal/loadgen"
)

func main() {
	cfg := parseFlags()
	var ok bool
	err := loadgen.Interruptible("", func(ctx context.Context) (err error) {
		ok, err = run(ctx, cfg, os.Stdout)
		return err
	})
	if err != nil {
		fmt.Fprintln(os.Stderr, "parlor-soak:", err)
		os.Exit(2)
	}
	if !ok {
		os.Exit(1)
	}
}
