package engine_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/parlorhq/parlor/client"
	"github.com/parlorhq/parlor/codec"
	"github.com/parlorhq/parlor/engine"
	"github.com/parlorhq/parlor/internal/echo"
	"github.com/parlorhq/parlor/internal/wstest"
	"github.com/parlorhq/parlor/room"
)

// waitTimeout bounds every wait for something that should happen promptly.
// Tests wait for conditions, never for fixed times.
const waitTimeout = 5 * time.Second

var testSecret = []byte("parlor engine test secret")

// testAuth is the tests' Authenticate: the user comes from the X-User
// header, or else the ?user= query parameter. No user is a 401.
func testAuth(r *http.Request) (string, error) {
	if u := r.Header.Get("X-User"); u != "" {
		return u, nil
	}
	if u := r.URL.Query().Get("user"); u != "" {
		return u, nil
	}
	return "", errors.New("test: no user")
}

// testEnv is one engine on a loopback httptest server.
type testEnv struct {
	t     testing.TB
	e     *engine.Engine
	srv   *httptest.Server
	wsURL string // ws://127.0.0.1:port/
}

// newEnv starts an engine with cfg (Authenticate and Secret defaulted to the
// tests' own), the echo module and mods. Cleanup closes, in order, the
// clients dialed afterwards, the engine (Shutdown, which must succeed and
// leave no sessions or rooms) and the server.
func newEnv(t testing.TB, cfg engine.Config, mods ...room.Module) *testEnv {
	t.Helper()
	if cfg.Authenticate == nil {
		cfg.Authenticate = testAuth
	}
	if cfg.Secret == nil {
		cfg.Secret = testSecret
	}
	e, err := engine.New(cfg)
	if err != nil {
		t.Fatalf("engine.New: %v", err)
	}
	if err := e.Register(echo.Module{}); err != nil {
		t.Fatalf("register echo: %v", err)
	}
	for _, m := range mods {
		if err := e.Register(m); err != nil {
			t.Fatalf("register %s: %v", m.Kind(), err)
		}
	}
	srv := httptest.NewServer(e)
	t.Cleanup(srv.Close)
	env := &testEnv{t: t, e: e, srv: srv, wsURL: "ws" + strings.TrimPrefix(srv.URL, "http") + "/"}
	t.Cleanup(func() { env.shutdown(t) })
	return env
}

// shutdown shuts the engine down and checks it is empty afterwards. It may
// run more than once.
func (env *testEnv) shutdown(t testing.TB) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
	defer cancel()
	if err := env.e.Shutdown(ctx); err != nil {
		t.Errorf("Shutdown: %v", err)
		return
	}
	if st := env.e.Stats(); st.Sessions != 0 || st.Rooms != 0 {
		t.Errorf("after Shutdown: %+v, want no sessions and no rooms", st)
	}
}

// host is the server's host:port.
func (env *testEnv) host() string { return env.srv.Listener.Addr().String() }

// dial connects a client as user (through the X-User header) and fails the
// test if it cannot.
func (env *testEnv) dial(user string) *tclient {
	env.t.Helper()
	c, err := env.dialOpts(user, client.Options{})
	if err != nil {
		env.t.Fatalf("dial as %q: %v", user, err)
	}
	return c
}

// dialOpts connects a client as user with opts; an empty user sends no
// X-User header.
func (env *testEnv) dialOpts(user string, opts client.Options) (*tclient, error) {
	h := opts.Header.Clone()
	if h == nil {
		h = http.Header{}
	}
	if user != "" {
		h.Set("X-User", user)
	}
	opts.Header = h
	// These tests watch what the server does to one connection: a client
	// that reconnected on its own would hide it. The client's tests cover
	// reconnecting.
	opts.Reconnect.Disabled = true
	ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
	defer cancel()
	c, err := client.Dial(ctx, env.wsURL, opts)
	if err != nil {
		return nil, err
	}
	tc := newTClient(env.t, c)
	env.t.Cleanup(tc.close)
	return tc, nil
}

