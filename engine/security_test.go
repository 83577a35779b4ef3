package engine_test

import (
	"fmt"
	"testing"

	"github.com/parlorhq/parlor/client"
	"github.com/parlorhq/parlor/codec"
	"github.com/parlorhq/parlor/engine"
	"github.com/parlorhq/parlor/internal/echo"
)

// TestRoomIDIsNotACapability: a user who knows a room's id but has not
// joined it can neither send to it, leave it, nor hear from it.
func TestRoomIDIsNotACapability(t *testing.T) {
	env := newEnv(t, engine.Config{})
	alice, bob, mallory := env.dial("alice"), env.dial("bob"), env.dial("mallory")
	ja := alice.join(echo.Kind, echo.JoinParams{Name: "private"})
	bob.join(echo.Kind, echo.JoinParams{Name: "private"})
	// Mallory is in a room of her own, so she does receive events.
	jm := mallory.join(echo.Kind, echo.JoinParams{Name: "mallory's"})
	target := ja.Room // learnt somehow: a leaked link, a log line

	tests := []struct {
		name string
		do   func() error
	}{
		{"send", func() error {
			_, err := mallory.Send(testCtx(t), target, "say", echo.SayData{Text: "let me in"})
			return err
		}},
		{"send with client message id", func() error {
			_, err := mallory.Send(testCtx(t), target, "say", echo.SayData{Text: "x"}, client.WithClientMsgID("m-1"))
			return err
		}},
		{"send unknown event", func() error {
			_, err := mallory.Send(testCtx(t), target, "nope", nil)
			return err
		}},
		{"leave", func() error { return mallory.Leave(testCtx(t), target) }},
		{"send to a made-up id", func() error {
			_, err := mallory.Send(testCtx(t), echoRoomID("no such room"), "say", echo.SayData{Text: "x"})
			return err
		}},
		{"raw send frame", func() error {
			// The same request written by hand, in case the client library
			// were doing the checking.
			raw, _ := codec.MarshalData(echo.SayData{Text: "raw"})
			if err := mallory.WriteRaw(codec.AppendSend(nil, 1<<40, target, "say", raw, "")); err != nil {
				return err
			}
			_, err := mallory.Send(testCtx(t), target, "say", echo.SayData{Text: "x"})
			return err
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if code := codeOf(t, tt.do()); code != codec.CodeForbidden {
				t.Fatalf("code %q, want %q", code, codec.CodeForbidden)
			}
		})
	}

	for i := range 3 {
		alice.say(target, fmt.Sprintf("secret %d", i))
	}
	bob.waitEvents(target, "said", 3)
	// Mallory's own event is queued after anything of alice's room that
	// could have reached her: once she has it, she has everything.
	mallory.say(jm.Room, "barrier")
	evs := mallory.waitEvents(jm.Room, "said", 1)
	for _, ev := range mallory.snapshot() {
		if ev.Room != jm.Room {
			t.Errorf("mallory received an event of a room she never joined: %+v", ev)
		}
	}
	if s := decodeSaid(t, evs[0]); s.Text != "barrier" {
		t.Errorf("mallory's event %+v", s)
	}
	// Nobody in the room heard mallory.
	for _, ev := range bob.snapshot() {
		if s := decodeSaid(t, ev); s.From != "alice" {
			t.Errorf("bob heard %+v", s)
		}
	}
	if alice.Err() != nil || mallory.Err() != nil {
		t.Fatalf("a connection closed: alice %v, mallory %v", alice.Err(), mallory.Err())
	}
}

// TestSenderComesFromSession: fields of a payload that name a user never
// change who the sender is.
func TestSenderComesFromSession(t *testing.T) {
	env := newEnv(t, engine.Config{})
	alice, bob := env.dial("alice"), env.dial("bob")
	ja := alice.join(echo.Kind, echo.JoinParams{Name: "spoof"})
	bob.join(echo.Kind, echo.JoinParams{Name: "spoof"})

	payloads := []any{
		map[string]any{"text": "one", "from": "bob", "user": "bob"},
		map[string]any{"from": "bob", "text": "two", "sender": "bob", "user_id": "bob", "session": bob.SessionID()},
		struct {
			From string `msgpack:"from"`
			Text string `msgpack:"text"`
			User string `msgpack:"user"`
		}{"bob", "three", "bob"},
	}
	for _, p := range payloads {
		if _, err := alice.Send(testCtx(t), ja.Room, "say", p); err != nil {
			t.Fatalf("say %+v: %v", p, err)
		}
	}
	for _, c := range []*tclient{alice, bob} {
		for _, ev := range c.waitEvents(ja.Room, "said", len(payloads)) {
			if s := decodeSaid(t, ev); s.From != "alice" {
				t.Errorf("%s saw a said event from %q (%q), want alice", c.UserID(), s.From, s.Text)
			}
		}
	}

	// A connect frame is the only place a client could try to name itself;
	// the protocol has no such field, and appended fields are ignored.
	w := env.rawDial("alice", nil)
	msg := append([]byte{0x96, byte(codec.TypeConnect), 7}, codec.AppendString(nil, "raw")...)
	msg = codec.AppendString(msg, "bob")
	msg = codec.AppendUint(msg, 0) // features
	msg = codec.AppendString(msg, "bob")
	w.send(msg)
	res := w.readUntil(waitTimeout, func(f *codec.Frame) bool { return f.Type == codec.TypeConnected })
	if f := res.last(t); f.Type != codec.TypeConnected || f.User != "alice" || f.Ref != 7 {
		t.Fatalf("connected frame %+v, want user alice ref 7", f)
	}
}
