package main

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/parlorhq/parlor/client"
	"github.com/parlorhq/parlor/codec"
	"github.com/parlorhq/parlor/engine"
	"go.uber.org/goleak"
	"go.uber.org/zap/zaptest"
)

// testSecret is a fixed server key, so tokens are reproducible in tests.
var testSecret = []byte("0123456789abcdef0123456789abcdef")

// host is the app under test, served on loopback.
type host struct {
	t       *testing.T
	app     *app
	srv     *httptest.Server
	eng     *engine.Engine
	clients []*client.Client
}

// startHost builds the app with newApp and serves it with httptest. Call
// stop (deferred after goleak.VerifyNone) to shut everything down.
func startHost(t *testing.T) *host {
	t.Helper()
	return startHostWith(t, appConfig{})
}

// startHostWith is startHost with cfg (its Secret and Logger are set here).
func startHostWith(t *testing.T, cfg appConfig) *host {
	t.Helper()
	cfg.Secret = testSecret
	cfg.Logger = zaptest.NewLogger(t)
	a, err := newApp(cfg)
	if err != nil {
		t.Fatalf("newApp: %v", err)
	}
	srv := httptest.NewUnstartedServer(a.Handler())
	srv.Config.ReadHeaderTimeout = 5 * time.Second
	srv.Start()
	return &host{t: t, app: a, srv: srv, eng: a.eng}
}

