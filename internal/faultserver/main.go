// Command faultserver is the server the fault tests (internal/faulttest),
// the power-cut test (internal/powercut) and the soak command
// (cmd/parlor-soak -url) run as a real child process,
// so that they can kill it with SIGKILL, stop it with SIGTERM and restart
// it on the same data.
//
// It serves a Parlor engine at /ws with the chat modules (a bbolt store,
// chat.db, in the -data directory), tic-tac-toe and chess (durable
// matches in a second bbolt file, games.db, in the same directory;
// -game-base sets their clocks), and the echo test
// module (internal/echo: busy rooms without a store), and takes the
// user from the "user" query parameter: it trusts whatever the client
// says, so it listens on loopback only. Room ids are keyed by -secret, so
// they stay the same across restarts.
//
// When it listens it prints one line to stdout:
//
//	faultserver listening 127.0.0.1:41234
//
// GET /debug/stats returns a JSON object of its memory and load (see
// Stats); GET /debug/stats?gc=1 first collects garbage and returns free
// memory to the OS (debug.FreeOSMemory), to report what is retained.
//
// On SIGTERM or SIGINT it shuts down gracefully: the engine (every
// room is disposed and every WebSocket closed with 1001), then the HTTP
// server, then the stores; it prints "faultserver stopped" and exits
// with status 0.
//
//	go run ./internal/faultserver -data /tmp/fs -addr 127.0.0.1:0
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"syscall"
	"time"

	"github.com/parlorhq/parlor/chat"
	"github.com/parlorhq/parlor/chat/boltstore"
	"github.com/parlorhq/parlor/engine"
	"github.com/parlorhq/parlor/games"
	gamesbolt "github.com/parlorhq/parlor/games/boltstore"
	"github.com/parlorhq/parlor/games/chess"
	"github.com/parlorhq/parlor/games/tictactoe"
	"github.com/parlorhq/parlor/internal/echo"
	"github.com/parlorhq/parlor/internal/levellog"
	"github.com/parlorhq/parlor/internal/loopback"
	"github.com/parlorhq/parlor/internal/procstat"
	"github.com/parlorhq/parlor/room"
)

// ListenPrefix starts the line the server prints once it listens; the
// address follows it.
const ListenPrefix = "faultserver listening "

// StoppedLine is the line the server prints after a graceful shutdown.
const StoppedLine = "faultserver stopped"

// DBFile is the name of the chat's bbolt file in the data directory.
const DBFile = "chat.db"

// GamesDBFile is the name of the games' bbolt file in the data directory.
const GamesDBFile = "games.db"

// config holds the command-line flags.
type config struct {
	addr        string
	data        string
	secret      string
	grace       time.Duration
	gameBase    time.Duration
	gameInc     time.Duration
	rateLimit   float64
	chatRate    float64
	replayLimit int
	outboxBytes int
	heartbeat   time.Duration
	idleTTL     time.Duration
	shutdown    time.Duration
	logLevel    string

	challengeRate   int
	chatLogSize     int64
	gamesLogSize    int64
	chatApplyDelay  time.Duration
	gamesApplyDelay time.Duration
}

