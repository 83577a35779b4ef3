package engine

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/lxzan/gws"
	"github.com/parlorhq/parlor/codec"
)

// pingCounter is a gws client that answers pings and counts them.
type pingCounter struct {
	gws.BuiltinEventHandler
	pings atomic.Int32
}

func (h *pingCounter) OnPing(c *gws.Conn, p []byte) {
	h.pings.Add(1)
	_ = c.WritePong(p)
}

func (h *pingCounter) OnMessage(_ *gws.Conn, m *gws.Message) { m.Close() }

// wheelCount returns the sessions filed in the wheel, as counted and as
// found in the slots, and how many shard goroutines run.
func wheelCount(w *beatWheel) (counted, filed, running int) {
	for _, sh := range w.shards {
		sh.mu.Lock()
		counted += sh.n
		for _, slot := range sh.slots {
			filed += len(slot)
		}
		if sh.running {
			running++
		}
		sh.mu.Unlock()
	}
	return counted, filed, running
}

// TestBeatWheel: connections that answer are pinged by the wheel again
// and again and stay open, each filed once; once they close, the wheel
// holds none of them and its goroutines stop.
func TestBeatWheel(t *testing.T) {
	const n = 20
	const interval = 50 * time.Millisecond
	e, err := New(Config{
		Authenticate:      func(r *http.Request) (string, error) { return r.Header.Get("X-User"), nil },
		HeartbeatInterval: interval,
		HeartbeatTimeout:  interval,
	})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(e)
	defer srv.Close()
	defer func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := e.Shutdown(ctx); err != nil {
			t.Errorf("Shutdown: %v", err)
		}
	}()
	hs := make([]*pingCounter, n)
	conns := make([]*gws.Conn, n)
	for i := range conns {
		hs[i] = &pingCounter{}
		c, _, err := gws.NewClient(hs[i], &gws.ClientOption{
			Addr:          "ws" + strings.TrimPrefix(srv.URL, "http"),
			RequestHeader: http.Header{"X-User": {"u" + string(rune('a'+i))}, "Sec-WebSocket-Protocol": {Subprotocol}},
		})
		if err != nil {
			t.Fatal(err)
		}
		conns[i] = c
		go c.ReadLoop()
		if err := c.WriteMessage(gws.OpcodeBinary, codec.AppendConnect(nil, 1, "test", "")); err != nil {
			t.Fatal(err)
		}
	}
	waitFor(t, "every client pinged three times", func() bool {
		for _, h := range hs {
			if h.pings.Load() < 3 {
				return false
			}
		}
		return true
	})
	if got := len(e.sessions.values()); got != n {
		t.Fatalf("%d sessions after several heartbeats, want all %d kept open", got, n)
	}
	if counted, filed, running := wheelCount(e.beats); counted != n || filed != n || running == 0 {
		t.Fatalf("wheel: %d counted, %d filed, %d shards running; want %d, %d and at least one", counted, filed, running, n, n)
	}
	for _, c := range conns {
		_ = c.WriteClose(1000, nil)
	}
	waitFor(t, "the wheel to let every session go and stop", func() bool {
		counted, filed, running := wheelCount(e.beats)
		return counted == 0 && filed == 0 && running == 0
	})
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
