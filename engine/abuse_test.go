package engine_test

// Abuse tests: what a hostile client can try against the engine over a
// real loopback WebSocket, and proof after each attempt that the server,
// and everyone else's data, are intact. docs/security.md lists every
// attack with the test that covers it.

import (
	"bytes"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/parlorhq/parlor/client"
	"github.com/parlorhq/parlor/codec"
	"github.com/parlorhq/parlor/engine"
	"github.com/parlorhq/parlor/internal/echo"
	"github.com/parlorhq/parlor/internal/wstest"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"
)

// ---------------------------------------------------------------------------
// Helpers.

// bystander is a well-behaved user in the room an attacker targets. Its
// check proves that the server still serves, that the room still works,
// and that nothing the attacker sent was applied to it.
type bystander struct {
	*tclient
	env  *testEnv
	name string // echo room name
	room string // echo room id
	said int    // say events the room should have counted
	n    int    // fresh clients dialed by check
	// fresh holds the users of the fresh clients check dialed.
	fresh map[string]bool
}

func newBystander(env *testEnv, user, roomName string) *bystander {
	env.t.Helper()
	c := env.dial(user)
	j := c.join(echo.Kind, echo.JoinParams{Name: roomName})
	return &bystander{tclient: c, env: env, name: roomName, room: j.Room, fresh: map[string]bool{}}
}

// check proves the server and the room are intact after an attack:
//   - the bystander's connection is open, it says something and hears it
//     back, from itself;
//   - every said event it ever received came from a user in from (the
//     bystander itself is always allowed): nothing was said in another
//     user's name;
//   - a fresh client can still connect and join, the room's snapshot
//     counts exactly the messages the test expects (b.said), and the
//     bystander hears the fresh client.
func (b *bystander) check(from ...string) {
	t := b.t
	t.Helper()
	if err := b.Err(); err != nil {
		t.Fatalf("bystander %s was disconnected: %v", b.UserID(), err)
	}
	b.n++
	text := fmt.Sprintf("bystander check %d", b.n)
	b.say(b.room, text)
	b.said++
	b.waitUntil("the bystander's own event", func(evs []client.Event) bool {
		for _, ev := range filterEvents(evs, b.room, "said") {
			if s := decodeSaid(t, ev); s.Text == text && s.From == b.UserID() {
				return true
			}
		}
		return false
	})
	allowed := map[string]bool{b.UserID(): true}
	for u := range b.fresh {
		allowed[u] = true
	}
	for _, u := range from {
		allowed[u] = true
	}
	for _, ev := range b.snapshot() {
		if ev.Left {
			t.Fatalf("bystander was removed from %s: %s", ev.Room, ev.Reason)
		}
		if ev.Room != b.room {
			t.Fatalf("bystander got an event of a room it never joined: %+v", ev)
		}
		if s := decodeSaid(t, ev); !allowed[s.From] {
			t.Fatalf("bystander heard %q from %q, who may not speak here", s.Text, s.From)
		}
	}
	fresh := b.env.dial(fmt.Sprintf("fresh-%s-%d", b.UserID(), b.n))
	b.fresh[fresh.UserID()] = true
	j := fresh.join(echo.Kind, echo.JoinParams{Name: b.name})
	var snap echo.Snapshot
	if err := j.Decode(&snap); err != nil {
		t.Fatalf("decode snapshot: %v", err)
	}
	if j.Room != b.room || snap.Count != b.said {
		t.Fatalf("fresh joiner: room %.8s with %d messages, want %.8s with %d", j.Room, snap.Count, b.room, b.said)
	}
	freshText := "hello from " + fresh.UserID()
	fresh.say(j.Room, freshText)
	b.said++
	b.waitUntil("the fresh client's event", func(evs []client.Event) bool {
		for _, ev := range filterEvents(evs, b.room, "said") {
			if s := decodeSaid(t, ev); s.Text == freshText && s.From == fresh.UserID() {
				return true
			}
		}
		return false
	})
	fresh.close()
}

// ---------------------------------------------------------------------------
// Before the upgrade.

