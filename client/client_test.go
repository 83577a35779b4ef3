package client_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/parlorhq/parlor/client"
	"github.com/parlorhq/parlor/codec"
	"github.com/parlorhq/parlor/engine"
	"github.com/parlorhq/parlor/internal/echo"
	"github.com/parlorhq/parlor/room"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

const waitTimeout = 5 * time.Second

// blockModule is a module of kind "block" whose rooms block on the
// "block" event until release is closed, and record the client message id
// of every "cmid" event.
type blockModule struct {
	blocked chan struct{}
	release chan struct{}

	mu    sync.Mutex
	cmids []string
}

func (m *blockModule) Kind() string { return "block" }

func (m *blockModule) Resolve(_ context.Context, req *room.ResolveRequest) (string, error) {
	return req.KeyedID("the room"), nil
}

func (m *blockModule) NewHandler(string) room.Handler { return &blockHandler{m: m} }

type blockHandler struct {
	room.BaseHandler
	m *blockModule
}

func (h *blockHandler) OnMessage(r *room.Room, msg *room.Message) (any, error) {
	switch msg.Event {
	case "block":
		h.m.blocked <- struct{}{}
		<-h.m.release
		return "released", nil
	case "cmid":
		h.m.mu.Lock()
		h.m.cmids = append(h.m.cmids, msg.ClientMsgID)
		h.m.mu.Unlock()
		return msg.ClientMsgID, nil
	case "ping":
		return "pong", nil
	}
	return nil, room.ErrUnknownEvent
}

type server struct {
	e   *engine.Engine
	srv *httptest.Server
	url string
	mod *blockModule
}

// newServer starts an engine with the echo and block modules on loopback;
// cleanup shuts it down.
func newServer(t testing.TB, cfg engine.Config) *server {
	t.Helper()
	if cfg.Authenticate == nil {
		cfg.Authenticate = func(r *http.Request) (string, error) {
			if u := r.Header.Get("X-User"); u != "" {
				return u, nil
			}
			return "", errors.New("no user")
		}
	}
	cfg.Secret = []byte("client test secret")
	e, err := engine.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	mod := &blockModule{blocked: make(chan struct{}, 1), release: make(chan struct{})}
	if err := e.Register(echo.Module{}); err != nil {
		t.Fatal(err)
	}
	if err := e.Register(mod); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(e)
	t.Cleanup(srv.Close)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
		defer cancel()
		if err := e.Shutdown(ctx); err != nil {
			t.Errorf("Shutdown: %v", err)
		}
	})
	return &server{e: e, srv: srv, url: "ws" + strings.TrimPrefix(srv.URL, "http") + "/", mod: mod}
}

func (s *server) dial(t *testing.T, user string) *client.Client {
	t.Helper()
	return s.dialOpts(t, user, client.Options{})
}

// dialOpts connects as user with opts and closes the client when the test
// ends.
func (s *server) dialOpts(t testing.TB, user string, opts client.Options) *client.Client {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
	defer cancel()
	opts.Header = http.Header{"X-User": {user}}
	c, err := client.Dial(ctx, s.url, opts)
	if err != nil {
		t.Fatalf("dial as %s: %v", user, err)
	}
	t.Cleanup(func() { _ = c.Close() })
	return c
}

func ctx(t *testing.T) context.Context {
	c, cancel := context.WithTimeout(context.Background(), waitTimeout)
	t.Cleanup(cancel)
	return c
}

func TestDialUpgradeRefused(t *testing.T) {
	s := newServer(t, engine.Config{
		MaxConnsPerUser: 1,
		ConnLimitPolicy: engine.ConnLimitRefuse,
		Authenticate: func(r *http.Request) (string, error) {
			switch u := r.Header.Get("X-User"); u {
			case "":
				return "", errors.New("no user")
			case "banned":
				return "", fmt.Errorf("banned: %w", engine.ErrForbidden)
			default:
				return u, nil
			}
		},
	})
	s.dial(t, "alice") // uses alice's only connection
	tests := []struct {
		name   string
		header http.Header
		want   int
	}{
		{"no credentials", http.Header{}, http.StatusUnauthorized},
		{"forbidden user", http.Header{"X-User": {"banned"}}, http.StatusForbidden},
		{"foreign origin", http.Header{"X-User": {"bob"}, "Origin": {"http://evil.example"}}, http.StatusForbidden},
		{"too many connections", http.Header{"X-User": {"alice"}}, http.StatusTooManyRequests},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := client.Dial(ctx(t), s.url, client.Options{Header: tt.header})
			if err == nil {
				_ = c.Close()
				t.Fatal("Dial succeeded")
			}
			if !errors.Is(err, client.ErrUpgrade) {
				t.Fatalf("error %v does not wrap ErrUpgrade", err)
			}
			var ue *client.UpgradeError
			if !errors.As(err, &ue) || ue.StatusCode != tt.want {
				t.Fatalf("error %v, want an UpgradeError with %d", err, tt.want)
			}
		})
	}
	// A server that is not there at all is not an upgrade refusal.
	dead := httptest.NewServer(http.NotFoundHandler())
	url := "ws" + strings.TrimPrefix(dead.URL, "http") + "/"
	dead.Close()
	_, err := client.Dial(ctx(t), url, client.Options{})
	if err == nil || errors.Is(err, client.ErrUpgrade) {
		t.Fatalf("dial to a closed port: %v", err)
	}
}

