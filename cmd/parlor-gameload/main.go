// Command parlor-gameload plays many concurrent games with bots to measure
// the games toolkit: moves per second, and the latency from sending a move
// to every player having the new position.
//
// # What it does
//
// It connects two bots per game (-games games, at most -dial-concurrency
// dialing at a time), then, in every game at once and for -duration, the
// two bots play matches of -game (tictactoe or chess) back to back: they
// join a new match (a challenge with a fresh nonce), and the bot to move
// picks a random move from the legal moves listed in its "state" view,
// sends it, and waits until both bots have the "state" event of that ply.
// That wait is the move-to-all-updated latency: from just before the move
// is sent until the game's goroutine has seen the new position on both
// connections, so it includes the client side's scheduling as well as the
// server's work. The bots are written with client/gameclient: each reads
// the match from its own room's events. After a -think pause the next move goes out. When a match
// ends, both bots leave its room and start the next one. When the time is
// up, every game finishes the move in flight, and the tool prints a report
// and exits.
//
// # Closed and open loop
//
// By default each game moves as soon as the previous move has reached
// both bots (after -think). With -rate N the moves follow a schedule of N
// moves per second in all, handed out in turn to the games that are
// ready to move, and the latency is measured from each move's due time,
// so a move that waited for its game to be ready counts that wait too.
// -rate excludes -think.
//
// # Where the server runs
//
// With no -url (the default), an engine with the chosen game's module is
// started in this process on 127.0.0.1 (a random port), with rate limits
// off and rooms disposed as soon as their last member leaves. With -url
// ws://host:port/path, an existing loopback server that registers the
// game's module ("games.tictactoe" or "games.chess") and takes the user
// from ?user=; its rate limit applies.
//
// -store bolt makes the in-process server's matches durable: every move
// is written to a bbolt file (games/boltstore; -db FILE, or a new file in
// the temporary directory removed at the end) before the mover's reply,
// and -store memory to the in-memory store. The default, none, stores
// nothing. -breakdown (with -store bolt) adds to the report where a
// move's write went: per write and per batch of the store's log writer,
// p50, p99, p99.9 and max of each part, from the store's observer hooks
// (among them, per write, the time from the log's sync returning to the
// room goroutine running again), and the time from each move's store
// write to both bots having the position; and per transaction of the
// store's bbolt file, its time, the writes it applied and held back, the
// pages it wrote, and the pages written per write applied. -apply-delay
// and -match-delay set the store's ApplyDelay and MatchDelay.
//
// With -spawn, the server runs in a child process (this binary with
// -serve, stopped when this one closes its stdin), so that the bots'
// goroutines and garbage do not share its scheduler and collector; the
// report's CPU line is then the bots' process alone, the child being in
// "the rest of the machine". -spawn excludes -url and -breakdown.
//
// -pin (with -spawn) gives each process a CPU of its own: the child runs
// on the first CPU this process may use and the bots on the second, each
// with GOMAXPROCS 1 (sched_setaffinity on every thread; Linux only, and
// at least two CPUs), so that the latency left is the server's own and
// the rest of the machine's, not the bots' goroutines queued ahead of the
// server's.
//
// -warmup D leaves out of the latency (and the breakdown) the moves due
// in the first D of -duration: the 2 × -games joins of the first matches
// all happen then, with their stored creations. The breakdown also
// leaves out what happens after -duration, when every game's last write
// comes at once.
//
// # Output
//
// While the bots play, a progress line on stderr shows the elapsed time,
// the moves so far, their rate and the p99 latency so far: one line
// rewritten in place on a terminal, a plain line every 5 seconds
// otherwise. The report then gives games, matches finished, moves, moves/s, latency p50, p90, p99 and max,
// and the CPU this process and the rest of the machine used while the bots
// played (to spot runs that shared the machine with other work). -json
// FILE also writes them as JSON (the fields of loadgen.Result, then the
// games' own). Latencies are kept in an HDR histogram (3 significant
// figures). It exits with status 1 if a request failed.
//
// -cpuprofile FILE writes a CPU profile of the process (bots and server
// together) for go tool pprof. -trace FILE writes an execution trace of
// the process from the end of -warmup to the end of the run, for go tool
// trace (go tool trace -pprof=sched FILE, for one, gives where goroutines
// waited to run). -memprofile FILE writes a heap profile of the process
// once the games have stopped, the bots still connected: go tool pprof
// -sample_index=inuse_space shows what stays live, alloc_space what the
// run allocated.
//
// # Examples
//
//	go run ./cmd/parlor-gameload -game tictactoe -games 1000 -duration 10s
//	go run ./cmd/parlor-gameload -game chess -games 200 -duration 10s
//	go run ./cmd/parlor-gameload -game tictactoe -games 1000 -think 100ms
//	go run ./cmd/parlor-gameload -game tictactoe -games 1000 -rate 2000 -json /tmp/moves.json
//	go run ./cmd/parlor-gameload -game tictactoe -games 1000 -store bolt -rate 1000
//	go run ./cmd/parlor-gameload -game tictactoe -games 500 -store bolt -rate 1000 -spawn -pin
package main

import (
	"context"
	"fmt"
	"os"

	"github.com/parlorhq/parlor/internal/loadgen"
)

func main() {
	cfg := parseFlags()
	var err error
	if cfg.serve != "" {
		err = serveChild(cfg)
	} else {
		err = loadgen.Interruptible(cfg.cpuProf, func(ctx context.Context) error {
			return run(ctx, cfg, os.Stdout)
		})
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "parlor-gameload:", err)
		os.Exit(1)
	}
}
