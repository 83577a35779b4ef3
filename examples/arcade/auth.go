package main

import (
	"errors"
	"net/http"
	"net/url"
	"strings"

	"github.com/parlorhq/parlor/engine"
	"go.uber.org/zap"
)

// ---- Demo sign-in ----
//
// DEMO ONLY: the arcade's users are fixed and have NO PASSWORDS. The
// sign-in page offers one button per user, so anyone who can reach the
// server can be anyone. Run it on 127.0.0.1. What is real, and worth
// copying, is the rest: server-side sessions (sessions.go) behind an
// HttpOnly cookie, sign-out by POST with a CSRF token, and the engine's
// Authenticate hook, which reads the session before it upgrades a
// WebSocket. No user id is ever taken from a message. docs/demo-auth.md
// describes it all.

const (
	// cookieName is the arcade's session cookie.
	cookieName = "arcade_session"
	// csrfField is the form field, and csrfHeader the header, that carry a
	// session's CSRF token.
	csrfField  = "csrf"
	csrfHeader = "X-CSRF-Token"
)

var (
	// errNoSession: the request carries no session token.
	errNoSession = errors.New("arcade: no session")
	// errBadSession: the token names no live session (unknown, expired or
	// signed out).
	errBadSession = errors.New("arcade: invalid session")
)

// sessionOf returns the live session of a request, from its cookie.
func (a *Arcade) sessionOf(r *http.Request) (*session, error) {
	c, err := r.Cookie(cookieName)
	if err != nil || c.Value == "" {
		return nil, errNoSession
	}
	return a.lookupToken(c.Value)
}

// lookupToken returns the live session with this token.
func (a *Arcade) lookupToken(token string) (*session, error) {
	ss, ok := a.sessions.lookup(token)
	if !ok {
		return nil, errBadSession
	}
	return ss, nil
}

// authenticate is the engine's Config.Authenticate: the user of the
// session cookie. Any error refuses the upgrade with 401. The session
// token is never taken from the URL, where proxies and access logs would
// record it.
func (a *Arcade) authenticate(r *http.Request) (string, error) {
	ss, err := a.sessionOf(r)
	if err != nil {
		return "", err
	}
	return ss.user, nil
}

// credential is the engine's Config.Credential: the id of the session
// whose cookie opened the WebSocket, so that signing that session out
// closes its WebSockets (endSession).
func (a *Arcade) credential(r *http.Request) string {
	if ss, err := a.sessionOf(r); err == nil {
		return ss.id
	}
	return ""
}

// endSession closes the live WebSockets of a session that was just
// revoked, with 4011 (engine.CloseSignedOut), after which clients do not
// reconnect. The engine authenticates a WebSocket once, at its upgrade,
// so revoking a session alone would leave its open WebSockets running.
func (a *Arcade) endSession(ss *session, reason string) {
	n := a.eng.DisconnectCredential(ss.user, ss.id, engine.CloseSignedOut, reason)
	a.log.Info("session ended", zap.String("user", ss.user), zap.String("reason", reason), zap.Int("websockets", n))
}

// secure reports whether the request came over TLS: to this server, or to
// a proxy in front of it that said so in X-Forwarded-Proto. The header is
// believed only with Config.TrustProxy, since any client can send it.
func (a *Arcade) secure(r *http.Request) bool {
	if r.TLS != nil {
		return true
	}
	if !a.trustProxy {
		return false
	}
	proto, _, _ := strings.Cut(r.Header.Get("X-Forwarded-Proto"), ",")
	return strings.EqualFold(strings.TrimSpace(proto), "https")
}

// sessionCookie returns the cookie that holds ss: HttpOnly, SameSite=Lax,
// Path=/, Secure over TLS, and expiring with the session.
func (a *Arcade) sessionCookie(r *http.Request, ss *session) *http.Cookie {
	return &http.Cookie{
		Name:     cookieName,
		Value:    ss.token,
		Path:     "/",
		Expires:  ss.expires,
		MaxAge:   int(a.sessionTTL.Seconds()),
		HttpOnly: true,
		Secure:   a.secure(r),
		SameSite: http.SameSiteLaxMode,
	}
}

// clearCookie returns a cookie that deletes the session cookie.
func (a *Arcade) clearCookie(r *http.Request) *http.Cookie {
	return &http.Cookie{
		Name:     cookieName,
		Value:    "",
		Path:     "/",
		MaxAge:   -1,
		HttpOnly: true,
		Secure:   a.secure(r),
		SameSite: http.SameSiteLaxMode,
	}
}

// sameOrigin reports whether a request comes from the arcade's own pages:
// browsers send Origin on POST, and a request without one is not from a
// cross-site page. It guards the sign-in form, where there is no session
// yet, and so no CSRF token, to check.
func sameOrigin(r *http.Request) bool {
	o := r.Header.Get("Origin")
	if o == "" {
		return true
	}
	u, err := url.Parse(o)
	return err == nil && u.Host == r.Host
}

// signIn starts a session for user and sets its cookie. A session the
// request already carries is revoked: the new one replaces it.
func (a *Arcade) signIn(w http.ResponseWriter, r *http.Request, user string) bool {
	if old, err := a.sessionOf(r); err == nil {
		if err := a.sessions.revoke(old.token); err != nil {
			a.log.Warn("sign-in: the replaced session may stay live on other nodes until it expires", zap.String("user", old.user), zap.Error(err))
		}
		a.endSession(old, "replaced by a new sign-in")
	}
	ss, dropped, err := a.sessions.create(user)
	// The sessions dropped to make room are revoked even when the new one
	// could not be stored: their connections end with them.
	for _, old := range dropped {
		a.endSession(old, "signed out by a newer sign-in")
	}
	if err != nil {
		a.log.Warn("sign-in refused", zap.String("user", user), zap.Error(err))
		http.Error(w, "too many sessions; try again later", http.StatusServiceUnavailable)
		return false
	}
	http.SetCookie(w, a.sessionCookie(r, ss))
	a.log.Info("sign-in", zap.String("user", user))
	return true
}

