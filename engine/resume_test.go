package engine_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/parlorhq/parlor/codec"
	"github.com/parlorhq/parlor/engine"
	"github.com/parlorhq/parlor/internal/echo"
	"github.com/parlorhq/parlor/room"
)

// rawConnect sends a connect frame carrying token and returns connected.
func rawConnect(t *testing.T, w *rawWS, token string) codec.Frame {
	t.Helper()
	w.send(codec.AppendConnect(nil, 1, "raw-test", token))
	res := w.readUntil(waitTimeout, func(f *codec.Frame) bool { return f.Type == codec.TypeConnected })
	f := res.last(t)
	if f.Type != codec.TypeConnected {
		t.Fatalf("connect: got %+v (close %d)", res.frames, res.closeCode)
	}
	return f
}

// rawJoinFrom joins the echo room name from (epoch, since) and returns
// joined and the ordered events read until the event with seq until (or
// none when until is 0).
func rawJoinFrom(t *testing.T, w *rawWS, ref uint64, name, epoch string, since, until uint64) (codec.Frame, []codec.Frame) {
	t.Helper()
	raw, err := codec.MarshalData(echo.JoinParams{Name: name})
	if err != nil {
		t.Fatal(err)
	}
	w.send(codec.AppendJoin(nil, ref, echo.Kind, raw, epoch, since))
	var joined codec.Frame
	var events []codec.Frame
	res := w.readUntil(waitTimeout, func(f *codec.Frame) bool {
		switch {
		case f.Type == codec.TypeJoined && f.Ref == ref:
			joined = *f
			return until == 0
		case f.Type == codec.TypeReply && f.Ref == ref:
			t.Fatalf("join refused: %s %s", f.Code, f.Message)
		case f.Type == codec.TypeEvent && f.Seq > 0:
			if joined.Type == 0 {
				t.Fatalf("event seq %d arrived before joined", f.Seq)
			}
			events = append(events, *f)
			return f.Seq >= until
		}
		return false
	})
	if joined.Type != codec.TypeJoined {
		t.Fatalf("no joined frame: %+v (close %d)", res.frames, res.closeCode)
	}
	return joined, events
}

func TestResumeTokenAndReplayOverWebSocket(t *testing.T) {
	env := newEnv(t, engine.Config{RateLimit: -1})
	talker := env.dial("talker")
	room := talker.join(echo.Kind, echo.JoinParams{Name: "lobby"}).Room

	first := env.rawDial("alice", nil)
	c1 := rawConnect(t, first, "")
	if c1.Token == "" || c1.Resumed {
		t.Fatalf("first connected: token %q resumed %v, want a token and not resumed", c1.Token, c1.Resumed)
	}
	joined, _ := rawJoinFrom(t, first, 2, "lobby", "", 0, 0)
	if joined.Epoch == "" || joined.Recovered {
		t.Fatalf("fresh joined: %+v", joined)
	}
	for i := 1; i <= 3; i++ {
		talker.say(room, fmt.Sprintf("before %d", i))
	}
	lastSeen := joined.Seq + 3
	if f := first.readUntil(waitTimeout, func(f *codec.Frame) bool { return f.Type == codec.TypeEvent && f.Seq == lastSeen }).last(t); f.Seq != lastSeen {
		t.Fatalf("first connection: last frame %+v, want event %d", f, lastSeen)
	}

	// The connection dies silently (the server has not noticed yet), and
	// the room moves on.
	for i := 1; i <= 4; i++ {
		talker.say(room, fmt.Sprintf("missed %d", i))
	}

	// A new connection resumes with the old token: the old one is closed
	// with 4009 and the missed events are replayed after joined.
	second := env.rawDial("alice", nil)
	c2 := rawConnect(t, second, c1.Token)
	if !c2.Resumed || c2.Token == "" || c2.Token == c1.Token {
		t.Fatalf("resumed connected: token %q resumed %v", c2.Token, c2.Resumed)
	}
	if res := first.readClose(waitTimeout); res.closeCode != engine.CloseReplaced {
		t.Fatalf("the replaced connection closed with %d %q, want %d", res.closeCode, res.reason, engine.CloseReplaced)
	}
	rejoined, replayed := rawJoinFrom(t, second, 2, "lobby", joined.Epoch, lastSeen, lastSeen+4)
	if !rejoined.Recovered || rejoined.Seq != lastSeen || rejoined.Epoch != joined.Epoch {
		t.Fatalf("resumed joined: %+v, want recovered at %d", rejoined, lastSeen)
	}
	if len(replayed) != 4 {
		t.Fatalf("replayed %d events, want 4", len(replayed))
	}
	for i, ev := range replayed {
		var said echo.Said
		if err := codec.UnmarshalData(ev.Data, &said); err != nil {
			t.Fatal(err)
		}
		if ev.Seq != lastSeen+uint64(i)+1 || said.Text != fmt.Sprintf("missed %d", i+1) {
			t.Fatalf("replayed event %d: seq %d %q", i, ev.Seq, said.Text)
		}
	}
	env.waitSessions(2)
}

