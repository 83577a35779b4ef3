package main

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/parlorhq/parlor/client"
	"github.com/parlorhq/parlor/engine"
	"go.uber.org/goleak"
)

// waitSignedOut waits for c to end with 4011.
func waitSignedOut(t *testing.T, who string, c *client.Client) {
	t.Helper()
	select {
	case <-c.Done():
	case <-time.After(10 * time.Second):
		t.Fatalf("%s: WebSocket still open after sign-out", who)
	}
	var ce *client.CloseError
	if err := c.Err(); !errors.As(err, &ce) || ce.Code != engine.CloseSignedOut {
		t.Fatalf("%s: WebSocket ended with %v, want close %d", who, err, engine.CloseSignedOut)
	}
}

// TestSignOutClosesItsWebSockets: signing out a cookie session or revoking
// a bearer token closes the WebSockets opened with it, and only those.
func TestSignOutClosesItsWebSockets(t *testing.T) {
	defer goleak.VerifyNone(t)
	h := startHost(t)
	defer h.stop()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	browserC := h.login("alice")
	browser := h.dial(cookieHeader(browserC))
	token := h.token("alice")
	program := h.dial(bearer(token))
	bob := h.dial(bearer(h.token("bob")))

	resp := h.postForm("/logout", cookieHeader(browserC), url.Values{csrfField: {h.csrfOf(browserC)}})
	if _ = readBody(t, resp); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("sign-out = %d", resp.StatusCode)
	}
	waitSignedOut(t, "alice's browser", browser)
	if _, err := program.Join(ctx, echoKind, echoJoin{Name: "after"}); err != nil {
		t.Fatalf("alice's program after the browser signed out: %v", err)
	}

	resp = h.do(http.MethodPost, "/logout", bearer(token), nil)
	if _ = readBody(t, resp); resp.StatusCode != http.StatusNoContent {
		t.Fatalf("token revocation = %d", resp.StatusCode)
	}
	waitSignedOut(t, "alice's program", program)
	if _, err := bob.Join(ctx, echoKind, echoJoin{Name: "after"}); err != nil {
		t.Fatalf("bob: %v", err)
	}
}

// TestProbes: /healthz and /readyz answer 200 while the app serves;
// /readyz answers 503 once the engine shuts down.
func TestProbes(t *testing.T) {
	defer goleak.VerifyNone(t)
	h := startHost(t)
	defer h.stop()
	for _, p := range []string{"/healthz", "/readyz"} {
		resp := h.get(p, nil)
		if body := readBody(t, resp); resp.StatusCode != http.StatusOK || body != "ok\n" {
			t.Fatalf("%s = %d %q", p, resp.StatusCode, body)
		}
	}
	if err := h.eng.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	resp := h.get("/readyz", nil)
	if body := readBody(t, resp); resp.StatusCode != http.StatusServiceUnavailable || body != "not ready: engine\n" {
		t.Fatalf("after Shutdown: /readyz = %d %q", resp.StatusCode, body)
	}
	resp = h.get("/healthz", nil)
	if _ = readBody(t, resp); resp.StatusCode != http.StatusOK {
		t.Fatalf("after Shutdown: /healthz = %d", resp.StatusCode)
	}
}

// TestProfilesOnlyOnTheDebugListener: the public handler serves no
// /debug/pprof path; the debug handler does.
func TestProfilesOnlyOnTheDebugListener(t *testing.T) {
	defer goleak.VerifyNone(t)
	h := startHost(t)
	defer h.stop()
	for _, p := range []string{"/debug/pprof/", "/debug/pprof/cmdline", "/debug/pprof/heap"} {
		resp := h.get(p, nil)
		if body := readBody(t, resp); resp.StatusCode == http.StatusOK || strings.Contains(body, "goroutine") {
			t.Errorf("public GET %s = %d serves profiles", p, resp.StatusCode)
		}
	}
	rec := httptest.NewRecorder()
	debugHandler().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/debug/pprof/", nil))
	if rec.Code != http.StatusOK || !strings.Contains(rec.Body.String(), "goroutine") {
		t.Fatalf("debug GET /debug/pprof/ = %d", rec.Code)
	}
}