func main() {
	var cfg config
	flag.StringVar(&cfg.addr, "addr", "127.0.0.1:0", "address to listen on")
	flag.StringVar(&cfg.data, "data", "", "data directory for the bbolt files of chat and games (required)")
	flag.StringVar(&cfg.secret, "secret", "parlor faultserver secret", "room-id key; keep it the same across restarts")
	flag.DurationVar(&cfg.grace, "grace", 0, "games' disconnect grace (0: the toolkit's default, 30s)")
	flag.DurationVar(&cfg.gameBase, "game-base", 0, "games' clock: each seat's starting time (0: untimed)")
	flag.DurationVar(&cfg.gameInc, "game-increment", 0, "games' clock: time added after each move")
	flag.Float64Var(&cfg.rateLimit, "rate-limit", 0, "engine frames per second per connection (0: engine default; negative: off)")
	flag.Float64Var(&cfg.chatRate, "chat-rate", 0, "chat writes per second per user and conversation (0: chat default; negative: off)")
	flag.IntVar(&cfg.replayLimit, "chat-replay-limit", 0, "log entries chat replays from its store to a resuming client (0: chat default; negative: none)")
	flag.IntVar(&cfg.outboxBytes, "outbox-bytes", 0, "bytes queued per connection before 4008 (0: engine default, 1 MiB)")
	flag.DurationVar(&cfg.heartbeat, "heartbeat", 0, "engine ping interval (0: engine default)")
	flag.DurationVar(&cfg.idleTTL, "idle-ttl", 0, "how long an empty room lives (0: engine default; negative: dispose at once)")
	flag.DurationVar(&cfg.shutdown, "shutdown-timeout", 10*time.Second, "bound of the graceful shutdown")
	flag.StringVar(&cfg.logLevel, "log", "warn", "log level to stderr: debug, info, warn, error or off")
	flag.IntVar(&cfg.challengeRate, "challenge-rate", 0, "challenges one user may create a minute (0: games default, 20)")
	flag.Int64Var(&cfg.chatLogSize, "chat-log-size", 0, "chat store's write-ahead log size in bytes (0: its default)")
	flag.Int64Var(&cfg.gamesLogSize, "games-log-size", 0, "games store's write-ahead log size in bytes (0: its default)")
	flag.DurationVar(&cfg.chatApplyDelay, "chat-apply-delay", 0, "chat store's ApplyDelay (0: its default)")
	flag.DurationVar(&cfg.gamesApplyDelay, "games-apply-delay", 0, "games store's ApplyDelay (0: its default)")
	flag.Parse()
	if err := run(cfg); err != nil {
		fmt.Fprintln(os.Stderr, "faultserver:", err)
		os.Exit(1)
	}
}

func run(cfg config) error {
	if cfg.data == "" {
		return errors.New("-data is required")
	}
	if err := os.MkdirAll(cfg.data, 0o700); err != nil {
		return err
	}
	log, err := levellog.New(cfg.logLevel)
	if err != nil {
		return err
	}
	defer func() { _ = log.Sync() }()

	store, err := boltstore.Open(filepath.Join(cfg.data, DBFile), boltstore.Options{
		LogSize: cfg.chatLogSize, ApplyDelay: cfg.chatApplyDelay,
	})
	if err != nil {
		return fmt.Errorf("open chat store: %w", err)
	}
	gamesStore, err := gamesbolt.Open(filepath.Join(cfg.data, GamesDBFile), gamesbolt.Options{
		LogSize: cfg.gamesLogSize, ApplyDelay: cfg.gamesApplyDelay,
	})
	if err != nil {
		_ = store.Close()
		return fmt.Errorf("open games store: %w", err)
	}
	closeStores := func() error { return errors.Join(store.Close(), gamesStore.Close()) }
	eng, err := engine.New(engine.Config{
		Authenticate:      loopback.AuthenticateQuery,
		Secret:            []byte(cfg.secret),
		Logger:            log.Named("parlor"),
		RateLimit:         cfg.rateLimit,
		OutboxBytes:       cfg.outboxBytes,
		HeartbeatInterval: cfg.heartbeat,
		Room:              room.Config{IdleTTL: cfg.idleTTL},
	})
	if err != nil {
		_ = closeStores()
		return err
	}
	fail := func(err error) error {
		_ = eng.Shutdown(context.Background())
		return errors.Join(err, closeStores())
	}
	c := chat.New(chat.Config{Store: store, MessageRate: cfg.chatRate, ReplayLimit: cfg.replayLimit, Logger: log.Named("chat")})
	if err := c.Register(eng); err != nil {
		return fail(err)
	}
	if err := eng.Register(echo.Module{}); err != nil {
		return fail(err)
	}
	for _, g := range []games.Game{tictactoe.Game{}, chess.Game{}} {
		gcfg := games.Config{
			Grace: cfg.grace, Rooms: eng, Secret: eng.Secret(), QuickMatch: true, Store: gamesStore, ChallengeRate: cfg.challengeRate,
			TimeControl: games.TimeControl{Base: cfg.gameBase, Increment: cfg.gameInc},
		}
		if err := eng.Register(games.NewModule(g, gcfg)); err != nil {
			return fail(err)
		}
	}

	mux := http.NewServeMux()
	mux.Handle("/ws", eng)
	mux.HandleFunc("GET /debug/stats", func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Query().Get("gc") == "1" {
			// Report what is retained: collect, and return free memory
			// to the OS so that RSS does not include the GC's headroom.
			debug.FreeOSMemory()
		}
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(ReadStats(eng))
	})
	ln, err := net.Listen("tcp", cfg.addr)
	if err != nil {
		return fail(err)
	}
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	fmt.Println(ListenPrefix + ln.Addr().String())

	var serveErr error
	select {
	case serveErr = <-errc:
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), cfg.shutdown)
	defer cancel()
	engErr := eng.Shutdown(sctx)
	if engErr != nil {
		engErr = fmt.Errorf("engine shutdown: %w", engErr)
	}
	srvErr := srv.Shutdown(sctx)
	if srvErr != nil {
		srvErr = fmt.Errorf("http shutdown: %w", srvErr)
	}
	storeErr := closeStores()
	if storeErr != nil {
		storeErr = fmt.Errorf("close the stores: %w", storeErr)
	}
	if serveErr == nil {
		if err := <-errc; !errors.Is(err, http.ErrServerClosed) {
			serveErr = err
		}
	}
	if err := errors.Join(serveErr, engErr, srvErr, storeErr); err != nil {
		return err
	}
	fmt.Println(StoppedLine)
	return nil
}

