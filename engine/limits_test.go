package engine_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/parlorhq/parlor/client"
	"github.com/parlorhq/parlor/codec"
	"github.com/parlorhq/parlor/engine"
	"github.com/parlorhq/parlor/internal/echo"
)

// assertServed checks that the server still serves new and existing
// clients: a fresh client joins a room with peer and both hear each other.
func assertServed(t *testing.T, env *testEnv, peer *tclient, name string) {
	t.Helper()
	fresh := env.dial("fresh-" + name)
	j := fresh.join(echo.Kind, echo.JoinParams{Name: name})
	jp := peer.join(echo.Kind, echo.JoinParams{Name: name})
	fresh.say(j.Room, "still there?")
	peer.say(jp.Room, "yes")
	for _, c := range []*tclient{fresh, peer} {
		if evs := c.waitEvents(j.Room, "said", 2); len(evs) != 2 {
			t.Fatalf("%s: %d events", c.UserID(), len(evs))
		}
	}
}

// TestOversizeMessage: a message over ReadLimit closes its connection with
// 1009, and the server goes on serving everyone else.
func TestOversizeMessage(t *testing.T) {
	tests := []struct {
		name      string
		readLimit int
		size      int
	}{
		{"small limit, one byte over", 4 << 10, 4<<10 + 1},
		{"small limit, far over", 4 << 10, 40 << 10},
		{"default limit", 0, 65 << 10},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := newEnv(t, engine.Config{ReadLimit: tt.readLimit})
			bob := env.dial("bob")
			alice := env.dial("alice")
			ja := alice.join(echo.Kind, echo.JoinParams{Name: "big"})
			// A well-formed send frame that is simply too big.
			text := bytes.Repeat([]byte("x"), tt.size)
			data, _ := codec.MarshalData(map[string][]byte{"text": text})
			msg := codec.AppendSend(nil, 99, ja.Room, "say", data, "")
			msg = msg[:tt.size] // exactly tt.size bytes on the wire
			if err := alice.WriteRaw(msg); err != nil {
				t.Fatalf("WriteRaw: %v", err)
			}
			if code := alice.closeCode(); code != engine.CloseTooLarge {
				t.Fatalf("close code %d, want %d", code, engine.CloseTooLarge)
			}
			env.waitSessions(1)
			assertServed(t, env, bob, "after-oversize")
		})
	}
	t.Run("exactly at the limit is accepted", func(t *testing.T) {
		const limit = 4 << 10
		env := newEnv(t, engine.Config{ReadLimit: limit})
		alice := env.dial("alice")
		ja := alice.join(echo.Kind, echo.JoinParams{Name: "edge"})
		// Pad a valid send frame to exactly limit bytes with the cmid-less
		// text length.
		mk := func(n int) []byte {
			data, _ := codec.MarshalData(echo.SayData{Text: string(bytes.Repeat([]byte("y"), n))})
			return codec.AppendSend(nil, 5, ja.Room, "say", data, "")
		}
		n := echo.MaxTextLen
		for len(mk(n)) > limit {
			n--
		}
		for len(mk(n)) < limit {
			n++
		}
		if len(mk(n)) != limit {
			t.Fatalf("cannot build a frame of exactly %d bytes", limit)
		}
		if err := alice.WriteRaw(mk(n)); err != nil {
			t.Fatal(err)
		}
		alice.waitEvents(ja.Room, "said", 1)
	})
}