// ctx returns a context for one request.
func testCtx(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
	t.Cleanup(cancel)
	return ctx
}

// eventually polls cond until it holds, failing the test after timeout.
func eventually(t testing.TB, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s", timeout, what)
		}
		time.Sleep(2 * time.Millisecond)
	}
}

// waitSessions waits until the engine has n sessions.
func (env *testEnv) waitSessions(n int) {
	env.t.Helper()
	eventually(env.t, waitTimeout, fmt.Sprintf("%d sessions", n), func() bool { return env.e.Stats().Sessions == n })
}

// ---------------------------------------------------------------------------
// A client that records its events.

// tclient is a client.Client whose events are drained into a log as they
// arrive, so that the client never stops reading and tests can wait for
// events by condition.
type tclient struct {
	*client.Client
	t       testing.TB
	mu      sync.Mutex
	events  []client.Event
	changed chan struct{} // closed and replaced when events grows
	drained chan struct{} // closed when Events is closed
	once    sync.Once
}

func newTClient(t testing.TB, c *client.Client) *tclient {
	tc := &tclient{Client: c, t: t, changed: make(chan struct{}), drained: make(chan struct{})}
	go tc.drain()
	return tc
}

func (c *tclient) drain() {
	defer close(c.drained)
	for ev := range c.Client.Events() {
		c.mu.Lock()
		c.events = append(c.events, ev)
		close(c.changed)
		c.changed = make(chan struct{})
		c.mu.Unlock()
	}
}

// close closes the client and waits for its event log to be complete.
func (c *tclient) close() {
	c.once.Do(func() {
		_ = c.Client.Close()
		<-c.drained
	})
}

// snapshot returns the events received so far.
func (c *tclient) snapshot() []client.Event {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]client.Event(nil), c.events...)
}

// waitUntil waits until cond holds for the events received so far and
// returns them.
func (c *tclient) waitUntil(what string, cond func([]client.Event) bool) []client.Event {
	c.t.Helper()
	timer := time.NewTimer(waitTimeout)
	defer timer.Stop()
	for {
		c.mu.Lock()
		evs := append([]client.Event(nil), c.events...)
		changed := c.changed
		c.mu.Unlock()
		if cond(evs) {
			return evs
		}
		select {
		case <-changed:
		case <-c.drained:
			c.mu.Lock()
			evs = append([]client.Event(nil), c.events...)
			c.mu.Unlock()
			if cond(evs) {
				return evs
			}
			c.t.Fatalf("%s: connection closed (%v) before %s; events: %s", c.UserID(), c.Err(), what, fmtEvents(evs))
		case <-timer.C:
			c.t.Fatalf("%s: timed out waiting for %s; events: %s", c.UserID(), what, fmtEvents(evs))
		}
	}
}

// waitEvents waits until n events of room named name have arrived and
// returns those events.
func (c *tclient) waitEvents(roomID, name string, n int) []client.Event {
	c.t.Helper()
	var got []client.Event
	c.waitUntil(fmt.Sprintf("%d %q events", n, name), func(evs []client.Event) bool {
		got = filterEvents(evs, roomID, name)
		return len(got) >= n
	})
	return got
}

// waitClosed waits for the connection to close and returns why.
func (c *tclient) waitClosed() error {
	c.t.Helper()
	select {
	case <-c.Done():
	case <-time.After(waitTimeout):
		c.t.Fatalf("%s: connection still open after %v", c.UserID(), waitTimeout)
	}
	<-c.drained
	return c.Err()
}

// closeCode waits for the connection to close and returns the close code
// the server sent, failing if the connection ended without a close frame.
func (c *tclient) closeCode() uint16 {
	c.t.Helper()
	err := c.waitClosed()
	var ce *client.CloseError
	if !errors.As(err, &ce) {
		c.t.Fatalf("%s: connection ended with %v, want a close frame", c.UserID(), err)
	}
	return ce.Code
}

