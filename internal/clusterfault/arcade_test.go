package clusterfault

import (
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/parlorhq/parlor/chat"
	"github.com/parlorhq/parlor/client"
	"github.com/parlorhq/parlor/engine"
)

// TestArcadeThreeNodes runs the demo as scripts/cluster.sh does: three
// arcade processes with -nats, -node and -postgres behind the round-robin
// proxy. alice and bob sign in through the proxy, each request landing on
// the next node, and their pages and WebSockets work on every node; they
// chat in a DM from different nodes. A session signed in on one node is
// taken at once by every node, many times over (a read from a replica of
// the session bucket that lagged behind the write used to refuse it with
// 401). alice signs out on one node: every node refuses her old cookie at
// once, and her WebSockets on all three nodes are closed with 4011, while
// bob's stays open.
func TestArcadeThreeNodes(t *testing.T) {
	dsn := os.Getenv("PARLOR_TEST_POSTGRES")
	need(t, "PostgreSQL (PARLOR_TEST_POSTGRES; test.sh starts one)", dsn != "")
	nc := startNATS(t, 3)
	data := t.TempDir()
	key := make([]byte, 32)
	_, _ = rand.Read(key)
	if err := os.WriteFile(filepath.Join(data, "secret"), key, 0o600); err != nil {
		t.Fatal(err)
	}
	var addrs []string
	for i, port := range freePorts(t, 3) {
		addr := fmt.Sprintf("127.0.0.1:%d", port)
		name := fmt.Sprint("arcade", i+1)
		p, _ := startProc(t, name, "", bin.arcade, "-addr", addr, "-data", data,
			"-nats", nc.URLs(), "-node", name, "-postgres", dsn)
		if !waitFor(startTimeout, func() bool { return httpOK("http://"+addr+"/readyz") || p.exited() }) || p.exited() {
			t.Fatalf("%s not ready: %s", name, p.Stderr())
		}
		addrs = append(addrs, addr)
	}
	_, proxy := startProc(t, "proxy", proxyListenPrefix, bin.proxy, "-addr", "127.0.0.1:0", "-backend", strings.Join(addrs, ","), "-quiet")
	base := "http://" + proxy

	noFollow := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	// Each sign-in's session is read at once on every node, the one that
	// wrote it and the two others.
	for i := range 20 {
		cookies := signInCookies(t, noFollow, base, []string{"alice", "bob"}[i%2])
		for _, addr := range addrs {
			req, _ := http.NewRequest(http.MethodGet, "http://"+addr+"/connections", nil)
			for _, c := range cookies {
				req.AddCookie(c)
			}
			resp, err := noFollow.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK {
				t.Fatalf("sign-in %d, read at once on %s: %d %s, want 200", i, addr, resp.StatusCode, resp.Header.Get("Location"))
			}
		}
	}

	alice, bob := signIn(t, base, "alice"), signIn(t, base, "bob")
	// Every node knows alice's session: three page loads, one per node.
	for range 3 {
		if code, _ := getPage(t, alice, base+"/connections"); code != http.StatusOK {
			t.Fatalf("alice's page through the proxy: %d", code)
		}
	}
	dialAt := func(jar http.CookieJar, host string) *client.Client {
		u, _ := url.Parse(base)
		var cookies []string
		for _, c := range jar.Cookies(u) {
			cookies = append(cookies, c.Name+"="+c.Value)
		}
		opts := clientOpts(nil)
		opts.Header = http.Header{"Cookie": {strings.Join(cookies, "; ")}, "Origin": {"http://" + host}}
		return dial(t, "ws://"+host+"/ws", opts)
	}
	dialAs := func(jar http.CookieJar) *client.Client { return dialAt(jar, proxy) }
	ac, bc := dialAs(alice.Jar), dialAs(bob.Jar)
	ar, err := join(t, ac, chat.KindDM, chat.DMParams{With: "bob"})
	if err != nil {
		t.Fatalf("alice joins the DM: %v", err)
	}
	br, err := join(t, bc, chat.KindDM, chat.DMParams{With: "alice"})
	if err != nil {
		t.Fatalf("bob joins the DM: %v", err)
	}
	if ar.Room != br.Room {
		t.Fatal("alice and bob joined different DM rooms")
	}
	for i := range 5 {
		for _, c := range []*client.Client{ac, bc} {
			if _, err := c.Send(ctxTimeout(t, 15*time.Second), ar.Room, chat.OpSend, chat.SendRequest{Text: fmt.Sprint("hello ", i)}); err != nil {
				t.Fatalf("%s sends: %v", c.UserID(), err)
			}
		}
	}
	for _, c := range []*client.Client{ac, bc} {
		if got := history(t, c, ar.Room); len(got) != 10 {
			t.Errorf("%s's node returns %d messages, want 10", c.UserID(), len(got))
		}
	}

	// Sign-out on one node ends the session on all of them, and closes
	// its WebSockets on every node.
	var aliceWS []*client.Client
	for _, addr := range addrs {
		aliceWS = append(aliceWS, dialAt(alice.Jar, addr))
	}
	_, page := getPage(t, alice, base+"/connections")
	m := regexp.MustCompile(`name="csrf" value="([^"]+)"`).FindStringSubmatch(page)
	if m == nil {
		t.Fatal("no CSRF token on alice's page")
	}
	req, _ := http.NewRequest(http.MethodPost, base+"/logout", strings.NewReader(url.Values{"csrf": {m[1]}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", base)
	u, _ := url.Parse(base)
	old := alice.Jar.Cookies(u)
	for _, c := range old {
		req.AddCookie(c)
	}
	resp, err := noFollow.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("sign-out: %d", resp.StatusCode)
	}
	for _, addr := range addrs {
		req, _ := http.NewRequest(http.MethodGet, "http://"+addr+"/connections", nil)
		for _, c := range old {
			req.AddCookie(c)
		}
		resp, err := noFollow.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/login" {
			t.Errorf("node %s after the sign-out: %d %s, want a redirect to /login", addr, resp.StatusCode, resp.Header.Get("Location"))
		}
	}
	for i, c := range aliceWS {
		select {
		case <-c.Done():
		case <-time.After(10 * time.Second):
			t.Fatalf("alice's WebSocket on %s still open 10 s after the sign-out", addrs[i])
		}
		var ce *client.CloseError
		if !errors.As(c.Err(), &ce) || ce.Code != engine.CloseSignedOut {
			t.Errorf("alice's WebSocket on %s ended with %v, want close %d", addrs[i], c.Err(), engine.CloseSignedOut)
		}
	}
	// A bystander: bob's connection goes on.
	if _, err := bc.Send(ctxTimeout(t, 15*time.Second), br.Room, chat.OpSend, chat.SendRequest{Text: "still here"}); err != nil {
		t.Fatalf("bob after alice's sign-out: %v", err)
	}
}

// signInCookies signs user in through base without following the
// redirect, and returns the session cookies it set.
func signInCookies(t *testing.T, hc *http.Client, base, user string) []*http.Cookie {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, base+"/login", strings.NewReader(url.Values{"user": {user}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", base)
	resp, err := hc.Do(req)
	if err != nil {
		t.Fatalf("sign in %s: %v", user, err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther || len(resp.Cookies()) == 0 {
		t.Fatalf("sign in %s: %d with %d cookies, want 303 with the session", user, resp.StatusCode, len(resp.Cookies()))
	}
	return resp.Cookies()
}

// signIn signs user in through base and returns a client holding the
// session cookie.
func signIn(t *testing.T, base, user string) *http.Client {
	t.Helper()
	jar, _ := cookiejar.New(nil)
	hc := &http.Client{Jar: jar, Timeout: 10 * time.Second}
	req, _ := http.NewRequest(http.MethodPost, base+"/login", strings.NewReader(url.Values{"user": {user}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", base)
	resp, err := hc.Do(req)
	if err != nil {
		t.Fatalf("sign in %s: %v", user, err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("sign in %s: %d after redirects", user, resp.StatusCode)
	}
	return hc
}

// getPage fetches url with hc and returns the status and body.
func getPage(t *testing.T, hc *http.Client, url string) (int, string) {
	t.Helper()
	resp, err := hc.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}
