package engine_test

import (
	"sync"
	"testing"
	"time"

	"github.com/parlorhq/parlor/codec"
	"github.com/parlorhq/parlor/engine"
	"github.com/parlorhq/parlor/internal/echo"
)

// holdSlack is what the tests of the reply hold's time limit allow past
// it, for a loaded machine.
const holdSlack = 200 * time.Millisecond

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

// wait returns the depth of the next send queued to a mailbox.
func (o *mailboxObserver) wait(t *testing.T) int {
	t.Helper()
	select {
	case d := <-o.queued:
		return d
	case <-time.After(waitTimeout):
		t.Fatal("no send was queued to a mailbox")
		return 0
	}
}

// gateMessages holds the module's "block" handler until the returned
// release is called, or the test ends.
func gateMessages(t *testing.T, mod *testModule) (release func()) {
	mod.messageGate = make(chan struct{})
	release = sync.OnceFunc(func() { close(mod.messageGate) })
	t.Cleanup(release)
	return release
}

// blockRoom has a send "block" from c to roomID and waits until its
// handler runs: the room is busy until the module's gate opens.
func blockRoom(t *testing.T, mod *testModule, c *tclient, roomID string) {
	t.Helper()
	go func() { _, _ = c.Send(testCtx(t), roomID, "block", nil) }()
	mod.log.wait(t, hookRec{Room: roomID, Hook: "message", User: c.UserID()}, 1)
}

// waitOutboxIdle waits until no writer holds user's outbox: a writer
// that wrote the last frames the client read may not have let it go yet,
// and a send that came meanwhile would find no outbox to hold.
func (env *testEnv) waitOutboxIdle(user string) {
	env.t.Helper()
	deadline := time.Now().Add(waitTimeout)
	for !env.e.OutboxesIdle(user) {
		if time.Now().After(deadline) {
			env.t.Fatalf("%s's outbox still held after %v", user, waitTimeout)
		}
		time.Sleep(time.Millisecond)
	}
}

