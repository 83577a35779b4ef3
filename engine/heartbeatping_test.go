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

// newPingEnv starts the engine and connects one client, which reads
// what it is sent when read is true. The heartbeat is long, so that only
// the test pings. Each of configure, if any, changes the config first.
func newPingEnv(tb testing.TB, read bool, configure ...func(*Config)) *pingEnv {
	tb.Helper()
	cfg := Config{
		Authenticate:      func(r *http.Request) (string, error) { return "u", nil },
		Secret:            []byte("ping test"),
		HeartbeatInterval: time.Hour,
		HeartbeatTimeout:  time.Hour,
		HandshakeTimeout:  time.Hour,
		WriteTimeout:      2 * time.Second, // bounds a handed-over ping stuck on a full socket
	}
	for _, f := range configure {
		f(&cfg)
	}
	e, err := New(cfg)
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
		for read || env.read.Load() == 0 { // without read, only the connect reply
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
		if ss := e.sessions.values(); len(ss) == 1 && ss[0].isConnected() && !ss[0].out.isWriting() && writersRunning() == 0 && env.read.Load() > 0 {
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

// writersRunning counts the engine's writer goroutines: started, running
// or parked (a writer that ran stays parked for writerIdle). One that has
// not run yet shows only the wrapper of the go statement in startJob.
func writersRunning() int {
	buf := make([]byte, 1<<20)
	for {
		n := runtime.Stack(buf, true)
		if n < len(buf) {
			count := 0
			for _, g := range strings.Split(string(buf[:n]), "\n\n") {
				if strings.Contains(g, "engine.(*Engine).runWriter(") || strings.Contains(g, "engine.(*Engine).startJob.gowrap") {
					count++
				}
			}
			return count
		}
		buf = make([]byte, 2*len(buf))
	}
}

// TestPingFromWheel: on an idle connection the wheel's goroutine writes
// the ping itself, starting no writer, and leaves no write deadline armed;
// while the outbox has a writer, the ping goes to a writer instead, and
// frames queued around it all arrive.
func TestPingFromWheel(t *testing.T) {
	env := newPingEnv(t, true)
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
	env := newPingEnv(b, true)
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

// TestPingFullSocket: when the peer has stopped reading and the socket's
// buffer is full, the wheel does not write the ping itself, which would
// wait for the peer: it hands it to a writer and returns at once.
func TestPingFullSocket(t *testing.T) {
	env := newPingEnv(t, false)
	s := env.s
	if s.sock < 0 {
		t.Skip("no socket descriptor on this platform")
	}
	// Fill the socket past the gws framing: the client reads nothing, so
	// what is written here only has to fill the buffers.
	junk := make([]byte, 64<<10)
	for {
		_ = s.conn.NetConn().SetWriteDeadline(time.Now().Add(50 * time.Millisecond))
		if _, err := s.conn.NetConn().Write(junk); err != nil {
			break // the buffers are full
		}
	}
	if writable(s.sock) {
		t.Fatal("the socket polls writable with its buffers full")
	}
	done := make(chan struct{})
	go func() {
		s.ping()
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("ping waited on a full socket")
	}
	if got := writersRunning(); got != 1 {
		t.Fatalf("%d writers run, want the one the ping was handed to", got)
	}
	if s.out.isWriting() {
		t.Fatal("the ping kept the outbox's writer slot")
	}
}
