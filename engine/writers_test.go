package engine_test

import (
	"errors"
	"fmt"
	"net"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/parlorhq/parlor/codec"
	"github.com/parlorhq/parlor/engine"
	"github.com/parlorhq/parlor/internal/echo"
)

// writerGoroutines counts the goroutines running or parked in the engine's
// writer loop.
func writerGoroutines() int {
	buf := make([]byte, 1<<20)
	for {
		n := runtime.Stack(buf, true)
		if n < len(buf) {
			return strings.Count(string(buf[:n]), "engine.(*Engine).runWriter(")
		}
		buf = make([]byte, 2*len(buf))
	}
}

// Writers park between bursts, and parked writers carry the next bursts
// of any connection in order, but an idle engine keeps none: once traffic
// stops, every writer goroutine exits.
func TestIdleWritersExit(t *testing.T) {
	env := newEnv(t, engine.Config{RateLimit: -1})
	const members, rounds = 20, 30
	clients := make([]*tclient, members)
	var roomID string
	for i := range clients {
		clients[i] = env.dial(fmt.Sprintf("u%d", i))
		roomID = clients[i].join(echo.Kind, echo.JoinParams{Name: "writers"}).Room
	}
	for r := range rounds {
		clients[r%members].say(roomID, fmt.Sprintf("m%d", r))
	}
	for _, c := range clients {
		evs := c.waitEvents(roomID, "said", rounds)
		for i, ev := range evs {
			if got := decodeSaid(t, ev).Text; got != fmt.Sprintf("m%d", i) {
				t.Fatalf("%s: event %d = %q, want m%d", c.UserID(), i, got, i)
			}
		}
	}
	eventually(t, waitTimeout, "idle writers to exit", func() bool { return writerGoroutines() == 0 })
	// A burst after the writers have gone starts new ones.
	clients[0].say(roomID, "again")
	for _, c := range clients {
		c.waitEvents(roomID, "said", rounds+1)
	}
}

// A small room's traffic is written by the goroutines that produce it:
// the sender's reader writes its own ack (and its copy of the event) and
// the other member's event, when their outboxes are idle and the sockets
// have room, so no writer goroutine starts. Every event still arrives,
// in order. (One sender: with two, one's event could find the other's
// outbox still held by its reader, rightly queued for a writer.)
func TestSmallRoomWritesDirect(t *testing.T) {
	env := newEnv(t, engine.Config{RateLimit: -1})
	a, b := env.dial("a"), env.dial("b")
	roomID := a.join(echo.Kind, echo.JoinParams{Name: "pair"}).Room
	b.join(echo.Kind, echo.JoinParams{Name: "pair"})
	eventually(t, waitTimeout, "the joins' writers to exit", func() bool { return writerGoroutines() == 0 })
	const rounds = 40
	for r := range rounds {
		a.say(roomID, fmt.Sprintf("m%d", r))
	}
	for _, c := range []*tclient{a, b} {
		for i, ev := range c.waitEvents(roomID, "said", rounds) {
			if got := decodeSaid(t, ev).Text; got != fmt.Sprintf("m%d", i) {
				t.Fatalf("%s: event %d = %q, want m%d", c.UserID(), i, got, i)
			}
		}
	}
	// A writer that had run would stay parked for 100 ms.
	if n := writerGoroutines(); n != 0 {
		t.Fatalf("%d writer goroutines after a small room's traffic, want none", n)
	}
}

// A larger room's fan-out still goes to writers, which batch it.
func TestLargeRoomFansOutThroughWriters(t *testing.T) {
	env := newEnv(t, engine.Config{RateLimit: -1})
	clients := make([]*tclient, engine.DirectRoomMax+1)
	var roomID string
	for i := range clients {
		clients[i] = env.dial(fmt.Sprintf("u%d", i))
		roomID = clients[i].join(echo.Kind, echo.JoinParams{Name: "group"}).Room
	}
	eventually(t, waitTimeout, "the joins' writers to exit", func() bool { return writerGoroutines() == 0 })
	clients[0].say(roomID, "hello")
	for _, c := range clients {
		c.waitEvents(roomID, "said", 1)
	}
	if n := writerGoroutines(); n == 0 {
		t.Fatalf("no writer goroutine after a fan-out to %d sessions", len(clients))
	}
}

