package main

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/parlorhq/parlor/chat"
	"github.com/parlorhq/parlor/client"
	"github.com/parlorhq/parlor/engine"
)

// waitSignedOut waits for c to end with 4011 and checks that it did not
// try to reconnect.
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

// chatWorks checks that a and b, connected, exchange a direct message.
func chatWorks(t *testing.T, a, b *client.Client, peerOfA, peerOfB string) {
	t.Helper()
	ja, err := a.Join(ctx10s(t), chat.KindDM, map[string]string{"with": peerOfA})
	if err != nil {
		t.Fatalf("%s joins the DM: %v", a.UserID(), err)
	}
	if _, err := b.Join(ctx10s(t), chat.KindDM, map[string]string{"with": peerOfB}); err != nil {
		t.Fatalf("%s joins the DM: %v", b.UserID(), err)
	}
	if _, err := a.Send(ctx10s(t), ja.Room, "send", map[string]string{"text": "still here"}); err != nil {
		t.Fatalf("%s sends: %v", a.UserID(), err)
	}
	var m chat.Message
	if err := waitEvent(t, b, ja.Room, "message").Decode(&m); err != nil || m.From != a.UserID() || m.Text != "still here" {
		t.Fatalf("%s got %+v, %v", b.UserID(), m, err)
	}
}

// TestSignOutClosesItsWebSockets: signing out one browser closes that
// browser's WebSockets with 4011, and the client does not reconnect; the
// same user's other browser and another user keep theirs.
func TestSignOutClosesItsWebSockets(t *testing.T) {
	ta := startArcade(t, "")
	laptop, phone, bob := ta.login("alice"), ta.login("alice"), ta.login("bob")
	cl, cp, cb := ta.dial(laptop), ta.dial(phone), ta.dial(bob)

	resp := ta.logout(laptop, laptop.Get(csrfHeader))
	if _ = readBody(t, resp); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("sign-out = %d", resp.StatusCode)
	}
	waitSignedOut(t, "alice's laptop", cl)
	ta.checkSignedOut("alice's laptop", laptop)
	ta.checkSignedIn("alice", phone)
	chatWorks(t, cp, cb, "bob", "alice")
}

// TestSignOutEverywhere: POST /logout/everywhere with the CSRF token ends
// every session of the user and closes all their WebSockets with 4011;
// without the token it changes nothing. Another user is not affected.
func TestSignOutEverywhere(t *testing.T) {
	ta := startArcade(t, "")
	laptop, phone, bob := ta.login("alice"), ta.login("alice"), ta.login("bob")
	cl, cp, cb := ta.dial(laptop), ta.dial(phone), ta.dial(bob)
	post := func(h http.Header, csrf string) *http.Response {
		hh := http.Header{"Content-Type": {"application/x-www-form-urlencoded"}, "Cookie": h.Values("Cookie")}
		return ta.do(http.MethodPost, "/logout/everywhere", hh, strings.NewReader(url.Values{csrfField: {csrf}}.Encode()))
	}

	for name, csrf := range map[string]string{"missing": "", "bob's": bob.Get(csrfHeader)} {
		resp := post(phone, csrf)
		if _ = readBody(t, resp); resp.StatusCode != http.StatusForbidden {
			t.Fatalf("sign-out everywhere with the CSRF token %s = %d, want 403", name, resp.StatusCode)
		}
	}
	got := ta.do(http.MethodGet, "/logout/everywhere", phone, nil)
	if _ = readBody(t, got); got.StatusCode != http.StatusMethodNotAllowed {
		t.Fatalf("GET /logout/everywhere = %d, want 405", got.StatusCode)
	}
	ta.checkSignedIn("alice", laptop)
	chatWorks(t, cl, cb, "bob", "alice")

	resp := post(phone, phone.Get(csrfHeader))
	_ = readBody(t, resp)
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/login" {
		t.Fatalf("sign-out everywhere = %d to %q, want 303 to /login", resp.StatusCode, resp.Header.Get("Location"))
	}
	if cs := resp.Cookies(); len(cs) != 1 || cs[0].Name != cookieName || cs[0].MaxAge >= 0 {
		t.Errorf("cookies %v, want %s cleared", resp.Header["Set-Cookie"], cookieName)
	}
	waitSignedOut(t, "alice's laptop", cl)
	waitSignedOut(t, "alice's phone", cp)
	ta.checkSignedOut("alice's laptop", laptop)
	ta.checkSignedOut("alice's phone", phone)
	ta.checkSignedIn("bob", bob)
	carol := ta.login("carol")
	chatWorks(t, cb, ta.dial(carol), "carol", "bob")
}

// TestProbes: /healthz answers while the process runs; /readyz until the
// engine shuts down or the chat store closes.
func TestProbes(t *testing.T) {
	ta := startArcade(t, "")
	get := func(path string) (int, string) {
		resp := ta.do(http.MethodGet, path, nil, nil)
		return resp.StatusCode, readBody(t, resp)
	}
	for _, p := range []string{"/healthz", "/readyz"} {
		if code, body := get(p); code != http.StatusOK || body != "ok\n" {
			t.Fatalf("%s = %d %q, want 200 ok", p, code, body)
		}
	}
	if err := ta.a.store.Close(); err != nil {
		t.Fatal(err)
	}
	if code, body := get("/readyz"); code != http.StatusServiceUnavailable || body != "not ready: chat-store\n" {
		t.Fatalf("store closed: /readyz = %d %q", code, body)
	}
	if code, _ := get("/healthz"); code != http.StatusOK {
		t.Fatalf("store closed: /healthz = %d, want 200", code)
	}
	ta.stop()
	rec := httptest.NewRecorder()
	ta.a.Handler().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/readyz", nil))
	if rec.Code != http.StatusServiceUnavailable || !strings.Contains(rec.Body.String(), "not ready: engine\n") {
		t.Fatalf("shut down: /readyz = %d %q", rec.Code, rec.Body.String())
	}
}

// TestProfilesOnlyOnTheDebugListener: the public handler serves no
// /debug/pprof path; the debug handler does.
func TestProfilesOnlyOnTheDebugListener(t *testing.T) {
	ta := startArcade(t, "")
	alice := ta.login("alice")
	for _, p := range []string{"/debug/pprof/", "/debug/pprof/cmdline", "/debug/pprof/heap", "/debug/pprof/goroutine?debug=1"} {
		for _, h := range []http.Header{nil, alice} {
			resp := ta.do(http.MethodGet, p, h, nil)
			body := readBody(t, resp)
			if resp.StatusCode == http.StatusOK || strings.Contains(body, "goroutine") || strings.Contains(body, "profiles") {
				t.Errorf("public GET %s = %d serves profiles", p, resp.StatusCode)
			}
		}
	}
	rec := httptest.NewRecorder()
	debugHandler().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/debug/pprof/", nil))
	if rec.Code != http.StatusOK || !strings.Contains(rec.Body.String(), "goroutine") {
		t.Fatalf("debug GET /debug/pprof/ = %d", rec.Code)
	}
}