// TestMalformedAndBombs: garbage, msgpack bombs, unknown frame types and
// text messages each end their connection with the right close code,
// without the allocations a naive decoder would make, and the server goes
// on serving.
func TestMalformedAndBombs(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	garbage := make([]byte, 512)
	for i := range garbage {
		garbage[i] = byte(rng.Uint32())
	}
	garbage[0] = 0xc1 // never valid msgpack, whatever follows

	nested := bytes.Repeat([]byte{0x91}, 2<<20)
	arrayBomb := []byte{0xdd, 0xff, 0xff, 0xff, 0xff}

	tests := []struct {
		name      string
		readLimit int
		msg       func(roomID string) []byte
		want      uint16
	}{
		{"random garbage", 0, func(string) []byte { return garbage }, engine.CloseMalformed},
		{"array32 bomb", 0, func(string) []byte { return arrayBomb }, engine.CloseMalformed},
		{"map32 bomb", 0, func(string) []byte { return []byte{0xdf, 0xff, 0xff, 0xff, 0xff} }, engine.CloseMalformed},
		{"bin32 claiming 256 MiB", 0, func(string) []byte { return []byte{0xc6, 0x10, 0x00, 0x00, 0x00} }, engine.CloseMalformed},
		{"str32 claiming 4 GiB", 0, func(string) []byte { return []byte{0xdb, 0xff, 0xff, 0xff, 0xff, 'x'} }, engine.CloseMalformed},
		{"2 MiB of nested arrays", 4 << 20, func(string) []byte { return nested }, engine.CloseMalformed},
		{"2 MiB of nested arrays over the default limit", 0, func(string) []byte { return nested }, engine.CloseTooLarge},
		{"send whose data is an array32 bomb", 0, func(roomID string) []byte {
			return codec.AppendSend(nil, 9, roomID, "say", arrayBomb, "")
		}, engine.CloseMalformed},
		{"send whose data nests too deep", 0, func(roomID string) []byte {
			return codec.AppendSend(nil, 9, roomID, "say", append(bytes.Repeat([]byte{0x91}, 40), 0x01), "")
		}, engine.CloseMalformed},
		{"valid frame then a bomb in the same message", 0, func(roomID string) []byte {
			say, _ := codec.MarshalData(echo.SayData{Text: "before the bomb"})
			return append(codec.AppendSend(nil, 9, roomID, "say", say, ""), arrayBomb...)
		}, engine.CloseMalformed},
		{"unknown frame type 42", 0, func(string) []byte { return []byte{0x92, 42, 1} }, engine.CloseMalformed},
		{"server frame type from a client", 0, func(roomID string) []byte {
			return codec.AppendEvent(nil, roomID, 1, "said", nil)
		}, engine.CloseMalformed},
		{"truncated frame", 0, func(roomID string) []byte {
			return codec.AppendSend(nil, 9, roomID, "say", nil, "")[:10]
		}, engine.CloseMalformed},
		{"trailing byte", 0, func(roomID string) []byte { return append(codec.AppendLeave(nil, 9, roomID), 0xc1) }, engine.CloseMalformed},
		{"too many frames in one message", 0, func(roomID string) []byte {
			var msg []byte
			for i := range engine.DefaultMaxFramesPerMessage + 1 {
				msg = codec.AppendLeave(msg, uint64(i), "nowhere")
			}
			return msg
		}, engine.CloseMalformed},
	}

	runtime.GC()
	var before runtime.MemStats
	runtime.ReadMemStats(&before)

	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := newEnv(t, engine.Config{ReadLimit: tt.readLimit})
			bob := env.dial("bob")
			jb := bob.join(echo.Kind, echo.JoinParams{Name: "bombed"})
			// alice is a raw peer that writes on one goroutine and reads on
			// this one. The server may refuse a message before it has read
			// all of it (over ReadLimit): it sends its close frame, closes,
			// and the unread rest makes its kernel reset the connection. The
			// close frame is on the wire before the reset and stays readable
			// after it, but a client library whose write fails first may
			// tear the connection down before reading it.
			alice := env.rawDial("alice", nil)
			alice.connect()
			alice.join(2, echo.Kind, echo.JoinParams{Name: "bombed"})
			wrote := make(chan error, 1)
			go func() { wrote <- alice.WriteMessage(tt.msg(jb.Room)) }()
			res, err := alice.ReadUntil(waitTimeout, nil)
			if werr := <-wrote; werr != nil {
				t.Logf("write: %v", werr) // the server may stop reading first
			}
			if err != nil || res.CloseCode != tt.want {
				t.Fatalf("close code %d %q (read: %v, ended by: %v), want %d", res.CloseCode, res.Reason, err, res.Err, tt.want)
			}
			env.waitSessions(1)
			// Nothing of a rejected message reached the room: a message is
			// validated whole before any frame of it is handled.
			bob.say(jb.Room, "after")
			evs := bob.waitEvents(jb.Room, "said", 1)
			if s := decodeSaid(t, evs[0]); s.From != "bob" {
				t.Fatalf("the room got %+v from a rejected message", s)
			}
			assertServed(t, env, bob, "after-bomb")
		})
	}

	t.Run("text message", func(t *testing.T) {
		env := newEnv(t, engine.Config{})
		w := env.rawDial("alice", nil)
		w.connect()
		w.writeFrame(opText, []byte(`[6,1,"room","say",{"text":"hi"}]`))
		res := w.readClose(waitTimeout)
		if res.closeCode != engine.CloseUnsupported {
			t.Fatalf("close code %d, want %d", res.closeCode, engine.CloseUnsupported)
		}
		assertErrorFrame(t, res, codec.CodeBadRequest)
		assertServed(t, env, env.dial("bob"), "after-text")
	})

	t.Run("garbage gets an error frame before the close", func(t *testing.T) {
		env := newEnv(t, engine.Config{})
		w := env.rawDial("alice", nil)
		w.connect()
		w.send(arrayBomb)
		res := w.readClose(waitTimeout)
		if res.closeCode != engine.CloseMalformed {
			t.Fatalf("close code %d, want %d", res.closeCode, engine.CloseMalformed)
		}
		assertErrorFrame(t, res, codec.CodeBadRequest)
	})

	var after runtime.MemStats
	runtime.ReadMemStats(&after)
	const budget = 64 << 20
	if d := after.TotalAlloc - before.TotalAlloc; d > budget {
		t.Errorf("the bombs made the process allocate %d MiB in total, want under %d MiB", d>>20, budget>>20)
	} else {
		t.Logf("total allocation for all cases: %.1f MiB", float64(d)/(1<<20))
	}
	if after.HeapAlloc > before.HeapAlloc+budget {
		t.Errorf("heap grew from %d MiB to %d MiB", before.HeapAlloc>>20, after.HeapAlloc>>20)
	}
}

