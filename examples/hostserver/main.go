// Command hostserver is an existing net/http application that embeds Parlor.
//
// The app has its own routes (a home page, a health check, a login and a
// logout) and mounts the Parlor engine at /ws beside them. The engine gets
// its users from the app's session cookie through engine.Config.Authenticate,
// so no user id ever comes from a WebSocket message. Non-browser clients,
// such as the Go client in package client, send the same signed token in an
// "Authorization: Bearer" header instead of the cookie.
//
// The login here is for the demo only: it trusts any well-formed user name
// and signs it. A real application plugs its own authentication (its session
// store, OAuth, JWTs, ...) into engine.Config.Authenticate.
//
// Run it with:
//
//	go run ./examples/hostserver [-addr 127.0.0.1:8081] [-secret-file FILE] [-dev]
package main

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"github.com/parlorhq/parlor/internal/accesslog"
	"go.uber.org/zap/zapcore"
	"html/template"
	"net"
	"net/http"
	"os"
	"os/signal"
	"regexp"
	"strings"
	"syscall"
	"time"

	"github.com/parlorhq/parlor/engine"
	"github.com/parlorhq/parlor/internal/echo"
	"go.uber.org/zap"
)

const (
	// cookieName is the app's session cookie.
	cookieName = "hostserver_session"
	// minSecretLen is the shortest server key accepted from -secret-file.
	minSecretLen = 32
	// shutdownTimeout bounds the graceful shutdown after SIGINT or SIGTERM.
	shutdownTimeout = 10 * time.Second
)

// userNameRE is what the demo login accepts as a user name.
var userNameRE = regexp.MustCompile(`^[a-zA-Z0-9_-]{1,32}$`)

func main() {
	addr := flag.String("addr", "127.0.0.1:8081", "address to listen on")
	secretFile := flag.String("secret-file", "", "file holding the server key (at least 32 bytes); default: a random key per run")
	dev := flag.Bool("dev", false, "human-readable development logging instead of JSON")
	flag.Parse()

	log, err := newLogger(*dev)
	if err != nil {
		fmt.Fprintln(os.Stderr, "hostserver:", err)
		os.Exit(1)
	}
	defer func() { _ = log.Sync() }()

	if err := run(*addr, *secretFile, log); err != nil {
		log.Error("hostserver failed", zap.Error(err))
		_ = log.Sync()
		os.Exit(1)
	}
}

// run loads the key, builds the app, and serves on addr until SIGINT or
// SIGTERM.
func run(addr, secretFile string, log *zap.Logger) error {
	secret, err := loadSecret(secretFile)
	if err != nil {
		return err
	}
	if secretFile == "" {
		log.Warn("no -secret-file: using a random server key, so logins and room ids do not survive a restart")
	}
	handler, eng, err := newApp(appConfig{Secret: secret, Logger: log})
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		_ = eng.Shutdown(context.Background())
		return err
	}
	log.Info("listening", zap.String("url", "http://"+ln.Addr().String()+"/"))

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	return serve(ctx, ln, handler, eng, log)
}

// newLogger returns a production (JSON) or development (console) logger.
func newLogger(dev bool) (*zap.Logger, error) {
	if dev {
		return zap.NewDevelopment()
	}
	return zap.NewProduction()
}

// loadSecret reads the server key from path, or makes a random one when
// path is empty. Surrounding whitespace in the file is ignored, so
// `openssl rand -hex 32 > secret` makes a good key file.
func loadSecret(path string) ([]byte, error) {
	if path == "" {
		key := make([]byte, 32)
		if _, err := rand.Read(key); err != nil {
			return nil, fmt.Errorf("generate server key: %w", err)
		}
		return key, nil
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read secret file: %w", err)
	}
	b = bytes.TrimSpace(b)
	if len(b) < minSecretLen {
		return nil, fmt.Errorf("secret file %s: want at least %d bytes, have %d", path, minSecretLen, len(b))
	}
	return b, nil
}

// appConfig configures newApp.
type appConfig struct {
	// Secret is the server key. The session-token key and the engine's
	// room-id key are both derived from it. Required.
	Secret []byte
	// Logger receives the app's and the engine's logs. Default: none.
	Logger *zap.Logger
	// Engine holds engine settings to pass through, such as timeouts in
	// tests. newApp sets its Authenticate, Secret and Logger.
	Engine engine.Config
}

// app is the host application: its routes and its demo session tokens.
type app struct {
	log        *zap.Logger
	sessionKey []byte
}

