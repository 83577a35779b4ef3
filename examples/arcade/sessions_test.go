package main

import (
	"crypto/tls"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"
)

// logout posts to /logout with the headers h and the form field csrf (none
// if csrf is ""), and returns the response.
func (ta *testArcade) logout(h http.Header, csrf string) *http.Response {
	ta.t.Helper()
	hh := http.Header{"Content-Type": {"application/x-www-form-urlencoded"}, "Cookie": h.Values("Cookie")}
	form := url.Values{}
	if csrf != "" {
		form.Set(csrfField, csrf)
	}
	return ta.do(http.MethodPost, "/logout", hh, strings.NewReader(form.Encode()))
}

// checkSignedIn checks that h's session works everywhere: the WebSocket
// upgrade, the host API and the pages.
func (ta *testArcade) checkSignedIn(who string, h http.Header) {
	ta.t.Helper()
	if c := ta.dial(h); c.UserID() != who {
		ta.t.Errorf("%s's session connects as %q", who, c.UserID())
	}
	resp := ta.do(http.MethodGet, "/api/challenges", h, nil)
	if _ = readBody(ta.t, resp); resp.StatusCode != http.StatusOK {
		ta.t.Errorf("%s: GET /api/challenges = %d, want 200", who, resp.StatusCode)
	}
	resp = ta.do(http.MethodGet, "/connections", h, nil)
	if _ = readBody(ta.t, resp); resp.StatusCode != http.StatusOK {
		ta.t.Errorf("%s: GET /connections = %d, want 200", who, resp.StatusCode)
	}
}

// checkSignedOut checks that h's session is refused everywhere: 401 on
// the WebSocket upgrade and on the host API, and pages go to /login.
func (ta *testArcade) checkSignedOut(what string, h http.Header) {
	ta.t.Helper()
	if got := ta.upgradeStatus("/ws", h); got != http.StatusUnauthorized {
		ta.t.Errorf("%s: /ws upgrade = %d, want 401", what, got)
	}
	resp := ta.do(http.MethodGet, "/api/challenges", h, nil)
	if _ = readBody(ta.t, resp); resp.StatusCode != http.StatusUnauthorized {
		ta.t.Errorf("%s: GET /api/challenges = %d, want 401", what, resp.StatusCode)
	}
	resp = ta.do(http.MethodGet, "/connections", h, nil)
	if _ = readBody(ta.t, resp); resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/login" {
		ta.t.Errorf("%s: GET /connections = %d to %q, want 303 to /login", what, resp.StatusCode, resp.Header.Get("Location"))
	}
}

// setNow sets the session store's clock.
func (ta *testArcade) setNow(now func() time.Time) {
	ta.a.sessions.mu.Lock()
	ta.a.sessions.now = now
	ta.a.sessions.mu.Unlock()
}

func TestSessionCookieAttributes(t *testing.T) {
	ta := startArcade(t, "")
	before := time.Now()
	c := ta.loginCookie("alice")
	if !c.HttpOnly || c.SameSite != http.SameSiteLaxMode || c.Path != "/" || c.Domain != "" {
		t.Errorf("cookie = %+v, want HttpOnly, SameSite=Lax, Path=/, no Domain", c)
	}
	if c.Secure {
		t.Error("cookie over plain HTTP is Secure; browsers would drop it")
	}
	if c.MaxAge != int(DefaultSessionTTL.Seconds()) {
		t.Errorf("cookie Max-Age = %d, want %d (DefaultSessionTTL)", c.MaxAge, int(DefaultSessionTTL.Seconds()))
	}
	if exp := before.Add(DefaultSessionTTL); c.Expires.Before(exp.Add(-2*time.Second)) || c.Expires.After(exp.Add(2*time.Second)) {
		t.Errorf("cookie Expires = %v, want about %v", c.Expires, exp)
	}
}

