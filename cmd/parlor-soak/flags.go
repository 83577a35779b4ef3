package main

import (
	"errors"
	"flag"
	"time"
)

// config holds the command-line flags.
type config struct {
	url       string
	statsURL  string
	clients   int
	rooms     int
	games     int
	rate      float64
	churn     time.Duration
	think     time.Duration
	duration  time.Duration
	warmup    time.Duration
	interval  time.Duration
	tolerance float64
	dialConc  int
	memProf   string
}

// parseFlags reads the command line.
func parseFlags() config {
	var cfg config
	flag.StringVar(&cfg.url, "url", "", "ws:// URL of a running fault server (empty: an engine in this process)")
	flag.StringVar(&cfg.statsURL, "stats-url", "", "the server's stats URL with -url (default: http://HOST:PORT/debug/stats)")
	flag.IntVar(&cfg.clients, "clients", 500, "clients in all, chat clients and game bots")
	flag.IntVar(&cfg.rooms, "rooms", 20, "chat groups")
	flag.IntVar(&cfg.games, "games", 50, "concurrent tic-tac-toe games (two bots each)")
	flag.Float64Var(&cfg.rate, "rate", 1, "chat messages per second per chat client")
	flag.DurationVar(&cfg.churn, "churn", time.Minute, "mean time between reconnects of a chat client (0: never)")
	flag.DurationVar(&cfg.think, "think", 200*time.Millisecond, "pause before each game move")
	flag.DurationVar(&cfg.duration, "duration", 3*time.Minute, "how long the load runs")
	flag.DurationVar(&cfg.warmup, "warmup", time.Minute, "samples before this are not judged")
	flag.DurationVar(&cfg.interval, "interval", 10*time.Second, "time between samples and rows")
	flag.Float64Var(&cfg.tolerance, "tolerance", 0.10, "allowed growth of a metric, as a fraction of its first-third mean")
	flag.IntVar(&cfg.dialConc, "dial-concurrency", 32, "clients dialing at the same time")
	flag.StringVar(&cfg.memProf, "memprofile", "", "write a heap profile of this process at the end of the load (in-process server only)")
	flag.Parse()
	return cfg
}

// validate checks the flags.
func (cfg config) validate() error {
	if cfg.clients < 2*cfg.games+cfg.rooms*2 || cfg.rooms < 1 || cfg.rate <= 0 || cfg.interval <= 0 {
		return errors.New("need -rooms >= 1, -rate > 0, -interval > 0 and at least two chat clients per room besides the bots")
	}
	if cfg.duration-cfg.warmup < 3*cfg.interval {
		return errors.New("need at least three samples after -warmup")
	}
	return nil
}

// chatClients is the number of chat clients: the clients that are not
// game bots.
func (cfg config) chatClients() int { return cfg.clients - 2*cfg.games }