// newApp builds the host application with Parlor mounted at /ws, and
// returns its handler and the engine so the caller can shut it down.
func newApp(cfg appConfig) (http.Handler, *engine.Engine, error) {
	if len(cfg.Secret) == 0 {
		return nil, nil, errors.New("hostserver: appConfig.Secret is required")
	}
	log := cfg.Logger
	if log == nil {
		log = zap.NewNop()
	}
	a := &app{
		log:        log,
		sessionKey: deriveKey(cfg.Secret, "hostserver session token v1"),
	}

	ecfg := cfg.Engine
	// This is the whole integration with the app's auth: the engine asks
	// the app who is behind the upgrade request, before upgrading.
	ecfg.Authenticate = a.authenticate
	ecfg.Secret = deriveKey(cfg.Secret, "parlor room ids v1")
	ecfg.Logger = log.Named("parlor")
	eng, err := engine.New(ecfg)
	if err != nil {
		return nil, nil, err
	}
	if err := eng.Register(echo.Module{}); err != nil {
		_ = eng.Shutdown(context.Background())
		return nil, nil, err
	}

	mux := http.NewServeMux()
	// The app's own routes.
	mux.HandleFunc("GET /{$}", a.home)
	mux.HandleFunc("GET /healthz", healthz)
	mux.HandleFunc("GET /login", a.login)
	mux.HandleFunc("GET /logout", a.logout)
	// Parlor, beside them. The engine answers non-upgrade requests itself
	// (426), and refuses bad origins (403) and failed auth (401) before
	// upgrading.
	mux.Handle("/ws", eng)
	// The browser SDK, served from the engine, and a page that uses it.
	mux.Handle("GET /parlor.js", engine.SDKHandler())
	mux.HandleFunc("GET /sdk-demo", a.sdkDemo)

	return accesslog.Wrap(log, zapcore.InfoLevel, mux), eng, nil
}

// deriveKey derives a purpose-specific key from the server key, so the
// token key and the room-id key are never the same bytes.
func deriveKey(secret []byte, purpose string) []byte {
	mac := hmac.New(sha256.New, secret)
	mac.Write([]byte(purpose))
	return mac.Sum(nil)
}

// newServer returns the app's http.Server.
func newServer(h http.Handler, log *zap.Logger) *http.Server {
	return &http.Server{
		Handler: h,
		// ReadHeaderTimeout stops clients that open connections and never
		// finish their request headers.
		ReadHeaderTimeout: 5 * time.Second,
		// ReadTimeout and WriteTimeout are deliberately not set. net/http
		// clears a connection's deadlines when a handler hijacks it, so
		// on /ws they would only bound the upgrade request and never the
		// WebSocket. The engine bounds the WebSocket itself: heartbeats
		// with read deadlines (Config.HeartbeatInterval/Timeout) and a
		// deadline on every write (Config.WriteTimeout). This app's own
		// routes read no request bodies, so ReadHeaderTimeout is enough.
		//
		// IdleTimeout closes keep-alive HTTP connections between requests;
		// it does not apply to hijacked WebSocket connections.
		IdleTimeout: 60 * time.Second,
		ErrorLog:    zap.NewStdLog(log.Named("http")),
	}
}

// serve serves h on ln until ctx ends, then shuts down gracefully: first
// the engine, which refuses new upgrades with 503, tells every room
// goodbye and closes every WebSocket with 1001 (going away); then the
// http.Server, which stops listening and waits for in-flight requests.
// http.Server.Shutdown does not track hijacked connections, which is why
// the engine needs its own Shutdown.
func serve(ctx context.Context, ln net.Listener, h http.Handler, eng *engine.Engine, log *zap.Logger) error {
	srv := newServer(h, log)
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()

	var serveErr error
	select {
	case serveErr = <-errc:
		log.Error("server stopped", zap.Error(serveErr))
	case <-ctx.Done():
		log.Info("shutting down")
	}

	sctx, cancel := context.WithTimeout(context.Background(), shutdownTimeout)
	defer cancel()
	engErr := eng.Shutdown(sctx)
	if engErr != nil {
		engErr = fmt.Errorf("engine shutdown: %w", engErr)
	}
	srvErr := srv.Shutdown(sctx)
	if srvErr != nil {
		srvErr = fmt.Errorf("http shutdown: %w", srvErr)
	}
	if serveErr == nil {
		if err := <-errc; !errors.Is(err, http.ErrServerClosed) {
			serveErr = err
		}
	}
	err := errors.Join(serveErr, engErr, srvErr)
	if err == nil {
		log.Info("stopped")
	}
	return err
}

// ---- Demo authentication ----
//
// DEMO ONLY. A session token is "NAME.SIG" where SIG is
// base64url(HMAC-SHA256(key, NAME)). Anyone may log in as any well-formed
// name, tokens never expire and cannot be revoked, and /login is a GET
// that any page can trigger (login CSRF). A real application keeps its own
// login, sessions and authorization, and only tells Parlor who the user is
// through engine.Config.Authenticate.

// errNoSession: the request carries no session token.
var errNoSession = errors.New("hostserver: no session")