// TestAbuseHostileOrigin: a browser page on another origin is refused with
// 403 before the upgrade, before Authenticate runs (so a victim's cookie
// is never even looked at), and no session or room is created.
func TestAbuseHostileOrigin(t *testing.T) {
	var authCalls atomic.Int64
	env := newEnv(t, engine.Config{
		AllowedOrigins: []string{"https://app.example"},
		Authenticate: func(r *http.Request) (string, error) {
			authCalls.Add(1)
			return testAuth(r)
		},
	})
	by := newBystander(env, "bob", "lobby")
	_, port, _ := net.SplitHostPort(env.host())
	otherPort := strconv.Itoa(func() int { p, _ := strconv.Atoi(port); return p%60000 + 1 }())

	hostile := []string{
		"http://evil.example",
		"https://evil.example",
		"https://app.example.evil.example", // an allowed origin as a prefix
		"https://app.example:8443",         // an allowed host on another port
		"http://app.example",               // an allowed host with another scheme
		"http://localhost:" + port,         // the same machine by another name
		"http://127.0.0.1:" + otherPort,    // the same host on another port
		"http://evil127.0.0.1:" + port,     // a host that ends with the server's
		"http://x.127.0.0.1:" + port,       // a subdomain of the server's host
		"https://evil.app.example",         // a subdomain of an allowed origin
		"http://127.0.0.1:" + port + ".evil.example",
		"http://127.0.0.1:" + port + "@evil.example", // userinfo trick: the host is evil.example
		"http://evil.example/http://127.0.0.1:" + port,
		"null", // sandboxed iframes, file:// pages
		"file://",
	}
	for _, origin := range hostile {
		before, sessions := authCalls.Load(), env.e.Stats().Sessions
		req := env.upgradeRequest("mallory")
		req.Header.Set("Origin", origin)
		req.Header.Set("Cookie", "session=the-victims") // a browser would attach it
		if got := env.do(req); got != http.StatusForbidden {
			t.Errorf("Origin %q: HTTP %d, want 403", origin, got)
		}
		if n := authCalls.Load() - before; n != 0 {
			t.Errorf("Origin %q: Authenticate ran %d times, want 0", origin, n)
		}
		if st := env.e.Stats(); st.Sessions != sessions {
			t.Errorf("Origin %q: %d sessions, want %d", origin, st.Sessions, sessions)
		}
	}
	// The Go client sends the Origin header too, and gets the same answer.
	_, err := env.dialOpts("mallory", client.Options{Header: http.Header{"Origin": {"http://evil.example"}}})
	var ue *client.UpgradeError
	if !errors.As(err, &ue) || ue.StatusCode != http.StatusForbidden {
		t.Fatalf("client dial from a hostile origin: %v, want UpgradeError 403", err)
	}

	// The check can fail: the allowed and the same-host origins pass.
	for _, origin := range []string{"https://app.example", "http://127.0.0.1:" + port, "HTTP://127.0.0.1:" + port} {
		req := env.upgradeRequest("alice")
		req.Header.Set("Origin", origin)
		if got := env.do(req); got != http.StatusSwitchingProtocols {
			t.Errorf("Origin %q: HTTP %d, want 101", origin, got)
		}
	}
	env.waitSessions(1)
	by.check()
}

// upgradeRaw sends a parlor.v1 upgrade request as user on a new TCP
// connection and returns the status. On 101 it also returns the open
// peer, to be closed by the caller (or at cleanup).
func upgradeRaw(t testing.TB, env *testEnv, user string) (*rawWS, int, error) {
	c, err := wstest.Dial(env.host(), wstest.Options{Header: http.Header{"X-User": {user}}, Timeout: waitTimeout})
	var se *wstest.StatusError
	if errors.As(err, &se) {
		return nil, se.Status, nil
	}
	if err != nil {
		return nil, 0, err
	}
	t.Cleanup(func() { _ = c.Close() })
	return &rawWS{Conn: c, t: t, conn: c.NetConn()}, http.StatusSwitchingProtocols, nil
}

