package engine_test

import (
	"errors"
	"net/http"
	"sync/atomic"
	"testing"
	"time"

	"github.com/lxzan/gws"
	"github.com/parlorhq/parlor/client"
	"github.com/parlorhq/parlor/codec"
	"github.com/parlorhq/parlor/engine"
	"github.com/parlorhq/parlor/internal/echo"
)

// noPongHandler is a gws client that reads everything but never answers
// pings.
type noPongHandler struct {
	gws.BuiltinEventHandler
	pings  chan struct{}
	closed chan struct{}
	err    error // why the connection closed; read after closed
}

func (h *noPongHandler) OnPing(*gws.Conn, []byte) {
	select {
	case h.pings <- struct{}{}:
	default:
	}
}

func (h *noPongHandler) OnMessage(_ *gws.Conn, m *gws.Message) { m.Close() }

func (h *noPongHandler) OnClose(_ *gws.Conn, err error) {
	h.err = err
	close(h.closed)
}

// TestHeartbeat: peers that do not answer pings are closed a heartbeat
// interval plus timeout after they were last heard from; a client that
// answers stays connected.
func TestHeartbeat(t *testing.T) {
	const interval, timeout = 100 * time.Millisecond, 100 * time.Millisecond
	// Closing should take interval+timeout; allow for a loaded machine.
	const within = 1500 * time.Millisecond
	env := newEnv(t, engine.Config{HeartbeatInterval: interval, HeartbeatTimeout: timeout})

	good := env.dial("good")
	if hb := good.Heartbeat(); hb != interval {
		t.Fatalf("connected frame says heartbeat %v, want %v", hb, interval)
	}
	goodSince := time.Now()

	// A peer that never reads at all, and so never answers a ping.
	deaf := env.rawDial("deaf", nil)
	deaf.connect()
	deafSince := time.Now()

	// A peer that reads, but never answers a ping.
	h := &noPongHandler{pings: make(chan struct{}, 1), closed: make(chan struct{})}
	mute, _, err := gws.NewClient(h, &gws.ClientOption{
		Addr:          env.wsURL,
		RequestHeader: http.Header{"X-User": {"mute"}, "Sec-WebSocket-Protocol": {engine.Subprotocol}},
	})
	if err != nil {
		t.Fatalf("gws dial: %v", err)
	}
	go mute.ReadLoop()
	t.Cleanup(func() { _ = mute.WriteClose(1000, nil); <-h.closed })
	if err := mute.WriteMessage(gws.OpcodeBinary, codec.AppendConnect(nil, 1, "mute", "")); err != nil {
		t.Fatal(err)
	}
	muteSince := time.Now()
	env.waitSessions(3)

	select {
	case <-h.closed:
		if d := time.Since(muteSince); d < interval {
			t.Fatalf("the mute peer was closed after %v, before its first ping was due", d)
		}
		var ce *gws.CloseError
		if !errors.As(h.err, &ce) || ce.Code != engine.CloseHeartbeatTimeout {
			t.Fatalf("the mute peer was closed with %v, want close code %d", h.err, engine.CloseHeartbeatTimeout)
		}
	case <-time.After(within):
		t.Fatalf("the mute peer was not closed within %v", within)
	}
	select {
	case <-h.pings:
	default:
		t.Error("the mute peer was never pinged")
	}

	// The deaf peer's session ends; then its socket reads end of stream.
	eventually(t, within, "the deaf peer's session to end", func() bool { return env.e.Stats().Sessions == 1 })
	t.Logf("deaf peer closed after %v", time.Since(deafSince))
	res := deaf.readClose(waitTimeout)
	if res.pings == 0 {
		t.Error("the deaf peer was never pinged")
	}

	// The good client stays connected across many heartbeats.
	select {
	case <-good.Done():
		t.Fatalf("the good client was closed: %v", good.Err())
	case <-time.After(time.Second - time.Since(goodSince)):
	}
	j := good.join(echo.Kind, echo.JoinParams{Name: "alive"})
	good.say(j.Room, "still here")
	good.waitEvents(j.Room, "said", 1)
	if st := env.e.Stats(); st.Sessions != 1 {
		t.Fatalf("stats %+v, want only the good session", st)
	}
}

