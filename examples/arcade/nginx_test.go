package main

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/parlorhq/parlor/chat"
	"github.com/parlorhq/parlor/client"
	"github.com/parlorhq/parlor/engine"
	"github.com/parlorhq/parlor/games"
	"go.uber.org/zap/zaptest"
)

// The nginx test runs the arcade behind a real nginx, configured with the
// text of docs/deploy.md, and chats and plays through it over TLS.
//
// The Go client trusts the system's roots only, so the test runs in a
// child process whose SSL_CERT_FILE names the test's own certificate
// authority: the parent makes the certificate, the child does the rest.

const (
	// deployDoc is the document whose nginx configuration is tested.
	deployDoc = "../../docs/deploy.md"
	// nginxBegin and nginxEnd mark the configuration in it.
	nginxBegin = "<!-- nginx-config begin -->"
	nginxEnd   = "<!-- nginx-config end -->"
	// nginxChildEnv holds the certificate directory in the child process.
	nginxChildEnv = "PARLOR_NGINX_TEST_CERTS"
)

// TestBehindNginx: with the nginx configuration of docs/deploy.md in
// front, the arcade answers its probes, keeps its metrics from the
// outside, redirects plain HTTP to https,
// sets Secure cookies (-trust-proxy), upgrades WebSockets with the
// browser's Origin and refuses a foreign one, and two users chat and play
// tic-tac-toe to a win through the proxy. Skipped when nginx is not
// installed, except in CI (CI=true), where it fails.
func TestBehindNginx(t *testing.T) {
	bin := findNginx()
	if bin == "" {
		if os.Getenv("CI") == "true" {
			t.Fatal("nginx is not installed; .ci/run installs Debian's nginx package")
		}
		t.Skip("nginx is not installed (apt-get install nginx); CI runs this test")
	}
	if dir := os.Getenv(nginxChildEnv); dir != "" {
		runBehindNginx(t, bin, dir)
		return
	}
	dir := t.TempDir()
	writeTestCertificate(t, dir)
	cmd := exec.Command(os.Args[0], "-test.run=^TestBehindNginx$", "-test.count=1", "-test.v")
	cmd.Env = append(os.Environ(), nginxChildEnv+"="+dir, "SSL_CERT_FILE="+filepath.Join(dir, "cert.pem"))
	out, err := cmd.CombinedOutput()
	if err != nil || !strings.Contains(string(out), "--- PASS: TestBehindNginx") {
		t.Fatalf("behind nginx: %v\n%s", err, out)
	}
}

// findNginx returns the nginx binary, or "" if there is none.
func findNginx() string {
	if p, err := exec.LookPath("nginx"); err == nil {
		return p
	}
	if _, err := os.Stat("/usr/sbin/nginx"); err == nil {
		return "/usr/sbin/nginx"
	}
	return ""
}

// writeTestCertificate writes a self-signed certificate for 127.0.0.1,
// cert.pem and key.pem, to dir.
func writeTestCertificate(t *testing.T, dir string) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "parlor nginx test"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(24 * time.Hour),
		IPAddresses:           []net.IP{net.IPv4(127, 0, 0, 1)},
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	for name, block := range map[string]*pem.Block{
		"cert.pem": {Type: "CERTIFICATE", Bytes: der},
		"key.pem":  {Type: "EC PRIVATE KEY", Bytes: keyDER},
	} {
		if err := os.WriteFile(filepath.Join(dir, name), pem.EncodeToMemory(block), 0o600); err != nil {
			t.Fatal(err)
		}
	}
}

// deployNginxConfig returns the nginx configuration of docs/deploy.md.
func deployNginxConfig(t *testing.T) string {
	t.Helper()
	doc, err := os.ReadFile(deployDoc)
	if err != nil {
		t.Fatal(err)
	}
	_, rest, ok1 := strings.Cut(string(doc), nginxBegin)
	block, _, ok2 := strings.Cut(rest, nginxEnd)
	if !ok1 || !ok2 {
		t.Fatalf("%s: no %s ... %s block", deployDoc, nginxBegin, nginxEnd)
	}
	block = strings.TrimSpace(block)
	if !strings.HasPrefix(block, "```nginx\n") || !strings.HasSuffix(block, "\n```") {
		t.Fatalf("%s: the nginx block is not one ```nginx fence", deployDoc)
	}
	return strings.TrimSuffix(strings.TrimPrefix(block, "```nginx\n"), "```")
}

// replaceOnce replaces old, which must occur exactly once in s.
func replaceOnce(t *testing.T, s, old, new string) string {
	t.Helper()
	if n := strings.Count(s, old); n != 1 {
		t.Fatalf("docs/deploy.md's nginx configuration has %q %d times, want once", old, n)
	}
	return strings.Replace(s, old, new, 1)
}

// freePort returns a loopback TCP port that was free a moment ago.
func freePort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// proxyTimeout returns the duration of an nginx directive of the /ws
// location, such as proxy_read_timeout.
func proxyTimeout(t *testing.T, conf, directive string) time.Duration {
	t.Helper()
	_, ws, ok := strings.Cut(conf, "location = /ws {")
	m := regexp.MustCompile(directive + `\s+(\d+)s;`).FindStringSubmatch(ws)
	if !ok || m == nil {
		t.Fatalf("the /ws location sets no %s in seconds", directive)
	}
	d, _ := time.ParseDuration(m[1] + "s")
	return d
}

