package main

import (
	"crypto/tls"
	"encoding/base64"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"
)

// checkSignedIn checks that header's session works: the WebSocket upgrade
// and GET /api/me both know the user.
func (h *host) checkSignedIn(who string, header http.Header) {
	h.t.Helper()
	if c := h.dial(header); c.UserID() != who {
		h.t.Errorf("%s's session connects as %q", who, c.UserID())
	}
	resp := h.get("/api/me", header)
	if body := readBody(h.t, resp); resp.StatusCode != http.StatusOK || !strings.Contains(body, `"user":"`+who+`"`) {
		h.t.Errorf("%s: GET /api/me = %d %s", who, resp.StatusCode, body)
	}
}

// checkSignedOut checks that header's session is refused: 401 on the
// WebSocket upgrade and on GET /api/me.
func (h *host) checkSignedOut(what string, header http.Header) {
	h.t.Helper()
	if got := h.upgradeStatus(header); got != http.StatusUnauthorized {
		h.t.Errorf("%s: /ws upgrade = %d, want 401", what, got)
	}
	resp := h.get("/api/me", header)
	if _ = readBody(h.t, resp); resp.StatusCode != http.StatusUnauthorized {
		h.t.Errorf("%s: GET /api/me = %d, want 401", what, resp.StatusCode)
	}
}

// setNow sets the session store's clock.
func (h *host) setNow(now func() time.Time) {
	h.app.sessions.mu.Lock()
	h.app.sessions.now = now
	h.app.sessions.mu.Unlock()
}

// flipFirst returns s with its first character changed.
func flipFirst(s string) string {
	if s[0] == 'A' {
		return "B" + s[1:]
	}
	return "A" + s[1:]
}

func TestSignIn(t *testing.T) {
	defer goleak.VerifyNone(t)
	h := startHost(t)
	defer h.stop()

	before := time.Now()
	c := h.login("alice")
	if !c.HttpOnly || c.SameSite != http.SameSiteLaxMode || c.Path != "/" || c.Domain != "" || c.Secure {
		t.Errorf("cookie = %+v, want HttpOnly, SameSite=Lax, Path=/, no Domain, not Secure over plain HTTP", c)
	}
	if c.MaxAge != int(DefaultSessionTTL.Seconds()) {
		t.Errorf("cookie Max-Age = %d, want %d (DefaultSessionTTL)", c.MaxAge, int(DefaultSessionTTL.Seconds()))
	}
	if exp := before.Add(DefaultSessionTTL); c.Expires.Before(exp.Add(-2*time.Second)) || c.Expires.After(exp.Add(2*time.Second)) {
		t.Errorf("cookie Expires = %v, want about %v", c.Expires, exp)
	}
	if raw, err := base64.RawURLEncoding.DecodeString(c.Value); err != nil || len(raw) != tokenLen || strings.Contains(c.Value, "alice") {
		t.Errorf("session token %q: want %d random bytes in base64url, not naming the user", c.Value, tokenLen)
	}
	h.checkSignedIn("alice", cookieHeader(c))

	for _, bad := range []string{"", strings.Repeat("a", 33), "a b", "a.b", "ä", "<script>", "bob\n"} {
		resp := h.postForm("/login", nil, url.Values{"user": {bad}})
		_ = readBody(t, resp)
		if resp.StatusCode != http.StatusBadRequest || len(resp.Cookies()) != 0 {
			t.Errorf("login %q = %d with %v, want 400 and no cookie", bad, resp.StatusCode, resp.Header["Set-Cookie"])
		}
	}
	_ = h.login(strings.Repeat("a", 32))

	// Sign-in is a POST from the app's own origin.
	resp := h.get("/login?user=alice", nil)
	if _ = readBody(t, resp); resp.StatusCode != http.StatusMethodNotAllowed || len(resp.Cookies()) != 0 {
		t.Errorf("GET /login = %d with %v, want 405 and no cookie", resp.StatusCode, resp.Header["Set-Cookie"])
	}
	for _, path := range []string{"/login", "/api/tokens"} {
		resp := h.postForm(path, http.Header{"Origin": {"http://evil.example"}}, url.Values{"user": {"alice"}})
		if _ = readBody(t, resp); resp.StatusCode != http.StatusForbidden || len(resp.Cookies()) != 0 {
			t.Errorf("cross-origin POST %s = %d, want 403", path, resp.StatusCode)
		}
	}

	// next goes to a local path only.
	for next, want := range map[string]string{"/sdk-demo": "/sdk-demo", "//evil.example/": "/", "https://evil.example/": "/", "": "/"} {
		resp := h.postForm("/login", nil, url.Values{"user": {"bob"}, "next": {next}})
		if _ = readBody(t, resp); resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != want {
			t.Errorf("login with next=%q goes to %q, want %q", next, resp.Header.Get("Location"), want)
		}
	}
}