// join joins a room and fails the test on error.
func (c *tclient) join(kind string, params any) *client.Joined {
	c.t.Helper()
	j, err := c.Join(testCtx(c.t), kind, params)
	if err != nil {
		c.t.Fatalf("%s: join %s %+v: %v", c.UserID(), kind, params, err)
	}
	return j
}

// say sends an echo-style say event and returns the broadcast's seq.
func (c *tclient) say(roomID, text string) uint64 {
	c.t.Helper()
	rep, err := c.Send(testCtx(c.t), roomID, "say", echo.SayData{Text: text})
	if err != nil {
		c.t.Fatalf("%s: say %q: %v", c.UserID(), text, err)
	}
	var r struct {
		Seq uint64 `msgpack:"seq"`
	}
	if err := rep.Decode(&r); err != nil {
		c.t.Fatalf("%s: decode say reply: %v", c.UserID(), err)
	}
	return r.Seq
}

func filterEvents(evs []client.Event, roomID, name string) []client.Event {
	var out []client.Event
	for _, ev := range evs {
		if (roomID == "" || ev.Room == roomID) && ev.Name == name && !ev.Left {
			out = append(out, ev)
		}
	}
	return out
}

func fmtEvents(evs []client.Event) string {
	var b strings.Builder
	b.WriteString("[")
	for i, ev := range evs {
		if i == 20 {
			fmt.Fprintf(&b, " …%d more", len(evs)-i)
			break
		}
		if ev.Left {
			fmt.Fprintf(&b, " left(%.8s,%s)", ev.Room, ev.Reason)
			continue
		}
		fmt.Fprintf(&b, " %s(%.8s,#%d)", ev.Name, ev.Room, ev.Seq)
	}
	b.WriteString(" ]")
	return b.String()
}

func decodeSaid(t testing.TB, ev client.Event) echo.Said {
	t.Helper()
	var s echo.Said
	if err := ev.Decode(&s); err != nil {
		t.Fatalf("decode said: %v", err)
	}
	return s
}

// codeOf returns the code of a *codec.Error, or fails the test.
func codeOf(t testing.TB, err error) codec.Code {
	t.Helper()
	var ce *codec.Error
	if !errors.As(err, &ce) {
		t.Fatalf("error %v (%T) is not a *codec.Error", err, err)
	}
	return ce.Code
}

// ---------------------------------------------------------------------------
// Raw HTTP upgrade requests.

const wsKey = "dGhlIHNhbXBsZSBub25jZQ=="

// upgradeRequest returns a well-formed parlor.v1 upgrade request for the
// server, as user (through X-User) unless user is empty.
func (env *testEnv) upgradeRequest(user string) *http.Request {
	req, err := http.NewRequest(http.MethodGet, env.srv.URL+"/", nil)
	if err != nil {
		env.t.Fatal(err)
	}
	req.Header.Set("Connection", "Upgrade")
	req.Header.Set("Upgrade", "websocket")
	req.Header.Set("Sec-WebSocket-Version", "13")
	req.Header.Set("Sec-WebSocket-Key", wsKey)
	req.Header.Set("Sec-WebSocket-Protocol", engine.Subprotocol)
	if user != "" {
		req.Header.Set("X-User", user)
	}
	return req
}