// stop closes the clients, shuts the engine down and closes the server.
func (h *host) stop() {
	for _, c := range h.clients {
		_ = c.Close()
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := h.eng.Shutdown(ctx); err != nil {
		h.t.Errorf("engine shutdown: %v", err)
	}
	h.srv.Close()
}

func (h *host) wsURL() string { return "ws" + strings.TrimPrefix(h.srv.URL, "http") + "/ws" }

// do sends a request without following redirects.
func (h *host) do(method, path string, header http.Header, body io.Reader) *http.Response {
	h.t.Helper()
	req, err := http.NewRequest(method, h.srv.URL+path, body)
	if err != nil {
		h.t.Fatal(err)
	}
	for k, v := range header {
		req.Header[k] = v
	}
	c := *h.srv.Client()
	c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	resp, err := c.Do(req)
	if err != nil {
		h.t.Fatalf("%s %s: %v", method, path, err)
	}
	return resp
}

// get performs a GET without following redirects.
func (h *host) get(path string, header http.Header) *http.Response {
	h.t.Helper()
	return h.do(http.MethodGet, path, header, nil)
}

// postForm posts form to path with header, without following redirects.
func (h *host) postForm(path string, header http.Header, form url.Values) *http.Response {
	h.t.Helper()
	hh := header.Clone()
	if hh == nil {
		hh = http.Header{}
	}
	hh.Set("Content-Type", "application/x-www-form-urlencoded")
	return h.do(http.MethodPost, path, hh, strings.NewReader(form.Encode()))
}

func readBody(t *testing.T, resp *http.Response) string {
	t.Helper()
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// login signs user in as a browser does (POST /login) and returns the
// session cookie.
func (h *host) login(user string) *http.Cookie {
	h.t.Helper()
	resp := h.postForm("/login", nil, url.Values{"user": {user}})
	body := readBody(h.t, resp)
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/" {
		h.t.Fatalf("login %q = %d to %q: %s", user, resp.StatusCode, resp.Header.Get("Location"), body)
	}
	for _, c := range resp.Cookies() {
		if c.Name == cookieName {
			return c
		}
	}
	h.t.Fatalf("login %q set no %s cookie", user, cookieName)
	return nil
}

// cookieHeader returns the headers a browser sends with c.
func cookieHeader(c *http.Cookie) http.Header {
	return http.Header{"Cookie": {c.Name + "=" + c.Value}}
}

// csrfOf returns the CSRF token of the session in cookie c.
func (h *host) csrfOf(c *http.Cookie) string {
	h.t.Helper()
	ss, ok := h.app.sessions.lookup(c.Value)
	if !ok {
		h.t.Fatalf("cookie %s names no session", c.Name)
	}
	return ss.csrf
}

// token signs user in as a program does (POST /api/tokens) and returns
// the bearer token.
func (h *host) token(user string) string {
	h.t.Helper()
	resp := h.postForm("/api/tokens", nil, url.Values{"user": {user}})
	body := readBody(h.t, resp)
	if resp.StatusCode != http.StatusOK {
		h.t.Fatalf("token for %q: status %d: %s", user, resp.StatusCode, body)
	}
	if len(resp.Cookies()) != 0 {
		h.t.Errorf("POST /api/tokens set cookies: %v", resp.Header["Set-Cookie"])
	}
	var tr tokenResponse
	if err := json.Unmarshal([]byte(body), &tr); err != nil {
		h.t.Fatalf("token body %q: %v", body, err)
	}
	if tr.User != user || tr.Token == "" {
		h.t.Fatalf("token response %+v", tr)
	}
	return tr.Token
}

// bearer returns the Authorization header for token.
func bearer(token string) http.Header {
	return http.Header{"Authorization": {"Bearer " + token}}
}

// dial connects the Go client with header as credentials.
func (h *host) dial(header http.Header) *client.Client {
	h.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, err := client.Dial(ctx, h.wsURL(), client.Options{Header: header, Client: "hostserver-test"})
	if err != nil {
		h.t.Fatalf("dial: %v", err)
	}
	h.clients = append(h.clients, c)
	return c
}

// upgradeStatus sends a WebSocket upgrade request by hand and returns the
// HTTP status the server answered with.
func (h *host) upgradeStatus(header http.Header) int {
	h.t.Helper()
	up := http.Header{
		"Connection":             {"Upgrade"},
		"Upgrade":                {"websocket"},
		"Sec-Websocket-Version":  {"13"},
		"Sec-Websocket-Key":      {"dGhlIHNhbXBsZSBub25jZQ=="},
		"Sec-Websocket-Protocol": {engine.Subprotocol},
	}
	for k, v := range header {
		up[k] = v
	}
	resp := h.get("/ws", up)
	_ = readBody(h.t, resp)
	return resp.StatusCode
}

// nextEvent waits for the next room event on c.
func nextEvent(t *testing.T, c *client.Client) client.Event {
	t.Helper()
	select {
	case ev, ok := <-c.Events():
		if !ok {
			t.Fatal("events channel closed")
		}
		return ev
	case <-time.After(5 * time.Second):
		t.Fatal("timed out waiting for an event")
	}
	return client.Event{}
}

func TestHostRoutesBesideParlor(t *testing.T) {
	defer goleak.VerifyNone(t)
	h := startHost(t)
	defer h.stop()

	resp := h.get("/healthz", nil)
	if body := readBody(t, resp); resp.StatusCode != http.StatusOK || body != "ok\n" {
		t.Errorf("/healthz = %d %q, want 200 \"ok\"", resp.StatusCode, body)
	}

	resp = h.get("/", nil)
	body := readBody(t, resp)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("/ = %d", resp.StatusCode)
	}
	if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/html") {
		t.Errorf("/ Content-Type = %q, want text/html", ct)
	}
	for _, want := range []string{"/healthz", `action="/login"`, "/logout", "/api/tokens", "/api/me", "/ws", "no password", "127.0.0.1", "engine.Config.Authenticate"} {
		if !strings.Contains(body, want) {
			t.Errorf("/ does not mention %q", want)
		}
	}

	// The home page knows the signed-in user, and its sign-out form
	// carries the session's CSRF token.
	cookie := h.login("carol")
	resp = h.get("/", cookieHeader(cookie))
	body = readBody(t, resp)
	for _, want := range []string{"signed in as <strong>carol</strong>", `<form method="post" action="/logout"`, `name="csrf" value="` + h.csrfOf(cookie) + `"`} {
		if !strings.Contains(body, want) {
			t.Errorf("/ with carol's session lacks %s:\n%s", want, body)
		}
	}

	resp = h.get("/nope", nil)
	_ = readBody(t, resp)
	if resp.StatusCode != http.StatusNotFound {
		t.Errorf("/nope = %d, want 404", resp.StatusCode)
	}

	// A plain GET reaches the engine, which asks for an upgrade.
	resp = h.get("/ws", nil)
	_ = readBody(t, resp)
	if resp.StatusCode != http.StatusUpgradeRequired {
		t.Errorf("plain GET /ws = %d, want 426", resp.StatusCode)
	}
}

