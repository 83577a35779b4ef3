// Package httpcheck holds test checks for the http.Server that a Parlor
// host runs: that its timeouts suit a server of WebSockets beside ordinary
// routes, and that it cuts off clients that send their request headers
// slowly. The load commands' server (internal/loopback) uses them; the
// examples carry their own checks, since they must not import internal/.
package httpcheck

import (
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"
)

// SlowHeaders connects to addr and sends a request's headers one byte
// every interval, never finishing them, until the server closes the
// connection or giveUp passes. It returns how long the server let it go
// on, the bytes it sent, and whether the server closed the connection.
func SlowHeaders(t testing.TB, addr string, every, giveUp time.Duration) (time.Duration, int, bool) {
	t.Helper()
	conn, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		t.Fatalf("dial: %v", err)
	}
	defer conn.Close()
	start := time.Now()
	closed := make(chan struct{})
	go func() {
		defer close(closed)
		_, _ = io.Copy(io.Discard, conn) // until the server closes it
	}()
	head := "GET / HTTP/1.1\r\nHost: " + addr + "\r\nX-Slow: " + strings.Repeat("a", 4096)
	tick := time.NewTicker(every)
	defer tick.Stop()
	giveUpAt := time.After(giveUp)
	sent := 0
	for sent < len(head) {
		select {
		case <-closed:
			return time.Since(start), sent, true
		case <-giveUpAt:
			_ = conn.Close()
			<-closed
			return time.Since(start), sent, false
		case <-tick.C:
		}
		if _, err := conn.Write([]byte{head[sent]}); err != nil {
			break
		}
		sent++
	}
	select {
	case <-closed:
		return time.Since(start), sent, true
	case <-giveUpAt:
		_ = conn.Close()
		<-closed
		return time.Since(start), sent, false
	}
}

// CutsSlowHeaders checks that a server at addr, whose ReadHeaderTimeout is
// limit, cuts off a client sending its headers byte by byte once limit
// has passed, and not much later.
func CutsSlowHeaders(t testing.TB, addr string, limit time.Duration) {
	t.Helper()
	d, sent, cut := SlowHeaders(t, addr, 50*time.Millisecond, limit+3*time.Second)
	if !cut {
		t.Fatalf("a client sending headers byte by byte was still connected after %v (%d bytes); ReadHeaderTimeout is %v", d, sent, limit)
	}
	if d < limit-100*time.Millisecond || d > limit+2*time.Second {
		t.Fatalf("the slow client was cut off after %v (%d bytes), want about ReadHeaderTimeout (%v)", d, sent, limit)
	}
	t.Logf("slow client cut off after %v, having sent %d header bytes", d, sent)
}

// Slowloris serves srv on loopback and checks CutsSlowHeaders against it.
func Slowloris(t testing.TB, srv *http.Server) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	served := make(chan struct{})
	go func() {
		defer close(served)
		_ = srv.Serve(ln)
	}()
	defer func() {
		_ = srv.Close()
		<-served
	}()
	CutsSlowHeaders(t, ln.Addr().String(), srv.ReadHeaderTimeout)
}

// ServerTimeouts checks the timeouts of a server that serves WebSockets
// beside ordinary routes: request headers and idle keep-alive connections
// bounded, and no ReadTimeout or WriteTimeout, which net/http clears on
// hijack anyway and which would only cut off the app's slow uploads and
// downloads.
func ServerTimeouts(t testing.TB, srv *http.Server) {
	t.Helper()
	if srv.ReadHeaderTimeout <= 0 || srv.ReadHeaderTimeout > 10*time.Second {
		t.Errorf("ReadHeaderTimeout %v, want a bound of at most 10s", srv.ReadHeaderTimeout)
	}
	if srv.ReadTimeout != 0 || srv.WriteTimeout != 0 {
		t.Errorf("ReadTimeout %v, WriteTimeout %v: want none for a WebSocket server", srv.ReadTimeout, srv.WriteTimeout)
	}
	if srv.IdleTimeout <= 0 {
		t.Errorf("IdleTimeout %v, want keep-alive connections bounded", srv.IdleTimeout)
	}
}