// Stats is the JSON body of GET /debug/stats.
type Stats struct {
	// HeapInuse is runtime.MemStats.HeapInuse, in bytes.
	HeapInuse uint64 `json:"heap_inuse"`
	// HeapAlloc is runtime.MemStats.HeapAlloc, in bytes.
	HeapAlloc uint64 `json:"heap_alloc"`
	// StackInuse is runtime.MemStats.StackInuse, in bytes.
	StackInuse uint64 `json:"stack_inuse"`
	// Sys is runtime.MemStats.Sys, in bytes.
	Sys uint64 `json:"sys"`
	// RSS is the process's resident set (VmRSS), in bytes; 0 if unknown.
	RSS uint64 `json:"rss"`
	// RSSAnon is the anonymous part of RSS (RssAnon): heap, stacks and
	// runtime.
	RSSAnon uint64 `json:"rss_anon"`
	// RSSFile is the file-backed part of RSS (RssFile), mostly the pages
	// of the bbolt file mapped in, which grows with the history.
	RSSFile uint64 `json:"rss_file"`
	// Goroutines is runtime.NumGoroutine.
	Goroutines int `json:"goroutines"`
	// FDs counts the process's open file descriptors; -1 if unknown.
	FDs int `json:"fds"`
	// Sessions is the engine's current count of sessions.
	Sessions int `json:"sessions"`
	// Rooms is the engine's current count of running rooms.
	Rooms int `json:"rooms"`
	// NumGC is runtime.MemStats.NumGC.
	NumGC uint32 `json:"num_gc"`
}

// ReadStats samples this process and the engine.
func ReadStats(eng *engine.Engine) Stats {
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	es := eng.Stats()
	mem := procstat.Status()
	return Stats{
		HeapInuse:  ms.HeapInuse,
		HeapAlloc:  ms.HeapAlloc,
		StackInuse: ms.StackInuse,
		Sys:        ms.Sys,
		RSS:        mem["VmRSS"],
		RSSAnon:    mem["RssAnon"],
		RSSFile:    mem["RssFile"],
		Goroutines: runtime.NumGoroutine(),
		FDs:        procstat.FDs(),
		Sessions:   es.Sessions,
		Rooms:      es.Rooms,
		NumGC:      ms.NumGC,
	}
}
