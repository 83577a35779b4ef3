package loopback

import (
	"context"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/parlorhq/parlor/engine"
)

// TestServerTimeouts: the load commands' server bounds request headers
// and idle keep-alive connections, and leaves WebSockets to the engine.
func TestServerTimeouts(t *testing.T) {
	checkServerTimeouts(t, newServer(http.NotFoundHandler()))
}

// TestSlowloris: Serve's server cuts off a client that sends its request
// headers byte by byte, at ReadHeaderTimeout, and Serve's stop shuts it
// down.
func TestSlowloris(t *testing.T) {
	e, err := engine.New(engine.Config{Authenticate: AuthenticateQuery, Secret: []byte("loopback test secret")})
	if err != nil {
		t.Fatal(err)
	}
	addr, stop, err := Serve("127.0.0.1:0", e, e)
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := stop(ctx); err != nil {
			t.Errorf("stop: %v", err)
		}
	}()
	limit := newServer(nil).ReadHeaderTimeout
	d, sent, cut := slowloris(t, addr, 50*time.Millisecond, limit+3*time.Second)
	if !cut {
		t.Fatalf("a client sending headers byte by byte was still connected after %v (%d bytes)", d, sent)
	}
	if d < limit-100*time.Millisecond || d > limit+2*time.Second {
		t.Fatalf("the slow client was cut off after %v (%d bytes), want about ReadHeaderTimeout (%v)", d, sent, limit)
	}
	t.Logf("slow client cut off after %v, having sent %d header bytes", d, sent)
}

// slowloris connects to addr and sends a request's headers one byte every
// interval, never finishing them, until the server closes the connection
// or giveUp passes. It returns how long the server let it go on and the
// bytes it sent.
func slowloris(t *testing.T, addr string, every, giveUp time.Duration) (time.Duration, int, bool) {
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

// checkServerTimeouts checks the timeouts of a server that serves
// WebSockets beside ordinary routes.
func checkServerTimeouts(t *testing.T, srv *http.Server) {
	t.Helper()
	if srv.ReadHeaderTimeout <= 0 || srv.ReadHeaderTimeout > 10*time.Second {
		t.Errorf("ReadHeaderTimeout %v, want a bound of at most 10s", srv.ReadHeaderTimeout)
	}
	// net/http clears deadlines on hijack, so these would never bound a
	// WebSocket; set, they would only cut off slow uploads and downloads
	// of the app's own routes.
	if srv.ReadTimeout != 0 || srv.WriteTimeout != 0 {
		t.Errorf("ReadTimeout %v, WriteTimeout %v: want none for a WebSocket server", srv.ReadTimeout, srv.WriteTimeout)
	}
	if srv.IdleTimeout <= 0 {
		t.Errorf("IdleTimeout %v, want keep-alive connections bounded", srv.IdleTimeout)
	}
}
