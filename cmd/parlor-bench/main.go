// Command parlor-bench runs Parlor's standard set of load runs and draws
// their latency against offered rate as charts, for docs/benchmarks.md.
//
// # What it runs
//
// It runs the load commands with -json and reads their results:
//
//   - fanout: parlor-load, one room of -clients clients and one sender, in
//     a closed loop with W = 4, 16 and 64 broadcasts in flight (-widths);
//     then in an open loop (-rate) at -fractions of the best closed-loop
//     rate, with the largest W of send loops.
//   - chat: parlor-chatload, -dms direct conversations, on each store of
//     -stores in turn (the memory store and a new bbolt file by default;
//     postgres, with -dsn, on a new schema): a closed loop finds each store's
//     peak (persisted messages/s), then the open loop runs at -fractions
//     (25%, 50% and 75% by default) of that store's peak. -chat-spawn
//     runs each server in a child process, and -chat-pin (with it) puts
//     that child and the clients on a CPU each (parlor-chatload -pin).
//   - moves: parlor-gameload, -games tic-tac-toe games: a closed loop
//     finds the peak moves/s, then the open loop runs at -fractions of it.
//
// Every run lasts -duration (5s by default; chat adds -warmup). In the
// open loop, latency is measured from each send's due time, so queueing
// in the server shows. The default set (18 runs) takes about two and a
// half minutes on two cores; a longer -duration or more -fractions give
// steadier curves. Runs during which other processes used more than a
// quarter of a core are named in a warning at the end: their figures are
// not comparable.
//
// The commands come from -bin, or are built with go build into a
// temporary directory when -bin is empty (run parlor-bench from the
// module's source tree then). Their progress lines go to stderr.
//
// # Output
//
// Into -out (docs/bench by default): fanout.svg, chat.svg and moves.svg
// (or .png with -format png; p50 and p99 against offered rate,
// logarithmic latency axis),
// results.json (every run's figures) and results.md (the same as a
// Markdown table). -from results.json redraws the charts and the table
// of an earlier run without running anything.
//
// # Examples
//
//	go run ./cmd/parlor-bench
//	go run ./cmd/parlor-bench -only chat -duration 10s -fractions 0.1,0.25,0.5,0.75,0.9
//	go run ./cmd/parlor-bench -out /tmp/bench -widths 1,4,16,64
//	go run ./cmd/parlor-bench -only chat -chat-spawn -stores memory,bolt,postgres -dsn "$PARLOR_TEST_POSTGRES"
package main

import (
	"errors"
	"fmt"
	"os"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "parlor-bench:", err)
		os.Exit(1)
	}
}

// run parses the flags, builds the commands if needed, runs the
// scenarios and writes the outputs.
func run() error {
	cfg, err := parseFlags()
	if err != nil {
		return err
	}
	if cfg.from != "" {
		res, err := readResults(cfg.from)
		if err != nil {
			return err
		}
		return writeOutputs(cfg, res)
	}
	if cfg.bin == "" {
		dir, err := os.MkdirTemp("", "parlor-bench")
		if err != nil {
			return err
		}
		defer os.RemoveAll(dir)
		if err := buildTools(dir); err != nil {
			return err
		}
		cfg.bin = dir
	}
	b := &bench{cfg: cfg}
	err = b.run()
	warnShared(b.points)
	if len(b.points) > 0 {
		err = errors.Join(err, writeOutputs(cfg, newResults(b.points)))
	}
	return err
}

// sharedCores is the CPU other processes may use during a run before
// warnShared names it.
const sharedCores = 0.25

// warnShared warns about the runs that shared the machine.
func warnShared(pts []point) {
	n := 0
	for _, p := range pts {
		if p.OtherCores > sharedCores {
			n++
		}
	}
	if n > 0 {
		fmt.Fprintf(os.Stderr, "parlor-bench: WARNING: other processes used more than %.2f cores during %d of %d runs (see \"other CPU\" in results.md): their figures are not comparable\n", sharedCores, n, len(pts))
	}
}