func TestSendContextDeadline(t *testing.T) {
	s := newServer(t, engine.Config{})
	c := s.dial(t, "alice")
	j, err := c.Join(ctx(t), "block", nil)
	if err != nil {
		t.Fatal(err)
	}
	released := false
	release := func() {
		if !released {
			released = true
			close(s.mod.release)
		}
	}
	t.Cleanup(release)

	short, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err = c.Send(short, j.Room, "block", nil)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Send: %v, want context.DeadlineExceeded", err)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Fatalf("Send returned after %v", d)
	}
	select {
	case <-s.mod.blocked:
	default:
		t.Fatal("the handler never got the event")
	}
	// The late reply to the abandoned request is dropped, and the client
	// keeps working once the room is free again.
	release()
	rep, err := c.Send(ctx(t), j.Room, "ping", nil)
	if err != nil {
		t.Fatalf("Send after the deadline: %v", err)
	}
	var got string
	if err := rep.Decode(&got); err != nil || got != "pong" {
		t.Fatalf("reply %q (%v), want pong", got, err)
	}
	// A context cancelled before sending fails at once.
	cancelled, cancelNow := context.WithCancel(context.Background())
	cancelNow()
	if _, err := c.Send(cancelled, j.Room, "ping", nil); !errors.Is(err, context.Canceled) {
		t.Fatalf("Send with a cancelled context: %v", err)
	}
}

func TestRequestsAfterClose(t *testing.T) {
	s := newServer(t, engine.Config{})
	c := s.dial(t, "alice")
	j, err := c.Join(ctx(t), echo.Kind, echo.JoinParams{Name: "x"})
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if _, err := c.Send(ctx(t), j.Room, "say", echo.SayData{Text: "hi"}); !errors.Is(err, client.ErrClosed) {
		t.Fatalf("Send after Close: %v, want ErrClosed", err)
	}
	if _, err := c.Join(ctx(t), echo.Kind, echo.JoinParams{Name: "y"}); !errors.Is(err, client.ErrClosed) {
		t.Fatalf("Join after Close: %v, want ErrClosed", err)
	}
	if err := c.Leave(ctx(t), j.Room); !errors.Is(err, client.ErrClosed) {
		t.Fatalf("Leave after Close: %v, want ErrClosed", err)
	}
	if err := c.WriteRaw(codec.AppendLeave(nil, 1, j.Room)); err == nil {
		t.Fatal("WriteRaw after Close succeeded")
	}
	if !errors.Is(c.Err(), client.ErrClosed) {
		t.Fatalf("Err after Close: %v", c.Err())
	}
	select {
	case <-c.Done():
	default:
		t.Fatal("Done not closed after Close")
	}
	if err := c.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
}

// drainUntilClosed reads Events until the channel is closed.
func drainUntilClosed(t *testing.T, c *client.Client) []client.Event {
	t.Helper()
	var evs []client.Event
	timeout := time.After(waitTimeout)
	for {
		select {
		case ev, ok := <-c.Events():
			if !ok {
				return evs
			}
			evs = append(evs, ev)
		case <-timeout:
			t.Fatalf("Events not closed after %v (got %d events)", waitTimeout, len(evs))
		}
	}
}