// assertErrorFrame checks that the last frame before the close was an
// error frame with code.
func assertErrorFrame(t *testing.T, res rawResult, code codec.Code) {
	t.Helper()
	if len(res.frames) == 0 {
		t.Fatalf("no error frame before the close (%d %q)", res.closeCode, res.reason)
	}
	f := res.frames[len(res.frames)-1]
	if f.Type != codec.TypeError || f.Code != code {
		t.Fatalf("last frame before the close %+v, want an error frame with code %q", f, code)
	}
}

// TestRateLimit: a burst past the bucket gets rate_limited replies,
// sustained abuse closes with 4029, and a polite client on the same server
// is never limited.
func TestRateLimit(t *testing.T) {
	env := newEnv(t, engine.Config{RateLimit: 10, RateBurst: 10, RateStrikes: 5})
	abuser := env.dial("abuser")
	polite := env.dial("polite")
	ja := abuser.join(echo.Kind, echo.JoinParams{Name: "rl"})
	jp := polite.join(echo.Kind, echo.JoinParams{Name: "rl"})

	// The polite client sends under the rate for the whole test.
	var wg sync.WaitGroup
	politeErr := make(chan error, 1)
	stop := make(chan struct{})
	var stopOnce sync.Once
	halt := func() { stopOnce.Do(func() { close(stop) }); wg.Wait() }
	t.Cleanup(halt)
	wg.Add(1)
	go func() {
		defer wg.Done()
		tick := time.NewTicker(150 * time.Millisecond) // under 10/s
		defer tick.Stop()
		for i := 0; ; i++ {
			ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
			_, err := polite.Send(ctx, jp.Room, "say", echo.SayData{Text: fmt.Sprint("polite ", i)})
			cancel()
			if err != nil {
				politeErr <- fmt.Errorf("polite send %d: %w", i, err)
				return
			}
			select {
			case <-stop:
				return
			case <-tick.C:
			}
		}
	}()
	politeSaid := func(evs []client.Event) int {
		n := 0
		for _, ev := range filterEvents(evs, jp.Room, "said") {
			if decodeSaid(t, ev).From == "polite" {
				n++
			}
		}
		return n
	}

	// Connect and join used 2 of the 10 tokens: ten sends in a quick burst
	// overflow the bucket, without using up the 5 strikes.
	var ok, limited int
	for i := range 10 {
		_, err := abuser.Send(testCtx(t), ja.Room, "say", echo.SayData{Text: fmt.Sprint("burst ", i)})
		switch {
		case err == nil:
			ok++
		case codeOf(t, err) == codec.CodeRateLimited:
			limited++
		default:
			t.Fatalf("burst send %d: %v", i, err)
		}
	}
	if limited == 0 || ok == 0 {
		t.Fatalf("burst: %d accepted, %d rate limited; want some of each", ok, limited)
	}
	if abuser.Err() != nil {
		t.Fatalf("a short burst closed the connection: %v", abuser.Err())
	}

	// Sustained abuse closes the connection.
	var closedAfter int
	for i := 0; i < 1000; i++ {
		_, err := abuser.Send(testCtx(t), ja.Room, "say", echo.SayData{Text: "spam"})
		var ce *client.CloseError
		if errors.As(err, &ce) || errors.Is(err, client.ErrClosed) {
			closedAfter = i
			break
		}
	}
	if code := abuser.closeCode(); code != engine.CloseRateLimited {
		t.Fatalf("abuser closed with %d, want %d", code, engine.CloseRateLimited)
	}
	t.Logf("burst: %d accepted, %d limited; closed after %d more sends", ok, limited, closedAfter)

	// Two more polite rounds after the abuser is gone, then stop.
	n := politeSaid(polite.snapshot())
	polite.waitUntil("two more polite events", func(evs []client.Event) bool { return politeSaid(evs) >= n+2 })
	halt()
	select {
	case err := <-politeErr:
		t.Fatal(err)
	default:
	}
}

