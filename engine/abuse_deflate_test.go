package engine_test

import (
	"bytes"
	"compress/flate"
	"net/http"
	"runtime"
	"strings"
	"testing"

	"github.com/parlorhq/parlor/client"
	"github.com/parlorhq/parlor/codec"
	"github.com/parlorhq/parlor/engine"
	"github.com/parlorhq/parlor/internal/echo"
)

// gwsInflateTooLarge is how gws v1.8.9 closes a compressed message that
// inflates past ReadLimit: its decompressor stops at the limit, but the
// error is wrapped as an internal error, so the close code is 1011, not
// 1009, with this reason. docs/security.md and docs/protocol.md say so; a
// change of dependency behaviour fails this test and must update them.
const (
	gwsInflateTooLargeCode   = 1011
	gwsInflateTooLargeReason = "gws: message too large"
)

// deflateRaw compresses b as one permessage-deflate message: a raw
// DEFLATE stream ended by a sync flush, whose 00 00 ff ff tail is
// dropped (RFC 7692, section 7.2.1).
func deflateRaw(t testing.TB, b []byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	fw, err := flate.NewWriter(&buf, flate.BestCompression)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := fw.Write(b); err != nil {
		t.Fatal(err)
	}
	if err := fw.Flush(); err != nil {
		t.Fatal(err)
	}
	out := buf.Bytes()
	if !bytes.HasSuffix(out, []byte{0, 0, 0xff, 0xff}) {
		t.Fatalf("flush did not end with a sync marker: %x", out[len(out)-4:])
	}
	return out[:len(out)-4]
}

// TestAbuseDeflateBomb: with Compression on, a message of a few KiB on
// the wire that inflates to far more than ReadLimit closes its connection
// (see gwsInflateTooLarge* for the code) after the server inflated at most
// about ReadLimit: it never allocates the inflated size. A compressed
// message under the limit works, and so do the other clients, compressed
// or not.
func TestAbuseDeflateBomb(t *testing.T) {
	const inflated = 60 << 20
	env := newEnv(t, engine.Config{Compression: true}) // default ReadLimit, 64 KiB
	by := newBystander(env, "bob", "lobby")
	carol, err := env.dialOpts("carol", client.Options{Compression: true})
	if err != nil {
		t.Fatal(err)
	}
	carol.join(echo.Kind, echo.JoinParams{Name: "lobby"})

	bomb := deflateRaw(t, make([]byte, inflated))
	if len(bomb) >= engine.DefaultReadLimit {
		t.Fatalf("the bomb is %d bytes compressed, not under the read limit", len(bomb))
	}
	t.Logf("bomb: %d bytes on the wire, %d MiB inflated", len(bomb), inflated>>20)

	dial := func() *rawWS {
		w, resp := rawDialHeader(t, env, "mallory", http.Header{
			"Sec-Websocket-Extensions": {"permessage-deflate; client_no_context_takeover; server_no_context_takeover"},
		})
		if ext := resp.Header.Get("Sec-WebSocket-Extensions"); !strings.Contains(ext, "permessage-deflate") {
			t.Fatalf("compression was not negotiated: %q", ext)
		}
		w.connect()
		w.join(2, echo.Kind, echo.JoinParams{Name: "lobby"})
		return w
	}

	// The attacker's compression works: a compressed say is accepted. (It
	// is short, so the server's own messages stay under its compression
	// threshold: the raw reader does not inflate.)
	w := dial()
	say, _ := codec.MarshalData(echo.SayData{Text: strings.Repeat("compressed ", 10)})
	msg := deflateRaw(t, codec.AppendSend(nil, 3, by.room, "say", say, ""))
	f := w.encodeFrame(opBinary, msg)
	f[0] |= 0x40 // RSV1: this message is compressed
	if _, err := w.conn.Write(f); err != nil {
		t.Fatal(err)
	}
	res := w.readUntil(waitTimeout, func(f *codec.Frame) bool { return f.Type == codec.TypeReply && f.Ref == 3 })
	if f := res.last(t); f.Type != codec.TypeReply || f.Code != "" {
		t.Fatalf("compressed say: %+v (close %d %q)", f, res.closeCode, res.reason)
	}
	by.said++

	bombs := []struct {
		name   string
		frames func(w *rawWS) []byte
	}{
		{"one compressed frame", func(w *rawWS) []byte {
			f := w.encodeFrame(opBinary, bomb)
			f[0] |= 0x40
			return f
		}},
		{"compressed and fragmented", func(w *rawWS) []byte {
			half := len(bomb) / 2
			first := w.encodeFrame(opBinary, bomb[:half])
			first[0] = 0x40 | opBinary // RSV1, not final
			rest := w.encodeFrame(0x0, bomb[half:])
			rest[0] = 0x80 // final continuation
			return append(first, rest...)
		}},
	}
	for i, b := range bombs {
		if i > 0 {
			w = dial()
		}
		frames := b.frames(w)
		runtime.GC()
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		if _, err := w.conn.Write(frames); err != nil {
			t.Logf("%s: write: %v", b.name, err)
		}
		res := w.readClose(waitTimeout)
		runtime.ReadMemStats(&after)
		if res.closeCode != gwsInflateTooLargeCode || res.reason != gwsInflateTooLargeReason {
			t.Fatalf("%s: close code %d (%q), want %d %q", b.name, res.closeCode, res.reason,
				gwsInflateTooLargeCode, gwsInflateTooLargeReason)
		}
		// The whole process, all goroutines included, allocated a small
		// fraction of the inflated size while handling the bomb.
		alloc := after.TotalAlloc - before.TotalAlloc
		t.Logf("%s: the process allocated %d KiB while handling it", b.name, alloc>>10)
		if alloc > 8<<20 {
			t.Fatalf("%s: the process allocated %d MiB for a bomb inflating to %d MiB", b.name, alloc>>20, inflated>>20)
		}
		env.waitSessions(2)
		by.check("mallory")
	}

	// The compressed bystander still works both ways.
	carol.say(by.room, "still compressing")
	by.said++
	carol.waitUntil("carol's own event", func(evs []client.Event) bool {
		for _, ev := range filterEvents(evs, by.room, "said") {
			if decodeSaid(t, ev).Text == "still compressing" {
				return true
			}
		}
		return false
	})
	by.check("mallory", "carol")
}
