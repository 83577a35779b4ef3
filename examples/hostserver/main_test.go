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
	"github.com/parlorhq/parlor/internal/echo"
	"go.uber.org/goleak"
	"go.uber.org/zap/zaptest"
)

// testSecret is a fixed server key, so tokens are reproducible in tests.
var testSecret = []byte("0123456789abcdef0123456789abcdef")

// host is the app under test, served on loopback.
type host struct {
	t       *testing.T
	srv     *httptest.Server
	eng     *engine.Engine
	clients []*client.Client
}

// startHost builds the app with newApp and serves it with httptest. Call
// stop (deferred after goleak.VerifyNone) to shut everything down.
func startHost(t *testing.T) *host {
	t.Helper()
	h, eng, err := newApp(appConfig{Secret: testSecret, Logger: zaptest.NewLogger(t)})
	if err != nil {
		t.Fatalf("newApp: %v", err)
	}
	srv := httptest.NewUnstartedServer(h)
	srv.Config.ReadHeaderTimeout = 5 * time.Second
	srv.Start()
	return &host{t: t, srv: srv, eng: eng}
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

// get performs a GET without following redirects.
func (h *host) get(path string, header http.Header) *http.Response {
	h.t.Helper()
	req, err := http.NewRequest(http.MethodGet, h.srv.URL+path, nil)
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
		h.t.Fatalf("GET %s: %v", path, err)
	}
	return resp
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

// login logs user in and returns the session cookie and the token.
func (h *host) login(user string) (*http.Cookie, string) {
	h.t.Helper()
	resp := h.get("/login?user="+url.QueryEscape(user), nil)
	body := readBody(h.t, resp)
	if resp.StatusCode != http.StatusOK {
		h.t.Fatalf("login %q: status %d: %s", user, resp.StatusCode, body)
	}
	var lr loginResponse
	if err := json.Unmarshal([]byte(body), &lr); err != nil {
		h.t.Fatalf("login body %q: %v", body, err)
	}
	for _, c := range resp.Cookies() {
		if c.Name == cookieName {
			return c, lr.Token
		}
	}
	h.t.Fatalf("login %q set no %s cookie", user, cookieName)
	return nil, ""
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
	if body := readBody(t, resp); resp.StatusCode != http.StatusOK || body != "ok" {
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
	for _, want := range []string{"/healthz", "/login?user=", "/logout", "/ws", "Demo login only", "engine.Config.Authenticate"} {
		if !strings.Contains(body, want) {
			t.Errorf("/ does not mention %q", want)
		}
	}

	// The home page knows the logged-in user.
	cookie, _ := h.login("carol")
	resp = h.get("/", http.Header{"Cookie": {cookie.String()}})
	if body := readBody(t, resp); !strings.Contains(body, "logged in as <strong>carol</strong>") {
		t.Errorf("/ with a session does not greet carol:\n%s", body)
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

func TestLoginAndLogout(t *testing.T) {
	defer goleak.VerifyNone(t)
	h := startHost(t)
	defer h.stop()

	cookie, token := h.login("alice")
	if cookie.Value != token {
		t.Errorf("cookie value %q differs from the token %q in the body", cookie.Value, token)
	}
	if !strings.HasPrefix(token, "alice.") {
		t.Errorf("token %q does not start with the user name", token)
	}
	if !cookie.HttpOnly || cookie.SameSite != http.SameSiteLaxMode || cookie.Path != "/" {
		t.Errorf("cookie = %+v, want HttpOnly, SameSite=Lax, Path=/", cookie)
	}

	for _, bad := range []string{"", strings.Repeat("a", 33), "a b", "a.b", "ä", "<script>", "bob\n"} {
		resp := h.get("/login?user="+url.QueryEscape(bad), nil)
		_ = readBody(t, resp)
		if resp.StatusCode != http.StatusBadRequest {
			t.Errorf("login %q = %d, want 400", bad, resp.StatusCode)
		}
		if len(resp.Cookies()) != 0 {
			t.Errorf("login %q set a cookie", bad)
		}
	}
	resp := h.get("/login?user="+strings.Repeat("a", 32), nil)
	_ = readBody(t, resp)
	if resp.StatusCode != http.StatusOK {
		t.Errorf("login with a 32-character name = %d, want 200", resp.StatusCode)
	}

	resp = h.get("/logout", http.Header{"Cookie": {cookie.String()}})
	_ = readBody(t, resp)
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/" {
		t.Errorf("logout = %d to %q, want 303 to /", resp.StatusCode, resp.Header.Get("Location"))
	}
	cleared := false
	for _, c := range resp.Cookies() {
		if c.Name == cookieName && c.MaxAge < 0 {
			cleared = true
		}
	}
	if !cleared {
		t.Errorf("logout did not clear the cookie: %v", resp.Header["Set-Cookie"])
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
	aliceCookie, _ := h.login("alice")
	_, bobToken := h.login("bob")
	alice := h.dial(http.Header{"Cookie": {aliceCookie.String()}})
	bob := h.dial(http.Header{"Authorization": {"Bearer " + bobToken}})
	if alice.UserID() != "alice" || bob.UserID() != "bob" {
		t.Fatalf("users = %q, %q; want alice, bob", alice.UserID(), bob.UserID())
	}

	aj, err := alice.Join(ctx, echo.Kind, echo.JoinParams{Name: "lobby"})
	if err != nil {
		t.Fatalf("alice join: %v", err)
	}
	bj, err := bob.Join(ctx, echo.Kind, map[string]string{"name": "lobby"})
	if err != nil {
		t.Fatalf("bob join: %v", err)
	}
	if aj.Room != bj.Room {
		t.Fatalf("alice and bob joined different rooms: %s, %s", aj.Room, bj.Room)
	}
	var snap echo.Snapshot
	if err := bj.Decode(&snap); err != nil {
		t.Fatalf("decode snapshot: %v", err)
	}
	if len(snap.Members) != 2 {
		t.Errorf("bob's snapshot members = %v, want alice and bob", snap.Members)
	}

	reply, err := alice.Send(ctx, aj.Room, "say", echo.SayData{Text: "hello from alice"})
	if err != nil {
		t.Fatalf("alice say: %v", err)
	}
	var ack map[string]uint64
	if err := reply.Decode(&ack); err != nil {
		t.Fatalf("decode reply: %v", err)
	}

	for _, c := range []*client.Client{alice, bob} {
		ev := nextEvent(t, c)
		var said echo.Said
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
	_, carolToken := h.login("carol")
	carol := h.dial(http.Header{"Authorization": {"Bearer " + carolToken}})
	_, err = carol.Send(ctx, aj.Room, "say", echo.SayData{Text: "let me in"})
	var ce *codec.Error
	if !errors.As(err, &ce) || ce.Code != codec.CodeForbidden {
		t.Errorf("carol's send to a room she has not joined: %v, want %s", err, codec.CodeForbidden)
	}
}

func TestUpgradeRefused(t *testing.T) {
	defer goleak.VerifyNone(t)
	h := startHost(t)
	defer h.stop()

	aliceCookie, aliceToken := h.login("alice")
	_, sig, _ := strings.Cut(aliceToken, ".")
	// A token signed with another key, as an attacker without the server
	// key would make.
	otherApp := &app{sessionKey: deriveKey([]byte("another key, another key, another key"), "hostserver session token v1")}
	foreign := otherApp.sign("alice")

	tests := []struct {
		name   string
		header http.Header
		want   int
	}{
		{"valid cookie", http.Header{"Cookie": {aliceCookie.String()}}, http.StatusSwitchingProtocols},
		{"valid bearer", http.Header{"Authorization": {"Bearer " + aliceToken}}, http.StatusSwitchingProtocols},
		{"no credentials", nil, http.StatusUnauthorized},
		{"forged cookie: other name, alice's signature", http.Header{"Cookie": {cookieName + "=admin." + sig}}, http.StatusUnauthorized},
		{"forged cookie: signed with another key", http.Header{"Cookie": {cookieName + "=" + foreign}}, http.StatusUnauthorized},
		{"forged cookie: no signature", http.Header{"Cookie": {cookieName + "=alice"}}, http.StatusUnauthorized},
		{"forged cookie: empty signature", http.Header{"Cookie": {cookieName + "=alice."}}, http.StatusUnauthorized},
		{"forged cookie: truncated signature", http.Header{"Cookie": {cookieName + "=alice." + sig[:len(sig)-2]}}, http.StatusUnauthorized},
		{"forged bearer", http.Header{"Authorization": {"Bearer alice.AAAA"}}, http.StatusUnauthorized},
		{"basic auth", http.Header{"Authorization": {"Basic YWxpY2U6cHc="}}, http.StatusUnauthorized},
		{"bad bearer beats a good cookie", http.Header{"Authorization": {"Bearer x"}, "Cookie": {aliceCookie.String()}}, http.StatusUnauthorized},
		{"foreign origin", http.Header{"Cookie": {aliceCookie.String()}, "Origin": {"http://evil.example"}}, http.StatusForbidden},
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
	handler, eng, err := newApp(appConfig{Secret: testSecret, Logger: log})
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
	go func() { served <- serve(ctx, ln, handler, eng, log) }()

	a := &app{sessionKey: deriveKey(testSecret, "hostserver session token v1")}
	c, err := client.Dial(ctx, "ws://"+ln.Addr().String()+"/ws", client.Options{
		Header:    http.Header{"Authorization": {"Bearer " + a.sign("dave")}},
		Reconnect: client.ReconnectPolicy{Disabled: true}, // the test watches this connection end
	})
	if err != nil {
		t.Fatalf("dial: %v", err)
	}
	defer c.Close()
	jctx, jcancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer jcancel()
	if _, err := c.Join(jctx, echo.Kind, echo.JoinParams{Name: "lobby"}); err != nil {
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

	// The page that imports it.
	resp = h.get("/sdk-demo", nil)
	body = readBody(t, resp)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("/sdk-demo = %d", resp.StatusCode)
	}
	if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/html") {
		t.Errorf("/sdk-demo Content-Type = %q, want text/html", ct)
	}
	for _, want := range []string{`<script type="module">`, `import { connect } from "/parlor.js"`, `connect("/ws"`, `client.join("echo", { name: "lobby" })`, `"said"`, `room.send("say"`} {
		if !strings.Contains(body, want) {
			t.Errorf("/sdk-demo lacks %s", want)
		}
	}
	resp = h.get("/", nil)
	if body := readBody(t, resp); !strings.Contains(body, `href="/sdk-demo"`) {
		t.Error("the home page does not link to /sdk-demo")
	}
}