func TestResumeTokenRefused(t *testing.T) {
	env := newEnv(t, engine.Config{})
	alice := env.rawDial("alice", nil)
	token := rawConnect(t, alice, "").Token

	sessionID, mac, _ := strings.Cut(token, ".")
	cases := map[string]string{
		"another user's token": token,
		"garbage":              "not-a-token",
		"tampered mac":         sessionID + "." + strings.Repeat("A", len(mac)),
		"no mac":               sessionID,
	}
	for name, tok := range cases {
		t.Run(name, func(t *testing.T) {
			w := env.rawDial("mallory", nil)
			if c := rawConnect(t, w, tok); c.Resumed {
				t.Fatalf("connected with %q: resumed", tok)
			}
		})
	}
	// None of them closed alice's connection.
	alice.send(codec.AppendLeave(nil, 9, "no-such-room"))
	res := alice.readUntil(waitTimeout, func(f *codec.Frame) bool { return f.Type == codec.TypeReply && f.Ref == 9 })
	if f := res.last(t); f.Type != codec.TypeReply || f.Code != codec.CodeForbidden {
		t.Fatalf("alice after the refused tokens: %+v (close %d)", res.frames, res.closeCode)
	}
}

func TestResumeAfterRoomRestartIsNotRecovered(t *testing.T) {
	env := newEnv(t, engine.Config{Room: room.Config{IdleTTL: -1}, RateLimit: -1})
	a := env.rawDial("alice", nil)
	rawConnect(t, a, "")
	joined, _ := rawJoinFrom(t, a, 2, "brief", "", 0, 0)
	a.send(codec.AppendLeave(nil, 3, joined.Room))
	a.readUntil(waitTimeout, func(f *codec.Frame) bool { return f.Type == codec.TypeReply && f.Ref == 3 })
	eventually(t, waitTimeout, "room disposed", func() bool { _, ok := env.e.Room(joined.Room); return !ok })

	// The room comes back as a new incarnation: its epoch differs, so the
	// old seq means nothing there.
	again, events := rawJoinFrom(t, a, 4, "brief", joined.Epoch, joined.Seq, 0)
	if again.Recovered || again.Epoch == joined.Epoch || len(events) != 0 {
		t.Fatalf("join of the new incarnation: %+v, want a new epoch and not recovered", again)
	}
}

func TestResentSendAppliedOnceOverWebSocket(t *testing.T) {
	env := newEnv(t, engine.Config{RateLimit: -1})
	c := env.dial("alice")
	room := c.join(echo.Kind, echo.JoinParams{Name: "once"}).Room
	w := env.rawDial("alice", nil)
	rawConnect(t, w, "")
	rawJoinFrom(t, w, 2, "once", "", 0, 0)
	data, _ := codec.MarshalData(echo.SayData{Text: "exactly once"})
	var replies []codec.Frame
	for ref := uint64(10); ref < 13; ref++ {
		w.send(codec.AppendSend(nil, ref, room, "say", data, "cmid-1"))
		res := w.readUntil(waitTimeout, func(f *codec.Frame) bool { return f.Type == codec.TypeReply && f.Ref == ref })
		replies = append(replies, res.last(t))
	}
	for _, r := range replies {
		if r.Code != "" || string(r.Data) != string(replies[0].Data) {
			t.Fatalf("replies to the resends: %+v", replies)
		}
	}
	c.say(room, "marker")
	evs := c.waitEvents(room, "said", 2)
	if len(evs) != 2 {
		t.Fatalf("the room broadcast %d events for three sends of one id and a marker, want 2", len(evs))
	}
}
