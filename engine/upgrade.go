package engine

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/parlorhq/parlor/codec"
	"go.uber.org/zap"
)

// ServeHTTP upgrades a request to a parlor.v1 session. Everything that can
// refuse a connection is checked before the upgrade, so the client gets a
// real HTTP status:
//
//	503 the engine is shutting down
//	426 not a WebSocket upgrade request
//	400 the parlor.v1 subprotocol was not offered
//	403 the Origin is not allowed, or Authenticate returned ErrForbidden
//	401 Authenticate failed or returned no user
//	429 the user already has Config.MaxConnsPerUser connections, and
//	    Config.ConnLimitPolicy is ConnLimitRefuse or none of them is open
//	    yet (all are upgrades in progress)
//	500 Config.Credential panicked
//
// Under the default ConnLimitEvictIdle, a user at the limit gets the new
// connection, and at its connect frame either its resume takes over the
// user's old connection (4009) or the user's most idle one is closed
// with 4010 (CloseEvicted); a connection that never sends its connect
// frame evicts nobody. While one such connection waits for its connect
// frame, another one past the limit evicts at once.
func (e *Engine) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if e.shutting.Load() {
		e.refuse(w, "server shutting down", http.StatusServiceUnavailable)
		return
	}
	if !isUpgrade(r) {
		w.Header().Set("Upgrade", "websocket")
		e.refuse(w, "websocket upgrade required", http.StatusUpgradeRequired)
		return
	}
	if !offersSubprotocol(r) {
		e.refuse(w, "subprotocol "+Subprotocol+" required", http.StatusBadRequest)
		return
	}
	if !e.originAllowed(r) {
		e.log.Info("origin refused", zap.String("origin", r.Header.Get("Origin")), zap.String("remote", r.RemoteAddr))
		e.refuse(w, "origin not allowed", http.StatusForbidden)
		return
	}
	user, err := e.cfg.Authenticate(r)
	if err != nil || user == "" || len(user) > codec.MaxIDLen {
		e.log.Debug("authentication refused", zap.String("remote", r.RemoteAddr), zap.Error(err))
		if errors.Is(err, ErrForbidden) {
			e.refuse(w, "forbidden", http.StatusForbidden)
			return
		}
		e.refuse(w, "unauthorized", http.StatusUnauthorized)
		return
	}
	ok, victim, ticket := e.acquireConn(user)
	if !ok {
		e.refuse(w, "too many connections", http.StatusTooManyRequests)
		return
	}
	if victim != nil {
		victim.evict()
	}
	cred, ok := e.credential(r)
	if !ok {
		e.releaseUpgrade(user, ticket)
		e.refuse(w, "internal server error", http.StatusInternalServerError)
		return
	}
	conn, err := e.upgrader.Upgrade(w, r)
	if err != nil {
		e.releaseUpgrade(user, ticket)
		e.log.Debug("upgrade failed", zap.Error(err))
		if e.obs != nil {
			e.obs.UpgradeRefused(http.StatusBadRequest) // gws answered 400
		}
		return
	}
	// Registering holds upgrading for reading, so that Shutdown, which
	// takes it once shutting is set, sees every session registered before
	// and adds to its wait group only what it waits for: an upgrade that
	// finishes after that closes its connection here and starts nothing.
	e.upgrading.RLock()
	defer e.upgrading.RUnlock()
	if e.shutting.Load() {
		e.releaseUpgrade(user, ticket)
		_ = conn.WriteClose(CloseGoingAway, []byte("server shutting down"))
		_ = conn.NetConn().Close()
		return
	}
	s := newSession(e, conn, user, cred)
	conn.Session().Store(sessionKey, s)
	order, cut := e.registerConn(s, ticket)
	e.sessions.update(s.id, func(m map[string]*session) { m[s.id] = s })
	if e.obs != nil {
		e.obs.Connected()
	}
	// The read loop is started bare, without a wrapping closure: its
	// stack then stays at the runtime's 2 KiB starting size while the
	// connection idles, where one more frame below gws's read call chain
	// grew it to 4 KiB, for good. OnClose, the loop's last call, marks it
	// done (socket.go).
	e.wg.Add(1)
	go conn.ReadLoop()
	// A disconnect of this user (DisconnectUser, DisconnectCredential)
	// issued while the upgrade was in progress applies to it too.
	if cut {
		s.abort(order.code, order.reason)
	}
}

// credential applies Config.Credential, if set. ok is false when it
// panicked: the panic is logged, and the caller refuses the upgrade.
func (e *Engine) credential(r *http.Request) (cred string, ok bool) {
	if e.cfg.Credential == nil {
		return "", true
	}
	defer func() {
		if v := recover(); v != nil {
			e.log.Error("panic in Config.Credential", zap.String("panic", fmt.Sprint(v)), zap.Stack("stack"))
			ok = false
		}
	}()
	return e.cfg.Credential(r), true
}

// refuse answers an upgrade request with status, and tells the Observer.
func (e *Engine) refuse(w http.ResponseWriter, msg string, status int) {
	if e.obs != nil {
		e.obs.UpgradeRefused(status)
	}
	http.Error(w, msg, status)
}

func isUpgrade(r *http.Request) bool {
	return r.Method == http.MethodGet &&
		strings.EqualFold(r.Header.Get("Upgrade"), "websocket") &&
		headerHasToken(r.Header.Values("Connection"), "upgrade")
}

func offersSubprotocol(r *http.Request) bool {
	return headerHasToken(r.Header.Values("Sec-WebSocket-Protocol"), Subprotocol)
}

// headerHasToken reports whether a comma-separated header lists token.
func headerHasToken(values []string, token string) bool {
	for _, v := range values {
		for _, t := range strings.Split(v, ",") {
			if strings.EqualFold(strings.TrimSpace(t), token) {
				return true
			}
		}
	}
	return false
}

// originAllowed applies Config.CheckOrigin, or the default: no Origin
// header, the request's own host, or an exact entry of AllowedOrigins.
func (e *Engine) originAllowed(r *http.Request) bool {
	if e.cfg.CheckOrigin != nil {
		return e.cfg.CheckOrigin(r)
	}
	origin := r.Header.Get("Origin")
	if origin == "" {
		return true
	}
	for _, o := range e.cfg.AllowedOrigins {
		if strings.EqualFold(o, origin) {
			return true
		}
	}
	u, err := url.Parse(origin)
	if err != nil || u.Host == "" {
		return false
	}
	return strings.EqualFold(u.Host, r.Host)
}
