// Command hostserver is an existing net/http application that embeds Parlor.
//
// The app has its own routes (a home page, a health check, sign-in and
// sign-out) and mounts the Parlor engine at /ws beside them. The engine
// gets its users from the app's sessions through
// engine.Config.Authenticate, so no user id ever comes from a WebSocket
// message. Browsers hold the session in an HttpOnly cookie; other
// clients, such as the Go client in package client, send the session
// token in an "Authorization: Bearer" header instead.
//
// The sign-in here is for the demo only: it has no password and trusts
// any well-formed user name, so run it on 127.0.0.1. The sessions behind
// it are real: random server-side tokens with an expiry, revoked on
// sign-out, which takes a POST with a CSRF token (docs/demo-auth.md). A
// real application plugs its own authentication into
// engine.Config.Authenticate.
//
// The files: main.go (flags, serving, shutdown), app.go (configuration
// and routes), auth.go (sign-in, sign-out, Authenticate), sessions.go
// (the session store), pages.go with html/ (the pages), echo.go (the
// app's Parlor module), middleware.go (the access log) and debug.go (the
// profiling listener).
//
// Run it with:
//
//	go run ./examples/hostserver [-addr 127.0.0.1:8081] [-secret-file FILE] [-dev]
//	    [-session-ttl 12h] [-trust-proxy] [-debug-addr 127.0.0.1:6060]
//
// -debug-addr serves profiles (net/http/pprof) on a listener of its own
// (debug.go), off by default and never on the public address.
package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"flag"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/parlorhq/parlor/engine"
	"go.uber.org/zap"
)

const (
	// minSecretLen is the shortest server key accepted from -secret-file.
	minSecretLen = 32
	// shutdownTimeout bounds the graceful shutdown after SIGINT or SIGTERM.
	shutdownTimeout = 10 * time.Second
)

func main() {
	addr := flag.String("addr", "127.0.0.1:8081", "address to listen on")
	secretFile := flag.String("secret-file", "", "file holding the server key (at least 32 bytes); default: a random key per run")
	dev := flag.Bool("dev", false, "human-readable development logging instead of JSON")
	ttl := flag.Duration("session-ttl", DefaultSessionTTL, "how long a sign-in lasts")
	trustProxy := flag.Bool("trust-proxy", false, "believe X-Forwarded-Proto from a reverse proxy that terminates TLS (Secure cookies); only behind such a proxy")
	debugAddr := flag.String("debug-addr", "", "serve profiles (pprof) on this address, such as 127.0.0.1:6060; default: off")
	flag.Parse()

	log, err := newLogger(*dev)
	if err != nil {
		fmt.Fprintln(os.Stderr, "hostserver:", err)
		os.Exit(1)
	}
	defer func() { _ = log.Sync() }()

	cfg := appConfig{Logger: log, SessionTTL: *ttl, TrustProxy: *trustProxy}
	if err := run(*addr, *secretFile, *debugAddr, cfg); err != nil {
		log.Error("hostserver failed", zap.Error(err))
		_ = log.Sync()
		os.Exit(1)
	}
}

// run loads the key, builds the app, and serves on addr until SIGINT or
// SIGTERM, with the debug listener on debugAddr unless it is empty.
func run(addr, secretFile, debugAddr string, cfg appConfig) error {
	log := cfg.Logger
	secret, err := loadSecret(secretFile)
	if err != nil {
		return err
	}
	if secretFile == "" {
		log.Warn("no -secret-file: using a random server key, so room ids do not survive a restart")
	}
	cfg.Secret = secret
	a, err := newApp(cfg)
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		_ = a.eng.Shutdown(context.Background())
		return err
	}
	log.Info("listening", zap.String("url", "http://"+ln.Addr().String()+"/"))
	if debugAddr != "" {
		stopDebug, err := startDebug(debugAddr, log)
		if err != nil {
			return errors.Join(fmt.Errorf("debug listener: %w", err), ln.Close(), a.eng.Shutdown(context.Background()))
		}
		defer func() { _ = stopDebug(context.Background()) }()
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	return serve(ctx, ln, a.Handler(), a.eng, log)
}

// newLogger returns a production (JSON) or development (console) logger.
func newLogger(dev bool) (*zap.Logger, error) {
	if dev {
		return zap.NewDevelopment()
	}
	return zap.NewProduction()
}

// loadSecret reads the server key from path, or makes a random one when
// path is empty. Surrounding whitespace in the file is ignored, so
// `openssl rand -hex 32 > secret` makes a good key file.
func loadSecret(path string) ([]byte, error) {
	if path == "" {
		key := make([]byte, 32)
		if _, err := rand.Read(key); err != nil {
			return nil, fmt.Errorf("generate server key: %w", err)
		}
		return key, nil
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read secret file: %w", err)
	}
	b = bytes.TrimSpace(b)
	if len(b) < minSecretLen {
		return nil, fmt.Errorf("secret file %s: want at least %d bytes, have %d", path, minSecretLen, len(b))
	}
	return b, nil
}

// newServer returns the app's http.Server.
func newServer(h http.Handler, log *zap.Logger) *http.Server {
	return &http.Server{
		Handler: h,
		// ReadHeaderTimeout stops clients that open connections and never
		// finish their request headers.
		ReadHeaderTimeout: 5 * time.Second,
		// ReadTimeout and WriteTimeout are deliberately not set. net/http
		// clears a connection's deadlines when a handler hijacks it, so
		// on /ws they would only bound the upgrade request and never the
		// WebSocket. The engine bounds the WebSocket itself: heartbeats
		// with read deadlines (Config.HeartbeatInterval/Timeout) and a
		// deadline on every write (Config.WriteTimeout). This app's own
		// routes read no request bodies, so ReadHeaderTimeout is enough.
		//
		// IdleTimeout closes keep-alive HTTP connections between requests;
		// it does not apply to hijacked WebSocket connections.
		IdleTimeout: 60 * time.Second,
		ErrorLog:    zap.NewStdLog(log.Named("http")),
	}
}

// serve serves h on ln until ctx ends, then shuts down gracefully: first
// the engine, which refuses new upgrades with 503, tells every room
// goodbye and closes every WebSocket with 1001 (going away); then the
// http.Server, which stops listening and waits for in-flight requests.
// http.Server.Shutdown does not track hijacked connections, which is why
// the engine needs its own Shutdown.
func serve(ctx context.Context, ln net.Listener, h http.Handler, eng *engine.Engine, log *zap.Logger) error {
	srv := newServer(h, log)
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
	engErr := eng.Shutdown(sctx)
	if engErr != nil {
		engErr = fmt.Errorf("engine shutdown: %w", engErr)
	}
	srvErr := srv.Shutdown(sctx)
	if srvErr != nil {
		srvErr = fmt.Errorf("http shutdown: %w", srvErr)
	}
	if serveErr == nil {
		if err := <-errc; !errors.Is(err, http.ErrServerClosed) {
			serveErr = err
		}
	}
	err := errors.Join(serveErr, engErr, srvErr)
	if err == nil {
		log.Info("stopped")
	}
	return err
}
