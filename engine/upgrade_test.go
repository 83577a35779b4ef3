package engine_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/parlorhq/parlor/client"
	"github.com/parlorhq/parlor/engine"
)

// TestUpgradeRefusals checks every HTTP status ServeHTTP can answer before
// upgrading, with plain net/http requests.
func TestUpgradeRefusals(t *testing.T) {
	env := newEnv(t, engine.Config{
		AllowedOrigins: []string{"http://localhost:5173"},
		Authenticate: func(r *http.Request) (string, error) {
			switch r.Header.Get("X-Auth") {
			case "forbidden":
				return "", fmt.Errorf("account suspended: %w", engine.ErrForbidden)
			case "error":
				return "", errors.New("bad token")
			case "empty":
				return "", nil
			}
			return testAuth(r)
		},
	})
	host := "http://" + env.host()
	tests := []struct {
		name   string
		modify func(r *http.Request)
		want   int
	}{
		{"no origin (non-browser)", func(r *http.Request) {}, http.StatusSwitchingProtocols},
		{"same-host origin", func(r *http.Request) { r.Header.Set("Origin", host) }, http.StatusSwitchingProtocols},
		{"allowed origin", func(r *http.Request) { r.Header.Set("Origin", "http://localhost:5173") }, http.StatusSwitchingProtocols},
		{"cross origin", func(r *http.Request) { r.Header.Set("Origin", "http://evil.example") }, http.StatusForbidden},
		{"cross origin with allowed host on other port", func(r *http.Request) { r.Header.Set("Origin", "http://localhost:5174") }, http.StatusForbidden},
		{"cross origin with port", func(r *http.Request) { r.Header.Set("Origin", "https://evil.example:443") }, http.StatusForbidden},
		{"malformed origin", func(r *http.Request) { r.Header.Set("Origin", "null") }, http.StatusForbidden},
		{"cross origin checked before auth", func(r *http.Request) {
			r.Header.Set("Origin", "http://evil.example")
			r.Header.Del("X-User")
		}, http.StatusForbidden},
		{"no user", func(r *http.Request) { r.Header.Del("X-User") }, http.StatusUnauthorized},
		{"authenticate error", func(r *http.Request) { r.Header.Set("X-Auth", "error") }, http.StatusUnauthorized},
		{"authenticate empty user", func(r *http.Request) { r.Header.Set("X-Auth", "empty") }, http.StatusUnauthorized},
		{"authenticate forbidden", func(r *http.Request) { r.Header.Set("X-Auth", "forbidden") }, http.StatusForbidden},
		{"user id too long", func(r *http.Request) { r.Header.Set("X-User", strings.Repeat("u", 200)) }, http.StatusUnauthorized},
		{"missing subprotocol", func(r *http.Request) { r.Header.Del("Sec-WebSocket-Protocol") }, http.StatusBadRequest},
		{"other subprotocol", func(r *http.Request) { r.Header.Set("Sec-WebSocket-Protocol", "parlor.v2, chat") }, http.StatusBadRequest},
		{"subprotocol among others", func(r *http.Request) { r.Header.Set("Sec-WebSocket-Protocol", "chat, parlor.v1") }, http.StatusSwitchingProtocols},
		{"plain GET", func(r *http.Request) {
			r.Header = http.Header{"X-User": {"alice"}}
		}, http.StatusUpgradeRequired},
		{"POST with upgrade headers", func(r *http.Request) { r.Method = http.MethodPost }, http.StatusUpgradeRequired},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := env.upgradeRequest("alice")
			tt.modify(req)
			if got := env.do(req); got != tt.want {
				t.Fatalf("HTTP %d, want %d", got, tt.want)
			}
		})
	}
	// Refused requests never became sessions, and accepted ones ended when
	// their connection closed.
	env.waitSessions(0)
}

// TestUpgradeTooManyConnsPerUser: under ConnLimitRefuse, the connection
// past MaxConnsPerUser gets 429, other users are not affected, and closing
// one frees a slot.
func TestUpgradeTooManyConnsPerUser(t *testing.T) {
	env := newEnv(t, engine.Config{MaxConnsPerUser: 2, ConnLimitPolicy: engine.ConnLimitRefuse})
	c1 := env.dial("carol")
	env.dial("carol")
	if got := env.do(env.upgradeRequest("carol")); got != http.StatusTooManyRequests {
		t.Fatalf("third connection: HTTP %d, want 429", got)
	}
	_, err := env.dialOpts("carol", client.Options{})
	var ue *client.UpgradeError
	if !errors.As(err, &ue) || ue.StatusCode != http.StatusTooManyRequests {
		t.Fatalf("third client dial: %v, want UpgradeError 429", err)
	}
	env.dial("dave") // another user has their own budget
	c1.close()
	// The slot is released when the server sees the close.
	eventually(t, waitTimeout, "a freed connection slot", func() bool {
		return env.do(env.upgradeRequest("carol")) == http.StatusSwitchingProtocols
	})
}

