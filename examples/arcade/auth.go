package main

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"net/http"
	"net/url"
	"strings"

	"go.uber.org/zap"
)

// ---- Demo sign-in ----
//
// DEMO ONLY. The arcade's users are fixed and have no passwords: the
// sign-in page offers one button per user. What is real is how the user
// reaches Parlor: the host signs the user id into an HttpOnly cookie, and
// the engine's Authenticate hook verifies that signature before it
// upgrades a WebSocket. No user id is ever taken from a message.

// cookieName is the arcade's session cookie.
const cookieName = "arcade_session"

var (
	// errNoSession: the request carries no session.
	errNoSession = errors.New("arcade: no session")
	// errBadSession: the session value is malformed, its signature is
	// wrong, or it names no demo user.
	errBadSession = errors.New("arcade: invalid session")
)

// sessionValue returns the signed session value for user: "USER.SIG",
// SIG = base64url(HMAC-SHA256(cookie key, "session:" + USER)).
func (a *Arcade) sessionValue(user string) string {
	return user + "." + base64.RawURLEncoding.EncodeToString(a.sessionMAC(user))
}

func (a *Arcade) sessionMAC(user string) []byte {
	m := hmac.New(sha256.New, a.cookieKey)
	m.Write([]byte("session:" + user))
	return m.Sum(nil)
}

// verifySession returns the demo user of a valid session value.
func (a *Arcade) verifySession(v string) (string, error) {
	user, sig, ok := strings.Cut(v, ".")
	if !ok || !isDemoUser(user) {
		return "", errBadSession
	}
	got, err := base64.RawURLEncoding.DecodeString(sig)
	if err != nil || !hmac.Equal(got, a.sessionMAC(user)) {
		return "", errBadSession
	}
	return user, nil
}

// sessionUser returns the signed-in user of a request, from its cookie.
func (a *Arcade) sessionUser(r *http.Request) (string, error) {
	c, err := r.Cookie(cookieName)
	if err != nil {
		return "", errNoSession
	}
	return a.verifySession(c.Value)
}

// authenticate is the engine's Config.Authenticate: a ?token= query
// parameter holding a session value if there is one (for clients that
// cannot send cookies), else the session cookie. Any error refuses the
// upgrade with 401.
func (a *Arcade) authenticate(r *http.Request) (string, error) {
	if t := r.URL.Query().Get("token"); t != "" {
		return a.verifySession(t)
	}
	return a.sessionUser(r)
}

// sessionCookie returns the session cookie for user.
func (a *Arcade) sessionCookie(r *http.Request, user string) *http.Cookie {
	return &http.Cookie{
		Name:     cookieName,
		Value:    a.sessionValue(user),
		Path:     "/",
		HttpOnly: true,
		Secure:   r.TLS != nil,
		SameSite: http.SameSiteLaxMode,
	}
}

// sameOrigin reports whether a state-changing request comes from the
// arcade's own pages: browsers send Origin on POST and DELETE, and a
// request without one is not from a cross-site page.
func sameOrigin(r *http.Request) bool {
	o := r.Header.Get("Origin")
	if o == "" {
		return true
	}
	u, err := url.Parse(o)
	return err == nil && u.Host == r.Host
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
		if !strings.HasPrefix(next, "/") || strings.HasPrefix(next, "//") || strings.HasPrefix(next, "/\\") {
			next = "/connections"
		}
		http.SetCookie(w, a.sessionCookie(r, as))
		http.Redirect(w, r, next, http.StatusSeeOther)
		return
	}
	me, _ := a.sessionUser(r)
	a.render(w, r, "login", pageData{Title: "Sign in", Me: userOrEmpty(me), Users: demoUsers})
}

// login handles POST /login (form field user): it sets the session cookie
// and redirects to /connections.
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
	http.SetCookie(w, a.sessionCookie(r, u))
	a.log.Info("sign-in", zap.String("user", u))
	http.Redirect(w, r, "/connections", http.StatusSeeOther)
}

// logout handles GET /logout: it clears the cookie and goes to /login.
func (a *Arcade) logout(w http.ResponseWriter, r *http.Request) {
	http.SetCookie(w, &http.Cookie{
		Name:     cookieName,
		Value:    "",
		Path:     "/",
		MaxAge:   -1,
		HttpOnly: true,
		Secure:   r.TLS != nil,
		SameSite: http.SameSiteLaxMode,
	})
	http.Redirect(w, r, "/login", http.StatusSeeOther)
}

// userOrEmpty returns the demo user with this id, or the zero user.
func userOrEmpty(id string) user {
	u, _ := lookupUser(id)
	return u
}