// TestHandshake: the connect frame must come first, and in time.
func TestHandshake(t *testing.T) {
	t.Run("no connect frame in time", func(t *testing.T) {
		env := newEnv(t, engine.Config{HandshakeTimeout: 100 * time.Millisecond})
		// The server's clock starts once the upgrade is done, which is
		// before the dial returns here: start counting before the dial.
		start := time.Now()
		w := env.rawDial("alice", nil)
		res := w.readClose(waitTimeout)
		if d := time.Since(start); d < 100*time.Millisecond {
			t.Errorf("closed after %v, before the handshake timeout", d)
		}
		if res.closeCode != engine.ClosePolicy {
			t.Fatalf("close code %d (%q), want %d", res.closeCode, res.reason, engine.ClosePolicy)
		}
		assertErrorFrame(t, res, codec.CodeUnauthorized)
		env.waitSessions(0)
	})
	t.Run("connect in time", func(t *testing.T) {
		env := newEnv(t, engine.Config{HandshakeTimeout: 100 * time.Millisecond})
		c := env.dial("alice")
		select {
		case <-c.Done():
			t.Fatalf("closed: %v", c.Err())
		case <-time.After(300 * time.Millisecond):
		}
		c.join(echo.Kind, echo.JoinParams{Name: "ok"})
	})
	frames := []struct {
		name string
		msg  []byte
	}{
		{"join", codec.AppendJoin(nil, 1, echo.Kind, []byte{0x81, 0xa4, 'n', 'a', 'm', 'e', 0xa1, 'x'}, "", 0)},
		{"send", codec.AppendSend(nil, 1, echoRoomID("x"), "say", nil, "")},
		{"leave", codec.AppendLeave(nil, 1, echoRoomID("x"))},
		{"connect after a join in the same message", codec.AppendConnect(codec.AppendJoin(nil, 1, echo.Kind, nil, "", 0), 2, "late", "")},
	}
	for _, tt := range frames {
		t.Run(tt.name+" before connect", func(t *testing.T) {
			env := newEnv(t, engine.Config{})
			w := env.rawDial("alice", nil)
			w.send(tt.msg)
			res := w.readClose(waitTimeout)
			if res.closeCode != engine.ClosePolicy {
				t.Fatalf("close code %d (%q), want %d", res.closeCode, res.reason, engine.ClosePolicy)
			}
			assertErrorFrame(t, res, codec.CodeUnauthorized)
			for _, f := range res.frames {
				if f.Type != codec.TypeError {
					t.Errorf("unexpected frame %+v", f)
				}
			}
			if st := env.e.Stats(); st.Rooms != 0 {
				t.Errorf("a request before connect created a room: %+v", st)
			}
		})
	}
	t.Run("second connect", func(t *testing.T) {
		env := newEnv(t, engine.Config{})
		w := env.rawDial("alice", nil)
		w.connect()
		w.send(codec.AppendConnect(nil, 2, "again", ""))
		res := w.readUntil(waitTimeout, func(f *codec.Frame) bool { return f.Ref == 2 })
		if f := res.last(t); f.Type != codec.TypeReply || f.Code != codec.CodeConflict {
			t.Fatalf("second connect answered with %+v, want a conflict reply", f)
		}
	})
}

// TestHeartbeatSlowInlineHandler: a send that runs its room's OnMessage
// on the connection's reader for longer than the heartbeat timeout does
// not close the connection as silent: the pong that arrived meanwhile is
// read once the handler returns.
func TestHeartbeatSlowInlineHandler(t *testing.T) {
	const interval, timeout = 100 * time.Millisecond, 100 * time.Millisecond
	env := newEnv(t, engine.Config{HeartbeatInterval: interval, HeartbeatTimeout: timeout}, newTestModule())
	var opened, dropped atomic.Int32
	c, err := env.dialOpts("alice", client.Options{
		Reconnect: client.ReconnectPolicy{Disabled: true},
		OnStateChange: func(sc client.StateChange) {
			if sc.State == client.StateOpen {
				opened.Add(1)
			} else if opened.Load() > 0 {
				dropped.Add(1)
			}
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	j := c.join(testKind, testParams{Name: "slow"})
	// The handler sleeps 700 ms: several pings go out and their pongs
	// wait in the socket until the reader is back.
	if _, err := c.Send(testCtx(t), j.Room, "slow", nil); err != nil {
		t.Fatalf("slow send: %v", err)
	}
	time.Sleep(3 * (interval + timeout))
	if _, err := c.Send(testCtx(t), j.Room, "say", echo.SayData{Text: "still here"}); err != nil {
		t.Fatalf("send after the slow one: %v", err)
	}
	if n := dropped.Load(); n != 0 {
		t.Fatalf("the connection changed state %d times; want it kept open", n)
	}
}
