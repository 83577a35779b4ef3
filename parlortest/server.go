package parlortest

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"go.uber.org/zap/zaptest"

	"github.com/parlorhq/parlor/client"
	"github.com/parlorhq/parlor/engine"
	"github.com/parlorhq/parlor/room"
	"github.com/parlorhq/parlor/room/roomtest"
)

// Timeout bounds the kit's own waits: dials, and the waits for events of
// Next, NextNamed and Expect.
const Timeout = 5 * time.Second

// UserParam is the query parameter of the WebSocket URL that names the
// user a connection is authenticated as (see Server.URL), unless
// Config.Engine.Authenticate is set.
const UserParam = "user"

// DefaultSecret is the room-id secret of a kit server whose
// Config.Engine.Secret is nil.
const DefaultSecret = "parlor test secret"

// Config configures Start. Every field documents its zero-value default.
type Config struct {
	// Modules are registered on the engine, in order. Default: none.
	Modules []room.Module
	// Engine configures the engine. Its zero fields take the engine's
	// defaults, except: Authenticate (default: the user named by the
	// UserParam query parameter, refused with 401 when empty), Secret
	// (default: DefaultSecret) and Logger (default: the test's log,
	// through zaptest).
	Engine engine.Config
	// FakeClock runs the rooms' timers on Server.Clock, a
	// roomtest.FakeClock that moves only when the test calls Advance.
	// Ignored when Engine.Room.Clock is set. Default: false, the wall
	// clock.
	FakeClock bool
}

// Server is an engine served over loopback for one test.
type Server struct {
	// Engine is the engine, for tests that look inside (Engine.Room).
	Engine *engine.Engine
	// HTTP is the loopback HTTP server.
	HTTP *httptest.Server
	// Clock is the rooms' fake clock: set with Config.FakeClock, or when
	// Engine.Room.Clock is a *roomtest.FakeClock; nil otherwise.
	Clock *roomtest.FakeClock

	t testing.TB
}

// Start serves an engine with cfg's modules on 127.0.0.1. It fails the
// test if the engine cannot start, and shuts the engine down when the
// test ends.
func Start(t testing.TB, cfg Config) *Server {
	t.Helper()
	ecfg := cfg.Engine
	if ecfg.Authenticate == nil {
		ecfg.Authenticate = userFromQuery
	}
	if ecfg.Secret == nil {
		ecfg.Secret = []byte(DefaultSecret)
	}
	if ecfg.Logger == nil {
		ecfg.Logger = zaptest.NewLogger(t)
	}
	s := &Server{t: t}
	switch clk := ecfg.Room.Clock.(type) {
	case nil:
		if cfg.FakeClock {
			s.Clock = roomtest.NewFakeClock(time.Time{})
			ecfg.Room.Clock = s.Clock
		}
	case *roomtest.FakeClock:
		s.Clock = clk
	}
	e, err := engine.New(ecfg)
	if err != nil {
		t.Fatalf("parlortest: engine: %v", err)
	}
	for _, m := range cfg.Modules {
		if err := e.Register(m); err != nil {
			t.Fatalf("parlortest: register %s: %v", m.Kind(), err)
		}
	}
	s.Engine = e
	s.HTTP = httptest.NewServer(e)
	t.Cleanup(s.Stop)
	return s
}

// errNoUser refuses a connection whose URL names no user.
var errNoUser = errors.New("parlortest: no user in the URL")

// userFromQuery authenticates the user named in the URL.
func userFromQuery(r *http.Request) (string, error) {
	u := r.URL.Query().Get(UserParam)
	if u == "" {
		return "", errNoUser
	}
	return u, nil
}

// Stop shuts the engine down and closes the listener; the test fails if
// the shutdown does not finish within 10 s. Calling it again does
// nothing more.
func (s *Server) Stop() {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := s.Engine.Shutdown(ctx); err != nil {
		s.t.Errorf("parlortest: engine shutdown: %v", err)
	}
	s.HTTP.Close()
}

// URL returns the WebSocket URL that authenticates as user (with the
// default Authenticate).
func (s *Server) URL(user string) string {
	return "ws" + strings.TrimPrefix(s.HTTP.URL, "http") + "/?" + UserParam + "=" + url.QueryEscape(user)
}

// Dial connects a client as user with the default client.Options, and
// closes it when the test ends. It fails the test if the connection is
// refused.
func (s *Server) Dial(user string) *client.Client {
	s.t.Helper()
	return s.DialOptions(user, client.Options{})
}

// DialOptions is Dial with opts.
func (s *Server) DialOptions(user string, opts client.Options) *client.Client {
	s.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), Timeout)
	defer cancel()
	c, err := client.Dial(ctx, s.URL(user), opts)
	if err != nil {
		s.t.Fatalf("parlortest: dial as %s: %v", user, err)
	}
	s.t.Cleanup(func() { _ = c.Close() })
	return c
}

// Advance moves the fake clock by d and returns once the rooms' timers
// due by then have run. It fails the test without a fake clock.
func (s *Server) Advance(d time.Duration) {
	s.t.Helper()
	if s.Clock == nil {
		s.t.Fatal("parlortest: Advance needs Config.FakeClock")
	}
	s.Clock.Advance(d)
}