// TestAbuseConnFlood: under ConnLimitRefuse, one user opening connections
// as fast as it can gets MaxConnsPerUser of them and 429 for the rest,
// before any upgrade. Every way a connection can end gives its slot back (a
// clean close, a dropped TCP connection, a protocol violation, a missed
// handshake, an upgrade that failed after the slot was taken), refused
// attempts hold no slot, and other users are never affected.
func TestAbuseConnFlood(t *testing.T) {
	const limit = 4
	env := newEnv(t, engine.Config{MaxConnsPerUser: limit, ConnLimitPolicy: engine.ConnLimitRefuse, HandshakeTimeout: 300 * time.Millisecond})
	by := newBystander(env, "bob", "lobby")

	// 40 upgrade attempts at once, each on its own TCP connection; the
	// upgraded ones stay open.
	const attempts = 40
	peers := make([]*rawWS, attempts)
	statuses := make([]int, attempts)
	var wg sync.WaitGroup
	for i := range attempts {
		wg.Add(1)
		go func() {
			defer wg.Done()
			w, status, err := upgradeRaw(t, env, "flooder")
			if err != nil {
				t.Errorf("flood attempt: %v", err)
			}
			peers[i], statuses[i] = w, status
		}()
	}
	wg.Wait()
	var open []*rawWS
	refused := 0
	for i, st := range statuses {
		switch st {
		case http.StatusSwitchingProtocols:
			open = append(open, peers[i])
		case http.StatusTooManyRequests:
			refused++
		default:
			t.Errorf("flood attempt: HTTP %d", st)
		}
	}
	if len(open) != limit || refused != attempts-limit {
		t.Fatalf("flood: %d upgraded, %d refused with 429; want %d and %d", len(open), refused, limit, attempts-limit)
	}
	for _, w := range open[:3] {
		w.connect()
	}
	// open[3] never sends connect.
	if got := env.do(env.upgradeRequest("flooder")); got != http.StatusTooManyRequests {
		t.Fatalf("upgrade past the limit: HTTP %d, want 429", got)
	}
	by.check() // another user connects freely

	// takeFreeSlot waits until the flooder can upgrade again, proves the
	// new session is registered (it answers connect), and closes it,
	// waiting until the session count is back to want.
	takeFreeSlot := func(how string, want int) {
		t.Helper()
		var w *rawWS
		eventually(t, waitTimeout, "a slot freed by "+how, func() bool {
			var err error
			var st int
			w, st, err = upgradeRaw(t, env, "flooder")
			if err != nil {
				t.Fatalf("upgrade: %v", err)
			}
			return st == http.StatusSwitchingProtocols
		})
		w.connect()
		_ = w.conn.Close()
		env.waitSessions(want)
	}
	// 1. The handshake timeout closes open[3] (1008).
	if res := open[3].readClose(waitTimeout); res.closeCode != engine.ClosePolicy {
		t.Fatalf("silent connection closed with %d, want %d", res.closeCode, engine.ClosePolicy)
	}
	takeFreeSlot("a handshake timeout", 1+3)
	// 2. A clean close.
	open[0].writeFrame(opClose, []byte{0x03, 0xe8})
	takeFreeSlot("a clean close", 1+2)
	// 3. A dropped TCP connection, no close frame.
	_ = open[1].conn.Close()
	takeFreeSlot("a dropped connection", 1+1)
	// 4. A protocol violation (1007).
	open[2].send([]byte{0xc1})
	if res := open[2].readClose(waitTimeout); res.closeCode != engine.CloseMalformed {
		t.Fatalf("garbage closed with %d, want %d", res.closeCode, engine.CloseMalformed)
	}
	takeFreeSlot("a protocol violation", 1)

	// 5. Upgrades that fail after the slot was taken (gws refuses a bad
	// version or a missing key with 400) give it back.
	for i := range 2 * limit {
		req := env.upgradeRequest("flooder")
		if i%2 == 0 {
			req.Header.Set("Sec-WebSocket-Version", "12")
		} else {
			req.Header.Del("Sec-WebSocket-Key")
		}
		if got := env.do(req); got != http.StatusBadRequest {
			t.Fatalf("malformed upgrade: HTTP %d, want 400", got)
		}
	}

	// No slot leaked: all `limit` slots are free again, and no more. (A
	// failed upgrade's slot is given back just after gws has answered
	// 400, so the first attempts may still see it taken.)
	var again []*rawWS
	for i := range limit {
		eventually(t, waitTimeout, fmt.Sprintf("free slot %d of %d", i+1, limit), func() bool {
			w, st, err := upgradeRaw(t, env, "flooder")
			if err != nil {
				t.Fatalf("upgrade: %v", err)
			}
			if st == http.StatusSwitchingProtocols {
				w.connect()
				again = append(again, w)
			}
			return st == http.StatusSwitchingProtocols
		})
	}
	if got := env.do(env.upgradeRequest("flooder")); got != http.StatusTooManyRequests {
		t.Fatalf("after the flood: connection %d got HTTP %d, want 429", limit+1, got)
	}
	for _, w := range again {
		_ = w.conn.Close()
	}
	env.waitSessions(1)
	by.check()
}

// ---------------------------------------------------------------------------
// Frames and messages.