func TestSessionCookieSecure(t *testing.T) {
	defer goleak.VerifyNone(t)
	direct, proxied := startHost(t), startHostWith(t, appConfig{TrustProxy: true})
	defer direct.stop()
	defer proxied.stop()
	login := func(h *host, proto string, tlsConn bool) bool {
		t.Helper()
		r := httptest.NewRequest(http.MethodPost, "http://hostserver.test/login", strings.NewReader("user=alice"))
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		if proto != "" {
			r.Header.Set("X-Forwarded-Proto", proto)
		}
		if tlsConn {
			r.TLS = &tls.ConnectionState{}
		}
		rec := httptest.NewRecorder()
		h.app.Handler().ServeHTTP(rec, r)
		for _, c := range rec.Result().Cookies() {
			if c.Name == cookieName {
				return c.Secure
			}
		}
		t.Fatalf("sign-in = %d and set no cookie", rec.Code)
		return false
	}
	tests := []struct {
		name    string
		h       *host
		proto   string
		tlsConn bool
		secure  bool
	}{
		{"plain HTTP", direct, "", false, false},
		{"TLS", direct, "", true, true},
		{"X-Forwarded-Proto: https, proxy not trusted", direct, "https", false, false},
		{"X-Forwarded-Proto: https, proxy trusted", proxied, "https", false, true},
		{"X-Forwarded-Proto: http, proxy trusted", proxied, "http", false, false},
		{"no X-Forwarded-Proto, proxy trusted", proxied, "", false, false},
	}
	for _, tt := range tests {
		if got := login(tt.h, tt.proto, tt.tlsConn); got != tt.secure {
			t.Errorf("%s: Secure = %v, want %v", tt.name, got, tt.secure)
		}
	}
}

func TestSessionExpiry(t *testing.T) {
	defer goleak.VerifyNone(t)
	h := startHostWith(t, appConfig{SessionTTL: time.Hour})
	defer h.stop()
	alice, token := cookieHeader(h.login("alice")), h.token("alice")
	start := time.Now()
	h.setNow(func() time.Time { return start.Add(59 * time.Minute) })
	h.checkSignedIn("alice", alice)
	h.checkSignedIn("alice", bearer(token))
	bob := cookieHeader(h.login("bob"))
	h.setNow(func() time.Time { return start.Add(61 * time.Minute) })
	h.checkSignedOut("alice's cookie after expiry", alice)
	h.checkSignedOut("alice's bearer token after expiry", bearer(token))
	h.checkSignedIn("bob", bob)
}

