// Package testserver boots a real engine on loopback for tests of modules:
// a WebSocket server on 127.0.0.1, users authenticated by a query
// parameter, and helpers to dial Go clients and wait for events.
package testserver

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/parlorhq/parlor/client"
	"github.com/parlorhq/parlor/engine"
	"github.com/parlorhq/parlor/room"
	"go.uber.org/zap/zaptest"
)

// Server is an engine served over loopback.
type Server struct {
	Engine *engine.Engine
	HTTP   *httptest.Server
	t      testing.TB
}

// Start serves an engine with the given modules. cfg.Authenticate, if nil,
// takes the user from the "user" query parameter; cfg.Secret defaults to a
// fixed test secret; cfg.Logger defaults to the test's logger. The server
// is shut down when the test ends.
func Start(t testing.TB, cfg engine.Config, modules ...room.Module) *Server {
	t.Helper()
	if cfg.Authenticate == nil {
		cfg.Authenticate = func(r *http.Request) (string, error) {
			return r.URL.Query().Get("user"), nil
		}
	}
	if cfg.Secret == nil {
		cfg.Secret = []byte("parlor test secret")
	}
	if cfg.Logger == nil {
		cfg.Logger = zaptest.NewLogger(t)
	}
	e, err := engine.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range modules {
		if err := e.Register(m); err != nil {
			t.Fatal(err)
		}
	}
	s := &Server{Engine: e, HTTP: httptest.NewServer(e), t: t}
	t.Cleanup(s.Stop)
	return s
}

// Stop shuts the engine down and closes the listener. It is safe to call
// more than once.
func (s *Server) Stop() {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := s.Engine.Shutdown(ctx); err != nil {
		s.t.Errorf("engine shutdown: %v", err)
	}
	s.HTTP.Close()
}

// URL returns the WebSocket URL that authenticates as user.
func (s *Server) URL(user string) string {
	return "ws" + strings.TrimPrefix(s.HTTP.URL, "http") + "/?user=" + user
}

// Dial connects a client as user and closes it when the test ends.
func (s *Server) Dial(user string) *client.Client {
	s.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	c, err := client.Dial(ctx, s.URL(user), client.Options{})
	if err != nil {
		s.t.Fatalf("dial as %s: %v", user, err)
	}
	s.t.Cleanup(func() { _ = c.Close() })
	return c
}

// Next waits for the next event in room (skipping other rooms' events)
// and fails the test after timeout.
func Next(t testing.TB, c *client.Client, room string, timeout time.Duration) client.Event {
	t.Helper()
	deadline := time.After(timeout)
	for {
		select {
		case ev, ok := <-c.Events():
			if !ok {
				t.Fatalf("connection closed while waiting for an event: %v", c.Err())
			}
			if room == "" || ev.Room == room {
				return ev
			}
		case <-deadline:
			t.Fatalf("no event in room %s within %v", room, timeout)
		}
	}
}

// NextNamed waits for the next event called name in room, skipping others.
func NextNamed(t testing.TB, c *client.Client, room, name string, timeout time.Duration) client.Event {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		left := time.Until(deadline)
		if left <= 0 {
			t.Fatalf("no %q event in room %s within %v", name, room, timeout)
		}
		ev := Next(t, c, room, left)
		if ev.Name == name {
			return ev
		}
	}
}