func TestEventsClosedWithConnection(t *testing.T) {
	noReconnect := client.Options{Reconnect: client.ReconnectPolicy{Disabled: true}}
	t.Run("server closes", func(t *testing.T) {
		s := newServer(t, engine.Config{})
		c := s.dialOpts(t, "alice", noReconnect)
		j, err := c.Join(ctx(t), echo.Kind, echo.JoinParams{Name: "x"})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := c.Send(ctx(t), j.Room, "say", echo.SayData{Text: "bye"}); err != nil {
			t.Fatal(err)
		}
		sctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
		defer cancel()
		if err := s.e.Shutdown(sctx); err != nil {
			t.Fatal(err)
		}
		evs := drainUntilClosed(t, c)
		if len(evs) != 2 || evs[0].Name != "said" || !evs[1].Left || evs[1].Reason != "shutdown" {
			t.Fatalf("events %+v, want said then left(shutdown)", evs)
		}
		var ce *client.CloseError
		if !errors.As(c.Err(), &ce) || ce.Code != engine.CloseGoingAway {
			t.Fatalf("Err %v, want close %d", c.Err(), engine.CloseGoingAway)
		}
		// Requests now fail with the close error, without waiting.
		if _, err := c.Send(ctx(t), j.Room, "say", echo.SayData{Text: "x"}); !errors.As(err, &ce) {
			t.Fatalf("Send after the server closed: %v", err)
		}
	})
	t.Run("client closes", func(t *testing.T) {
		s := newServer(t, engine.Config{})
		c := s.dial(t, "alice")
		go func() { _ = c.Close() }()
		drainUntilClosed(t, c)
	})
	t.Run("pending request fails when the server closes", func(t *testing.T) {
		s := newServer(t, engine.Config{})
		c := s.dialOpts(t, "alice", noReconnect)
		j, err := c.Join(ctx(t), "block", nil)
		if err != nil {
			t.Fatal(err)
		}
		errc := make(chan error, 1)
		go func() {
			_, err := c.Send(ctx(t), j.Room, "block", nil)
			errc <- err
		}()
		<-s.mod.blocked
		// Shutdown cannot finish while the room is blocked: give it a
		// short deadline, so it drops the connections instead.
		sctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
		defer cancel()
		_ = s.e.Shutdown(sctx)
		select {
		case err := <-errc:
			if err == nil || errors.Is(err, context.DeadlineExceeded) {
				t.Fatalf("pending Send: %v, want a connection error", err)
			}
		case <-time.After(waitTimeout):
			t.Fatal("pending Send did not fail when the connection closed")
		}
		close(s.mod.release)
		drainUntilClosed(t, c)
	})
}

func TestClientMsgID(t *testing.T) {
	s := newServer(t, engine.Config{})
	c := s.dial(t, "alice")
	j, err := c.Join(ctx(t), "block", nil)
	if err != nil {
		t.Fatal(err)
	}
	// Without WithClientMsgID, Send makes up a fresh random id, so that it
	// can resend after a reconnect.
	var want []string
	for _, id := range []string{"msg-1", "", "msg-2", ""} {
		var opts []client.SendOption
		if id != "" {
			opts = append(opts, client.WithClientMsgID(id))
		}
		rep, err := c.Send(ctx(t), j.Room, "cmid", nil, opts...)
		if err != nil {
			t.Fatal(err)
		}
		var got string
		if err := rep.Decode(&got); err != nil {
			t.Fatal(err)
		}
		if id != "" && got != id {
			t.Fatalf("reply %q, want %q", got, id)
		}
		if id == "" && !generatedID.MatchString(got) {
			t.Fatalf("generated client message id %q, want 32 hex digits", got)
		}
		want = append(want, got)
	}
	if want[1] == want[3] {
		t.Fatalf("two sends got the same generated id %q", want[1])
	}
	s.mod.mu.Lock()
	got := append([]string(nil), s.mod.cmids...)
	s.mod.mu.Unlock()
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("handler saw client message ids %q, want %q", got, want)
	}
}

var generatedID = regexp.MustCompile(`^[0-9a-f]{32}$`)

func TestDialIdentity(t *testing.T) {
	s := newServer(t, engine.Config{HeartbeatInterval: 7 * time.Second})
	c := s.dial(t, "alice")
	if c.UserID() != "alice" || c.SessionID() == "" || c.Heartbeat() != 7*time.Second {
		t.Fatalf("user %q session %q heartbeat %v", c.UserID(), c.SessionID(), c.Heartbeat())
	}
	d := s.dial(t, "alice")
	if d.SessionID() == c.SessionID() {
		t.Fatal("two connections share a session id")
	}
}
