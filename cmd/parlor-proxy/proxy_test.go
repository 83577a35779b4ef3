package main

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/parlorhq/parlor/client"
	"github.com/parlorhq/parlor/engine"
	"github.com/parlorhq/parlor/internal/echo"
	"github.com/parlorhq/parlor/internal/loopback"
)

// namedBackend answers every request with its name, the Host header it
// got and X-Forwarded-For.
func namedBackend(t *testing.T, name string) *httptest.Server {
	t.Helper()
	s := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, "%s %s %s", name, r.Host, r.Header.Get("X-Forwarded-For"))
	}))
	t.Cleanup(s.Close)
	return s
}

// startProxy serves a proxy over p and returns its address.
func startProxy(t *testing.T, p *pool) string {
	t.Helper()
	s := httptest.NewServer(newHandler(p, nil))
	t.Cleanup(s.Close)
	return s.Listener.Addr().String()
}

// get fetches path through the proxy and returns the status and body.
func get(t *testing.T, addr string) (int, string) {
	t.Helper()
	resp, err := http.Get("http://" + addr + "/")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, string(b)
}

func hostPort(s *httptest.Server) string { return s.Listener.Addr().String() }

func TestRoundRobinNoAffinity(t *testing.T) {
	a, b, c := namedBackend(t, "a"), namedBackend(t, "b"), namedBackend(t, "c")
	proxy := startProxy(t, newPool([]string{hostPort(a), hostPort(b), hostPort(c)}, time.Second, 5*time.Second, nil))
	var got []string
	for range 6 {
		code, body := get(t, proxy)
		if code != http.StatusOK {
			t.Fatalf("status %d", code)
		}
		f := strings.Fields(body)
		if len(f) != 3 || f[1] != proxy || f[2] != "127.0.0.1" {
			t.Fatalf("backend got %q: want its name, Host %s and X-Forwarded-For 127.0.0.1", body, proxy)
		}
		got = append(got, f[0])
	}
	if want := "a b c a b c"; strings.Join(got, " ") != want {
		t.Fatalf("backends in order %q, want %q", got, want)
	}
}

func TestRefusingBackendSkipped(t *testing.T) {
	a := namedBackend(t, "a")
	// A port that refuses connections: a listener closed at once.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	dead := ln.Addr().String()
	ln.Close()

	now := time.Now()
	p := newPool([]string{hostPort(a), dead}, time.Second, 5*time.Second, nil)
	p.now = func() time.Time { return now }
	proxy := startProxy(t, p)
	for i := range 4 {
		code, body := get(t, proxy)
		if code != http.StatusOK || !strings.HasPrefix(body, "a ") {
			t.Fatalf("request %d: status %d, body %q: want every request served by a", i, code, body)
		}
	}
	if p.backends[1].downUntil.Load() == 0 {
		t.Fatal("the refusing backend is not marked down")
	}

	// The node comes back on its port; once -down has passed it gets its
	// turn again.
	ln, err = net.Listen("tcp", dead)
	if err != nil {
		t.Fatalf("listen again on %s: %v", dead, err)
	}
	b := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, "b") }))
	b.Listener.Close()
	b.Listener = ln
	b.Start()
	t.Cleanup(b.Close)
	now = now.Add(2 * time.Second)
	seen := map[string]bool{}
	for range 4 {
		code, body := get(t, proxy)
		if code != http.StatusOK {
			t.Fatalf("status %d", code)
		}
		seen[strings.Fields(body)[0]] = true
	}
	if !seen["a"] || !seen["b"] {
		t.Fatalf("after the node came back, backends seen %v, want a and b", seen)
	}
	if p.backends[1].downUntil.Load() != 0 {
		t.Fatal("the backend that came back is still marked down")
	}
}

// TestSilentBackendSkipped: a backend that takes connections but never
// answers (a paused node) costs the request that reached it a 502 after
// the answer time, not a resend, and the next requests skip it.
func TestSilentBackendSkipped(t *testing.T) {
	a := namedBackend(t, "a")
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	accepted := make(chan struct{})
	var held []net.Conn // read nothing, answer nothing
	go func() {
		defer close(accepted)
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			held = append(held, c)
		}
	}()
	t.Cleanup(func() {
		ln.Close()
		<-accepted
		for _, c := range held {
			c.Close()
		}
	})

	p := newPool([]string{ln.Addr().String(), hostPort(a)}, time.Minute, 200*time.Millisecond, nil)
	proxy := startProxy(t, p)
	if code, _ := get(t, proxy); code != http.StatusBadGateway {
		t.Fatalf("the silent backend's request: status %d, want 502", code)
	}
	if p.backends[0].downUntil.Load() == 0 {
		t.Fatal("the silent backend is not marked down")
	}
	for i := range 4 {
		if code, body := get(t, proxy); code != http.StatusOK || !strings.HasPrefix(body, "a ") {
			t.Fatalf("request %d: status %d, body %q: want every request served by a", i, code, body)
		}
	}
}

func TestAllBackendsDown(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	dead := ln.Addr().String()
	ln.Close()
	proxy := startProxy(t, newPool([]string{dead}, time.Second, 5*time.Second, nil))
	for range 2 {
		if code, _ := get(t, proxy); code != http.StatusBadGateway {
			t.Fatalf("status %d, want 502", code)
		}
	}
}

// TestWebSocketThroughProxy connects Parlor clients through the proxy to
// two engines: the upgrade passes, the engines' same-origin check accepts
// the proxy's address as the Origin, and the connections alternate
// between the engines.
func TestWebSocketThroughProxy(t *testing.T) {
	var addrs []string
	var engines []*engine.Engine
	for range 2 {
		e, err := engine.New(engine.Config{Authenticate: loopback.AuthenticateQuery, Secret: []byte("proxy test secret")})
		if err != nil {
			t.Fatal(err)
		}
		if err := e.Register(echo.Module{}); err != nil {
			t.Fatal(err)
		}
		s := httptest.NewServer(e)
		t.Cleanup(func() {
			_ = e.Shutdown(context.Background())
			s.Close()
		})
		addrs = append(addrs, hostPort(s))
		engines = append(engines, e)
	}
	proxy := startProxy(t, newPool(addrs, time.Second, 5*time.Second, nil))

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	opts := client.Options{Header: http.Header{"Origin": {"http://" + proxy}}}
	for i, user := range []string{"alice", "bob"} {
		c, err := client.Dial(ctx, "ws://"+proxy+"/?user="+user, opts)
		if err != nil {
			t.Fatalf("dial %s through the proxy: %v", user, err)
		}
		t.Cleanup(func() { _ = c.Close() })
		r, err := c.Join(ctx, echo.Kind, echo.JoinParams{Name: "lobby"})
		if err != nil {
			t.Fatalf("%s joins: %v", user, err)
		}
		if _, err := r.Send(ctx, "say", echo.SayData{Text: "hello"}); err != nil {
			t.Fatalf("%s sends: %v", user, err)
		}
		if n := engines[i].Stats().Sessions; n != 1 {
			t.Fatalf("engine %d holds %d sessions after %s dialed, want 1 (round robin)", i, n, user)
		}
	}
}