// do sends req with net/http on a fresh connection and returns the status.
// A 101 response is checked for a correct handshake and its connection is
// closed.
func (env *testEnv) do(req *http.Request) int {
	env.t.Helper()
	tr := &http.Transport{DisableKeepAlives: true}
	defer tr.CloseIdleConnections()
	hc := &http.Client{Transport: tr, Timeout: waitTimeout}
	resp, err := hc.Do(req)
	if err != nil {
		env.t.Fatalf("%s %s: %v", req.Method, req.URL, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode == http.StatusSwitchingProtocols {
		if got, want := resp.Header.Get("Sec-WebSocket-Accept"), wstest.AcceptKey(req.Header.Get("Sec-WebSocket-Key")); got != want {
			env.t.Errorf("101 with Sec-WebSocket-Accept %q, want %q", got, want)
		}
		if got := resp.Header.Get("Sec-WebSocket-Protocol"); got != engine.Subprotocol {
			env.t.Errorf("101 with subprotocol %q, want %q", got, engine.Subprotocol)
		}
	} else {
		_, _ = io.Copy(io.Discard, resp.Body)
	}
	return resp.StatusCode
}

// ---------------------------------------------------------------------------
// A hand-written WebSocket client (internal/wstest), for peers that
// misbehave in ways a real client library will not: never reading, never
// answering pings, sending text or frames before connect. rawWS binds it
// to a test, which fails on any error.

type rawWS struct {
	*wstest.Conn
	t    testing.TB
	conn net.Conn // the TCP connection, for bytes written as they are
}

// rawDial opens a TCP connection, performs the upgrade as user and checks
// for 101. configure, if set, runs on the TCP connection before the upgrade.
func (env *testEnv) rawDial(user string, configure func(*net.TCPConn)) *rawWS {
	env.t.Helper()
	w, _ := rawDialOpts(env.t, env, user, wstest.Options{Configure: configure})
	return w
}

// rawDialHeader is rawDial with extra upgrade headers, reporting to t
// (which may be a subtest's). It returns the peer and the 101 response.
func rawDialHeader(t testing.TB, env *testEnv, user string, extra http.Header) (*rawWS, *http.Response) {
	t.Helper()
	return rawDialOpts(t, env, user, wstest.Options{Header: extra})
}

func rawDialOpts(t testing.TB, env *testEnv, user string, opts wstest.Options) (*rawWS, *http.Response) {
	t.Helper()
	opts.Header = opts.Header.Clone()
	if opts.Header == nil {
		opts.Header = http.Header{}
	}
	opts.Header.Set("X-User", user)
	opts.Timeout = waitTimeout
	c, err := wstest.Dial(env.host(), opts)
	if err != nil {
		t.Fatalf("raw dial as %q: %v", user, err)
	}
	t.Cleanup(func() { _ = c.Close() })
	return &rawWS{Conn: c, t: t, conn: c.NetConn()}, c.Response
}

// WebSocket opcodes.
const (
	opText   = wstest.OpText
	opBinary = wstest.OpBinary
	opClose  = wstest.OpClose
	opPing   = wstest.OpPing
	opPong   = wstest.OpPong
)

// writeFrame writes one final, masked frame.
func (w *rawWS) writeFrame(opcode byte, payload []byte) {
	w.t.Helper()
	if err := w.WriteFrame(opcode, payload); err != nil {
		w.t.Fatalf("raw write: %v", err)
	}
}

// tryWriteFrame writes one final, masked frame, for writes the server may
// refuse by closing the connection.
func (w *rawWS) tryWriteFrame(opcode byte, payload []byte) error {
	return w.WriteFrame(opcode, payload)
}

// readFrame reads one frame from the server.
func (w *rawWS) readFrame() (opcode byte, payload []byte, err error) {
	f, err := w.ReadFrame()
	return f.Op, f.Payload, err
}

// encodeFrame returns one final, masked frame.
func (w *rawWS) encodeFrame(opcode byte, payload []byte) []byte {
	return wstest.AppendFrame(nil, wstest.Fin|opcode, payload)
}

// send writes a binary message.
func (w *rawWS) send(msg []byte) { w.t.Helper(); w.writeFrame(opBinary, msg) }

// rawResult is what a raw peer saw until the server closed the connection.
type rawResult struct {
	frames    []codec.Frame
	closeCode uint16 // 0 if the connection ended without a close frame
	reason    string
	pings     int
}

// readUntil reads messages, ignoring pings (which it never answers),
// until stop returns true for a frame, the server sends a close frame,
// or the connection ends. It fails the test on timeout.
func (w *rawWS) readUntil(timeout time.Duration, stop func(f *codec.Frame) bool) rawResult {
	w.t.Helper()
	res, err := w.ReadUntil(timeout, stop)
	if err != nil {
		w.t.Fatalf("raw: %v; frames so far: %+v", err, res.Frames)
	}
	if res.Err != nil {
		w.t.Logf("raw: the connection ended: %v", res.Err)
	}
	return rawResult{frames: res.Frames, closeCode: res.CloseCode, reason: res.Reason, pings: res.Pings}
}

// last returns the last frame read, failing the test if there was none.
func (res rawResult) last(t testing.TB) codec.Frame {
	t.Helper()
	if len(res.frames) == 0 {
		t.Fatalf("raw: no frame before the connection ended (close %d %q)", res.closeCode, res.reason)
	}
	return res.frames[len(res.frames)-1]
}

// readClose reads until the server closes the connection.
func (w *rawWS) readClose(timeout time.Duration) rawResult {
	w.t.Helper()
	return w.readUntil(timeout, nil)
}

// connect sends a connect frame and waits for connected.
func (w *rawWS) connect() codec.Frame {
	w.t.Helper()
	f, err := w.Connect(1, "raw-test", "")
	if err != nil {
		w.t.Fatalf("raw connect: %v", err)
	}
	return f
}

// join sends a join frame and waits for the joined frame answering it.
func (w *rawWS) join(ref uint64, kind string, params any) codec.Frame {
	w.t.Helper()
	f, err := w.Join(ref, kind, params)
	if err != nil {
		w.t.Fatalf("raw join: %v", err)
	}
	return f
}

// ---------------------------------------------------------------------------
// A test module that records its lifecycle hooks.

const testKind = "test"

// slowMessage is how long the test module's "slow" event takes.
const slowMessage = 700 * time.Millisecond

// testParams are the test module's join parameters.
type testParams struct {
	Name string `msgpack:"name"`
	// Panic makes a hook panic: "resolve", "newhandler", "create" or
	// "join".
	Panic string `msgpack:"panic,omitempty"`
}

// hookRec is one recorded hook call.
type hookRec struct {
	Room   string
	Hook   string // create, join, message, leave, dispose
	User   string
	Reason string // leave or dispose reason; client message id for messages
}

// hookLog records hook calls from room goroutines.
type hookLog struct {
	mu   sync.Mutex
	recs []hookRec
}

func (l *hookLog) add(r hookRec) {
	l.mu.Lock()
	l.recs = append(l.recs, r)
	l.mu.Unlock()
}

func (l *hookLog) all() []hookRec {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]hookRec(nil), l.recs...)
}