// TestAbuseBadFrames: over-long fields, unknown frame types and server
// frame types each get an error frame (too_large or bad_request) and close
// the attacker with 1007, on one server, one after the other, while the
// bystander's room goes on untouched. Fields exactly at their limit are
// accepted.
func TestAbuseBadFrames(t *testing.T) {
	env := newEnv(t, engine.Config{})
	by := newBystander(env, "bob", "lobby")
	long := func(n int) string { return strings.Repeat("x", n) }
	say, _ := codec.MarshalData(echo.SayData{Text: "smuggled"})
	params, _ := codec.MarshalData(echo.JoinParams{Name: "lobby"})
	room := by.room
	// frame builds a frame from its elements: [type, elems...].
	frame := func(typ uint64, elems ...func([]byte) []byte) []byte {
		b := codec.AppendArrayHeader(nil, 1+len(elems))
		b = codec.AppendUint(b, typ)
		for _, e := range elems {
			b = e(b)
		}
		return b
	}
	u := func(v uint64) func([]byte) []byte { return func(b []byte) []byte { return codec.AppendUint(b, v) } }
	s := func(v string) func([]byte) []byte { return func(b []byte) []byte { return codec.AppendString(b, v) } }

	tests := []struct {
		name string
		msg  []byte
		code codec.Code
	}{
		{"send: room id of 129 bytes", codec.AppendSend(nil, 5, long(codec.MaxIDLen+1), "say", say, ""), codec.CodeTooLarge},
		{"send: event name of 65 bytes", codec.AppendSend(nil, 5, room, long(codec.MaxNameLen+1), say, ""), codec.CodeTooLarge},
		{"send: client_msg_id of 129 bytes", codec.AppendSend(nil, 5, room, "say", say, long(codec.MaxIDLen+1)), codec.CodeTooLarge},
		{"send: 1 MiB event name claimed", frame(6, u(5), s(room), func(b []byte) []byte {
			return append(b, 0xdb, 0x00, 0x10, 0x00, 0x00) // str32 of 1 MiB, absent
		}, s("x"), s("")), codec.CodeBadRequest},
		{"join: kind of 65 bytes", codec.AppendJoin(nil, 5, long(codec.MaxNameLen+1), params, "", 0), codec.CodeTooLarge},
		{"join: epoch of 129 bytes", codec.AppendJoin(nil, 5, echo.Kind, params, long(codec.MaxIDLen+1), 3), codec.CodeTooLarge},
		{"leave: room id of 129 bytes", codec.AppendLeave(nil, 5, long(codec.MaxIDLen+1)), codec.CodeTooLarge},
		{"connect: client name of 65 bytes", codec.AppendConnect(nil, 5, long(codec.MaxNameLen+1), ""), codec.CodeTooLarge},
		{"connect: resume token of 129 bytes", codec.AppendConnect(nil, 5, "x", long(codec.MaxIDLen+1)), codec.CodeTooLarge},
		{"send: event name not UTF-8", codec.AppendSend(nil, 5, room, "\xff\xfe", say, ""), codec.CodeBadRequest},
		{"send: room id as bin", frame(6, u(5), func(b []byte) []byte { return append(b, 0xc4, 1, 'x') }, s("say"), s(""), s("")), codec.CodeBadRequest},
		{"send: negative ref", frame(6, func(b []byte) []byte { return append(b, 0xff) }, s(room), s("say"), s(""), s("")), codec.CodeBadRequest},
		{"send: float ref", frame(6, func(b []byte) []byte { return append(b, 0xca, 0, 0, 0, 0) }, s(room), s("say"), s(""), s("")), codec.CodeBadRequest},
		{"type 0", frame(0, u(5)), codec.CodeBadRequest},
		{"type 11", frame(11, u(5), s(room)), codec.CodeBadRequest},
		{"type 127", frame(127, u(5)), codec.CodeBadRequest},
		{"type 2^64-1", frame(1<<64-1, u(5)), codec.CodeBadRequest},
		{"type as a string", []byte{0x92, 0xa1, '6', 0x05}, codec.CodeBadRequest},
		{"server frame: connected", codec.AppendConnected(nil, 5, "s", "alice", 1000, "", false), codec.CodeBadRequest},
		{"server frame: joined", codec.AppendJoined(nil, 5, room, 1, nil, "", false), codec.CodeBadRequest},
		{"server frame: reply", codec.AppendReply(nil, 5, "", "", nil), codec.CodeBadRequest},
		{"server frame: event", codec.AppendEvent(nil, room, 99, "said", say), codec.CodeBadRequest},
		{"server frame: error", codec.AppendError(nil, codec.CodeInternal, "x"), codec.CodeBadRequest},
		{"server frame: left", codec.AppendLeft(nil, room, "kicked"), codec.CodeBadRequest},
		{"not an array", []byte{0x81, 0xa1, 't', 0x06}, codec.CodeBadRequest},
		{"empty array", []byte{0x90}, codec.CodeBadRequest},
		{"send with too few elements", frame(6, u(5), s(room)), codec.CodeBadRequest},
	}
	for i, tt := range tests {
		user := fmt.Sprintf("mallory-%d", i)
		w, _ := rawDialHeader(t, env, user, nil)
		w.connect()
		// In the bystander's room, so a frame that slipped through would
		// reach it.
		w.join(2, echo.Kind, echo.JoinParams{Name: "lobby"})
		w.send(tt.msg)
		res := w.readClose(waitTimeout)
		if res.closeCode != engine.CloseMalformed {
			t.Fatalf("%s: close code %d (%q), want %d", tt.name, res.closeCode, res.reason, engine.CloseMalformed)
		}
		if f := res.last(t); f.Type != codec.TypeError || f.Code != tt.code {
			t.Fatalf("%s: last frame %+v, want an error frame with code %q", tt.name, f, tt.code)
		}
		env.waitSessions(1)
		by.check()
	}

	// At the limits the same fields are accepted: the frames above failed
	// for their length, not for their shape.
	w, _ := rawDialHeader(t, env, "alice", nil)
	w.connect()
	w.join(2, echo.Kind, echo.JoinParams{Name: "lobby"})
	w.send(codec.AppendSend(nil, 3, room, "say", say, long(codec.MaxIDLen)))
	res := w.readUntil(waitTimeout, func(f *codec.Frame) bool { return f.Type == codec.TypeReply && f.Ref == 3 })
	if f := res.last(t); f.Type != codec.TypeReply || f.Code != "" {
		t.Fatalf("send with a 128-byte client_msg_id: %+v, want success", f)
	}
	by.said++
	w.send(codec.AppendSend(nil, 4, room, long(codec.MaxNameLen), say, ""))
	res = w.readUntil(waitTimeout, func(f *codec.Frame) bool { return f.Type == codec.TypeReply && f.Ref == 4 })
	if f := res.last(t); f.Type != codec.TypeReply || f.Code != codec.CodeBadRequest {
		t.Fatalf("send with a 64-byte event name: %+v, want the module's bad_request reply", f)
	}
	by.check("alice")
}

