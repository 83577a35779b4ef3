package client_test

import (
	"bytes"
	"errors"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/lxzan/gws"
	"github.com/parlorhq/parlor/client"
	"github.com/parlorhq/parlor/codec"
	"github.com/parlorhq/parlor/internal/testserver"
	"github.com/parlorhq/parlor/internal/wstest"
)

// fast is a reconnect policy for tests: quick, but still jittered.
var fast = client.ReconnectPolicy{MinDelay: 5 * time.Millisecond, MaxDelay: 40 * time.Millisecond}

// stateLog records a client's state changes. Its callback can hold the
// client in StateReconnecting until the test opens the gate.
type stateLog struct {
	ch   chan client.StateChange
	mu   sync.Mutex
	all  []client.StateChange
	gate chan struct{} // nil: no gate
}

// newStateLog returns a log; with gated, every StateReconnecting waits
// for a value on gate (see release) before the client goes on.
func newStateLog(gated bool) *stateLog {
	l := &stateLog{ch: make(chan client.StateChange, 1024)}
	if gated {
		l.gate = make(chan struct{})
	}
	return l
}

// record is the OnStateChange callback.
func (l *stateLog) record(sc client.StateChange) {
	l.mu.Lock()
	l.all = append(l.all, sc)
	l.mu.Unlock()
	select {
	case l.ch <- sc:
	default:
	}
	if l.gate != nil && sc.State == client.StateReconnecting {
		<-l.gate
	}
}

// release lets one gated reconnect go on.
func (l *stateLog) release(t *testing.T) {
	t.Helper()
	select {
	case l.gate <- struct{}{}:
	case <-time.After(waitTimeout):
		t.Fatal("no reconnect waiting at the gate")
	}
}

// wait returns the next recorded change to state, skipping others.
func (l *stateLog) wait(t *testing.T, state client.State) client.StateChange {
	t.Helper()
	timeout := time.After(waitTimeout)
	for {
		select {
		case sc := <-l.ch:
			if sc.State == state {
				return sc
			}
		case <-timeout:
			t.Fatalf("no %s state within %v (so far: %v)", state, waitTimeout, l.states())
		}
	}
}

// states lists the states recorded so far.
func (l *stateLog) states() []client.State {
	l.mu.Lock()
	defer l.mu.Unlock()
	var s []client.State
	for _, sc := range l.all {
		s = append(s, sc.State)
	}
	return s
}

// count returns how many changes to state were recorded.
func (l *stateLog) count(state client.State) int {
	n := 0
	for _, s := range l.states() {
		if s == state {
			n++
		}
	}
	return n
}

// nextEvent returns the client's next event, failing after waitTimeout or
// when Events closes.
func nextEvent(t *testing.T, c *client.Client) client.Event {
	t.Helper()
	select {
	case ev, ok := <-c.Events():
		if !ok {
			t.Fatalf("Events closed: %v", c.Err())
		}
		return ev
	case <-time.After(waitTimeout):
		t.Fatalf("no event within %v", waitTimeout)
	}
	panic("unreachable")
}

// noEvent fails if an event is already waiting on Events.
func noEvent(t *testing.T, c *client.Client) {
	t.Helper()
	select {
	case ev, ok := <-c.Events():
		if ok {
			t.Fatalf("unexpected event %+v", ev)
		}
	default:
	}
}

// waitDone waits for the client to end and returns Err.
func waitDone(t *testing.T, c *client.Client) error {
	t.Helper()
	select {
	case <-c.Done():
		return c.Err()
	case <-time.After(waitTimeout):
		t.Fatalf("client still running after %v (state %s)", waitTimeout, c.State())
	}
	return nil
}

// viaProxy returns the WebSocket URL that authenticates as user on s
// through p.
func viaProxy(p *wstest.Proxy, s *testserver.Server, user string) string {
	return strings.Replace(s.URL(user), s.HTTP.Listener.Addr().String(), p.Addr(), 1)
}

// fakeServer is a scripted parlor.v1 server: each test reads the frames a
// client sends and writes whatever answers it wants, to check the client
// against exact server behaviour (replays with overlaps, refused rejoins,
// close codes) without a real engine.
type fakeServer struct {
	t      *testing.T
	srv    *httptest.Server
	up     *gws.Upgrader
	conns  chan *fakeConn
	refuse atomic.Int32 // an HTTP status to refuse upgrades with; 0 accepts
	tries  atomic.Int32 // upgrade requests received
	hang   atomic.Int32 // how many upgrade requests to leave unanswered
	mu     sync.Mutex
	all    []*fakeConn
}

// fakeConn is one client connection of a fakeServer.
type fakeConn struct {
	t      *testing.T
	ws     *gws.Conn
	frames chan codec.Frame
	closed chan struct{}
	code   atomic.Int32 // the close code the client sent, if any
	// connect is the client's connect frame, once handshake read it.
	connect codec.Frame
}