// errBadToken: the session token is malformed or its signature is wrong.
var errBadToken = errors.New("hostserver: invalid session token")

// sign returns the session token for user.
func (a *app) sign(user string) string {
	return user + "." + base64.RawURLEncoding.EncodeToString(a.mac(user))
}

func (a *app) mac(user string) []byte {
	m := hmac.New(sha256.New, a.sessionKey)
	m.Write([]byte(user))
	return m.Sum(nil)
}

// verify returns the user of a valid token.
func (a *app) verify(token string) (string, error) {
	user, sig, ok := strings.Cut(token, ".")
	if !ok || !userNameRE.MatchString(user) {
		return "", errBadToken
	}
	got, err := base64.RawURLEncoding.DecodeString(sig)
	if err != nil {
		return "", errBadToken
	}
	// hmac.Equal compares in constant time.
	if !hmac.Equal(got, a.mac(user)) {
		return "", errBadToken
	}
	return user, nil
}

// authenticate is the engine's Config.Authenticate: the user comes from an
// "Authorization: Bearer TOKEN" header if there is one, else from the
// session cookie. Any error makes the engine answer 401 before upgrading.
func (a *app) authenticate(r *http.Request) (string, error) {
	if h := r.Header.Get("Authorization"); h != "" {
		scheme, token, ok := strings.Cut(h, " ")
		if !ok || !strings.EqualFold(scheme, "Bearer") {
			return "", errBadToken
		}
		return a.verify(strings.TrimSpace(token))
	}
	return a.sessionUser(r)
}

// sessionUser returns the user of the request's session cookie.
func (a *app) sessionUser(r *http.Request) (string, error) {
	c, err := r.Cookie(cookieName)
	if err != nil {
		return "", errNoSession
	}
	return a.verify(c.Value)
}

// loginResponse is the body of a successful /login.
type loginResponse struct {
	User string `json:"user"`
	// Token is the signed session token, also set as the cookie. Send it
	// as "Authorization: Bearer TOKEN" from non-browser clients.
	Token string `json:"token"`
}

// login handles GET /login?user=NAME: it sets the session cookie and
// returns the token as JSON.
func (a *app) login(w http.ResponseWriter, r *http.Request) {
	user := r.URL.Query().Get("user")
	if !userNameRE.MatchString(user) {
		http.Error(w, "user must be 1 to 32 characters of a-z, A-Z, 0-9, _ and -", http.StatusBadRequest)
		return
	}
	token := a.sign(user)
	http.SetCookie(w, &http.Cookie{
		Name:     cookieName,
		Value:    token,
		Path:     "/",
		HttpOnly: true,
		Secure:   r.TLS != nil,
		SameSite: http.SameSiteLaxMode,
	})
	a.log.Info("demo login", zap.String("user", user))
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(loginResponse{User: user, Token: token})
}

// logout handles GET /logout: it clears the session cookie and goes home.
func (a *app) logout(w http.ResponseWriter, r *http.Request) {
	http.SetCookie(w, &http.Cookie{
		Name:     cookieName,
		Value:    "",
		Path:     "/",
		MaxAge:   -1,
		HttpOnly: true,
		Secure:   r.TLS != nil,
		SameSite: http.SameSiteLaxMode,
	})
	http.Redirect(w, r, "/", http.StatusSeeOther)
}

// ---- The app's other routes ----

func healthz(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	_, _ = w.Write([]byte("ok"))
}