// A DM partner that stops reading: the sender's reader writes to it
// directly only while its socket has room, then queues for a writer, so
// the sender's acks never wait for it (the write timeout is a minute,
// far beyond each send's wait), and the partner is closed with 4008 once
// its outbox overflows (the session ends: Stats). Two bystanders in a room of their own are not
// affected.
func TestDirectWritesSkipStalledPartner(t *testing.T) {
	env := newEnv(t, engine.Config{OutboxBytes: 64 << 10, WriteTimeout: time.Minute, RateLimit: -1})
	sender := env.dial("sender")
	dm := sender.join(echo.Kind, echo.JoinParams{Name: "dm"})
	slow := env.rawDial("slow", func(c *net.TCPConn) { _ = c.SetReadBuffer(4096) })
	slow.connect()
	if f := slow.join(1, echo.Kind, echo.JoinParams{Name: "dm"}); f.Room != dm.Room {
		t.Fatalf("slow joined %s, want %s", f.Room, dm.Room)
	}
	x, y := env.dial("x"), env.dial("y")
	other := x.join(echo.Kind, echo.JoinParams{Name: "other"}).Room
	y.join(echo.Kind, echo.JoinParams{Name: "other"})
	env.waitSessions(4)

	// 500-byte texts: each event fits a direct write.
	text := strings.Repeat("x", 500)
	const maxSends = 20000
	sent := 0
	for ; sent < maxSends && env.e.Stats().Sessions == 4; sent++ {
		sender.say(dm.Room, fmt.Sprintf("%05d %s", sent, text))
	}
	if sent == maxSends {
		t.Fatalf("the stalled partner was still connected after %d sends", sent)
	}
	waitDropped(t, slow)
	evs := sender.waitEvents(dm.Room, "said", sent)
	for i, ev := range evs {
		if want := dm.Seq + uint64(i) + 1; ev.Seq != want {
			t.Fatalf("sender's event %d has seq %d, want %d", i, ev.Seq, want)
		}
	}
	x.say(other, "still here")
	y.say(other, "me too")
	for _, c := range []*tclient{x, y} {
		c.waitEvents(other, "said", 2)
		if err := c.Err(); err != nil {
			t.Fatalf("bystander %s closed: %v", c.UserID(), err)
		}
	}
	if err := sender.Err(); err != nil {
		t.Fatalf("sender closed: %v", err)
	}
}

// waitDropped reads w until the server ends the connection and fails the
// test if it does not (the slow-consumer close resets it, so the close
// frame itself may be lost with the backlog).
func waitDropped(t *testing.T, w *rawWS) {
	t.Helper()
	_ = w.conn.(*net.TCPConn).SetReadBuffer(4 << 20)
	_ = w.conn.SetReadDeadline(time.Now().Add(waitTimeout))
	for {
		if _, _, err := w.readFrame(); err != nil {
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				t.Fatal("the stalled partner's connection is still open")
			}
			return
		}
	}
}

// A send that finds its room busy goes to the room's mailbox, and the
// room goroutine answers it. The reader's hold of the sender's outbox
// then waits for that reply, so the sender's copy of its event and its ack
// still arrive as one WebSocket message, the event first, as they do when
// the send runs on the reader. The room is busy for 700 ms here: past
// the hold's time limit (ReplyHold 500 ms), a hold that nothing waits
// behind is kept, so the limit does not split them either.
//
// The reader can take its hold only while no writer holds the outbox. A
// writer that wrote the joined frame just before and was then descheduled
// (a loaded machine) still holds it when the send comes; the event and
// the ack then go out as that writer takes them, in two messages (shown
// by making the writer sleep after each write). That is the rare case,
// so the scenario is tried up to three times and must keep them together
// once; without the hold, every try splits them.
func TestQueuedSendAckAndEventInOneMessage(t *testing.T) {
	for _, hold := range []time.Duration{time.Minute, 500 * time.Millisecond} {
		t.Run(hold.String(), func(t *testing.T) {
			var tries []string
			for range 3 {
				together, got := queuedSendAckAndEventInOneMessage(t, hold)
				if together {
					if len(tries) > 0 {
						t.Logf("kept together after %d split tries: %v", len(tries), tries)
					}
					return
				}
				tries = append(tries, got)
			}
			t.Fatalf("the event and the reply came apart in every try: %v", tries)
		})
	}
}

// queuedSendAckAndEventInOneMessage runs the scenario once and reports
// whether the reply came in one message with the event, and what came.
func queuedSendAckAndEventInOneMessage(t *testing.T, hold time.Duration) (bool, string) {
	mod := newTestModule()
	env := newEnv(t, engine.Config{RateLimit: -1, ReplyHold: hold}, mod)
	a := env.dial("a")
	roomID := a.join(testKind, testParams{Name: "busy"}).Room
	b := env.rawDial("b", nil)
	b.connect()
	b.join(1, testKind, testParams{Name: "busy"})

	slowDone := make(chan error, 1)
	go func() {
		_, err := a.Send(testCtx(t), roomID, "slow", nil)
		slowDone <- err
	}()
	mod.log.wait(t, hookRec{Room: roomID, Hook: "message", User: "a"}, 1)
	data, err := codec.MarshalData(echo.SayData{Text: "queued"})
	if err != nil {
		t.Fatal(err)
	}
	b.send(codec.AppendSend(nil, 2, roomID, "say", data, ""))

	sent := time.Now()
	_ = b.conn.SetReadDeadline(time.Now().Add(waitTimeout))
	var msgs [][]codec.Type
	var at []time.Duration // when each message came, after the send
	for done := false; !done; {
		op, payload, err := b.readFrame()
		if err != nil {
			t.Fatalf("read: %v (messages so far: %v)", err, msgs)
		}
		if op != opBinary {
			continue
		}
		var types []codec.Type
		err = codec.DecodeMessage(payload, 64, func(f *codec.Frame) error {
			types = append(types, f.Type)
			done = done || (f.Type == codec.TypeReply && f.Ref == 2)
			return nil
		})
		if err != nil {
			t.Fatalf("decode: %v", err)
		}
		msgs = append(msgs, types)
		at = append(at, time.Since(sent).Round(time.Microsecond))
	}
	if err := <-slowDone; err != nil {
		t.Fatalf("slow send: %v", err)
	}
	last := msgs[len(msgs)-1]
	together := len(last) == 2 && last[0] == codec.TypeEvent && last[1] == codec.TypeReply
	return together, fmt.Sprintf("messages %v at %v after the send", msgs, at)
}