// loginPage handles GET /login: one button per demo user. With DevLogin,
// ?as=USER signs in at once and goes to ?next= (a local path).
func (a *Arcade) loginPage(w http.ResponseWriter, r *http.Request) {
	if as := r.URL.Query().Get("as"); as != "" && a.devLogin {
		if !isDemoUser(as) {
			http.Error(w, "unknown demo user", http.StatusBadRequest)
			return
		}
		next := r.URL.Query().Get("next")
		if !localPath(next) {
			next = "/connections"
		}
		if a.signIn(w, r, as) {
			http.Redirect(w, r, next, http.StatusSeeOther)
		}
		return
	}
	d := pageData{Title: "Sign in", Users: demoUsers}
	if ss, err := a.sessionOf(r); err == nil {
		d.Me, d.CSRF = userOrEmpty(ss.user), ss.csrf
	}
	a.render(w, r, "login", d)
}

// login handles POST /login (form field user): it starts a session and
// redirects to /connections.
func (a *Arcade) login(w http.ResponseWriter, r *http.Request) {
	if !sameOrigin(r) {
		http.Error(w, "cross-origin sign-in refused", http.StatusForbidden)
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, 1<<10)
	u := r.PostFormValue("user")
	if !isDemoUser(u) {
		http.Error(w, "unknown demo user", http.StatusBadRequest)
		return
	}
	if a.signIn(w, r, u) {
		http.Redirect(w, r, "/connections", http.StatusSeeOther)
	}
}

// logout handles POST /logout (form field csrf, or the X-CSRF-Token
// header): it revokes the session, closes its WebSockets with 4011,
// clears the cookie and goes to /login. A wrong or missing CSRF token is
// refused with 403 and the session stays. Without a live session there
// is nothing to revoke: it clears the cookie. GET /logout is not a route
// (405), so a link or an image on another page cannot sign anyone out.
func (a *Arcade) logout(w http.ResponseWriter, r *http.Request) {
	if ss, ok := a.signOutRequest(w, r); ok {
		if err := a.sessions.revoke(ss.token); err != nil {
			a.log.Warn("sign-out failed: the session stays", zap.String("user", ss.user), zap.Error(err))
			http.Error(w, "sign-out failed; try again", http.StatusServiceUnavailable)
			return
		}
		a.endSession(ss, "signed out")
		a.log.Info("sign-out", zap.String("user", ss.user))
	} else if ss != nil {
		return
	}
	http.SetCookie(w, a.clearCookie(r))
	http.Redirect(w, r, "/login", http.StatusSeeOther)
}

// logoutEverywhere handles POST /logout/everywhere, with the CSRF token
// as for /logout: it revokes every session of the user, in every browser,
// and closes all their WebSockets with 4011 (engine.DisconnectUser), then
// clears the cookie and goes to /login.
func (a *Arcade) logoutEverywhere(w http.ResponseWriter, r *http.Request) {
	if ss, ok := a.signOutRequest(w, r); ok {
		n, err := a.sessions.revokeUser(ss.user)
		if err != nil {
			a.log.Warn("sign-out everywhere failed: sessions may stay", zap.String("user", ss.user), zap.Int("sessions", n), zap.Error(err))
			http.Error(w, "sign-out everywhere failed; try again", http.StatusServiceUnavailable)
			return
		}
		ws := a.eng.DisconnectUser(ss.user, engine.CloseSignedOut, "signed out everywhere")
		a.log.Info("sign-out everywhere", zap.String("user", ss.user), zap.Int("sessions", n), zap.Int("websockets", ws))
	} else if ss != nil {
		return
	}
	http.SetCookie(w, a.clearCookie(r))
	http.Redirect(w, r, "/login", http.StatusSeeOther)
}

// signOutRequest checks a sign-out request: ok with the live session when
// its CSRF token is right; the session and !ok, after answering 403, when
// it is wrong or missing; nil and !ok when there is no live session.
func (a *Arcade) signOutRequest(w http.ResponseWriter, r *http.Request) (*session, bool) {
	ss, err := a.sessionOf(r)
	if err != nil {
		return nil, false
	}
	r.Body = http.MaxBytesReader(w, r.Body, 1<<10)
	got := r.Header.Get(csrfHeader)
	if got == "" {
		got = r.PostFormValue(csrfField)
	}
	if !ss.validCSRF(got) {
		http.Error(w, "sign-out refused: missing or wrong CSRF token", http.StatusForbidden)
		return ss, false
	}
	return ss, true
}

// userOrEmpty returns the demo user with this id, or the zero user.
func userOrEmpty(id string) user {
	u, _ := lookupUser(id)
	return u
}

// localPath reports whether next is a path on this site to redirect to: it
// starts with one slash and names no other host, once a browser has read
// it (browsers drop tabs and newlines from URLs and take a backslash for a
// slash, so "/\t/evil.example" would lead off the site).
func localPath(next string) bool {
	if strings.ContainsFunc(next, func(r rune) bool { return r < 0x20 || r == 0x7f || r == '\\' }) {
		return false
	}
	u, err := url.Parse(next)
	return err == nil && u.Scheme == "" && u.Host == "" && strings.HasPrefix(next, "/") && !strings.HasPrefix(next, "//")
}
