// Command arcade is Parlor's demo: direct messages between connected
// users, tic-tac-toe and chess, served by one process with embedded
// defaults.
//
// Sign in as one of four demo users (alice, bob, carol, dave). The demo
// sign-in has no passwords: anyone who reaches the server can be anyone,
// so keep it on 127.0.0.1 (docs/demo-auth.md). The Connections page lists your connections, each with a Chat button that
// opens /chat/USER and buttons to challenge them to a game. The chat
// shows history, live messages, typing, read receipts and presence. The
// game pages play tic-tac-toe and chess (5 minutes plus 3 seconds a move)
// against a connection or a quick-match opponent, and let anyone with the
// link watch. Finished chess games download as PGN.
//
// Everything durable lives in one data directory: the chat history (a
// bbolt file, chat.db), the matches, in play and finished (games.db), and
// the server key (secret, 32 random bytes made on first run), from which
// the room-id key is derived. Keep the directory and the history, the
// matches being played and "Your games" survive restarts. Sessions live in memory: a restart
// signs everyone out.
//
// With -postgres DSN the chat history and the matches live in that
// PostgreSQL database (schemas parlor_chat and parlor_games,
// docs/postgres.md) instead of chat.db and games.db. The server key stays
// in the data directory, and the room ids derive from it, so keep the
// directory with the database.
//
// With -nats URLS (and -postgres) the arcade is one node of a cluster:
// several arcades behind any load balancer, even one without affinity,
// share the rooms over NATS with JetStream, and the sign-in sessions in a
// JetStream bucket (docs/cluster.md). Give every node the same server key.
// scripts/cluster.sh starts three nodes, NATS, PostgreSQL and a proxy in
// one command.
//
// Run it with:
//
//	go run ./examples/arcade [-addr 127.0.0.1:8080] [-data ./data] [-dev]
//	    [-session-ttl 12h] [-trust-proxy] [-debug-addr 127.0.0.1:6060]
//	    [-postgres DSN] [-nats URLS [-node NAME]]
//
// -debug-addr serves profiles (net/http/pprof) on a listener of its own,
// off by default and never on the public address. /healthz and /readyz
// answer probes (docs/operations.md); docs/deploy.md sets it up behind a
// reverse proxy.
//
// then open http://127.0.0.1:8080/ in two browsers (or a normal and a
// private window) and sign in as two users who are connected, such as
// alice and bob.
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
	"syscall"
	"time"

	"go.uber.org/zap"
)

// shutdownTimeout bounds the graceful shutdown after SIGINT or SIGTERM.
const shutdownTimeout = 10 * time.Second

func main() {
	addr := flag.String("addr", "127.0.0.1:8080", "address to listen on")
	data := flag.String("data", "./data", "data directory: chat history, matches and the server key")
	dev := flag.Bool("dev", false, "development logging (human-readable, debug level) and one-step sign-in with /login?as=USER")
	ttl := flag.Duration("session-ttl", DefaultSessionTTL, "how long a sign-in lasts")
	trustProxy := flag.Bool("trust-proxy", false, "believe X-Forwarded-Proto (Secure cookies) and X-Real-IP (client addresses in the log) from a reverse proxy that terminates TLS; only behind such a proxy")
	debugAddr := flag.String("debug-addr", "", "serve profiles (pprof) on this address, such as 127.0.0.1:6060; default: off")
	pgDSN := flag.String("postgres", "", "PostgreSQL DSN for the chat history and the matches instead of DATA/chat.db and DATA/games.db (the server key stays in the data directory)")
	natsURLs := flag.String("nats", "", "NATS servers with JetStream, comma separated: run as one node of a cluster (needs -postgres and the same server key on every node; docs/cluster.md); default: a single node without NATS")
	nodeName := flag.String("node", "", "this node's name with -nats, unique per process; default: the host name and a random suffix")
	flag.Parse()

	log, err := newLogger(*dev)
	if err != nil {
		fmt.Fprintln(os.Stderr, "arcade:", err)
		os.Exit(1)
	}
	defer func() { _ = log.Sync() }()

	cfg := Config{DataDir: *data, Logger: log, DevLogin: *dev, SessionTTL: *ttl, TrustProxy: *trustProxy}
	cfg.Postgres = *pgDSN
	if err := run(*addr, *debugAddr, cfg, *natsURLs, *nodeName); err != nil {
		log.Error("arcade failed", zap.Error(err))
		_ = log.Sync()
		os.Exit(1)
	}
}

