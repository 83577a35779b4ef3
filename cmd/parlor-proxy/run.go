package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httputil"
	"os"
	"time"
)

// listenLine starts the line printed once the proxy listens; the address
// follows it.
const listenLine = "parlor-proxy listening "

// shutdownTimeout bounds the wait for requests in flight on SIGTERM.
const shutdownTimeout = 5 * time.Second

// newHandler returns the reverse proxy over the pool.
func newHandler(p *pool, logger *log.Logger) http.Handler {
	return &httputil.ReverseProxy{
		Rewrite: func(pr *httputil.ProxyRequest) {
			// The pool picks the backend; keep the client's Host so that
			// the node's same-origin check sees the browser's address.
			pr.Out.URL.Scheme = "http"
			pr.Out.URL.Host = "backend"
			pr.Out.Host = pr.In.Host
			pr.SetXForwarded()
		},
		Transport: p,
		ErrorLog:  logger,
		ErrorHandler: func(w http.ResponseWriter, r *http.Request, err error) {
			if logger != nil {
				logger.Printf("%s %s: %v", r.Method, r.URL.Path, err)
			}
			w.WriteHeader(http.StatusBadGateway)
		},
	}
}

// run serves the proxy on cfg.addr until ctx ends, and prints the listen
// line to out.
func run(ctx context.Context, cfg config, out io.Writer) error {
	logger := log.New(os.Stderr, "parlor-proxy: ", log.LstdFlags)
	var poolLog *log.Logger
	if !cfg.quiet {
		poolLog = logger
	}
	ln, err := net.Listen("tcp", cfg.addr)
	if err != nil {
		return err
	}
	srv := &http.Server{
		Handler:           newHandler(newPool(cfg.backends, cfg.down, cfg.answer, poolLog), logger),
		ReadHeaderTimeout: 5 * time.Second,
		IdleTimeout:       60 * time.Second,
		ErrorLog:          logger,
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	fmt.Fprintln(out, listenLine+ln.Addr().String())

	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), shutdownTimeout)
	defer cancel()
	err = srv.Shutdown(sctx)
	if serveErr := <-errc; !errors.Is(serveErr, http.ErrServerClosed) {
		err = errors.Join(err, serveErr)
	}
	return err
}