// runBehindNginx is the test proper, in the child process; certs holds
// cert.pem and key.pem.
func runBehindNginx(t *testing.T, bin, certs string) {
	conf := deployNginxConfig(t)

	// The proxy's timeouts outlast the engine's heartbeat.
	heartbeat := engine.DefaultHeartbeatInterval + engine.DefaultHeartbeatTimeout
	for _, d := range []string{"proxy_read_timeout", "proxy_send_timeout"} {
		if got := proxyTimeout(t, conf, d); got <= heartbeat {
			t.Errorf("%s %v is not longer than the heartbeat (%v)", d, got, heartbeat)
		}
	}

	// The arcade, served as main serves it, with -trust-proxy.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	log := zaptest.NewLogger(t)
	a, err := newArcade(Config{DataDir: t.TempDir(), Logger: log, TrustProxy: true})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() { served <- serve(ctx, ln, a, log) }()
	defer func() {
		cancel()
		if err := <-served; err != nil {
			t.Errorf("arcade: %v", err)
		}
	}()

	// nginx with the document's configuration, on free loopback ports.
	httpPort, tlsPort := freePort(t), freePort(t)
	conf = replaceOnce(t, conf, "server 127.0.0.1:8080;", "server "+ln.Addr().String()+";")
	conf = replaceOnce(t, conf, "listen 80;", fmt.Sprintf("listen 127.0.0.1:%d;", httpPort))
	conf = replaceOnce(t, conf, "listen 443 ssl;", fmt.Sprintf("listen 127.0.0.1:%d ssl;", tlsPort))
	conf = replaceOnce(t, conf, "/etc/letsencrypt/live/chat.example.com/fullchain.pem", filepath.Join(certs, "cert.pem"))
	conf = replaceOnce(t, conf, "/etc/letsencrypt/live/chat.example.com/privkey.pem", filepath.Join(certs, "key.pem"))
	stopNginx := startNginx(t, bin, conf)
	defer stopNginx()
	base := fmt.Sprintf("https://127.0.0.1:%d", tlsPort)
	waitListening(t, fmt.Sprintf("127.0.0.1:%d", tlsPort))

	hc := &http.Client{
		Timeout:       10 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	defer hc.CloseIdleConnections()
	do := func(method, path string, h http.Header, body string) *http.Response {
		t.Helper()
		req, err := http.NewRequest(method, path, strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		for k, v := range h {
			req.Header[k] = v
		}
		resp, err := hc.Do(req)
		if err != nil {
			t.Fatalf("%s %s: %v", method, path, err)
		}
		return resp
	}

	// Probes through the proxy, and plain HTTP sent to https.
	for _, p := range []string{"/healthz", "/readyz"} {
		resp := do(http.MethodGet, base+p, nil, "")
		if body := readBody(t, resp); resp.StatusCode != http.StatusOK || body != "ok\n" {
			t.Fatalf("GET %s through nginx = %d %q", p, resp.StatusCode, body)
		}
	}
	// The metrics stay private: the app serves them, the proxy does not.
	if resp := do(http.MethodGet, base+"/metrics", nil, ""); resp.StatusCode != http.StatusNotFound {
		t.Fatalf("GET /metrics through nginx = %d, want 404", resp.StatusCode)
	} else {
		_ = readBody(t, resp)
	}
	resp := do(http.MethodGet, fmt.Sprintf("http://127.0.0.1:%d/connections", httpPort), nil, "")
	if _ = readBody(t, resp); resp.StatusCode != http.StatusMovedPermanently || !strings.HasPrefix(resp.Header.Get("Location"), "https://") {
		t.Fatalf("plain HTTP = %d to %q, want 301 to https", resp.StatusCode, resp.Header.Get("Location"))
	}

	// Sign-in through the proxy: the cookie is Secure.
	login := func(user string) http.Header {
		t.Helper()
		resp := do(http.MethodPost, base+"/login", http.Header{
			"Content-Type": {"application/x-www-form-urlencoded"},
			"Origin":       {base},
		}, url.Values{"user": {user}}.Encode())
		_ = readBody(t, resp)
		for _, c := range resp.Cookies() {
			if c.Name == cookieName {
				if !c.Secure {
					t.Errorf("%s's session cookie through the TLS proxy is not Secure", user)
				}
				return http.Header{"Cookie": {c.Name + "=" + c.Value}, "Origin": {base}}
			}
		}
		t.Fatalf("sign-in of %s through nginx = %d, no cookie", user, resp.StatusCode)
		return nil
	}
	aliceH, bobH := login("alice"), login("bob")

	// WebSockets through the proxy, as a browser on the site would open
	// them (with its Origin); a foreign origin is refused.
	wsURL := fmt.Sprintf("wss://127.0.0.1:%d/ws", tlsPort)
	dial := func(h http.Header) (*client.Client, error) {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		return client.Dial(ctx, wsURL, client.Options{Header: h, Client: "nginx-test"})
	}
	evil := aliceH.Clone()
	evil.Set("Origin", "https://evil.example")
	var ue *client.UpgradeError
	if _, err := dial(evil); !errors.As(err, &ue) || ue.StatusCode != http.StatusForbidden {
		t.Fatalf("foreign origin through nginx: %v, want 403", err)
	}
	alice, err := dial(aliceH)
	if err != nil {
		t.Fatalf("alice dials through nginx: %v", err)
	}
	defer alice.Close()
	bob, err := dial(bobH)
	if err != nil {
		t.Fatalf("bob dials through nginx: %v", err)
	}
	defer bob.Close()
	chatWorks(t, alice, bob, "bob", "alice")

	// A game of tic-tac-toe to a win.
	rctx := ctx10s(t)
	aj, err := alice.Join(rctx, "games.tictactoe", games.JoinParams{Opponent: "bob", Nonce: "nginx1"})
	if err != nil {
		t.Fatalf("alice joins the game: %v", err)
	}
	if _, err := bob.Join(rctx, "games.tictactoe", games.JoinParams{Opponent: "alice", Nonce: "nginx1"}); err != nil {
		t.Fatalf("bob joins the game: %v", err)
	}
	players := []*client.Client{alice, bob}
	for i, cell := range []int{0, 3, 1, 4, 2} {
		if _, err := players[i%2].Send(rctx, aj.Room, games.EventMove, map[string]int{"cell": cell, "ply": i}); err != nil {
			t.Fatalf("move %d through nginx: %v", i, err)
		}
	}
	for _, p := range players {
		var over games.GameOver
		if err := waitEvent(t, p, aj.Room, games.EventGameOver).Decode(&over); err != nil || over.Winner != 0 {
			t.Fatalf("%s: game over %+v (%v), want seat 0 to win", p.UserID(), over, err)
		}
	}

	// Sign-out through the proxy closes alice's WebSocket with 4011.
	resp = do(http.MethodPost, base+"/logout", http.Header{
		"Cookie":       aliceH.Values("Cookie"),
		"Content-Type": {"application/x-www-form-urlencoded"},
	}, url.Values{csrfField: {csrfOf(t, a, aliceH)}}.Encode())
	if _ = readBody(t, resp); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("sign-out through nginx = %d", resp.StatusCode)
	}
	waitSignedOut(t, "alice", alice)
	if _, err := bob.Join(rctx, chat.KindDM, map[string]string{"with": "carol"}); err != nil {
		t.Fatalf("bob after alice signed out: %v", err)
	}
}

// csrfOf returns the CSRF token of the session in h's cookie.
func csrfOf(t *testing.T, a *Arcade, h http.Header) string {
	t.Helper()
	_, token, _ := strings.Cut(h.Get("Cookie"), "=")
	ss, ok := a.sessions.lookup(token)
	if !ok {
		t.Fatal("the cookie names no session")
	}
	return ss.csrf
}

// startNginx runs nginx in the foreground with conf inside its http
// block, its pid file, logs and temporary files in a new directory, and
// returns the function that stops it.
func startNginx(t *testing.T, bin, conf string) (stop func()) {
	t.Helper()
	dir := t.TempDir()
	user := ""
	if os.Geteuid() == 0 {
		user = "user root;\n" // workers must read and write the test's directories
	}
	main := user + `worker_processes 1;
pid ` + dir + `/nginx.pid;
error_log ` + dir + `/error.log info;
events { worker_connections 256; }
http {
    access_log ` + dir + `/access.log;
    client_body_temp_path ` + dir + `/client_body;
    proxy_temp_path ` + dir + `/proxy;
    fastcgi_temp_path ` + dir + `/fastcgi;
    uwsgi_temp_path ` + dir + `/uwsgi;
    scgi_temp_path ` + dir + `/scgi;
` + conf + `
}
`
	path := filepath.Join(dir, "nginx.conf")
	if err := os.WriteFile(path, []byte(main), 0o600); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command(bin, "-t", "-p", dir, "-c", path, "-g", "daemon off;").CombinedOutput(); err != nil {
		t.Fatalf("nginx -t: %v\n%s\n%s", err, out, main)
	}
	cmd := exec.Command(bin, "-p", dir, "-c", path, "-g", "daemon off;")
	var stderr strings.Builder
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan struct{})
	go func() {
		_ = cmd.Wait()
		close(exited)
	}()
	return func() {
		_ = cmd.Process.Signal(os.Interrupt) // fast shutdown
		select {
		case <-exited:
		case <-time.After(10 * time.Second):
			_ = cmd.Process.Kill()
			<-exited
		}
		if t.Failed() {
			errLog, _ := os.ReadFile(filepath.Join(dir, "error.log"))
			t.Logf("nginx stderr:\n%s\nerror.log:\n%s", stderr.String(), errLog)
		}
	}
}

// waitListening waits until something accepts connections on addr.
func waitListening(t *testing.T, addr string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		conn, err := net.Dial("tcp", addr)
		if err == nil {
			_ = conn.Close()
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("nginx does not accept on %s: %v", addr, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