// newLogger returns a production (JSON) or development (console) logger.
func newLogger(dev bool) (*zap.Logger, error) {
	if dev {
		return zap.NewDevelopment()
	}
	return zap.NewProduction()
}

// run builds the arcade and serves it on addr until SIGINT or SIGTERM,
// with the debug listener on debugAddr unless it is empty. With natsURLs
// it runs as node nodeName of a cluster (cluster.go).
func run(addr, debugAddr string, cfg Config, natsURLs, nodeName string) error {
	var cn *clusterNode
	if natsURLs != "" {
		if cfg.Postgres == "" {
			return errNoPostgres
		}
		if nodeName == "" {
			nodeName = defaultNodeName()
		}
		var err error
		if cn, err = joinCluster(natsURLs, nodeName, 0, cfg.SessionTTL, cfg.Logger); err != nil {
			return err
		}
		// serve shuts the engine down first, so the rooms are handed over
		// before the node leaves.
		defer func() {
			if err := cn.Close(); err != nil {
				cfg.Logger.Warn("leave the cluster", zap.Error(err))
			}
		}()
		cfg.Engine.Cluster = cn.node
	}
	a, err := newArcade(cfg)
	if err != nil {
		return err
	}
	if cn != nil {
		a.sessions.share = cn.sessions
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return errors.Join(err, a.Shutdown(context.Background()))
	}
	if debugAddr != "" {
		stopDebug, err := startDebug(debugAddr, cfg.Logger)
		if err != nil {
			return errors.Join(fmt.Errorf("debug listener: %w", err), ln.Close(), a.Shutdown(context.Background()))
		}
		defer func() { _ = stopDebug(context.Background()) }()
	}
	cfg.Logger.Info("arcade listening", zap.String("url", "http://"+ln.Addr().String()+"/"), zap.String("data", cfg.DataDir))

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	return serve(ctx, ln, a, cfg.Logger)
}

// newServer returns the arcade's http.Server for h.
func newServer(h http.Handler, log *zap.Logger) *http.Server {
	return &http.Server{
		Handler: h,
		// ReadHeaderTimeout stops clients that open connections and never
		// finish their headers (slowloris).
		ReadHeaderTimeout: 5 * time.Second,
		// ReadTimeout and WriteTimeout are deliberately not set: net/http
		// clears a connection's deadlines when a handler hijacks it, so
		// they would only bound the upgrade request, never the WebSocket.
		// The engine bounds WebSockets itself, with heartbeats and read
		// deadlines and a deadline on every write. The arcade's own
		// routes read small bodies only.
		//
		// IdleTimeout closes keep-alive HTTP connections between
		// requests; it does not apply to hijacked WebSockets.
		IdleTimeout: 60 * time.Second,
		ErrorLog:    zap.NewStdLog(log.Named("http")),
	}
}

// serve serves the arcade on ln until ctx ends, then shuts down: first the
// engine (it refuses new upgrades, and closes every WebSocket with 1001
// and every room), then the http.Server (it stops listening and waits for
// in-flight requests; it does not track hijacked WebSockets, which is why
// the engine goes first), and last the chat store.
func serve(ctx context.Context, ln net.Listener, a *Arcade, log *zap.Logger) error {
	srv := newServer(a.Handler(), log)
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()

	var serveErr error
	select {
	case serveErr = <-errc:
		log.Error("server stopped", zap.Error(serveErr))
	case <-ctx.Done():
		log.Info("shutting down")
	}

	sctx, cancel := context.WithTimeout(context.Background(), shutdownTimeout)
	defer cancel()
	engErr := a.eng.Shutdown(sctx)
	if engErr != nil {
		engErr = fmt.Errorf("engine shutdown: %w", engErr)
	}
	srvErr := srv.Shutdown(sctx)
	if srvErr != nil {
		srvErr = fmt.Errorf("http shutdown: %w", srvErr)
	}
	storeErr := a.closeStores()
	if serveErr == nil {
		if err := <-errc; !errors.Is(err, http.ErrServerClosed) {
			serveErr = err
		}
	}
	err := errors.Join(serveErr, engErr, srvErr, storeErr)
	if err == nil {
		log.Info("stopped")
	}
	return err
}
