package main

import (
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"time"

	"github.com/parlorhq/parlor/engine"
	"go.uber.org/zap"
)

// ---- Demo sign-in ----
//
// DEMO ONLY: the sign-in has NO PASSWORD. Anyone may sign in as any
// well-formed name, so run the example on 127.0.0.1. It is here so the
// example runs on its own; a real application keeps its own
// authentication and tells Parlor who the user is through
// engine.Config.Authenticate, as authenticate does below.
//
// What is worth copying is the session handling (docs/demo-auth.md):
// random server-side session tokens with an expiry (sessions.go), held by
// browsers in an HttpOnly cookie and by other clients as a bearer token;
// sign-out by POST with a CSRF token, which revokes the session; and
// Secure cookies over TLS.

const (
	// cookieName is the app's session cookie.
	cookieName = "hostserver_session"
	// csrfField is the form field, and csrfHeader the header, that carry a
	// session's CSRF token.
	csrfField  = "csrf"
	csrfHeader = "X-CSRF-Token"
)

// userNameRE is what the demo sign-in accepts as a user name.
var userNameRE = regexp.MustCompile(`^[a-zA-Z0-9_-]{1,32}$`)

var (
	// errNoSession: the request carries no session token.
	errNoSession = errors.New("hostserver: no session")
	// errBadToken: the token names no live session (unknown, expired or
	// signed out), or the Authorization header is not a bearer token.
	errBadToken = errors.New("hostserver: invalid session token")
)

// credentials returns the live session of a request: from an
// "Authorization: Bearer TOKEN" header if there is one (bearer is then
// true), else from the session cookie.
func (a *app) credentials(r *http.Request) (ss *session, bearer bool, err error) {
	if h := r.Header.Get("Authorization"); h != "" {
		scheme, token, ok := strings.Cut(h, " ")
		if !ok || !strings.EqualFold(scheme, "Bearer") {
			return nil, true, errBadToken
		}
		ss, ok := a.sessions.lookup(strings.TrimSpace(token))
		if !ok {
			return nil, true, errBadToken
		}
		return ss, true, nil
	}
	c, err := r.Cookie(cookieName)
	if err != nil || c.Value == "" {
		return nil, false, errNoSession
	}
	ss, ok := a.sessions.lookup(c.Value)
	if !ok {
		return nil, false, errBadToken
	}
	return ss, false, nil
}

// authenticate is the engine's Config.Authenticate: the user of the
// bearer token or of the session cookie. Any error makes the engine
// answer 401 before upgrading.
func (a *app) authenticate(r *http.Request) (string, error) {
	ss, _, err := a.credentials(r)
	if err != nil {
		return "", err
	}
	return ss.user, nil
}

// credential is the engine's Config.Credential: the id of the session
// (cookie or bearer token) that opened the WebSocket, so that revoking it
// closes its WebSockets (endSession).
func (a *app) credential(r *http.Request) string {
	if ss, _, err := a.credentials(r); err == nil {
		return ss.id
	}
	return ""
}

// endSession closes the live WebSockets of a session that was just
// revoked, with 4011 (engine.CloseSignedOut), after which clients do not
// reconnect. The engine authenticates a WebSocket once, at its upgrade,
// so revoking a session alone would leave its open WebSockets running.
func (a *app) endSession(ss *session, reason string) {
	n := a.eng.DisconnectCredential(ss.user, ss.id, engine.CloseSignedOut, reason)
	a.log.Info("session ended", zap.String("user", ss.user), zap.String("reason", reason), zap.Int("websockets", n))
}