func TestSessionCookieSecure(t *testing.T) {
	post := func(a *Arcade, r *http.Request) *http.Cookie {
		t.Helper()
		rec := httptest.NewRecorder()
		a.Handler().ServeHTTP(rec, r)
		for _, c := range rec.Result().Cookies() {
			if c.Name == cookieName {
				return c
			}
		}
		t.Fatalf("sign-in = %d and set no cookie", rec.Code)
		return nil
	}
	login := func(proto string, tlsConn bool) *http.Request {
		r := httptest.NewRequest(http.MethodPost, "http://arcade.test/login", strings.NewReader("user=alice"))
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		if proto != "" {
			r.Header.Set("X-Forwarded-Proto", proto)
		}
		if tlsConn {
			r.TLS = &tls.ConnectionState{}
		}
		return r
	}
	direct := startArcade(t, "").a
	proxied := startArcadeWith(t, Config{TrustProxy: true}).a
	tests := []struct {
		name   string
		a      *Arcade
		r      *http.Request
		secure bool
	}{
		{"plain HTTP", direct, login("", false), false},
		{"TLS", direct, login("", true), true},
		{"X-Forwarded-Proto: https, proxy not trusted", direct, login("https", false), false},
		{"X-Forwarded-Proto: https, proxy trusted", proxied, login("https", false), true},
		{"X-Forwarded-Proto: https, http, proxy trusted", proxied, login("https, http", false), true},
		{"X-Forwarded-Proto: http, proxy trusted", proxied, login("http", false), false},
		{"no X-Forwarded-Proto, proxy trusted", proxied, login("", false), false},
	}
	for _, tt := range tests {
		if c := post(tt.a, tt.r); c.Secure != tt.secure {
			t.Errorf("%s: Secure = %v, want %v", tt.name, c.Secure, tt.secure)
		}
	}

	// Over a real TLS connection too.
	srv := httptest.NewTLSServer(direct.Handler())
	defer srv.Close()
	cl := srv.Client()
	cl.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	resp, err := cl.PostForm(srv.URL+"/login", url.Values{"user": {"bob"}})
	if err != nil {
		t.Fatal(err)
	}
	_ = readBody(t, resp)
	if cs := resp.Cookies(); len(cs) != 1 || !cs[0].Secure {
		t.Errorf("sign-in over TLS set %v, want one Secure cookie", resp.Header["Set-Cookie"])
	}
}

func TestSessionExpiry(t *testing.T) {
	ta := startArcadeWith(t, Config{SessionTTL: time.Hour})
	alice := ta.login("alice")
	start := time.Now()
	ta.setNow(func() time.Time { return start.Add(59 * time.Minute) })
	ta.checkSignedIn("alice", alice)
	bob := ta.login("bob") // expires at 59 min + 1 h
	ta.setNow(func() time.Time { return start.Add(61 * time.Minute) })
	ta.checkSignedOut("alice after her session expired", alice)
	ta.checkSignedIn("bob", bob) // a bystander's later session still works
}