func TestSignOut(t *testing.T) {
	defer goleak.VerifyNone(t)
	h := startHost(t)
	defer h.stop()
	aliceC, bobC := h.login("alice"), h.login("bob")
	alice, bob := cookieHeader(aliceC), cookieHeader(bobC)

	// GET is refused, and so is a POST without alice's CSRF token; her
	// session stays.
	resp := h.get("/logout", alice)
	if _ = readBody(t, resp); resp.StatusCode != http.StatusMethodNotAllowed || len(resp.Cookies()) != 0 {
		t.Errorf("GET /logout = %d with %v, want 405 and no cookie", resp.StatusCode, resp.Header["Set-Cookie"])
	}
	for name, csrf := range map[string]string{
		"missing":         "",
		"bob's":           h.csrfOf(bobC),
		"alice's, broken": flipFirst(h.csrfOf(aliceC)),
		"a prefix":        h.csrfOf(aliceC)[:10],
	} {
		form := url.Values{}
		if csrf != "" {
			form.Set(csrfField, csrf)
		}
		resp := h.postForm("/logout", alice, form)
		if _ = readBody(t, resp); resp.StatusCode != http.StatusForbidden || len(resp.Cookies()) != 0 {
			t.Errorf("sign-out with the CSRF token %s = %d, want 403 and no cookie", name, resp.StatusCode)
		}
	}
	h.checkSignedIn("alice", alice)

	resp = h.postForm("/logout", alice, url.Values{csrfField: {h.csrfOf(aliceC)}})
	_ = readBody(t, resp)
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/" {
		t.Errorf("sign-out = %d to %q, want 303 to /", resp.StatusCode, resp.Header.Get("Location"))
	}
	if cs := resp.Cookies(); len(cs) != 1 || cs[0].Name != cookieName || cs[0].MaxAge >= 0 || cs[0].Value != "" {
		t.Errorf("sign-out cookies = %v, want %s cleared", resp.Header["Set-Cookie"], cookieName)
	}
	h.checkSignedOut("alice's cookie reused after sign-out", alice)
	h.checkSignedIn("bob", bob)

	// The X-CSRF-Token header works as well as the form field.
	hb := bob.Clone()
	hb.Set(csrfHeader, h.csrfOf(bobC))
	resp = h.do(http.MethodPost, "/logout", hb, nil)
	if _ = readBody(t, resp); resp.StatusCode != http.StatusSeeOther {
		t.Errorf("sign-out with the CSRF header = %d, want 303", resp.StatusCode)
	}
	h.checkSignedOut("bob's cookie reused after sign-out", bob)

	// A program revokes its bearer token with the token itself.
	carol, dave := h.token("carol"), h.token("dave")
	resp = h.do(http.MethodPost, "/logout", bearer(carol), nil)
	if _ = readBody(t, resp); resp.StatusCode != http.StatusNoContent {
		t.Errorf("sign-out with a bearer token = %d, want 204", resp.StatusCode)
	}
	h.checkSignedOut("carol's bearer token after sign-out", bearer(carol))
	h.checkSignedIn("dave", bearer(dave))
}

func TestSignInReplacesSession(t *testing.T) {
	defer goleak.VerifyNone(t)
	h := startHost(t)
	defer h.stop()
	alice, carol := cookieHeader(h.login("alice")), cookieHeader(h.login("carol"))
	resp := h.postForm("/login", alice, url.Values{"user": {"bob"}})
	if _ = readBody(t, resp); resp.StatusCode != http.StatusSeeOther || len(resp.Cookies()) != 1 {
		t.Fatalf("sign-in as bob = %d with %v", resp.StatusCode, resp.Header["Set-Cookie"])
	}
	h.checkSignedOut("alice's session replaced by bob's", alice)
	h.checkSignedIn("carol", carol)
}

func TestSessionLimits(t *testing.T) {
	defer goleak.VerifyNone(t)
	h := startHostWith(t, appConfig{MaxSessionsPerUser: 2, MaxSessions: 4})
	defer h.stop()
	bob := cookieHeader(h.login("bob"))

	// Per user: alice's third session ends her first only.
	a1, a2, a3 := bearer(h.token("alice")), cookieHeader(h.login("alice")), cookieHeader(h.login("alice"))
	h.checkSignedOut("alice's oldest session past MaxSessionsPerUser", a1)
	h.checkSignedIn("alice", a2)
	h.checkSignedIn("alice", a3)
	h.checkSignedIn("bob", bob)

	// In all: with 4 live sessions, a new user cannot sign in; everyone
	// signed in stays so.
	_ = h.login("dave")
	for _, path := range []string{"/login", "/api/tokens"} {
		resp := h.postForm(path, nil, url.Values{"user": {"mallory"}})
		if _ = readBody(t, resp); resp.StatusCode != http.StatusServiceUnavailable || len(resp.Cookies()) != 0 {
			t.Errorf("POST %s past MaxSessions = %d, want 503 and no cookie", path, resp.StatusCode)
		}
	}
	h.checkSignedIn("alice", a3)
	h.checkSignedIn("bob", bob)

	// Expired sessions make room.
	h.setNow(func() time.Time { return time.Now().Add(DefaultSessionTTL + time.Minute) })
	h.checkSignedIn("mallory", bearer(h.token("mallory")))
}
