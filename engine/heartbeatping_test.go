package engine

import (
	"context"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/lxzan/gws"
	"github.com/parlorhq/parlor/codec"
)

// pingEnv is one engine on loopback with one raw client connection whose
// bytes a goroutine reads and discards, and the server's session of it.
type pingEnv struct {
	e    *Engine
	s    *session
	conn *gws.Conn    // the client's end
	read atomic.Int64 // the bytes the client has read
}

// newPingEnv starts the engine and connects one client. The heartbeat is
// long, so that only the test pings.
func newPingEnv(tb testing.TB) *pingEnv {
	tb.Helper()
	e, err := New(Config{
		Authenticate:      func(r *http.Request) (string, error) { return "u", nil },
		Secret:            []byte("ping test"),
		HeartbeatInterval: time.Hour,
		HeartbeatTimeout:  time.Hour,
		HandshakeTimeout:  time.Hour,
	})
	if err != nil {
		tb.Fatal(err)
	}
	srv := httptest.NewServer(e)
	c, _, err := gws.NewClient(&gws.BuiltinEventHandler{}, &gws.ClientOption{
		Addr:          "ws" + strings.TrimPrefix(srv.URL, "http"),
		RequestHeader: http.Header{"Sec-WebSocket-Protocol": {Subprotocol}},
	})
	if err != nil {
		tb.Fatal(err)
	}
	if err := c.WriteMessage(gws.OpcodeBinary, codec.AppendConnect(nil, 1, "test", "")); err != nil {
		tb.Fatal(err)
	}
	env := &pingEnv{e: e, conn: c}
	go func() {
		buf := make([]byte, 4096)
		for {
			n, err := c.NetConn().Read(buf)
			env.read.Add(int64(n))
			if err != nil {
				return
			}
		}
	}()
	tb.Cleanup(func() {
		_ = c.NetConn().Close()
		srv.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := e.Shutdown(ctx); err != nil {
			tb.Errorf("Shutdown: %v", err)
		}
	})
	// Connected, its reply written and read, and the writer that wrote it
	// gone.
	deadline := time.Now().Add(5 * time.Second)
	for {
		if ss := e.sessions.values(); len(ss) == 1 && ss[0].connectedFlag.Load() && !ss[0].out.isWriting() && writersRunning() == 0 && env.read.Load() > 0 {
			env.s = ss[0]
			return env
		}
		if time.Now().After(deadline) {
			tb.Fatal("timed out waiting for the connected session and its writer to go idle")
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// isWriting reports whether a writer, or a claim, holds the outbox.
func (o *outbox) isWriting() bool {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.writing
}

// writersRunning counts the goroutines running or parked in the engine's
// writer loop. A writer that ran stays parked for writerIdle.
func writersRunning() int {
	buf := make([]byte, 1<<20)
	for {
		n := runtime.Stack(buf, true)
		if n < len(buf) {
			return strings.Count(string(buf[:n]), "engine.(*Engine).runWriter(")
		}
		buf = make([]byte, 2*len(buf))
	}
}

// TestPingFromWheel: on an idle connection the wheel's goroutine writes
// the ping itself, starting no writer, and leaves no write deadline armed;
// while the outbox has a writer, the ping goes to a writer instead, and
// frames queued around it all arrive.
func TestPingFromWheel(t *testing.T) {
	env := newPingEnv(t)
	s := env.s
	if s.sock < 0 {
		t.Skip("no socket descriptor on this platform")
	}
	before := env.read.Load()
	for range 3 {
		s.ping()
	}
	if got := writersRunning(); got != 0 {
		t.Fatalf("three pings of an idle connection started %d writers, want none", got)
	}
	if s.deadlineAt != 0 {
		t.Fatal("the ping left the writer's deadline record set")
	}
	// A busy outbox: the ping is handed to a writer.
	if !s.out.claim() {
		t.Fatal("claim of the idle outbox failed")
	}
	s.ping()
	if got := writersRunning(); got != 1 {
		t.Fatalf("a ping while the writer slot is held started %d writers, want 1", got)
	}
	if s.out.release() {
		t.Fatal("release asked for a writer with nothing queued")
	}
	// The client receives the four pings, two bytes each, and nothing
	// else.
	deadline := time.Now().Add(5 * time.Second)
	for env.read.Load()-before < 4*2 && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	if got := env.read.Load() - before; got != 4*2 {
		t.Fatalf("the client read %d bytes after the connect, want the 8 of four pings", got)
	}
}

// BenchmarkPing is the wheel writing one ping to an idle connection: the
// writability poll, the deadline and the write. It allocates nothing.
func BenchmarkPing(b *testing.B) {
	env := newPingEnv(b)
	if env.s.sock < 0 {
		b.Skip("no socket descriptor on this platform")
	}
	b.ReportAllocs()
	for b.Loop() {
		env.s.ping()
	}
	if got := writersRunning(); got != 0 {
		b.Fatalf("%d writers ran: pings went to writers, want all written by the caller", got)
	}
}