func TestSignOut(t *testing.T) {
	ta := startArcade(t, "")
	alice, bob := ta.login("alice"), ta.login("bob")

	// GET is refused, and so is a POST without alice's CSRF token; her
	// session stays.
	resp := ta.do(http.MethodGet, "/logout", alice, nil)
	if _ = readBody(t, resp); resp.StatusCode != http.StatusMethodNotAllowed || len(resp.Cookies()) != 0 {
		t.Errorf("GET /logout = %d with %v, want 405 and no cookie", resp.StatusCode, resp.Header["Set-Cookie"])
	}
	for name, csrf := range map[string]string{
		"missing":         "",
		"bob's":           bob.Get(csrfHeader),
		"alice's, broken": flipFirst(alice.Get(csrfHeader)),
		"a prefix":        alice.Get(csrfHeader)[:10],
	} {
		resp := ta.logout(alice, csrf)
		if _ = readBody(t, resp); resp.StatusCode != http.StatusForbidden || len(resp.Cookies()) != 0 {
			t.Errorf("sign-out with the CSRF token %s = %d with %v, want 403 and no cookie", name, resp.StatusCode, resp.Header["Set-Cookie"])
		}
	}
	ta.checkSignedIn("alice", alice)

	// With it, the session ends and the cookie is cleared.
	resp = ta.logout(alice, alice.Get(csrfHeader))
	_ = readBody(t, resp)
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/login" {
		t.Errorf("sign-out = %d to %q, want 303 to /login", resp.StatusCode, resp.Header.Get("Location"))
	}
	if cs := resp.Cookies(); len(cs) != 1 || cs[0].Name != cookieName || cs[0].MaxAge >= 0 || cs[0].Value != "" {
		t.Errorf("sign-out cookies = %v, want %s cleared", resp.Header["Set-Cookie"], cookieName)
	}
	// A copy of the cookie kept from before is worth nothing now.
	ta.checkSignedOut("alice's cookie reused after sign-out", alice)
	ta.checkSignedIn("bob", bob)

	// The X-CSRF-Token header works as well as the form field.
	h := bob.Clone()
	resp = ta.do(http.MethodPost, "/logout", h, nil)
	if _ = readBody(t, resp); resp.StatusCode != http.StatusSeeOther {
		t.Errorf("sign-out with the CSRF header = %d, want 303", resp.StatusCode)
	}
	ta.checkSignedOut("bob's cookie reused after sign-out", bob)
}

func TestSignInReplacesSession(t *testing.T) {
	ta := startArcade(t, "")
	alice, carol := ta.login("alice"), ta.login("carol")
	// The same browser signs in as bob: its alice session ends.
	resp := ta.do(http.MethodPost, "/login", http.Header{
		"Content-Type": {"application/x-www-form-urlencoded"},
		"Cookie":       alice.Values("Cookie"),
	}, strings.NewReader("user=bob"))
	if _ = readBody(t, resp); resp.StatusCode != http.StatusSeeOther || len(resp.Cookies()) != 1 {
		t.Fatalf("sign-in as bob = %d with %v", resp.StatusCode, resp.Header["Set-Cookie"])
	}
	ta.checkSignedOut("alice's session replaced by bob's", alice)
	ta.checkSignedIn("carol", carol)
}

func TestSessionLimits(t *testing.T) {
	ta := startArcadeWith(t, Config{MaxSessionsPerUser: 2, MaxSessions: 4})
	bob := ta.login("bob")

	// Per user: alice's third sign-in ends her first session only.
	a1, a2, a3 := ta.login("alice"), ta.login("alice"), ta.login("alice")
	ta.checkSignedOut("alice's oldest session past MaxSessionsPerUser", a1)
	ta.checkSignedIn("alice", a2)
	ta.checkSignedIn("alice", a3)
	ta.checkSignedIn("bob", bob)

	// In all: with 4 live sessions, carol cannot sign in; everyone
	// signed in stays so.
	_ = ta.login("dave")
	form := http.Header{"Content-Type": {"application/x-www-form-urlencoded"}}
	resp := ta.do(http.MethodPost, "/login", form, strings.NewReader("user=carol"))
	if _ = readBody(t, resp); resp.StatusCode != http.StatusServiceUnavailable || len(resp.Cookies()) != 0 {
		t.Errorf("sign-in past MaxSessions = %d with %v, want 503 and no cookie", resp.StatusCode, resp.Header["Set-Cookie"])
	}
	ta.checkSignedIn("alice", a3)
	ta.checkSignedIn("bob", bob)

	// A user at their own limit may still sign in: it replaces their
	// oldest session.
	a4 := ta.login("alice")
	ta.checkSignedOut("alice's oldest session", a2)
	ta.checkSignedIn("alice", a4)

	// Expired sessions make room.
	ta.setNow(func() time.Time { return time.Now().Add(DefaultSessionTTL + time.Minute) })
	carol := ta.login("carol")
	ta.checkSignedIn("carol", carol)
}