// TestAbuseMsgpackExt: msgpack extension values. An ext whose length
// claims more than the message holds is a bomb like any other (1007); a
// well-formed ext in a payload passes the frame layer but is refused by
// the module that decodes it, with bad_request, and changes nothing.
func TestAbuseMsgpackExt(t *testing.T) {
	env := newEnv(t, engine.Config{})
	by := newBystander(env, "bob", "lobby")

	// Bombs: ext32 claiming 4 GiB, ext32 inside a send's data, and an
	// ext8 whose length runs past the end.
	bombs := map[string]func(room string) []byte{
		"ext32 claiming 4 GiB": func(string) []byte { return []byte{0xc9, 0xff, 0xff, 0xff, 0xff, 0x01} },
		"ext32 bomb as send data": func(room string) []byte {
			return codec.AppendSend(nil, 3, room, "say", []byte{0xc9, 0x7f, 0xff, 0xff, 0xff, 0x01}, "")
		},
		"ext8 past the end": func(room string) []byte { return []byte{0x93, 0x06, 0x01, 0xc7, 0xff, 0x01, 0x02} },
		"fixext hiding an array32 bomb": func(string) []byte {
			return []byte{0x94, 0xd6, 0xff, 0x81, 0xa0, 0xdd, 0x7f, 0xff, 0xff, 0xff, 0xff, 0xff}
		},
	}
	for name, msg := range bombs {
		w, _ := rawDialHeader(t, env, "mallory", nil)
		w.connect()
		w.join(2, echo.Kind, echo.JoinParams{Name: "lobby"})
		w.send(msg(by.room))
		res := w.readClose(waitTimeout)
		if res.closeCode != engine.CloseMalformed {
			t.Fatalf("%s: close code %d (%q), want %d", name, res.closeCode, res.reason, engine.CloseMalformed)
		}
		assertErrorFrame(t, res, codec.CodeBadRequest)
		env.waitSessions(1)
		by.check()
	}

	// Well-formed ext values inside a send's data: the timestamp ext
	// (fixext4 and ext8 forms) and an application ext, at the top and
	// nested.
	exts := map[string][]byte{
		"timestamp32 as the text":      {0x81, 0xa4, 't', 'e', 'x', 't', 0xd6, 0xff, 0, 0, 0, 1},
		"timestamp96 as the text":      append([]byte{0x81, 0xa4, 't', 'e', 'x', 't', 0xc7, 12, 0xff}, make([]byte, 12)...),
		"fixext1 as the whole payload": {0xd4, 0x01, 0x02},
		"ext nested in an extra field": {0x82, 0xa4, 't', 'e', 'x', 't', 0xa2, 'h', 'i', 0xa1, 'x', 0x91, 0x91, 0xd5, 0x05, 0, 0},
	}
	w, _ := rawDialHeader(t, env, "mallory", nil)
	w.connect()
	w.join(2, echo.Kind, echo.JoinParams{Name: "lobby"})
	ref := uint64(10)
	for name, data := range exts {
		ref++
		w.send(codec.AppendSend(nil, ref, by.room, "say", data, ""))
		res := w.readUntil(waitTimeout, func(f *codec.Frame) bool { return f.Type == codec.TypeReply && f.Ref == ref })
		if f := res.last(t); f.Type != codec.TypeReply || f.Code != codec.CodeBadRequest {
			t.Fatalf("%s: %+v (close %d), want a bad_request reply", name, f, res.closeCode)
		}
		for _, f := range res.frames {
			if f.Type == codec.TypeEvent {
				t.Fatalf("%s: the room broadcast %+v", name, f)
			}
		}
	}
	by.check() // still open, and the room counted none of them
	_ = w.conn.Close()
	env.waitSessions(1)
}

// TestAbuseOversizeFrames: limits on the WebSocket layer. A frame header
// claiming an absurd length, and a message split into fragments that
// together pass ReadLimit, close with 1009 without the server reading or
// allocating the claimed size.
func TestAbuseOversizeFrames(t *testing.T) {
	const limit = 16 << 10
	env := newEnv(t, engine.Config{ReadLimit: limit})
	by := newBystander(env, "bob", "lobby")

	tests := []struct {
		name  string
		write func(w *rawWS) error
	}{
		{"header claiming 2^62 bytes", func(w *rawWS) error {
			_, err := w.conn.Write(wstest.FrameHeader(0x80|opBinary, 1<<62))
			return err
		}},
		{"header claiming ReadLimit+1 bytes, body never sent", func(w *rawWS) error {
			_, err := w.conn.Write(wstest.FrameHeader(0x80|opBinary, limit+1))
			return err
		}},
		{"fragments of 1 KiB past ReadLimit", func(w *rawWS) error {
			chunk := bytes.Repeat([]byte{0x91}, 1<<10)
			buf := append(wstest.FrameHeader(opBinary, uint64(len(chunk))), chunk...) // first, not final
			// Continuations; the last one crosses the limit.
			for range limit >> 10 {
				buf = append(buf, wstest.FrameHeader(0x00, uint64(len(chunk)))...) // continuation
				buf = append(buf, chunk...)
			}
			_, err := w.conn.Write(buf)
			return err
		}},
		{"fragments of one byte past ReadLimit", func(w *rawWS) error {
			buf := append(wstest.FrameHeader(opBinary, 1), 0x91)
			for range limit { // the last one crosses the limit
				buf = append(buf, wstest.FrameHeader(0x00, 1)...)
				buf = append(buf, 0x91)
			}
			_, err := w.conn.Write(buf)
			return err
		}},
	}
	for _, tt := range tests {
		w, _ := rawDialHeader(t, env, "mallory", nil)
		w.connect()
		w.join(2, echo.Kind, echo.JoinParams{Name: "lobby"})
		if err := tt.write(w); err != nil {
			t.Logf("%s: write: %v", tt.name, err) // the server may close first
		}
		res := w.readClose(waitTimeout)
		if res.closeCode != engine.CloseTooLarge {
			t.Fatalf("%s: close code %d (%q), want %d", tt.name, res.closeCode, res.reason, engine.CloseTooLarge)
		}
		env.waitSessions(1)
		by.check()
	}
}