var homeTmpl = template.Must(template.New("home").Parse(`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Parlor host server example</title>
<style>
body { font-family: system-ui, sans-serif; max-width: 44rem; margin: 2rem auto; padding: 0 1rem; line-height: 1.5; }
code, pre { background: #f3f3f3; padding: .1rem .3rem; }
pre { padding: .6rem; overflow-x: auto; }
.warn { border-left: 4px solid #c80; padding: .2rem .8rem; background: #fff8e6; }
</style>
</head>
<body>
<h1>Parlor host server example</h1>
<p>This is an ordinary Go <code>net/http</code> application with its own routes.
It embeds Parlor, a real-time room engine, as an <code>http.Handler</code> mounted at
<code>/ws</code>, beside those routes. The engine asks the app who the user is before it
upgrades a connection, so the WebSocket carries the app's login.</p>

<p class="warn"><strong>Demo login only.</strong> <code>/login</code> trusts any name and signs it
with a server key. It is here so the example runs on its own. A real application keeps its
own authentication and plugs it into Parlor through <code>engine.Config.Authenticate</code>.</p>

{{if .User}}<p>You are logged in as <strong>{{.User}}</strong>. <a href="/logout">Log out</a></p>
{{else}}<p>You are not logged in. Try <a href="/login?user=alice">/login?user=alice</a>
or <a href="/login?user=bob">/login?user=bob</a>.</p>
{{end}}
<h2>Routes</h2>
<ul>
<li><a href="/healthz"><code>/healthz</code></a>: the app's health check.</li>
<li><a href="/login?user=alice"><code>/login?user=NAME</code></a>: demo login (1 to 32 characters of
<code>a-z A-Z 0-9 _ -</code>). Sets an HttpOnly session cookie and returns
<code>{"user": ..., "token": ...}</code>.</li>
<li><a href="/logout"><code>/logout</code></a>: clears the cookie.</li>
<li><a href="/sdk-demo"><code>/sdk-demo</code></a>: a page that talks to the <code>echo</code> module
with the browser SDK, <code>/parlor.js</code>.</li>
<li><code>/ws</code>: Parlor (WebSocket, subprotocol <code>parlor.v1</code>). It answers
401 without a valid session and 403 to a foreign Origin. The <code>echo</code> module is
registered: join <code>{"name": "lobby"}</code> and send <code>say {"text": ...}</code>.</li>
</ul>

<h2>From a Go program</h2>
<p>Browsers send the cookie. Other clients mint a token with <code>/login</code> and send it as a bearer token:</p>
<pre>token=$(curl -s 'http://{{.Host}}/login?user=alice' | jq -r .token)</pre>
<pre>c, err := client.Dial(ctx, "ws://{{.Host}}/ws", client.Options{
	Header: http.Header{"Authorization": {"Bearer " + token}},
})
joined, err := c.Join(ctx, "echo", map[string]string{"name": "lobby"})
_, err = c.Send(ctx, joined.Room, "say", map[string]string{"text": "hello"})
ev := &lt;-c.Events() // "said" {from: "alice", text: "hello"}</pre>
</body>
</html>
`))

// home renders the app's home page.
func (a *app) home(w http.ResponseWriter, r *http.Request) {
	user, _ := a.sessionUser(r)
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	err := homeTmpl.Execute(w, struct{ User, Host string }{User: user, Host: r.Host})
	if err != nil {
		a.log.Warn("render home", zap.Error(err))
	}
}

// ---- The browser SDK demo ----

// sdkDemoPage uses the browser SDK from /parlor.js: it connects to /ws with
// the session cookie, joins echo {name: "lobby"}, shows "said" events and
// says what the form says.
const sdkDemoPage = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Parlor SDK demo</title>
<style>
body { font-family: system-ui, sans-serif; max-width: 44rem; margin: 2rem auto; padding: 0 1rem; line-height: 1.5; }
#log { list-style: none; padding: .5rem; border: 1px solid #ddd; border-radius: 6px; min-height: 8rem; }
#error { color: #a00; }
form { display: flex; gap: .5rem; }
input { flex: 1; padding: .4rem; }
</style>
</head>
<body>
<h1>Parlor SDK demo</h1>
<p>This page imports the browser SDK from <code>/parlor.js</code>, connects to <code>/ws</code> with
the session cookie, and joins the <code>echo</code> room <code>lobby</code>. Open it in two
browsers, logged in as two users. State: <strong id="state">connecting</strong>.</p>
<form id="login"><input id="user" placeholder="user name, e.g. alice" aria-label="User name"><button>Log in</button></form>
<ul id="log"></ul>
<form id="say"><input id="text" placeholder="Say something" aria-label="Text" autocomplete="off"><button>Say</button></form>
<p id="error" role="alert"></p>
<script type="module">
import { connect } from "/parlor.js";

const $ = (id) => document.getElementById(id);
const line = (text) => $("log").append(Object.assign(document.createElement("li"), { textContent: text }));
const fail = (err) => { $("error").textContent = (err.code || "error") + ": " + (err.message || err); };

$("login").addEventListener("submit", async (e) => {
  e.preventDefault();
  const r = await fetch("/login?user=" + encodeURIComponent($("user").value));
  if (r.ok) location.reload(); else fail({ code: "login", message: await r.text() });
});

const client = connect("/ws", { reconnect: { maxAttempts: 3 } });
client.on("state", (s) => { $("state").textContent = s; });
client.on("open", ({ user }) => { $("login").hidden = true; line("connected as " + user); });
client.on("closed", () => { $("login").hidden = false; });
window.addEventListener("pagehide", () => client.close());

let room = null;
client.join("echo", { name: "lobby" }).then((r) => {
  room = r;
  line("in the lobby: " + (r.snapshot.members || []).join(", "));
  r.on("said", (m) => line(m.from + ": " + m.text));
}).catch(fail);

$("say").addEventListener("submit", (e) => {
  e.preventDefault();
  const text = $("text").value.trim();
  if (!room || !text) return;
  $("text").value = "";
  room.send("say", { text }).catch(fail);
});
</script>
</body>
</html>
`

// sdkDemo handles GET /sdk-demo.
func (a *app) sdkDemo(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	_, _ = w.Write([]byte(sdkDemoPage))
}
