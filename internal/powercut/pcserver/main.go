// Command pcserver is the server the power-cut test (internal/powercut)
// runs as a child process with its data directory on a loop-mounted ext4
// filesystem, so that it can kill it with SIGKILL, keep only what reached
// the device, and start it again on what is left.
//
// It serves a Parlor engine at /ws with the chat modules (a bbolt store,
// chat.db, in the -data directory) and tic-tac-toe (durable matches in
// games.db beside it), and takes the user from the "user" query
// parameter: it trusts whatever the client says, so it listens on
// loopback only. Room ids are keyed by -secret, so they stay the same
// across restarts. The flags set the sizes of the stores' write-ahead
// logs and how long their bbolt files wait before they apply the log, so
// that a test can make the logs wrap around often. Rate limits are off,
// and the challenge rate is too high to matter.
//
// When it listens it prints one line to stdout:
//
//	pcserver listening 127.0.0.1:41234
//
// On SIGTERM or SIGINT it shuts down gracefully (the engine, the HTTP
// server, then the stores), prints "pcserver stopped" and exits with
// status 0.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"
	"time"

	"github.com/parlorhq/parlor/chat"
	"github.com/parlorhq/parlor/chat/boltstore"
	"github.com/parlorhq/parlor/engine"
	"github.com/parlorhq/parlor/games"
	gamesbolt "github.com/parlorhq/parlor/games/boltstore"
	"github.com/parlorhq/parlor/games/tictactoe"
	"github.com/parlorhq/parlor/internal/levellog"
	"github.com/parlorhq/parlor/internal/loopback"
)

// Names the test relies on.
const (
	// ListenPrefix starts the line printed once the server listens.
	ListenPrefix = "pcserver listening "
	// StoppedLine is printed after a graceful shutdown.
	StoppedLine = "pcserver stopped"
	// ChatDB is the chat's bbolt file in the data directory.
	ChatDB = "chat.db"
	// GamesDB is the games' bbolt file in the data directory.
	GamesDB = "games.db"
)

// config holds the command-line flags.
type config struct {
	addr            string
	data            string
	secret          string
	chatLogSize     int64
	gamesLogSize    int64
	chatApplyDelay  time.Duration
	gamesApplyDelay time.Duration
	logLevel        string
}

func main() {
	var cfg config
	flag.StringVar(&cfg.addr, "addr", "127.0.0.1:0", "address to listen on")
	flag.StringVar(&cfg.data, "data", "", "data directory of the bbolt files (required)")
	flag.StringVar(&cfg.secret, "secret", "parlor pcserver secret", "room-id key; keep it the same across restarts")
	flag.Int64Var(&cfg.chatLogSize, "chat-log-size", 0, "chat store's log size in bytes (0: its default)")
	flag.Int64Var(&cfg.gamesLogSize, "games-log-size", 0, "games store's log size in bytes (0: its default)")
	flag.DurationVar(&cfg.chatApplyDelay, "chat-apply-delay", 0, "chat store's ApplyDelay (0: its default)")
	flag.DurationVar(&cfg.gamesApplyDelay, "games-apply-delay", 0, "games store's ApplyDelay (0: its default)")
	flag.StringVar(&cfg.logLevel, "log", "warn", "log level to stderr: debug, info, warn, error or off")
	flag.Parse()
	if err := run(cfg); err != nil {
		fmt.Fprintln(os.Stderr, "pcserver:", err)
		os.Exit(1)
	}
}

func run(cfg config) error {
	if cfg.data == "" {
		return errors.New("-data is required")
	}
	log, err := levellog.New(cfg.logLevel)
	if err != nil {
		return err
	}
	defer func() { _ = log.Sync() }()

	chatStore, err := boltstore.Open(filepath.Join(cfg.data, ChatDB), boltstore.Options{
		LogSize: cfg.chatLogSize, ApplyDelay: cfg.chatApplyDelay,
	})
	if err != nil {
		return fmt.Errorf("open the chat store: %w", err)
	}
	gamesStore, err := gamesbolt.Open(filepath.Join(cfg.data, GamesDB), gamesbolt.Options{
		LogSize: cfg.gamesLogSize, ApplyDelay: cfg.gamesApplyDelay,
	})
	if err != nil {
		_ = chatStore.Close()
		return fmt.Errorf("open the games store: %w", err)
	}
	closeStores := func() error { return errors.Join(chatStore.Close(), gamesStore.Close()) }

	eng, err := engine.New(engine.Config{
		Authenticate: loopback.AuthenticateQuery,
		Secret:       []byte(cfg.secret),
		Logger:       log.Named("parlor"),
		RateLimit:    -1,
	})
	if err != nil {
		_ = closeStores()
		return err
	}
	fail := func(err error) error {
		_ = eng.Shutdown(context.Background())
		return errors.Join(err, closeStores())
	}
	c := chat.New(chat.Config{Store: chatStore, MessageRate: -1, Logger: log.Named("chat")})
	if err := c.Register(eng); err != nil {
		return fail(err)
	}
	// The test's players create matches one after the other, far above
	// the default challenge rate.
	ttt := games.NewModule(tictactoe.Game{}, games.Config{Grace: time.Minute, Rooms: eng, Store: gamesStore, ChallengeRate: 1 << 30})
	if err := eng.Register(ttt); err != nil {
		return fail(err)
	}

	mux := http.NewServeMux()
	mux.Handle("/ws", eng)
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
	sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	// serveErr is set only if Serve failed before a signal came.
	if err := errors.Join(serveErr, eng.Shutdown(sctx), srv.Shutdown(sctx), closeStores()); err != nil {
		return err
	}
	fmt.Println(StoppedLine)
	return nil
}