// TestJoinLimitsAndErrors: too many rooms, unknown kinds and bad params get
// their codes, and none of them closes the connection.
func TestJoinLimitsAndErrors(t *testing.T) {
	env := newEnv(t, engine.Config{MaxRoomsPerConn: 2}, newTestModule())
	c := env.dial("alice")
	j1 := c.join(echo.Kind, echo.JoinParams{Name: "one"})
	c.join(echo.Kind, echo.JoinParams{Name: "two"})

	tests := []struct {
		name   string
		kind   string
		params any
		want   codec.Code
	}{
		{"third room", echo.Kind, echo.JoinParams{Name: "three"}, codec.CodeTooMany},
		{"third room of another kind", testKind, testParams{Name: "three"}, codec.CodeTooMany},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := c.Join(testCtx(t), tt.kind, tt.params)
			if code := codeOf(t, err); code != tt.want {
				t.Fatalf("code %q (%v), want %q", code, err, tt.want)
			}
		})
	}
	// Rejoining a room the connection is already in does not count twice.
	if j := c.join(echo.Kind, echo.JoinParams{Name: "one"}); j.Room != j1.Room {
		t.Fatalf("rejoin gave room %s, want %s", j.Room, j1.Room)
	}

	// With a free slot, the other errors show.
	if err := c.Leave(testCtx(t), j1.Room); err != nil {
		t.Fatalf("leave: %v", err)
	}
	tests = []struct {
		name   string
		kind   string
		params any
		want   codec.Code
	}{
		{"unknown kind", "nope", echo.JoinParams{Name: "x"}, codec.CodeNotFound},
		{"empty kind", "", nil, codec.CodeNotFound},
		{"empty name", echo.Kind, echo.JoinParams{Name: ""}, codec.CodeBadRequest},
		{"blank name", echo.Kind, echo.JoinParams{Name: "   "}, codec.CodeBadRequest},
		{"no params", echo.Kind, nil, codec.CodeBadRequest},
		{"params of the wrong type", echo.Kind, []int{1, 2, 3}, codec.CodeBadRequest},
		{"name too long", echo.Kind, echo.JoinParams{Name: string(bytes.Repeat([]byte("n"), 65))}, codec.CodeBadRequest},
		{"ext value in params", echo.Kind, []byte{0x81, 0xa4, 'n', 'a', 'm', 'e', 0xd4, 0x01, 0x02}, codec.CodeBadRequest},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := c.Join(testCtx(t), tt.kind, tt.params)
			if code := codeOf(t, err); code != tt.want {
				t.Fatalf("code %q (%v), want %q", code, err, tt.want)
			}
		})
	}
	if c.Err() != nil {
		t.Fatalf("connection closed: %v", c.Err())
	}
	// The free slot is still usable.
	j3 := c.join(echo.Kind, echo.JoinParams{Name: "three"})
	c.say(j3.Room, "made it")
	c.waitEvents(j3.Room, "said", 1)
}

// TestNothingHandledAfterProtocolError: once a connection is being closed
// for breaking the protocol, frames it already sent behind the offending
// message are not handled.
func TestNothingHandledAfterProtocolError(t *testing.T) {
	tests := []struct {
		name    string
		offense func(w *rawWS) []byte // one or more encoded WebSocket frames
		want    uint16
	}{
		{"text message", func(w *rawWS) []byte { return w.encodeFrame(opText, []byte("hi")) }, engine.CloseUnsupported},
		{"garbage", func(w *rawWS) []byte { return w.encodeFrame(opBinary, []byte{0xc1}) }, engine.CloseMalformed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := newEnv(t, engine.Config{})
			bob := env.dial("bob")
			jb := bob.join(echo.Kind, echo.JoinParams{Name: "after"})
			w := env.rawDial("mallory", nil)
			w.connect()
			w.join(2, echo.Kind, echo.JoinParams{Name: "after"})
			say, _ := codec.MarshalData(echo.SayData{Text: "sneaked in"})
			// The offense and a send, in one write: both are in the
			// server's read buffer before it handles the first.
			buf := tt.offense(w)
			buf = append(buf, w.encodeFrame(opBinary, codec.AppendSend(nil, 3, jb.Room, "say", say, ""))...)
			if _, err := w.conn.Write(buf); err != nil {
				t.Fatal(err)
			}
			res := w.readClose(waitTimeout)
			if res.closeCode != tt.want {
				t.Fatalf("close code %d, want %d", res.closeCode, tt.want)
			}
			env.waitSessions(1)
			bob.say(jb.Room, "barrier")
			evs := bob.waitEvents(jb.Room, "said", 1)
			if s := decodeSaid(t, evs[0]); s.From != "bob" {
				t.Fatalf("a frame sent after the offense was handled: %+v", s)
			}
		})
	}
}
