// Package loopback serves an engine on a loopback address for the load
// commands, holds the identity scheme they use there, and checks that the
// servers they are aimed at are on this machine.
package loopback

import (
	"context"
	"errors"
	"net"
	"net/http"
	"time"

	"github.com/parlorhq/parlor/engine"
)

// AuthenticateQuery takes the user from the "user" query parameter. It is
// for load tests on loopback only: it trusts whatever the client says.
func AuthenticateQuery(r *http.Request) (string, error) {
	if u := r.URL.Query().Get("user"); u != "" {
		return u, nil
	}
	return "", errors.New("no user")
}

// newServer returns the http.Server that Serve uses.
func newServer(h http.Handler) *http.Server {
	return &http.Server{
		Handler: h,
		// ReadHeaderTimeout stops clients that never finish their request
		// headers (slowloris).
		ReadHeaderTimeout: 5 * time.Second,
		// No ReadTimeout or WriteTimeout: net/http clears a connection's
		// deadlines when the engine hijacks it, so they would only bound
		// the upgrade request. The engine bounds WebSockets itself.
		// IdleTimeout closes idle keep-alive HTTP connections.
		IdleTimeout: 60 * time.Second,
	}
}

// Serve serves h on addr (for example "127.0.0.1:0") and returns the bound
// address and a stop function that shuts e down, then the HTTP server, and
// waits for the server goroutine.
func Serve(addr string, h http.Handler, e *engine.Engine) (bound string, stop func(context.Context) error, err error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return "", nil, err
	}
	srv := newServer(h)
	served := make(chan struct{})
	go func() {
		defer close(served)
		_ = srv.Serve(ln)
	}()
	stop = func(ctx context.Context) error {
		err := e.Shutdown(ctx)
		if serr := srv.Shutdown(ctx); err == nil {
			err = serr
		}
		<-served
		return err
	}
	return ln.Addr().String(), stop, nil
}
