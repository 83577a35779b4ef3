package main

import (
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"
	"go.uber.org/zap"
)

// TestServerTimeouts: the app's http.Server bounds request headers and
// idle keep-alive connections, and sets no ReadTimeout or WriteTimeout,
// which net/http clears on hijack anyway and which would only cut off
// slow downloads; the engine bounds WebSockets itself.
func TestServerTimeouts(t *testing.T) {
	srv := newServer(http.NotFoundHandler(), zap.NewNop())
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

// TestSlowloris: the app's own server cuts off a client that sends its
// request headers byte by byte, at ReadHeaderTimeout and not much later.
func TestSlowloris(t *testing.T) {
	defer goleak.VerifyNone(t)
	a, err := newApp(appConfig{Secret: testSecret})
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = a.eng.Shutdown(t.Context()) }()
	srv := newServer(a.Handler(), zap.NewNop())
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

	conn, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	start := time.Now()
	closed := make(chan time.Duration, 1)
	go func() {
		_, _ = io.Copy(io.Discard, conn) // until the server closes it
		closed <- time.Since(start)
	}()
	head := "GET / HTTP/1.1\r\nHost: hostserver\r\nX-Slow: " + strings.Repeat("a", 4096)
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	giveUp := time.After(srv.ReadHeaderTimeout + 3*time.Second)
	for i := 0; ; i++ {
		select {
		case d := <-closed:
			if d < srv.ReadHeaderTimeout-100*time.Millisecond {
				t.Fatalf("the slow client was cut off after %v, before ReadHeaderTimeout (%v)", d, srv.ReadHeaderTimeout)
			}
			t.Logf("slow client cut off after %v, having sent %d header bytes", d, i)
			return
		case <-giveUp:
			t.Fatalf("a client sending headers byte by byte was still connected after %v; ReadHeaderTimeout is %v",
				time.Since(start), srv.ReadHeaderTimeout)
		case <-tick.C:
			_, _ = conn.Write([]byte{head[i%len(head)]})
		}
	}
}