func TestEchoThroughParlor(t *testing.T) {
	defer goleak.VerifyNone(t)
	h := startHost(t)
	defer h.stop()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()

	// alice connects like a browser, with the cookie; bob like a service,
	// with the token as a bearer token.
	alice := h.dial(cookieHeader(h.login("alice")))
	bob := h.dial(bearer(h.token("bob")))
	if alice.UserID() != "alice" || bob.UserID() != "bob" {
		t.Fatalf("users = %q, %q; want alice, bob", alice.UserID(), bob.UserID())
	}

	aj, err := alice.Join(ctx, echoKind, echoJoin{Name: "lobby"})
	if err != nil {
		t.Fatalf("alice join: %v", err)
	}
	bj, err := bob.Join(ctx, echoKind, map[string]string{"name": "lobby"})
	if err != nil {
		t.Fatalf("bob join: %v", err)
	}
	if aj.Room != bj.Room {
		t.Fatalf("alice and bob joined different rooms: %s, %s", aj.Room, bj.Room)
	}
	var snap echoSnapshot
	if err := bj.Decode(&snap); err != nil {
		t.Fatalf("decode snapshot: %v", err)
	}
	if len(snap.Members) != 2 {
		t.Errorf("bob's snapshot members = %v, want alice and bob", snap.Members)
	}

	reply, err := alice.Send(ctx, aj.Room, "say", echoSay{Text: "hello from alice"})
	if err != nil {
		t.Fatalf("alice say: %v", err)
	}
	var ack map[string]uint64
	if err := reply.Decode(&ack); err != nil {
		t.Fatalf("decode reply: %v", err)
	}

	for _, c := range []*client.Client{alice, bob} {
		ev := nextEvent(t, c)
		var said echoSaid
		if err := ev.Decode(&said); err != nil {
			t.Fatalf("%s: decode event: %v", c.UserID(), err)
		}
		if ev.Room != aj.Room || ev.Name != "said" || ev.Seq != ack["seq"] {
			t.Errorf("%s got event %s #%d in %s, want said #%d in %s", c.UserID(), ev.Name, ev.Seq, ev.Room, ack["seq"], aj.Room)
		}
		// The sender is the authenticated user, whatever the payload says.
		if said.From != "alice" || said.Text != "hello from alice" {
			t.Errorf("%s got %+v", c.UserID(), said)
		}
	}

	// A user who has not joined cannot send to the room.
	carol := h.dial(bearer(h.token("carol")))
	_, err = carol.Send(ctx, aj.Room, "say", echoSay{Text: "let me in"})
	var ce *codec.Error
	if !errors.As(err, &ce) || ce.Code != codec.CodeForbidden {
		t.Errorf("carol's send to a room she has not joined: %v, want %s", err, codec.CodeForbidden)
	}
}

func TestUpgradeRefused(t *testing.T) {
	defer goleak.VerifyNone(t)
	h := startHost(t)
	defer h.stop()

	aliceCookie, aliceToken := h.login("alice"), h.token("alice")
	aliceCookieH := cookieHeader(aliceCookie)
	origin := aliceCookieH.Clone()
	origin.Set("Origin", "http://evil.example")

	tests := []struct {
		name   string
		header http.Header
		want   int
	}{
		{"valid cookie", aliceCookieH, http.StatusSwitchingProtocols},
		{"valid bearer", bearer(aliceToken), http.StatusSwitchingProtocols},
		{"no credentials", nil, http.StatusUnauthorized},
		{"forged cookie: a user name", http.Header{"Cookie": {cookieName + "=alice"}}, http.StatusUnauthorized},
		{"forged cookie: a random token", http.Header{"Cookie": {cookieName + "=" + randomToken()}}, http.StatusUnauthorized},
		{"forged cookie: the CSRF token", http.Header{"Cookie": {cookieName + "=" + h.csrfOf(aliceCookie)}}, http.StatusUnauthorized},
		{"forged cookie: truncated token", http.Header{"Cookie": {cookieName + "=" + aliceCookie.Value[:len(aliceCookie.Value)-2]}}, http.StatusUnauthorized},
		{"forged bearer", bearer(randomToken()), http.StatusUnauthorized},
		{"basic auth", http.Header{"Authorization": {"Basic YWxpY2U6cHc="}}, http.StatusUnauthorized},
		{"bad bearer beats a good cookie", http.Header{"Authorization": {"Bearer x"}, "Cookie": aliceCookieH.Values("Cookie")}, http.StatusUnauthorized},
		{"foreign origin", origin, http.StatusForbidden},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.want == http.StatusSwitchingProtocols {
				// A manual 101 would leave a raw socket open: use the
				// client for the success cases.
				c := h.dial(tt.header)
				if c.UserID() != "alice" {
					t.Errorf("user = %q, want alice", c.UserID())
				}
				return
			}
			if got := h.upgradeStatus(tt.header); got != tt.want {
				t.Errorf("status = %d, want %d", got, tt.want)
			}
		})
	}

	// The Go client reports the refusal too.
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, err := client.Dial(ctx, h.wsURL(), client.Options{})
	if err == nil {
		_ = c.Close()
		t.Fatal("client.Dial without credentials succeeded")
	}
	var ue *client.UpgradeError
	if !errors.As(err, &ue) || ue.StatusCode != http.StatusUnauthorized {
		t.Errorf("client.Dial without credentials: %v, want HTTP 401", err)
	}
}

