package main

import (
	"errors"
	"flag"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
)

// config holds the command-line flags.
type config struct {
	bin       string
	out       string
	only      []string
	duration  time.Duration
	warmup    time.Duration
	fractions []float64
	widths    []int
	clients   int
	dms       int
	stores    []string
	dsn       string
	chatSpawn bool
	chatPin   bool
	games     int
	format    string
	from      string
}

// scenarios are the names -only accepts, in the order they run.
var scenarios = []string{"fanout", "chat", "moves"}

// chatStores are the stores -stores accepts (parlor-chatload's -store).
var chatStores = []string{"memory", "bolt", "postgres"}

// parseFlags reads the command line.
func parseFlags() (config, error) {
	var cfg config
	var only, fractions, widths, stores string
	flag.StringVar(&cfg.bin, "bin", "", "directory holding parlor-load, parlor-chatload and parlor-gameload (empty: go build them into a temporary directory)")
	flag.StringVar(&cfg.out, "out", "docs/bench", "directory for the charts, results.json and results.md")
	flag.StringVar(&only, "only", strings.Join(scenarios, ","), "scenarios to run: fanout, chat, moves")
	flag.DurationVar(&cfg.duration, "duration", 5*time.Second, "measured time of each run")
	flag.DurationVar(&cfg.warmup, "warmup", time.Second, "chat warm-up before each measured time")
	flag.StringVar(&fractions, "fractions", "0.25,0.5,0.75", "open-loop rates, as fractions of the closed-loop peak")
	flag.StringVar(&widths, "widths", "4,16,64", "fan-out broadcasts in flight (W) of the closed-loop runs")
	flag.IntVar(&cfg.clients, "clients", 1000, "fan-out: clients in the one room")
	flag.IntVar(&cfg.dms, "dms", 500, "chat: direct conversations (two clients each)")
	flag.StringVar(&stores, "stores", "memory,bolt", "chat: the stores, one after the other: memory, bolt, postgres")
	flag.StringVar(&cfg.dsn, "dsn", "", "chat: PostgreSQL DSN for the postgres store (parlor-chatload -dsn; each run uses a new schema there, dropped at its end)")
	flag.BoolVar(&cfg.chatSpawn, "chat-spawn", false, "chat: run each server in a child process of parlor-chatload (-spawn), apart from the clients")
	flag.BoolVar(&cfg.chatPin, "chat-pin", false, "chat: with -chat-spawn, the server child and the clients on a CPU each (parlor-chatload -pin)")
	flag.IntVar(&cfg.games, "games", 500, "moves: concurrent tic-tac-toe games (two bots each)")
	flag.StringVar(&cfg.format, "format", "svg", "chart format: svg or png")
	flag.StringVar(&cfg.from, "from", "", "run nothing: redraw the charts and table from this results.json")
	flag.Parse()
	var err error
	cfg.only = strings.Split(only, ",")
	cfg.stores = strings.Split(stores, ",")
	if cfg.fractions, err = parseList(fractions, strconv.ParseFloat); err == nil {
		cfg.widths, err = parseList(widths, func(s string, _ int) (int, error) { return strconv.Atoi(s) })
	}
	if err != nil {
		return cfg, err
	}
	return cfg, cfg.validate()
}

// parseList parses a comma-separated list of numbers.
func parseList[T int | float64](s string, parse func(string, int) (T, error)) ([]T, error) {
	var out []T
	for f := range strings.SplitSeq(s, ",") {
		v, err := parse(strings.TrimSpace(f), 64)
		if err != nil {
			return nil, fmt.Errorf("list %q: %w", s, err)
		}
		out = append(out, v)
	}
	return out, nil
}

// validate checks the flags.
func (cfg config) validate() error {
	for _, s := range cfg.only {
		if !slices.Contains(scenarios, s) {
			return fmt.Errorf("-only: unknown scenario %q", s)
		}
	}
	for _, f := range cfg.fractions {
		if f <= 0 || f > 1 {
			return errors.New("-fractions must be in (0, 1]")
		}
	}
	for _, w := range cfg.widths {
		if w < 1 {
			return errors.New("-widths must be positive")
		}
	}
	if cfg.format != "svg" && cfg.format != "png" {
		return errors.New("-format must be svg or png")
	}
	for _, s := range cfg.stores {
		if !slices.Contains(chatStores, s) {
			return fmt.Errorf("-stores: unknown store %q", s)
		}
		if s == "postgres" && cfg.dsn == "" && cfg.runs("chat") {
			return errors.New("-stores postgres needs -dsn")
		}
	}
	if cfg.chatPin && !cfg.chatSpawn {
		return errors.New("-chat-pin needs -chat-spawn")
	}
	if cfg.clients < 1 || cfg.dms < 1 || cfg.games < 1 || cfg.duration <= 0 {
		return errors.New("-clients, -dms, -games and -duration must be positive")
	}
	return nil
}

// runs reports whether scenario s is to run.
func (cfg config) runs(s string) bool { return slices.Contains(cfg.only, s) }