// TestAbuseSendAfterLeave: once a connection has left a room, sends,
// leaves and raw frames naming the room are refused with forbidden, and no
// event of the room reaches it; rejoining works.
func TestAbuseSendAfterLeave(t *testing.T) {
	env := newEnv(t, engine.Config{})
	by := newBystander(env, "bob", "lobby")
	mallory := env.dial("mallory")
	j := mallory.join(echo.Kind, echo.JoinParams{Name: "lobby"})
	mallory.say(j.Room, "before leaving")
	by.said++
	if err := mallory.Leave(testCtx(t), j.Room); err != nil {
		t.Fatalf("leave: %v", err)
	}

	for i, try := range []func() error{
		func() error {
			_, err := mallory.Send(testCtx(t), j.Room, "say", echo.SayData{Text: "after leaving"})
			return err
		},
		func() error {
			_, err := mallory.Send(testCtx(t), j.Room, "say", echo.SayData{Text: "retry"}, client.WithClientMsgID("m-1"))
			return err
		},
		func() error { return mallory.Leave(testCtx(t), j.Room) },
		func() error {
			// A batch: the refused send does not stop the rest of the
			// message, and nothing of it reaches the room.
			raw, _ := codec.MarshalData(echo.SayData{Text: "batched"})
			msg := codec.AppendSend(nil, 1<<40, j.Room, "say", raw, "")
			msg = codec.AppendSend(msg, 1<<40+1, j.Room, "say", raw, "")
			if err := mallory.WriteRaw(msg); err != nil {
				return err
			}
			_, err := mallory.Send(testCtx(t), j.Room, "say", echo.SayData{Text: "x"})
			return err
		},
	} {
		if code := codeOf(t, try()); code != codec.CodeForbidden {
			t.Fatalf("attempt %d after leaving: %q, want forbidden", i, code)
		}
	}
	// Events of the room no longer reach mallory: by's check says in the
	// room, and mallory, who has a room of her own, sees only hers.
	by.check("mallory")
	own := mallory.join(echo.Kind, echo.JoinParams{Name: "mallory's own"})
	mallory.say(own.Room, "barrier")
	mallory.waitEvents(own.Room, "said", 1)
	var before int
	for _, ev := range mallory.snapshot() {
		if ev.Room == j.Room {
			before++
		}
	}
	if before != 1 { // her own "before leaving"
		t.Fatalf("mallory received %d events of the room she left, want only her own before leaving", before)
	}
	if mallory.Err() != nil {
		t.Fatalf("a refused send closed the connection: %v", mallory.Err())
	}
	// Rejoining is an ordinary join.
	if jj := mallory.join(echo.Kind, echo.JoinParams{Name: "lobby"}); jj.Room != j.Room {
		t.Fatalf("rejoin: room %s, want %s", jj.Room, j.Room)
	}
	mallory.say(j.Room, "back")
	by.said++
	by.check("mallory")
}

// TestAbuseSilentPeer: a peer that stops answering pings, and one that
// trickles a frame's body byte by byte (so no pong can get through), are
// closed with 4000 once the heartbeat timeout passes; the bystander's
// room is not affected.
func TestAbuseSilentPeer(t *testing.T) {
	// The defaults' proportions (25s and 10s): the timeout is shorter than
	// the interval.
	const interval, timeout = 250 * time.Millisecond, 100 * time.Millisecond
	env := newEnv(t, engine.Config{HeartbeatInterval: interval, HeartbeatTimeout: timeout})
	by := newBystander(env, "bob", "lobby")

	// A peer that reads (and sees the pings) but never answers them.
	w, _ := rawDialHeader(t, env, "mute", nil)
	w.connect()
	w.join(2, echo.Kind, echo.JoinParams{Name: "lobby"})
	start := time.Now()
	res := w.readClose(waitTimeout)
	if res.closeCode != engine.CloseHeartbeatTimeout {
		t.Fatalf("mute peer: close code %d (%q), want %d", res.closeCode, res.reason, engine.CloseHeartbeatTimeout)
	}
	if res.pings == 0 {
		t.Fatal("mute peer: closed without a ping")
	}
	if d := time.Since(start); d < timeout {
		t.Fatalf("mute peer closed after %v, before a ping could have gone unanswered", d)
	}
	t.Logf("mute peer closed with %d after %v", res.closeCode, time.Since(start))
	env.waitSessions(1)
	by.check()

	// A peer that starts a frame and sends its body one byte at a time,
	// slower than the heartbeat wants a pong.
	w, _ = rawDialHeader(t, env, "trickle", nil)
	w.connect()
	w.join(2, echo.Kind, echo.JoinParams{Name: "lobby"})
	raw, _ := codec.MarshalData(echo.SayData{Text: strings.Repeat("t", 200)})
	body := codec.AppendSend(nil, 3, by.room, "say", raw, "")
	stop := make(chan struct{})
	trickled := make(chan int)
	go func() {
		n := 0
		defer func() { trickled <- n }()
		if _, err := w.conn.Write(wstest.FrameHeader(0x80|opBinary, uint64(len(body)))); err != nil {
			return
		}
		tick := time.NewTicker(20 * time.Millisecond)
		defer tick.Stop()
		for _, b := range body {
			select {
			case <-stop:
				return
			case <-tick.C:
			}
			if _, err := w.conn.Write([]byte{b}); err != nil {
				return
			}
			n++
		}
	}()
	res = w.readClose(waitTimeout)
	close(stop)
	n := <-trickled
	if res.closeCode != engine.CloseHeartbeatTimeout {
		t.Fatalf("trickling peer: close code %d (%q), want %d", res.closeCode, res.reason, engine.CloseHeartbeatTimeout)
	}
	if n >= len(body) {
		t.Fatalf("the trickling peer got its whole %d-byte frame through before being closed", len(body))
	}
	t.Logf("trickling peer closed after %d of %d bytes", n, len(body))
	env.waitSessions(1)
	by.check()
}

