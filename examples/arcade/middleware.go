package main

import (
	"bufio"
	"errors"
	"net"
	"net/http"
	"strings"
	"time"

	"go.uber.org/zap"
)

// noCache makes browsers revalidate static files, so an upgraded server's
// scripts are picked up at once.
func noCache(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "no-cache")
		h.ServeHTTP(w, r)
	})
}

// securityHeaders sets a strict Content-Security-Policy: the pages load
// only their own scripts and styles, and connect only to their own origin.
func securityHeaders(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hd := w.Header()
		hd.Set("Content-Security-Policy", "default-src 'self'; img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'")
		hd.Set("X-Content-Type-Options", "nosniff")
		hd.Set("Referrer-Policy", "same-origin")
		h.ServeHTTP(w, r)
	})
}

// logRequests logs every request at debug level: method, path, status,
// duration and remote address, which with trustProxy is the client's
// address as the reverse proxy gave it in X-Real-IP. It logs the path
// only, never the query or the headers, which may hold tokens.
func logRequests(log *zap.Logger, trustProxy bool, next http.Handler) http.Handler {
	log = log.Named("http")
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		rec := &statusRecorder{ResponseWriter: w}
		next.ServeHTTP(rec, r)
		log.Debug("request",
			zap.String("method", r.Method),
			zap.String("path", r.URL.Path),
			zap.Int("status", rec.statusOrOK()),
			zap.Duration("duration", time.Since(start)),
			zap.String("remote", clientAddr(r, trustProxy)))
	})
}

// clientAddr is the address of the client behind r: the X-Real-IP header
// that a trusted reverse proxy sets (docs/deploy.md), or else the peer
// address. Without trustProxy the header is ignored, since any client can
// send it.
func clientAddr(r *http.Request, trustProxy bool) string {
	if trustProxy {
		if ip := strings.TrimSpace(r.Header.Get("X-Real-IP")); ip != "" {
			return ip
		}
	}
	return r.RemoteAddr
}

// statusRecorder remembers the status of a response. It implements
// http.Hijacker: a wrapper that hid it would break the WebSocket upgrade.
type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (s *statusRecorder) WriteHeader(code int) {
	if s.status == 0 {
		s.status = code
	}
	s.ResponseWriter.WriteHeader(code)
}

func (s *statusRecorder) Write(b []byte) (int, error) {
	if s.status == 0 {
		s.status = http.StatusOK
	}
	return s.ResponseWriter.Write(b)
}

// Hijack hands the connection over to the WebSocket upgrade.
func (s *statusRecorder) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	hj, ok := s.ResponseWriter.(http.Hijacker)
	if !ok {
		return nil, nil, errors.New("arcade: the response writer cannot hijack")
	}
	conn, rw, err := hj.Hijack()
	if err == nil {
		s.status = http.StatusSwitchingProtocols
	}
	return conn, rw, err
}

// Unwrap lets http.ResponseController reach the underlying writer.
func (s *statusRecorder) Unwrap() http.ResponseWriter { return s.ResponseWriter }

// statusOrOK is the status sent, or 200 if the handler sent none.
func (s *statusRecorder) statusOrOK() int {
	if s.status == 0 {
		return http.StatusOK
	}
	return s.status
}
