package main

import (
	"errors"
	"flag"
	"time"

	"github.com/parlorhq/parlor/internal/loadgen"
)

// config holds the command-line flags.
type config struct {
	store      string
	db         string
	dsn        string
	rooms      int
	size       int
	senders    int
	inflight   int
	text       int
	duration   time.Duration
	warmup     time.Duration
	batchDelay time.Duration
	applyDelay time.Duration
	dialConc   int
	cpuProfile string
	tracePath  string
	ackLog     string
	syncProbe  int
	spawn      bool
	pin        bool          // -pin: pin the -spawn child and this process to a CPU each
	pinCPU     int           // -pin-cpu: the -serve child's CPU (-1: not pinned)
	pins       *loadgen.Pins // the CPUs chosen for -pin; nil without it
	serve      string
	srvProfile string
	srvTrace   string
	stalled    float64
	rate       float64
	jsonPath   string
}

// parseFlags reads the command line.
func parseFlags() config {
	var cfg config
	flag.StringVar(&cfg.store, "store", "bolt", "store: bolt, memory or postgres")
	flag.StringVar(&cfg.db, "db", "", "bbolt file (default: a new file in the temporary directory, removed at the end)")
	flag.StringVar(&cfg.dsn, "dsn", "", "PostgreSQL DSN for -store postgres (the run uses a new schema there, dropped at the end)")
	flag.IntVar(&cfg.rooms, "rooms", 1000, "number of conversations")
	flag.IntVar(&cfg.size, "size", 2, "members per conversation (2: direct conversations; more: groups)")
	flag.IntVar(&cfg.senders, "senders", 0, "senders per conversation (0: every member)")
	flag.IntVar(&cfg.inflight, "inflight", 1, "requests in flight per sender")
	flag.IntVar(&cfg.text, "text", 100, "message text size in bytes")
	flag.DurationVar(&cfg.duration, "duration", 10*time.Second, "measured time")
	flag.DurationVar(&cfg.warmup, "warmup", 2*time.Second, "load before the measured time")
	flag.DurationVar(&cfg.batchDelay, "batch-delay", 0, "bbolt store's MaxBatchDelay (0: its default; negative: never wait)")
	flag.DurationVar(&cfg.applyDelay, "apply-delay", 0, "bbolt store's ApplyDelay: how long logged writes gather before the bbolt file applies them (0: its default, 250ms; negative: after every batch)")
	flag.IntVar(&cfg.dialConc, "dial-concurrency", 64, "clients dialing at a time")
	flag.StringVar(&cfg.cpuProfile, "cpuprofile", "", "write a CPU profile of this process in the measured time to this file (with -spawn: of the clients alone)")
	flag.StringVar(&cfg.tracePath, "trace", "", "write an execution trace (go tool trace) of this process in the measured time to this file")
	flag.StringVar(&cfg.ackLog, "ack-log", "", "write every ack of the measured time to this file: due (or send) time in Unix ns, latency in ns")
	flag.IntVar(&cfg.syncProbe, "sync-probe", 0, "run no load: time N commits' worth of disk syncs (write, sync, write, sync) in -db's directory, print the figures and exit")
	flag.BoolVar(&cfg.spawn, "spawn", false, "run the server in a child process, so that its CPU time is measured apart from the clients'")
	flag.BoolVar(&cfg.pin, "pin", false, "with -spawn: the server child on the first CPU this process may use and the clients on the second, each with GOMAXPROCS 1")
	flag.IntVar(&cfg.pinCPU, loadgen.PinFlag, -1, "internal: the -serve child pins itself to this CPU (used by -pin)")
	flag.StringVar(&cfg.srvProfile, "server-cpuprofile", "", "with -spawn: write a CPU profile of the server child in the measured time to this file")
	flag.StringVar(&cfg.srvTrace, "server-trace", "", "with -spawn: write an execution trace of the server child in the measured time to this file")
	flag.StringVar(&cfg.serve, "serve", "", "internal: serve on this loopback address until stdin closes (used by -spawn)")
	flag.Float64Var(&cfg.stalled, "stalled", 0, "fraction of the clients that join and then stop reading (0 to 0.5)")
	flag.Float64Var(&cfg.rate, "rate", 0, "open loop: messages per second in all, shared by the senders' -inflight loops (0: closed loop)")
	flag.StringVar(&cfg.jsonPath, "json", "", "also write the results as JSON to this file")
	flag.Parse()
	return cfg
}

// validate checks the flags, and sets -senders to -size when it is 0 or
// more than -size.
func (cfg *config) validate() error {
	if cfg.size < 2 || cfg.rooms < 1 || cfg.text < 24 || cfg.inflight < 1 {
		return errors.New("need -size >= 2, -rooms >= 1, -text >= 24, -inflight >= 1")
	}
	if cfg.rate < 0 {
		return errors.New("-rate must not be negative")
	}
	if !cfg.spawn && (cfg.srvProfile != "" || cfg.srvTrace != "") {
		return errors.New("-server-cpuprofile and -server-trace need -spawn")
	}
	if cfg.pin && !cfg.spawn {
		return errors.New("-pin needs -spawn")
	}
	if cfg.stalled < 0 || cfg.stalled > 0.5 {
		return errors.New("need 0 <= -stalled <= 0.5")
	}
	if cfg.senders <= 0 || cfg.senders > cfg.size {
		cfg.senders = cfg.size
	}
	return nil
}

// clients is the number of clients: one per member of every room.
func (cfg config) clients() int { return cfg.rooms * cfg.size }