// TestUpgradeDuringAndAfterShutdown: once Shutdown has begun, upgrades get
// 503, both while rooms are still disposing and after it returned.
func TestUpgradeDuringAndAfterShutdown(t *testing.T) {
	mod := newTestModule()
	mod.disposing = make(chan string, 1)
	mod.disposeGate = make(chan struct{})
	env := newEnv(t, engine.Config{}, mod)
	c := env.dial("alice")
	c.join(testKind, testParams{Name: "r"})

	done := make(chan error, 1)
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
		defer cancel()
		done <- env.e.Shutdown(ctx)
	}()
	select {
	case <-mod.disposing:
	case <-time.After(waitTimeout):
		close(mod.disposeGate)
		t.Fatal("Shutdown did not dispose the room")
	}
	// Shutdown is now blocked in OnDispose.
	during := env.do(env.upgradeRequest("bob"))
	close(mod.disposeGate)
	if during != http.StatusServiceUnavailable {
		t.Errorf("upgrade during Shutdown: HTTP %d, want 503", during)
	}
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("Shutdown: %v", err)
		}
	case <-time.After(waitTimeout):
		t.Fatal("Shutdown did not return")
	}
	if got := env.do(env.upgradeRequest("bob")); got != http.StatusServiceUnavailable {
		t.Errorf("upgrade after Shutdown: HTTP %d, want 503", got)
	}
	if code := c.closeCode(); code != engine.CloseGoingAway {
		t.Errorf("client closed with %d, want %d", code, engine.CloseGoingAway)
	}
}

// TestCookieAuth authenticates from a session cookie, as a host with
// cookie sessions would: the user is whoever the cookie says, whatever
// else the request claims.
func TestCookieAuth(t *testing.T) {
	sessions := map[string]string{"s3cr3t-alice": "alice", "s3cr3t-bob": "bob"}
	env := newEnv(t, engine.Config{
		Authenticate: func(r *http.Request) (string, error) {
			ck, err := r.Cookie("parlor_session")
			if err != nil {
				return "", err
			}
			user, ok := sessions[ck.Value]
			if !ok {
				return "", errors.New("unknown session")
			}
			return user, nil
		},
	})
	dial := func(cookie string) (*tclient, error) {
		h := http.Header{}
		if cookie != "" {
			h.Set("Cookie", "theme=dark; parlor_session="+cookie)
		}
		h.Set("X-User", "mallory") // ignored by this Authenticate
		return env.dialOpts("", client.Options{Header: h})
	}
	a, err := dial("s3cr3t-alice")
	if err != nil {
		t.Fatalf("dial with alice's cookie: %v", err)
	}
	if a.UserID() != "alice" {
		t.Fatalf("user %q, want alice", a.UserID())
	}
	b, err := dial("s3cr3t-bob")
	if err != nil {
		t.Fatalf("dial with bob's cookie: %v", err)
	}
	if b.UserID() != "bob" {
		t.Fatalf("user %q, want bob", b.UserID())
	}
	for _, cookie := range []string{"", "forged", "s3cr3t-alice-x"} {
		_, err := dial(cookie)
		var ue *client.UpgradeError
		if !errors.Is(err, client.ErrUpgrade) || !errors.As(err, &ue) || ue.StatusCode != http.StatusUnauthorized {
			t.Errorf("cookie %q: %v, want UpgradeError 401", cookie, err)
		}
	}
	// The cookie-authenticated user is the sender of what it says.
	ja := a.join("echo", map[string]string{"name": "cookies"})
	b.join("echo", map[string]string{"name": "cookies"})
	a.say(ja.Room, "hi")
	ev := b.waitEvents(ja.Room, "said", 1)[0]
	if s := decodeSaid(t, ev); s.From != "alice" {
		t.Fatalf("said from %q, want alice", s.From)
	}
}