// A send queued to a busy room holds the sender's outbox for its reply
// for ReplyHold at most: an event from another room, queued to that
// connection meanwhile, goes out after the hold's time limit while the
// busy room's handler still runs (at once when the hold is off), and the
// send's event and ack follow, in order, once.
func TestReplyHoldBounded(t *testing.T) {
	for _, tc := range []struct {
		name string
		hold time.Duration
		// min and max bound the wait of the other room's event: min from
		// the queued send, max from the other room's send.
		min, max time.Duration
	}{
		{"default", 0, 50 * time.Millisecond, 50*time.Millisecond + holdSlack}, // the documented default
		{"100ms", 100 * time.Millisecond, 100 * time.Millisecond, 100*time.Millisecond + holdSlack},
		{"off", -1, 0, 50 * time.Millisecond},
	} {
		t.Run(tc.name, func(t *testing.T) {
			mod := newTestModule()
			release := gateMessages(t, mod)
			obs := &mailboxObserver{queued: make(chan int, 16)}
			env := newEnv(t, engine.Config{RateLimit: -1, ReplyHold: tc.hold, Observer: obs}, mod)

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
			blockRoom(t, mod, a, busy)
			env.waitOutboxIdle("b")
			data, _ := codec.MarshalData(echo.SayData{Text: "queued"})
			sent := time.Now()
			b.send(codec.AppendSend(nil, 3, busy, "say", data, ""))
			obs.wait(t)

			// Another room's event for b while the hold waits: it goes out
			// when the hold's time limit has passed, not before, and not
			// much later.
			said := time.Now()
			c.say(other, "meanwhile")
			res := b.readUntil(waitTimeout, func(f *codec.Frame) bool {
				return f.Type == codec.TypeEvent && f.Room == other
			})
			got := time.Now()
			if d := got.Sub(sent); d < tc.min {
				t.Fatalf("the other room's event came %v after the queued send, before the hold's limit %v", d, tc.min)
			}
			if d := got.Sub(said); d > tc.max {
				t.Fatalf("the other room's event came %v after it was sent, want at most %v", d, tc.max)
			}
			for _, f := range res.frames {
				if f.Type == codec.TypeReply && f.Ref == 3 {
					t.Fatalf("the queued send's reply came before the room ran it: %+v", res.frames)
				}
			}

			// The room goes on: b's event, then its ack, once.
			release()
			res = b.readUntil(waitTimeout, func(f *codec.Frame) bool {
				return f.Type == codec.TypeReply && f.Ref == 3
			})
			event := -1
			for i, f := range res.frames {
				if f.Type == codec.TypeEvent && f.Room == busy {
					event = i
				}
			}
			if event < 0 || event != len(res.frames)-2 {
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

// A late reply to a send whose hold its time limit ended does not end
// the hold of a later send: that one waits for its own reply or its own
// limit, and the late reply goes out with it.
func TestLateReplyKeepsLaterHold(t *testing.T) {
	const hold = 500 * time.Millisecond
	mod := newTestModule()
	obs := &mailboxObserver{queued: make(chan int, 16)}
	env := newEnv(t, engine.Config{RateLimit: -1, ReplyHold: hold, Observer: obs}, mod)
	a := env.dial("a")
	x := a.join(testKind, testParams{Name: "x"}).Room
	d := env.dial("d")
	y := d.join(testKind, testParams{Name: "y"}).Room
	gateX, gateY := make(chan struct{}), make(chan struct{})
	mod.roomGates.Store(x, gateX)
	mod.roomGates.Store(y, gateY)
	openX, openY := false, false
	t.Cleanup(func() {
		if !openX {
			close(gateX)
		}
		if !openY {
			close(gateY)
		}
	})
	b := env.rawDial("b", nil)
	b.connect()
	b.join(1, testKind, testParams{Name: "x"})
	b.join(2, testKind, testParams{Name: "y"})
	b.join(3, echo.Kind, echo.JoinParams{Name: "other"})
	other := echoRoomID("other")
	c := env.dial("c")
	c.join(echo.Kind, echo.JoinParams{Name: "other"})

	// Both rooms busy.
	go func() { _, _ = a.Send(testCtx(t), x, "block", nil) }()
	go func() { _, _ = d.Send(testCtx(t), y, "block", nil) }()
	mod.log.wait(t, hookRec{Room: x, Hook: "message", User: "a"}, 1)
	mod.log.wait(t, hookRec{Room: y, Hook: "message", User: "d"}, 1)
	data, _ := codec.MarshalData(echo.SayData{Text: "queued"})

	// b's send 10 to x is held for; its time limit ends the hold, which
	// the other room's event shows.
	env.waitOutboxIdle("b")
	b.send(codec.AppendSend(nil, 10, x, "say", data, ""))
	obs.wait(t)
	c.say(other, "after the first hold")
	res := b.readUntil(waitTimeout, func(f *codec.Frame) bool {
		return f.Type == codec.TypeEvent && f.Room == other
	})
	frames := res.frames
	env.waitOutboxIdle("b")

	// b's send 11 to y is held for too. The send 12 behind it shows that
	// the reader has set that hold up: it handles one message at a time.
	started := time.Now()
	b.send(codec.AppendSend(nil, 11, y, "say", data, ""))
	obs.wait(t)
	b.send(codec.AppendSend(nil, 12, y, "say", data, ""))
	obs.wait(t)

	// x runs send 10 and replies late; a's send to x, behind it in x's
	// mailbox, answered, shows that the reply was queued to b. Send 11's
	// hold keeps it until its own limit: the reply cannot reach b before.
	close(gateX)
	openX = true
	if _, err := a.Send(testCtx(t), x, "say", echo.SayData{Text: "after"}); err != nil {
		t.Fatal(err)
	}
	res = b.readUntil(waitTimeout, func(f *codec.Frame) bool {
		return f.Type == codec.TypeReply && f.Ref == 10
	})
	if got := time.Since(started); got < hold {
		t.Fatalf("the late reply to send 10 reached b %v after send 11, within its hold (%v): it ended that hold", got, hold)
	}
	frames = append(frames, res.frames...)

	// y runs 11 and 12: every reply comes, once, in order.
	close(gateY)
	openY = true
	res = b.readUntil(waitTimeout, func(f *codec.Frame) bool {
		return f.Type == codec.TypeReply && f.Ref == 12
	})
	frames = append(frames, res.frames...)
	var refs []uint64
	for _, f := range frames {
		if f.Type == codec.TypeReply {
			refs = append(refs, f.Ref)
		}
	}
	if len(refs) != 3 || refs[0] != 10 || refs[1] != 11 || refs[2] != 12 {
		t.Fatalf("want the replies to 10, 11 and 12, got %v", refs)
	}
}

// A message that starts with a send and also carries a join (the JS
// client puts the frames of one task into one message) gives the reader's
// hold of its outbox back before the join waits for its room: the send's
// ack, then another room's event, reach the client while the join still
// waits behind a busy room's handler. The hold used to span the whole
// message, so they waited for the join, as long as the handler ran.
func TestMessageHoldEndsAtJoin(t *testing.T) {
	mod := newTestModule()
	release := gateMessages(t, mod)
	env := newEnv(t, engine.Config{RateLimit: -1}, mod)

	a := env.dial("a")
	busy := a.join(testKind, testParams{Name: "busy"}).Room
	b := env.rawDial("b", nil)
	b.connect()
	b.join(1, echo.Kind, echo.JoinParams{Name: "other"})
	other := echoRoomID("other")
	c := env.dial("c")
	c.join(echo.Kind, echo.JoinParams{Name: "other"})

	blockRoom(t, mod, a, busy) // until release
	env.waitOutboxIdle("b")

	// One message: a send to the idle room, then a join of the busy one.
	data, _ := codec.MarshalData(echo.SayData{Text: "mine"})
	params, _ := codec.MarshalData(testParams{Name: "busy"})
	msg := codec.AppendSend(nil, 3, other, "say", data, "")
	msg = codec.AppendJoin(msg, 5, testKind, params, "", 0)
	b.send(msg)
	joined := false
	b.readUntil(waitTimeout, func(f *codec.Frame) bool {
		joined = joined || f.Ref == 5
		return f.Type == codec.TypeReply && f.Ref == 3
	})
	c.say(other, "meanwhile")
	b.readUntil(waitTimeout, func(f *codec.Frame) bool {
		joined = joined || f.Ref == 5
		if f.Type != codec.TypeEvent || f.Room != other {
			return false
		}
		var said echo.Said
		return codec.UnmarshalData(f.Data, &said) == nil && said.Text == "meanwhile"
	})
	if joined {
		t.Fatal("the join was answered while the busy room's handler still ran")
	}
	release()
	b.readUntil(waitTimeout, func(f *codec.Frame) bool { return f.Ref == 5 && f.Type == codec.TypeJoined })
}