// TestAbuseSilentPeerLongTimeout: with HeartbeatTimeout at least
// HeartbeatInterval, a silent peer is still closed with 4000, within a
// timeout of the first unanswered ping (later pings do not put the check
// off).
func TestAbuseSilentPeerLongTimeout(t *testing.T) {
	// Four pings go out within the timeout. It is not shorter, so that the
	// healthy clients' pongs (a bystander's, a fresh client's) come in
	// time on a loaded machine: at 100 ms a fresh client was once closed
	// with 4000 while it joined, under the race detector in CI.
	const interval, timeout = 100 * time.Millisecond, 400 * time.Millisecond
	env := newEnv(t, engine.Config{HeartbeatInterval: interval, HeartbeatTimeout: timeout})
	by := newBystander(env, "bob", "lobby")
	w, _ := rawDialHeader(t, env, "mute", nil)
	w.connect()
	w.join(2, echo.Kind, echo.JoinParams{Name: "lobby"})
	start := time.Now()
	res := w.readClose(waitTimeout)
	d := time.Since(start)
	if res.closeCode != engine.CloseHeartbeatTimeout {
		t.Fatalf("mute peer: close code %d (%q), want %d", res.closeCode, res.reason, engine.CloseHeartbeatTimeout)
	}
	if limit := interval + timeout + 500*time.Millisecond; d > limit {
		t.Fatalf("mute peer closed after %v, want within %v", d, limit)
	}
	env.waitSessions(1)
	by.check()
}

// TestAbuseEngineLogsHoldNoContents: with logging at debug level, the
// engine logs what happened to whom (codes, users, connection and room
// ids) but never what a client sent: no message text, join parameters,
// event or kind names, or bytes of a rejected message.
func TestAbuseEngineLogsHoldNoContents(t *testing.T) {
	core, logs := observer.New(zapcore.DebugLevel)
	mod := newTestModule()
	env := newEnv(t, engine.Config{Logger: zap.New(core), ReadLimit: 4 << 10, RateLimit: 1, RateBurst: 20, RateStrikes: 2}, mod)
	const marker = "SECRET-MARKER-7f3a"
	alice := env.dial("alice")
	j := alice.join(echo.Kind, echo.JoinParams{Name: marker})
	alice.say(j.Room, marker+" said")
	for _, try := range []func() error{
		func() error {
			_, err := alice.Join(testCtx(t), echo.Kind, echo.JoinParams{Name: strings.Repeat(marker, 5)})
			return err
		},
		func() error { _, err := alice.Join(testCtx(t), marker, nil); return err },
		func() error { _, err := alice.Send(testCtx(t), j.Room, marker, nil); return err },
		func() error {
			_, err := alice.Send(testCtx(t), echoRoomID("elsewhere"), "say", echo.SayData{Text: marker})
			return err
		},
	} {
		if err := try(); err == nil {
			t.Fatal("a bad request succeeded")
		}
	}
	// A handler panic, on a message holding the marker.
	jt := alice.join(testKind, testParams{Name: "panics"})
	if _, err := alice.Send(testCtx(t), jt.Room, "boom", echo.SayData{Text: marker}); codeOf(t, err) != codec.CodeInternal {
		t.Fatalf("boom: %v", err)
	}
	// Protocol violations whose bytes hold the marker: malformed (1007),
	// text (1003), oversize (1009), and sustained rate-limit abuse (4029).
	say, _ := codec.MarshalData(echo.SayData{Text: marker})
	abuses := []struct {
		name string
		do   func(w *rawWS)
		want uint16
	}{
		{"malformed", func(w *rawWS) { w.send(append(codec.AppendSend(nil, 3, j.Room, marker, say, marker), 0xc1)) }, engine.CloseMalformed},
		{"server frame", func(w *rawWS) { w.send(codec.AppendEvent(nil, j.Room, 1, marker, say)) }, engine.CloseMalformed},
		{"text", func(w *rawWS) { w.writeFrame(opText, []byte(marker)) }, engine.CloseUnsupported},
		{"oversize", func(w *rawWS) { w.send([]byte(strings.Repeat(marker, 300))) }, engine.CloseTooLarge},
		{"rate limit", func(w *rawWS) {
			var msg []byte
			for i := range 60 {
				msg = codec.AppendLeave(msg, uint64(10+i), marker)
			}
			w.send(msg)
		}, engine.CloseRateLimited},
	}
	for _, a := range abuses {
		w, _ := rawDialHeader(t, env, "mallory", nil)
		w.connect()
		w.join(2, echo.Kind, echo.JoinParams{Name: marker})
		a.do(w)
		if res := w.readClose(waitTimeout); res.closeCode != a.want {
			t.Fatalf("%s: close code %d (%q), want %d", a.name, res.closeCode, res.reason, a.want)
		}
	}
	env.waitSessions(1)
	alice.close()
	env.shutdown(t) // every log line of the sessions and rooms is written

	if logs.Len() == 0 {
		t.Fatal("nothing was logged: the check would prove nothing")
	}
	for _, entry := range logs.All() {
		text := entry.Message
		for k, v := range entry.ContextMap() {
			text += fmt.Sprintf(" %s=%v", k, v)
		}
		if strings.Contains(text, marker) || strings.Contains(text, "MARKER") {
			t.Errorf("a %s log line holds what a client sent: %s", entry.Level, text)
		}
	}
	t.Logf("%d log lines checked", logs.Len())
}