func TestGracefulShutdown(t *testing.T) {
	defer goleak.VerifyNone(t)
	log := zaptest.NewLogger(t)
	a, err := newApp(appConfig{Secret: testSecret, Logger: log})
	if err != nil {
		t.Fatal(err)
	}
	dave, _, err := a.sessions.create("dave")
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, stop := context.WithCancel(context.Background())
	defer stop()
	served := make(chan error, 1)
	go func() { served <- serve(ctx, ln, a.Handler(), a.eng, log) }()

	c, err := client.Dial(ctx, "ws://"+ln.Addr().String()+"/ws", client.Options{
		Header:    bearer(dave.token),
		Reconnect: client.ReconnectPolicy{Disabled: true}, // the test watches this connection end
	})
	if err != nil {
		t.Fatalf("dial: %v", err)
	}
	defer c.Close()
	jctx, jcancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer jcancel()
	if _, err := c.Join(jctx, echoKind, echoJoin{Name: "lobby"}); err != nil {
		t.Fatalf("join: %v", err)
	}

	stop() // as SIGINT would
	select {
	case err := <-served:
		if err != nil {
			t.Fatalf("serve: %v", err)
		}
	case <-time.After(15 * time.Second):
		t.Fatal("serve did not return after shutdown")
	}
	select {
	case <-c.Done():
	case <-time.After(5 * time.Second):
		t.Fatal("client still connected after shutdown")
	}
	// The room said goodbye before the connection closed with 1001.
	var left bool
	for ev := range c.Events() {
		if ev.Left && ev.Reason == "shutdown" {
			left = true
		}
	}
	if !left {
		t.Error("client got no left notice with reason shutdown")
	}
	var ce *client.CloseError
	if err := c.Err(); !errors.As(err, &ce) || ce.Code != engine.CloseGoingAway {
		t.Errorf("client closed with %v, want close code %d", c.Err(), engine.CloseGoingAway)
	}
	if _, err := net.DialTimeout("tcp", ln.Addr().String(), time.Second); err == nil {
		t.Error("listener still accepts connections after shutdown")
	}
}

func TestLoadSecret(t *testing.T) {
	dir := t.TempDir()
	write := func(name, content string) string {
		p := dir + "/" + name
		if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	key := strings.Repeat("k", 64)
	got, err := loadSecret(write("good", key+"\n"))
	if err != nil || string(got) != key {
		t.Errorf("loadSecret(good) = %q, %v", got, err)
	}
	if _, err := loadSecret(write("short", "too short\n")); err == nil {
		t.Error("loadSecret accepted a short key")
	}
	if _, err := loadSecret(dir + "/missing"); err == nil {
		t.Error("loadSecret accepted a missing file")
	}
	a, err := loadSecret("")
	if err != nil || len(a) != 32 {
		t.Fatalf("loadSecret(\"\") = %d bytes, %v", len(a), err)
	}
	b, _ := loadSecret("")
	if string(a) == string(b) {
		t.Error("two random keys are equal")
	}
}

func TestSDKDemo(t *testing.T) {
	defer goleak.VerifyNone(t)
	h := startHost(t)
	defer h.stop()

	// The bundle, served from the engine.
	resp := h.get("/parlor.js", nil)
	body := readBody(t, resp)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("/parlor.js = %d", resp.StatusCode)
	}
	if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/javascript") {
		t.Errorf("/parlor.js Content-Type = %q, want text/javascript", ct)
	}
	if resp.Header.Get("ETag") == "" || !strings.Contains(body, "export") || !strings.Contains(body, "connect") || len(body) < 10_000 {
		t.Errorf("/parlor.js is not the SDK bundle (%d bytes, ETag %q)", len(body), resp.Header.Get("ETag"))
	}

	// The page that imports it: signed out, it offers the sign-in and
	// does not connect.
	resp = h.get("/sdk-demo", nil)
	body = readBody(t, resp)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("/sdk-demo = %d", resp.StatusCode)
	}
	if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/html") {
		t.Errorf("/sdk-demo Content-Type = %q, want text/html", ct)
	}
	for _, want := range []string{`<body data-user="">`, `action="/login"`, `name="next" value="/sdk-demo"`, "no password"} {
		if !strings.Contains(body, want) {
			t.Errorf("signed-out /sdk-demo lacks %s", want)
		}
	}

	// Signed in, it is rendered for the user, and its script checks that
	// the WebSocket connected as that user before it goes on.
	cookie := h.login("alice")
	resp = h.get("/sdk-demo", cookieHeader(cookie))
	body = readBody(t, resp)
	for _, want := range []string{
		`<body data-user="alice">`,
		`name="csrf" value="` + h.csrfOf(cookie) + `"`,
		`<script type="module">`, `import { connect } from "/parlor.js"`, `connect("/ws"`,
		`const expected = document.body.dataset.user;`,
		`client.on("open", ({ user }) => {`,
		`if (user !== expected) {`,
		`client.close();`,
		`dataset.code = "account_changed"`,
		`client.join("echo", { name: "lobby" })`, `"said"`, `room.send("say"`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("/sdk-demo for alice lacks %s", want)
		}
	}
	resp = h.get("/", nil)
	if body := readBody(t, resp); !strings.Contains(body, `href="/sdk-demo"`) {
		t.Error("the home page does not link to /sdk-demo")
	}
}
