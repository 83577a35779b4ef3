package main

import (
	"errors"
	"log"
	"net"
	"net/http"
	"sync/atomic"
	"syscall"
	"time"
)

// backend is one node behind the proxy.
type backend struct {
	addr string
	// downUntil is when a backend that refused a connection may be tried
	// again first, in Unix nanoseconds; 0 when it is up.
	downUntil atomic.Int64
}

// pool is the proxy's http.RoundTripper: it sends each request to the next
// backend in turn and moves on to the following one when a backend
// refuses the connection.
type pool struct {
	backends []*backend
	next     atomic.Uint64
	down     time.Duration
	base     http.RoundTripper
	log      *log.Logger // nil: quiet
	now      func() time.Time
}

// newPool returns a pool over addrs (host:port each). A backend has
// answer to send its response headers (a WebSocket upgrade's 101
// included).
func newPool(addrs []string, down, answer time.Duration, logger *log.Logger) *pool {
	p := &pool{
		down: down,
		log:  logger,
		now:  time.Now,
		base: &http.Transport{
			DialContext:           (&net.Dialer{Timeout: 2 * time.Second}).DialContext,
			MaxIdleConnsPerHost:   64,
			IdleConnTimeout:       90 * time.Second,
			ResponseHeaderTimeout: answer,
		},
	}
	for _, a := range addrs {
		p.backends = append(p.backends, &backend{addr: a})
	}
	return p
}

// RoundTrip implements http.RoundTripper. Backends marked down are tried
// only after every backend that is up has refused, so that a node that
// comes back is found even when all were marked down.
func (p *pool) RoundTrip(req *http.Request) (*http.Response, error) {
	n := uint64(len(p.backends))
	start := p.next.Add(1) - 1
	now := p.now().UnixNano()
	var lastErr error
	for pass := range 2 {
		for i := range n {
			b := p.backends[(start+i)%n]
			if isDown := b.downUntil.Load() > now; isDown != (pass == 1) {
				continue
			}
			resp, err := p.base.RoundTrip(toBackend(req, b.addr))
			if err == nil {
				if b.downUntil.Swap(0) != 0 && p.log != nil {
					p.log.Printf("backend %s is up", b.addr)
				}
				return resp, nil
			}
			if silent(err) {
				// It took the request and did not answer in time
				// (paused, overloaded): the request may have reached
				// it, so it is not sent again, but the next requests
				// skip it for a while.
				if b.downUntil.Swap(now+int64(p.down)) == 0 && p.log != nil {
					p.log.Printf("backend %s does not answer: %v", b.addr, err)
				}
				return nil, err
			}
			if !refused(err) || !replayable(req) {
				return nil, err
			}
			if b.downUntil.Swap(now+int64(p.down)) == 0 && p.log != nil {
				p.log.Printf("backend %s is down: %v", b.addr, err)
			}
			lastErr = err
		}
	}
	return nil, lastErr
}

// toBackend returns a copy of req addressed to the backend at addr. The
// Host header stays the client's.
func toBackend(req *http.Request, addr string) *http.Request {
	out := req.Clone(req.Context())
	out.URL.Scheme = "http"
	out.URL.Host = addr
	return out
}

// refused reports whether err says that no connection was made, so that
// nothing of the request reached the backend.
func refused(err error) bool {
	return errors.Is(err, syscall.ECONNREFUSED)
}

// silent reports whether err says that the backend took the connection
// but sent no response headers within the pool's answer time.
func silent(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout() && !refused(err)
}

// replayable reports whether req can be sent to another backend: it has
// no body (GET, WebSocket upgrades).
func replayable(req *http.Request) bool {
	return req.Body == nil || req.Body == http.NoBody
}
