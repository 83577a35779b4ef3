package engine_test

import (
	"errors"
	"fmt"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/parlorhq/parlor/client"
	"github.com/parlorhq/parlor/codec"
	"github.com/parlorhq/parlor/engine"
	"github.com/parlorhq/parlor/internal/echo"
)

// TestSlowConsumerIsDisconnected: a member that stops reading is closed
// once its outbox overflows, while a healthy member of the same room gets
// every broadcast, in order, without gaps.
func TestSlowConsumerIsDisconnected(t *testing.T) {
	// The outbox must leave the healthy member room for scheduling hiccups
	// while the slow member's kernel buffers (megabytes on loopback) fill.
	const outbox = 512 << 10
	env := newEnv(t, engine.Config{OutboxBytes: outbox, RateLimit: -1})
	healthy := env.dial("healthy")
	sender := env.dial("sender")
	jh := healthy.join(echo.Kind, echo.JoinParams{Name: "firehose"})
	sender.join(echo.Kind, echo.JoinParams{Name: "firehose"})

	// The slow member: a hand-made WebSocket client with a tiny receive
	// buffer, which connects, joins and then never reads again.
	slow := env.rawDial("slow", func(c *net.TCPConn) { _ = c.SetReadBuffer(4096) })
	slow.connect()
	if f := slow.join(1, echo.Kind, echo.JoinParams{Name: "firehose"}); f.Room != jh.Room {
		t.Fatalf("slow joined %s, want %s", f.Room, jh.Room)
	}
	env.waitSessions(3)

	// Broadcast 1 KiB events until the server has dropped the slow member
	// (the kernel's socket buffers absorb some megabytes first), then a
	// few more.
	text := strings.Repeat("x", 1000)
	const maxSends = 50000
	sent, extra := 0, -1
	start := time.Now()
	for ; sent < maxSends && extra != 0; sent++ {
		sender.say(jh.Room, fmt.Sprintf("%05d %s", sent, text))
		if extra > 0 {
			extra--
		} else if sent%16 == 0 && env.e.Stats().Sessions == 2 {
			extra = 20
		}
	}
	if extra != 0 {
		t.Fatalf("the slow member was still connected after %d broadcasts (%v)", sent, time.Since(start))
	}
	t.Logf("slow member dropped; %d broadcasts of %d bytes in %v", sent, len(text)+6, time.Since(start))

	// The server closed the slow member's connection. The kernel may
	// still hold part of its backlog, but anything the peer sends now is
	// answered with a reset, and reading ends with end of stream or that
	// reset: never a timeout. What it did receive is a strict prefix.
	_ = slow.conn.(*net.TCPConn).SetReadBuffer(4 << 20)
	_ = slow.tryWriteFrame(opPing, nil)
	_ = slow.conn.SetReadDeadline(time.Now().Add(waitTimeout))
	got := 0
	var err error
	for {
		var op byte
		var p []byte
		if op, p, err = slow.readFrame(); err != nil {
			break
		}
		if op == opBinary {
			_ = codec.DecodeMessage(p, 0, func(f *codec.Frame) error {
				if f.Type == codec.TypeEvent && f.Room == jh.Room {
					got++
				}
				return nil
			})
		}
	}
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		t.Fatalf("slow member's connection still open after %d events", got)
	}
	t.Logf("slow member got %d of %d events, then %v", got, sent, err)
	if got >= sent {
		t.Fatalf("slow member got %d events: every broadcast", got)
	}

	// The healthy member got everything, in order, without gaps.
	evs := healthy.waitEvents(jh.Room, "said", sent)
	if len(evs) != sent {
		t.Fatalf("healthy member got %d events, want %d", len(evs), sent)
	}
	for i, ev := range evs {
		if want := jh.Seq + uint64(i) + 1; ev.Seq != want {
			t.Fatalf("event %d has seq %d, want %d", i, ev.Seq, want)
		}
		if s := decodeSaid(t, ev); !strings.HasPrefix(s.Text, fmt.Sprintf("%05d ", i)) {
			t.Fatalf("event %d has text %.10q", i, s.Text)
		}
	}
	if err := healthy.Err(); err != nil {
		t.Fatalf("healthy member closed: %v", err)
	}
	if st := env.e.Stats(); st.Sessions != 2 {
		t.Fatalf("stats %+v, want 2 sessions", st)
	}
}

// TestSlowConsumerGoClient is the same with a real client whose event
// handler blocks: a Go client that stops consuming Events stops reading,
// and the server closes it with 4008 once its outbox overflows.
func TestSlowConsumerGoClient(t *testing.T) {
	env := newEnv(t, engine.Config{OutboxBytes: 32 << 10, RateLimit: -1})
	sender := env.dial("sender")
	js := sender.join(echo.Kind, echo.JoinParams{Name: "firehose"})
	// EventBuffer 1 and nobody reading Events: its read loop blocks on
	// the second event.
	stuck, err := client.Dial(testCtx(t), env.wsURL, client.Options{
		Header:      map[string][]string{"X-User": {"stuck"}},
		EventBuffer: 1,
		Reconnect:   client.ReconnectPolicy{Disabled: true},
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = stuck.Close() })
	if _, err := stuck.Join(testCtx(t), echo.Kind, echo.JoinParams{Name: "firehose"}); err != nil {
		t.Fatal(err)
	}
	text := strings.Repeat("y", 1000)
	for i := 0; env.e.Stats().Sessions == 2; i++ {
		if i == 50000 {
			t.Fatal("the stuck client was never dropped")
		}
		sender.say(js.Room, text)
	}
	if err := sender.Err(); err != nil {
		t.Fatalf("sender closed: %v", err)
	}
	// Once it drains its backlog, the stuck client learns why it was
	// closed, or at least that it was.
	go func() {
		for range stuck.Events() {
		}
	}()
	select {
	case <-stuck.Done():
	case <-time.After(waitTimeout):
		t.Fatal("the stuck client never saw its connection close")
	}
	var ce *client.CloseError
	if errors.As(stuck.Err(), &ce) && ce.Code != engine.CloseSlowConsumer {
		t.Fatalf("closed with %d, want %d", ce.Code, engine.CloseSlowConsumer)
	}
	t.Logf("stuck client ended with: %v", stuck.Err())
}