// TestAbuseResumeTokenElsewhere: a resume token only works on an engine
// with the secret that signed it, for the user it was issued to; there it
// can only close that user's own older connection (4009). A token from
// another deployment (another secret), for the same user id, resumes
// nothing and closes nothing. (Other users' and forged tokens:
// TestResumeTokenRefused.)
func TestAbuseResumeTokenElsewhere(t *testing.T) {
	envA := newEnv(t, engine.Config{Secret: []byte("deployment A secret")})
	envB := newEnv(t, engine.Config{Secret: []byte("deployment B secret")})
	byB := newBystander(envB, "bob", "lobby")
	connect := func(w *rawWS, token string) codec.Frame {
		t.Helper()
		w.send(codec.AppendConnect(nil, 1, "abuse-test", token))
		res := w.readUntil(waitTimeout, func(f *codec.Frame) bool { return f.Type == codec.TypeConnected })
		f := res.last(t)
		if f.Type != codec.TypeConnected || f.Token == "" {
			t.Fatalf("connect: %+v (close %d)", f, res.closeCode)
		}
		return f
	}

	// alice on A: her token.
	a1, _ := rawDialHeader(t, envA, "alice", nil)
	tokenA := connect(a1, "").Token
	// alice on B, already connected, and a second connection presenting
	// A's token.
	b1, _ := rawDialHeader(t, envB, "alice", nil)
	connect(b1, "")
	b1.join(2, echo.Kind, echo.JoinParams{Name: "lobby"})
	b2, _ := rawDialHeader(t, envB, "alice", nil)
	if f := connect(b2, tokenA); f.Resumed {
		t.Fatalf("B accepted A's token: %+v", f)
	}
	// b1 is still open and in its room.
	b1.send(codec.AppendLeave(nil, 9, "no-such-room"))
	res := b1.readUntil(waitTimeout, func(f *codec.Frame) bool { return f.Type == codec.TypeReply && f.Ref == 9 })
	if f := res.last(t); f.Type != codec.TypeReply || f.Code != codec.CodeForbidden || res.closeCode != 0 {
		t.Fatalf("alice's first connection on B after A's token: %+v (close %d)", f, res.closeCode)
	}
	envB.waitSessions(3)
	byB.check("alice")

	// On A, the same token resumes, and closes only alice's own older
	// connection, with 4009.
	a2, _ := rawDialHeader(t, envA, "alice", nil)
	if f := connect(a2, tokenA); !f.Resumed {
		t.Fatalf("A refused its own token for the same user: %+v", f)
	}
	if res := a1.readClose(waitTimeout); res.closeCode != engine.CloseReplaced {
		t.Fatalf("alice's old connection on A: close %d (%q), want %d", res.closeCode, res.reason, engine.CloseReplaced)
	}
	envA.waitSessions(1)
}

// TestClientPingAfterIdle: a client may ping the server at any time (the
// protocol says the server answers). A ping that arrives after the
// connection has been idle for longer than WriteTimeout is answered too:
// the pong gets its own write deadline instead of the stale one of the
// last write, which used to make gws drop the connection.
func TestClientPingAfterIdle(t *testing.T) {
	const writeTimeout = 100 * time.Millisecond
	env := newEnv(t, engine.Config{WriteTimeout: writeTimeout})
	by := newBystander(env, "bob", "lobby")
	w, _ := rawDialHeader(t, env, "alice", nil)
	w.connect() // the server's last write: the connected frame
	for i := range 3 {
		time.Sleep(3 * writeTimeout)
		payload := []byte(fmt.Sprintf("ping %d", i))
		w.writeFrame(opPing, payload)
		_ = w.conn.SetReadDeadline(time.Now().Add(waitTimeout))
		op, p, err := w.readFrame()
		if err != nil || op != opPong || !bytes.Equal(p, payload) {
			t.Fatalf("ping %d after %v idle: got opcode %#x %q, %v; want a pong %q", i, 3*writeTimeout, op, p, err, payload)
		}
	}
	// The connection still works.
	w.join(2, echo.Kind, echo.JoinParams{Name: "lobby"})
	by.check()
}