// count counts the records that match want, where empty fields of want
// match anything.
func (l *hookLog) count(want hookRec) int {
	n := 0
	for _, r := range l.all() {
		if (want.Room == "" || r.Room == want.Room) && (want.Hook == "" || r.Hook == want.Hook) &&
			(want.User == "" || r.User == want.User) && (want.Reason == "" || r.Reason == want.Reason) {
			n++
		}
	}
	return n
}

// wait waits until at least n records match want.
func (l *hookLog) wait(t testing.TB, want hookRec, n int) {
	t.Helper()
	eventually(t, waitTimeout, fmt.Sprintf("%d hook calls like %+v (log %+v)", n, want, l.all()), func() bool {
		return l.count(want) >= n
	})
}

// testModule is a module of kind "test" whose rooms record every hook in
// log, broadcast "say" events like echo, and panic on "boom" (and in the
// hook named by a join's Panic parameter).
type testModule struct {
	log *hookLog
	// disposing, if set, receives the room id when OnDispose starts (if
	// it has room in its buffer), and
	// disposeGate, if set, holds OnDispose until it is closed.
	disposing   chan string
	disposeGate chan struct{}
	// leaving, if set, receives the user when OnLeave starts (if it has
	// room in its buffer), and leaveGate, if set, holds OnLeave until it
	// is closed.
	leaving   chan string
	leaveGate chan struct{}
	// messageGate, if set, holds the "block" event's OnMessage until it
	// is closed; roomGates (room id → chan struct{}) holds it in one room
	// instead.
	messageGate chan struct{}
	roomGates   sync.Map

	panics sync.Map // room id → panic mode from the join that resolved it
}

