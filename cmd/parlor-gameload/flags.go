package main

import (
	"errors"
	"flag"
	"fmt"
	"time"

	"github.com/parlorhq/parlor/internal/loadgen"
)

// config holds the command-line flags.
type config struct {
	url      string
	game     string
	games    int
	duration time.Duration
	think    time.Duration
	dialConc int
	seed     uint64
	cpuProf  string
	rate     float64
	jsonPath string
	store    string
	db       string
	// breakdown: time each durable move's parts (-breakdown).
	breakdown bool
	// warmup is -warmup: moves due before it are played, not measured.
	warmup time.Duration
	// applyDelay is -apply-delay, the bbolt store's ApplyDelay.
	applyDelay time.Duration
	// matchDelay is -match-delay, the bbolt store's MatchDelay.
	matchDelay time.Duration
	// tracePath is -trace: an execution trace of the measured time.
	tracePath string
	// memProf is -memprofile: the live heap once the games have stopped.
	memProf string
	// spawn: serve in a child process (-spawn).
	spawn bool
	// serve is -serve, the child's mode: serve on this address.
	serve string
	// pin is -pin: with -spawn, the child and this process on a CPU each.
	pin bool
	// pinCPU is -pin-cpu, the -serve child's CPU (-1: not pinned).
	pinCPU int
	// pins are the CPUs chosen for -pin; nil without it.
	pins *loadgen.Pins
}

// parseFlags reads the command line.
func parseFlags() config {
	var cfg config
	flag.StringVar(&cfg.url, "url", "", "ws:// URL of an existing loopback server (empty: start one in this process)")
	flag.StringVar(&cfg.game, "game", "tictactoe", "the game the bots play: tictactoe or chess")
	flag.IntVar(&cfg.games, "games", 1000, "concurrent games (two bots each)")
	flag.DurationVar(&cfg.duration, "duration", 10*time.Second, "how long the bots play")
	flag.DurationVar(&cfg.think, "think", 0, "pause between a move's update and the next move")
	flag.IntVar(&cfg.dialConc, "dial-concurrency", 64, "bots dialing at the same time")
	flag.Uint64Var(&cfg.seed, "seed", 1, "seed of the bots' random moves")
	flag.StringVar(&cfg.cpuProf, "cpuprofile", "", "write a CPU profile of the whole process (bots and server) to this file")
	flag.Float64Var(&cfg.rate, "rate", 0, "open loop: moves per second in all, shared by the games (0: closed loop)")
	flag.StringVar(&cfg.jsonPath, "json", "", "also write the results as JSON to this file")
	flag.StringVar(&cfg.store, "store", "none", "where the in-process server writes every move before its reply: none (or empty), memory or bolt")
	flag.StringVar(&cfg.db, "db", "", "bbolt file for -store bolt (default: a new file in the temporary directory, removed at the end)")
	flag.BoolVar(&cfg.breakdown, "breakdown", false, "with -store bolt: report where each move's write goes (queue, wait, commit, syncs, reply)")
	flag.DurationVar(&cfg.warmup, "warmup", 0, "measure no latency of the moves started (or due) in this first part of -duration, such as the burst of the first matches' creation")
	flag.DurationVar(&cfg.applyDelay, "apply-delay", 0, "with -store bolt: how long the store lets logged moves gather before its bbolt file applies them (0: its default, 100ms; negative: at once)")
	flag.DurationVar(&cfg.matchDelay, "match-delay", 0, "with -store bolt: how long the store's bbolt file may hold back the moves of a match that goes on, to apply them together (0: its default, 5s; negative: not held)")
	flag.StringVar(&cfg.tracePath, "trace", "", "write an execution trace (go tool trace) of this process, from the end of -warmup to the end of the run, to this file")
	flag.StringVar(&cfg.memProf, "memprofile", "", "write a heap profile of this process (bots, and the server unless -spawn or -url) to this file once the games have stopped, before the bots disconnect")
	flag.BoolVar(&cfg.spawn, "spawn", false, "run the server in a child process (this binary with -serve), so that the bots do not share its goroutine scheduler, CPU accounting and garbage collector")
	flag.BoolVar(&cfg.pin, "pin", false, "with -spawn: the server child on the first CPU this process may use and the bots on the second, each with GOMAXPROCS 1")
	flag.IntVar(&cfg.pinCPU, loadgen.PinFlag, -1, "internal: the -serve child pins itself to this CPU (used by -pin)")
	flag.StringVar(&cfg.serve, "serve", "", "internal: serve -game with -store on this loopback address until stdin closes (used by -spawn)")
	flag.Parse()
	return cfg
}

// validate checks the flags and returns the bot of -game.
func (cfg config) validate() (bot, error) {
	b, ok := bots[cfg.game]
	if !ok {
		return bot{}, fmt.Errorf("-game %q: want tictactoe or chess", cfg.game)
	}
	if cfg.games < 1 {
		return bot{}, errors.New("-games must be at least 1")
	}
	switch cfg.store {
	case "", "none", "memory", "bolt":
	default:
		return bot{}, fmt.Errorf("-store %q: want none, memory or bolt", cfg.store)
	}
	if cfg.breakdown && (cfg.store != "bolt" || cfg.url != "" || cfg.spawn) {
		return bot{}, errors.New("-breakdown needs -store bolt, no -url and no -spawn")
	}
	if cfg.pin && !cfg.spawn {
		return bot{}, errors.New("-pin needs -spawn")
	}
	if cfg.spawn && cfg.url != "" {
		return bot{}, errors.New("-spawn excludes -url")
	}
	if cfg.warmup < 0 || (cfg.warmup > 0 && cfg.warmup >= cfg.duration) {
		return bot{}, errors.New("-warmup must be at least 0 and shorter than -duration")
	}
	if cfg.rate < 0 || (cfg.rate > 0 && cfg.think > 0) {
		return bot{}, errors.New("-rate must not be negative, and excludes -think")
	}
	return b, nil
}
