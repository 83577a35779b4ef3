package engine_test

import (
	"testing"
	"time"

	"github.com/parlorhq/parlor/codec"
	"github.com/parlorhq/parlor/engine"
	"github.com/parlorhq/parlor/internal/echo"
)

// mailboxObserver reports each send queued to a room's mailbox.
type mailboxObserver struct {
	engine.NopObserver
	queued chan int
}

// MailboxDepth implements engine.Observer.
func (o *mailboxObserver) MailboxDepth(_ string, depth int) {
	select {
	case o.queued <- depth:
	default:
	}
}

// A send queued to a busy room holds the sender's outbox for its reply
// for ReplyHold at most: an event from another room, queued to that
// connection meanwhile, goes out while the busy room's handler still
// runs, and the send's event and ack follow, in order, once.
func TestReplyHoldBounded(t *testing.T) {
	for _, tc := range []struct {
		name string
		hold time.Duration
	}{
		{"default", 0},
		{"20ms", 20 * time.Millisecond},
		{"off", -1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			mod := newTestModule()
			mod.messageGate = make(chan struct{})
			obs := &mailboxObserver{queued: make(chan int, 16)}
			env := newEnv(t, engine.Config{RateLimit: -1, ReplyHold: tc.hold, Observer: obs}, mod)
			released := false
			release := func() {
				if !released {
					released = true
					close(mod.messageGate)
				}
			}
			t.Cleanup(release)

			a := env.dial("a")
			busy := a.join(testKind, testParams{Name: "busy"}).Room
			b := env.rawDial("b", nil)
			b.connect()
			b.join(1, testKind, testParams{Name: "busy"})
			b.join(2, echo.Kind, echo.JoinParams{Name: "other"})
			other := echoRoomID("other")
			c := env.dial("c")
			c.join(echo.Kind, echo.JoinParams{Name: "other"})

			// a's send blocks the busy room; b's send is queued behind it,
			// and b's reader holds its outbox for the reply.
			go func() { _, _ = a.Send(testCtx(t), busy, "block", nil) }()
			mod.log.wait(t, hookRec{Room: busy, Hook: "message", User: "a"}, 1)
			data, _ := codec.MarshalData(echo.SayData{Text: "queued"})
			b.send(codec.AppendSend(nil, 3, busy, "say", data, ""))
			select {
			case <-obs.queued:
			case <-time.After(waitTimeout):
				t.Fatal("b's send was not queued to the busy room")
			}

			// Another room's event for b while the hold waits.
			c.say(other, "meanwhile")
			res := b.readUntil(waitTimeout, func(f *codec.Frame) bool {
				return f.Type == codec.TypeEvent && f.Room == other
			})
			for _, f := range res.frames {
				if f.Type == codec.TypeReply && f.Ref == 3 {
					t.Fatalf("the queued send's reply came before the room ran it: %+v", res.frames)
				}
			}
			if n := mod.log.count(hookRec{Room: busy, Hook: "message", User: "b"}); n != 0 {
				t.Fatalf("the other room's event waited for the busy room (b's send handled %d times)", n)
			}

			// The room goes on: b's event, then its ack, once.
			release()
			res = b.readUntil(waitTimeout, func(f *codec.Frame) bool {
				return f.Type == codec.TypeReply && f.Ref == 3
			})
			said := -1
			for i, f := range res.frames {
				if f.Type == codec.TypeEvent && f.Room == busy {
					said = i
				}
			}
			if said < 0 || said != len(res.frames)-2 {
				t.Fatalf("want b's event right before its ack, got %+v", res.frames)
			}
			if f := res.frames[len(res.frames)-1]; f.Code != "" {
				t.Fatalf("b's send failed: %s %s", f.Code, f.Message)
			}
			b.send(codec.AppendSend(nil, 4, other, "say", data, ""))
			res = b.readUntil(waitTimeout, func(f *codec.Frame) bool {
				return f.Type == codec.TypeReply && f.Ref == 4
			})
			for _, f := range res.frames {
				if f.Type == codec.TypeReply && f.Ref == 3 {
					t.Fatalf("a second reply to b's send: %+v", res.frames)
				}
			}
		})
	}
}