func newTestModule() *testModule {
	return &testModule{log: &hookLog{}}
}

func (m *testModule) Kind() string { return testKind }

func (m *testModule) Resolve(_ context.Context, req *room.ResolveRequest) (string, error) {
	var p testParams
	if err := codec.UnmarshalData(req.Params, &p); err != nil {
		return "", err
	}
	if p.Name == "" {
		return "", codec.Errorf(codec.CodeBadRequest, "name required")
	}
	if p.Panic == "resolve" {
		panic("test: panic in Resolve")
	}
	id := req.KeyedID(p.Name)
	if p.Panic != "" {
		m.panics.Store(id, p.Panic)
	}
	return id, nil
}

func (m *testModule) panicMode(id string) string {
	v, _ := m.panics.Load(id)
	s, _ := v.(string)
	return s
}

func (m *testModule) NewHandler(id string) room.Handler {
	if m.panicMode(id) == "newhandler" {
		panic("test: panic in NewHandler")
	}
	return &testHandler{m: m}
}

type testHandler struct {
	m *testModule
}

func (h *testHandler) OnCreate(r *room.Room) error {
	h.m.log.add(hookRec{Room: r.ID(), Hook: "create"})
	if h.m.panicMode(r.ID()) == "create" {
		panic("test: panic in OnCreate")
	}
	return nil
}

func (h *testHandler) OnJoin(r *room.Room, j *room.Join) (any, error) {
	var p testParams
	if err := codec.UnmarshalData(j.Params, &p); err != nil {
		return nil, err
	}
	if p.Panic == "join" {
		panic("test: panic in OnJoin")
	}
	h.m.log.add(hookRec{Room: r.ID(), Hook: "join", User: j.User})
	return nil, nil
}

func (h *testHandler) OnMessage(r *room.Room, msg *room.Message) (any, error) {
	h.m.log.add(hookRec{Room: r.ID(), Hook: "message", User: msg.User, Reason: msg.ClientMsgID})
	switch msg.Event {
	case "boom":
		panic("test: panic in OnMessage")
	case "slow":
		// A handler that takes its time, like a store under load.
		time.Sleep(slowMessage)
		return nil, nil
	case "block":
		// A handler that runs until the test lets it go.
		gate := h.m.messageGate
		if g, ok := h.m.roomGates.Load(r.ID()); ok {
			gate = g.(chan struct{})
		}
		<-gate
		return nil, nil
	case "say":
		var d echo.SayData
		if err := codec.UnmarshalData(msg.Data, &d); err != nil {
			return nil, err
		}
		seq, err := r.Broadcast("said", echo.Said{From: msg.User, Text: d.Text})
		if err != nil {
			return nil, err
		}
		return map[string]uint64{"seq": seq}, nil
	}
	return nil, room.ErrUnknownEvent
}

func (h *testHandler) OnLeave(r *room.Room, user string, reason room.LeaveReason) {
	h.m.log.add(hookRec{Room: r.ID(), Hook: "leave", User: user, Reason: string(reason)})
	if h.m.leaving != nil {
		select {
		case h.m.leaving <- user:
		default:
		}
	}
	if h.m.leaveGate != nil {
		<-h.m.leaveGate
	}
}

func (h *testHandler) OnDispose(r *room.Room, reason room.DisposeReason) {
	h.m.log.add(hookRec{Room: r.ID(), Hook: "dispose", Reason: string(reason)})
	if h.m.disposing != nil {
		select {
		case h.m.disposing <- r.ID():
		default:
		}
	}
	if h.m.disposeGate != nil {
		<-h.m.disposeGate
	}
}

// testRoomID is the id the test module resolves name to.
func testRoomID(name string) string { return room.KeyedID(testSecret, testKind, name) }

// echoRoomID is the id the echo module resolves name to.
func echoRoomID(name string) string { return room.KeyedID(testSecret, echo.Kind, name) }
