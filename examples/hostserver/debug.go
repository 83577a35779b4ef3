package main

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/pprof"
	"time"

	"go.uber.org/zap"
)

// ---- The debug listener ----
//
// Profiles (net/http/pprof) are served on a listener of their own, off by
// default and meant for 127.0.0.1 (-debug-addr 127.0.0.1:6060), never on
// the public mux: a profile shows the program's internals, and a CPU
// profile or trace request costs seconds of work. Reach it from elsewhere
// through an SSH tunnel.

// debugHandler serves the profiles under /debug/pprof/.
func debugHandler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	return mux
}

// startDebug serves debugHandler on addr until the returned function is
// called. It warns when addr is not a loopback address.
func startDebug(addr string, log *zap.Logger) (stop func(context.Context) error, err error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, err
	}
	if ip := ln.Addr().(*net.TCPAddr).IP; !ip.IsLoopback() {
		log.Warn("debug listener (pprof) is reachable from other hosts; bind it to 127.0.0.1", zap.String("addr", ln.Addr().String()))
	}
	srv := &http.Server{Handler: debugHandler(), ReadHeaderTimeout: 5 * time.Second}
	go func() {
		if err := srv.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
			log.Error("debug listener stopped", zap.Error(err))
		}
	}()
	log.Info("debug listener (pprof)", zap.String("url", "http://"+ln.Addr().String()+"/debug/pprof/"))
	return srv.Shutdown, nil
}