func newFakeServer(t *testing.T) *fakeServer {
	t.Helper()
	fs := &fakeServer{t: t, conns: make(chan *fakeConn, 16)}
	fs.up = gws.NewUpgrader(&fakeHandler{}, &gws.ServerOption{SubProtocols: []string{client.Subprotocol}})
	fs.srv = httptest.NewServer(http.HandlerFunc(fs.serve))
	t.Cleanup(func() {
		fs.srv.Close()
		fs.mu.Lock()
		all := fs.all
		fs.mu.Unlock()
		for _, fc := range all {
			_ = fc.ws.NetConn().Close()
			<-fc.closed
		}
	})
	return fs
}

func (fs *fakeServer) url() string { return "ws" + strings.TrimPrefix(fs.srv.URL, "http") + "/" }

func (fs *fakeServer) serve(w http.ResponseWriter, r *http.Request) {
	fs.tries.Add(1)
	if fs.hang.Add(-1) >= 0 {
		<-r.Context().Done() // a paused node: the kernel took the connection
		return
	}
	if code := fs.refuse.Load(); code != 0 {
		http.Error(w, "refused", int(code))
		return
	}
	ws, err := fs.up.Upgrade(w, r)
	if err != nil {
		return
	}
	fc := &fakeConn{t: fs.t, ws: ws, frames: make(chan codec.Frame, 256), closed: make(chan struct{})}
	ws.Session().Store("fc", fc)
	fs.mu.Lock()
	fs.all = append(fs.all, fc)
	fs.mu.Unlock()
	go func() {
		ws.ReadLoop()
		close(fc.closed)
	}()
	fs.conns <- fc
}

// accept returns the next connection.
func (fs *fakeServer) accept() *fakeConn {
	fs.t.Helper()
	select {
	case fc := <-fs.conns:
		return fc
	case <-time.After(waitTimeout):
		fs.t.Fatalf("no connection within %v", waitTimeout)
	}
	return nil
}

// noConn fails if a connection arrives within d.
func (fs *fakeServer) noConn(d time.Duration) {
	fs.t.Helper()
	select {
	case <-fs.conns:
		fs.t.Fatal("the client connected again")
	case <-time.After(d):
	}
}

type fakeHandler struct{ gws.BuiltinEventHandler }

func (fakeHandler) OnClose(ws *gws.Conn, err error) {
	var ce *gws.CloseError
	if v, ok := ws.Session().Load("fc"); ok && errors.As(err, &ce) {
		v.(*fakeConn).code.Store(int32(ce.Code))
	}
}

func (fakeHandler) OnMessage(ws *gws.Conn, m *gws.Message) {
	defer m.Close()
	v, _ := ws.Session().Load("fc")
	fc := v.(*fakeConn)
	_ = codec.DecodeMessage(m.Bytes(), 0, func(f *codec.Frame) error {
		g := *f
		g.Params = bytes.Clone(f.Params)
		g.Data = bytes.Clone(f.Data)
		g.Snapshot = bytes.Clone(f.Snapshot)
		fc.frames <- g
		return nil
	})
}

// next returns the next frame the client sent.
func (fc *fakeConn) next() codec.Frame {
	fc.t.Helper()
	select {
	case f := <-fc.frames:
		return f
	case <-time.After(waitTimeout):
		fc.t.Fatalf("no frame from the client within %v", waitTimeout)
	}
	return codec.Frame{}
}

// expect returns the next frame, failing unless it has type typ.
func (fc *fakeConn) expect(typ codec.Type) codec.Frame {
	fc.t.Helper()
	f := fc.next()
	if f.Type != typ {
		fc.t.Fatalf("got a %s frame %+v, want %s", f.Type, f, typ)
	}
	return f
}

// send writes frames as one message.
func (fc *fakeConn) send(frames ...[]byte) {
	fc.t.Helper()
	if err := fc.ws.WriteMessage(gws.OpcodeBinary, bytes.Join(frames, nil)); err != nil {
		fc.t.Fatalf("server write: %v", err)
	}
}

// handshake answers the client's connect as session n with a token, and
// returns the connect frame.
func (fc *fakeConn) handshake(n int, resumed bool) codec.Frame {
	fc.t.Helper()
	f := fc.expect(codec.TypeConnect)
	fc.connect = f
	id := "s" + strconv.Itoa(n)
	fc.send(codec.AppendConnected(nil, f.Ref, id, "alice", 25000, "tok-"+id, resumed))
	return f
}

// handshakeFrame returns the connect frame handshake answered.
func (fc *fakeConn) handshakeFrame() codec.Frame { return fc.connect }

// kill closes the socket without a close frame.
func (fc *fakeConn) kill() { _ = fc.ws.NetConn().Close() }

// closeWith sends a close frame with code.
func (fc *fakeConn) closeWith(code uint16) { _ = fc.ws.WriteClose(code, []byte("test")) }