// secure reports whether the request came over TLS: to this server, or to
// a proxy in front of it that said so in X-Forwarded-Proto. The header is
// believed only with appConfig.TrustProxy, since any client can send it.
func (a *app) secure(r *http.Request) bool {
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
func (a *app) sessionCookie(r *http.Request, ss *session) *http.Cookie {
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
func (a *app) clearCookie(r *http.Request) *http.Cookie {
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

// sameOrigin reports whether a request comes from the app's own pages:
// browsers send Origin on POST, and a request without one is not from a
// cross-site page. It guards sign-in, where there is no session yet, and
// so no CSRF token, to check.
func sameOrigin(r *http.Request) bool {
	o := r.Header.Get("Origin")
	if o == "" {
		return true
	}
	u, err := url.Parse(o)
	return err == nil && u.Host == r.Host
}

// newSession checks a sign-in request (same origin, form field user) and
// starts a session. On failure it has answered the request.
func (a *app) newSession(w http.ResponseWriter, r *http.Request) (*session, bool) {
	if !sameOrigin(r) {
		http.Error(w, "cross-origin sign-in refused", http.StatusForbidden)
		return nil, false
	}
	r.Body = http.MaxBytesReader(w, r.Body, 1<<10)
	user := r.PostFormValue("user")
	if !userNameRE.MatchString(user) {
		http.Error(w, "user must be 1 to 32 characters of a-z, A-Z, 0-9, _ and -", http.StatusBadRequest)
		return nil, false
	}
	ss, dropped, err := a.sessions.create(user)
	if err != nil {
		a.log.Warn("sign-in refused", zap.String("user", user), zap.Error(err))
		http.Error(w, "too many sessions; try again later", http.StatusServiceUnavailable)
		return nil, false
	}
	for _, old := range dropped {
		a.endSession(old, "signed out by a newer sign-in")
	}
	a.log.Info("demo sign-in", zap.String("user", user))
	return ss, true
}

// login handles POST /login (form fields user, and next: a local path to
// go to, default /): it starts a session, sets its cookie and redirects.
// A session the browser already had is revoked: the new one replaces it.
func (a *app) login(w http.ResponseWriter, r *http.Request) {
	old, bearer, oldErr := a.credentials(r)
	ss, ok := a.newSession(w, r)
	if !ok {
		return
	}
	if oldErr == nil && !bearer {
		a.sessions.revoke(old.token)
		a.endSession(old, "replaced by a new sign-in")
	}
	http.SetCookie(w, a.sessionCookie(r, ss))
	next := r.PostFormValue("next")
	if !strings.HasPrefix(next, "/") || strings.HasPrefix(next, "//") || strings.HasPrefix(next, "/\\") {
		next = "/"
	}
	http.Redirect(w, r, next, http.StatusSeeOther)
}

// tokenResponse is the body of POST /api/tokens.
type tokenResponse struct {
	User string `json:"user"`
	// Token is the session token. Send it as "Authorization: Bearer
	// TOKEN"; POST /logout with it revokes it.
	Token   string    `json:"token"`
	Expires time.Time `json:"expires"`
}

// issueToken handles POST /api/tokens (form field user), the sign-in of
// clients that are not browsers: it starts a session and returns its
// token as JSON, and sets no cookie.
func (a *app) issueToken(w http.ResponseWriter, r *http.Request) {
	ss, ok := a.newSession(w, r)
	if !ok {
		return
	}
	writeJSON(w, http.StatusOK, tokenResponse{User: ss.user, Token: ss.token, Expires: ss.expires.UTC()})
}

// logout handles POST /logout and revokes the session, closing its
// WebSockets with 4011. With a bearer
// token, the token itself is the proof: it answers 204. With the cookie,
// the request must carry the session's CSRF token (form field csrf, or
// the X-CSRF-Token header), else it is refused with 403 and the session
// stays; then it clears the cookie and goes home. Without a live session
// there is nothing to revoke. GET /logout is not a route (405), so a link
// or an image on another page cannot sign anyone out.
func (a *app) logout(w http.ResponseWriter, r *http.Request) {
	ss, bearer, err := a.credentials(r)
	if bearer {
		if err != nil {
			writeJSONError(w, http.StatusUnauthorized, "unauthorized", "invalid token")
			return
		}
		a.sessions.revoke(ss.token)
		a.endSession(ss, "signed out")
		w.WriteHeader(http.StatusNoContent)
		return
	}
	if err == nil {
		r.Body = http.MaxBytesReader(w, r.Body, 1<<10)
		got := r.Header.Get(csrfHeader)
		if got == "" {
			got = r.PostFormValue(csrfField)
		}
		if !ss.validCSRF(got) {
			http.Error(w, "sign-out refused: missing or wrong CSRF token", http.StatusForbidden)
			return
		}
		a.sessions.revoke(ss.token)
		a.endSession(ss, "signed out")
		a.log.Info("sign-out", zap.String("user", ss.user))
	}
	http.SetCookie(w, a.clearCookie(r))
	http.Redirect(w, r, "/", http.StatusSeeOther)
}

// meResponse is the body of GET /api/me.
type meResponse struct {
	User string `json:"user"`
}

// me handles GET /api/me: the signed-in user, or 401.
func (a *app) me(w http.ResponseWriter, r *http.Request) {
	ss, _, err := a.credentials(r)
	if err != nil {
		writeJSONError(w, http.StatusUnauthorized, "unauthorized", "sign in first")
		return
	}
	writeJSON(w, http.StatusOK, meResponse{User: ss.user})
}

// writeJSON writes v as JSON with status.
func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// writeJSONError writes {"error": {"code", "message"}} with status.
func writeJSONError(w http.ResponseWriter, status int, code, msg string) {
	writeJSON(w, status, map[string]any{"error": map[string]string{"code": code, "message": msg}})
}
