package main

import (
	"errors"
	"flag"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/parlorhq/parlor/internal/echo"
)

// config holds the command-line flags.
type config struct {
	url         string
	clients     int
	rooms       int
	senders     int
	inflight    int
	size        int
	duration    time.Duration
	auth        string
	allowRemote bool
	spawn       bool
	serverProcs int
	serverCPU   string
	cpuProfile  string
	serve       string
	dialConc    int
	roomPrefix  string
	rate        float64
	jsonPath    string
	// the -idle mode
	idle        int
	idleRoom    int
	genGCPct    int
	sources     int
	heartbeat   time.Duration
	idleWindow  time.Duration
	idleRounds  int
	heapProfile string
	tracePath   string
}

// parseFlags reads the command line.
func parseFlags() config {
	var cfg config
	flag.StringVar(&cfg.url, "url", "", "ws:// URL of an existing server (empty: start one in this process)")
	flag.IntVar(&cfg.clients, "clients", 1000, "number of client connections")
	flag.IntVar(&cfg.rooms, "rooms", 1, "number of echo rooms; clients are spread round-robin")
	flag.IntVar(&cfg.senders, "senders", 1, "senders per room (the room's first clients)")
	flag.IntVar(&cfg.inflight, "inflight", 16, "requests in flight per sender")
	flag.IntVar(&cfg.size, "size", 100, "text bytes per say event (at least 21: the timestamp)")
	flag.DurationVar(&cfg.duration, "duration", 10*time.Second, "how long senders send")
	flag.StringVar(&cfg.auth, "auth", "", `header sent with each upgrade to an external server, e.g. "Authorization: Bearer X"`)
	flag.BoolVar(&cfg.allowRemote, "allow-remote", false, "allow a -url that is not a loopback address")
	flag.BoolVar(&cfg.spawn, "spawn", false, "run the server in a child process, measured apart from the clients")
	flag.IntVar(&cfg.serverProcs, "server-procs", 0, "GOMAXPROCS of the -spawn child (0: inherit)")
	flag.StringVar(&cfg.serverCPU, "server-cpu", "", "pin the -spawn child to these CPUs with taskset, e.g. 0")
	flag.StringVar(&cfg.cpuProfile, "cpuprofile", "", "write a CPU profile of the server's process to this file (with -spawn, of the child alone)")
	flag.StringVar(&cfg.serve, "serve", "", "internal: serve on this address until stdin closes (used by -spawn)")
	flag.IntVar(&cfg.dialConc, "dial-concurrency", 64, "clients dialing at the same time")
	flag.StringVar(&cfg.roomPrefix, "room-prefix", "load", "echo room names are PREFIX-0, PREFIX-1, ...")
	flag.Float64Var(&cfg.rate, "rate", 0, "open loop: broadcasts per second in all, shared by the senders' -inflight loops (0: closed loop)")
	flag.StringVar(&cfg.jsonPath, "json", "", "also write the results as JSON to this file")
	flag.IntVar(&cfg.idle, "idle", 0, "idle connections held beside the busy room: the broadcast is measured with them and alone (needs -spawn)")
	flag.IntVar(&cfg.idleRoom, "idle-room-size", 10, "members of each idle connection's echo room")
	flag.IntVar(&cfg.genGCPct, "gen-gc-percent", 0, "with -idle: this process's GC percent during the busy phases (0: Go's default, 100), so that the collector of the generator, which holds the idle connections too, does not mark its larger heap during the with-idle phase only")
	flag.IntVar(&cfg.sources, "sources", 0, "dial the idle connections from 127.0.0.2 ... 127.0.0.(1+K), K source addresses (0: the kernel's choice)")
	flag.DurationVar(&cfg.heartbeat, "heartbeat", 0, "the -spawn server's heartbeat (ping) interval (0: the engine's default, 25s)")
	flag.DurationVar(&cfg.idleWindow, "idle-window", 30*time.Second, "how long the server's CPU is measured while every connection is idle")
	flag.IntVar(&cfg.idleRounds, "idle-rounds", 1, "with -idle: rounds of the busy room's load beside the idle connections, then alone (they are dialed again for each round); each condition's samples are also pooled")
	flag.StringVar(&cfg.tracePath, "trace", "", "with -idle: write a 3 s execution trace of the -spawn server, 5 s into each phase, to this file name with the phase's label appended (-with-idle-1, -alone-1, ...)")
	flag.StringVar(&cfg.heapProfile, "heapprofile", "", "with -idle: write a heap profile of the -spawn server, taken once the idle connections settled, to this file")
	flag.Parse()
	return cfg
}

// validate checks the flags of a load run.
func (cfg config) validate() error {
	if cfg.clients < 1 || cfg.rooms < 1 || cfg.senders < 0 || cfg.inflight < 1 || cfg.dialConc < 1 {
		return errors.New("-clients, -rooms, -inflight and -dial-concurrency must be positive")
	}
	if cfg.rate < 0 {
		return errors.New("-rate must not be negative")
	}
	if cfg.rooms > cfg.clients {
		return errors.New("-rooms must not exceed -clients")
	}
	if cfg.size < 21 || cfg.size > echo.MaxTextLen {
		return fmt.Errorf("-size must be 21 to %d bytes", echo.MaxTextLen)
	}
	if cfg.url != "" && cfg.spawn {
		return errors.New("-url and -spawn exclude each other")
	}
	if err := cfg.validateIdle(); err != nil {
		return err
	}
	_, err := cfg.header()
	return err
}

// validateIdle checks the flags of the -idle mode.
func (cfg config) validateIdle() error {
	if cfg.idle < 0 || cfg.sources < 0 || cfg.sources > 250 || cfg.heartbeat < 0 {
		return errors.New("-idle, -sources (at most 250) and -heartbeat must not be negative")
	}
	if cfg.idle > 0 && cfg.idleRoom < 1 {
		return errors.New("-idle-room-size must be positive")
	}
	if cfg.idle > 0 && !cfg.spawn {
		return errors.New("-idle needs -spawn: the server's memory and CPU are measured apart from the generator's")
	}
	if (cfg.heapProfile != "" || cfg.tracePath != "") && cfg.idle == 0 {
		return errors.New("-heapprofile and -trace need -idle")
	}
	if cfg.idle > 0 && cfg.idleRounds < 1 {
		return errors.New("-idle-rounds must be positive")
	}
	if cfg.idle > 0 && cfg.idleWindow < time.Second {
		return errors.New("-idle-window must be at least 1s")
	}
	return nil
}

// header is the upgrade request's header: -auth, if given.
func (cfg config) header() (http.Header, error) {
	header := http.Header{}
	if cfg.auth == "" {
		return header, nil
	}
	name, value, ok := strings.Cut(cfg.auth, ":")
	if !ok || strings.TrimSpace(name) == "" {
		return nil, errors.New(`-auth must look like "Header-Name: value"`)
	}
	header.Set(strings.TrimSpace(name), strings.TrimSpace(value))
	return header, nil
}

// isSender reports whether client i sends: the first -senders clients of
// each room do.
func (cfg config) isSender(i int) bool { return i/cfg.rooms < cfg.senders }

// ownProfile is the file of this process's CPU profile: -cpuprofile,
// except in a -spawn parent, whose child profiles the server.
func (cfg config) ownProfile() string {
	if cfg.spawn && cfg.serve == "" {
		return ""
	}
	return cfg.cpuProfile
}
