package engine_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/parlorhq/parlor/client"
	"github.com/parlorhq/parlor/codec"
	"github.com/parlorhq/parlor/engine"
	"github.com/parlorhq/parlor/internal/echo"
	"github.com/parlorhq/parlor/room"
)

// fuzzBarrierRef is the ref of the leave the fuzz test sends after each
// input: its reply says the server has handled the whole input.
const fuzzBarrierRef = 1<<53 - 7

// FuzzEngineFrames sends each input as one binary WebSocket message, on a
// fresh connection that has already connected and joined the echo room
// "fuzz", to one engine that serves every input of the run. Another user,
// the bystander, sits in that room. For every input:
//
//   - the server answers the input and a barrier request after it, or
//     closes the connection with a protocol close code (1007 after an
//     error frame, or 1009), and whatever it sends is valid parlor.v1;
//   - the bystander is still connected, says something and hears it, and
//     has heard nothing from anyone but itself and the fuzzing user;
//   - once the connection is closed, the engine is back to one session
//     and one room (the bystander's), so nothing leaked.
//
// Panics anywhere in the engine would crash the fuzz process. The seed
// corpus is in testdata/fuzz/FuzzEngineFrames; its sends target the room
// id of "fuzz" under the tests' secret. TestMain checks for goroutine
// leaks when the run ends.
func FuzzEngineFrames(f *testing.F) {
	// Rooms go when their last member leaves, so a leaked membership
	// shows in Stats. The bystander speaks once per input, hundreds of
	// times a second: the rate limit is raised for it (an input, at most
	// 64 frames on a fresh connection, stays within the burst anyway).
	env := newEnv(f, engine.Config{Room: room.Config{IdleTTL: -1}, RateLimit: 1 << 20})
	by := newBystander(env, "bystander", "fuzz")
	if by.room != echoRoomID("fuzz") {
		f.Fatalf("the fuzz room's id changed: the seed corpus targets %s", echoRoomID("fuzz"))
	}
	checks := 0
	allowed := map[string]bool{"bystander": true, "fuzzer": true}

	f.Fuzz(func(t *testing.T, msg []byte) {
		w, _ := rawDialHeader(t, env, "fuzzer", nil)
		w.connect()
		w.join(2, echo.Kind, echo.JoinParams{Name: "fuzz"})
		// The server may close before reading all of an oversize input.
		_ = w.tryWriteFrame(opBinary, msg)
		_ = w.tryWriteFrame(opBinary, codec.AppendLeave(nil, fuzzBarrierRef, "fuzz-barrier"))
		res := w.readUntil(waitTimeout, func(f *codec.Frame) bool {
			return f.Type == codec.TypeReply && f.Ref == fuzzBarrierRef
		})
		for _, f := range res.frames {
			switch f.Type {
			case codec.TypeConnected, codec.TypeJoined, codec.TypeReply, codec.TypeEvent, codec.TypeError, codec.TypeLeft:
			default:
				t.Fatalf("the server sent a frame of type %d", f.Type)
			}
		}
		switch res.closeCode {
		case 0:
			// The barrier was answered. Replies do not keep request order
			// (a send is answered by its room, a leave of a room the
			// connection is not in by the session), so it need not be the
			// last frame read.
			var barrier *codec.Frame
			for i := range res.frames {
				if f := &res.frames[i]; f.Type == codec.TypeReply && f.Ref == fuzzBarrierRef {
					barrier = f
				}
			}
			switch {
			case barrier != nil && barrier.Code != codec.CodeForbidden:
				t.Fatalf("barrier answered with %+v, want forbidden", *barrier)
			case barrier == nil && len(msg) <= engine.DefaultReadLimit:
				// Without a close frame: only when the input was too big
				// to be read whole (the close frame may be lost to a
				// reset).
				t.Fatalf("the connection ended without a close frame or an answer; frames %+v", res.frames)
			}
		case engine.CloseMalformed:
			// An error frame precedes the close. (Replies that rooms sent
			// for earlier frames of the message may still follow it.)
			var errFrame *codec.Frame
			for i := range res.frames {
				if f := &res.frames[i]; f.Type == codec.TypeError {
					errFrame = f
				}
			}
			if errFrame == nil || (errFrame.Code != codec.CodeBadRequest && errFrame.Code != codec.CodeTooLarge) {
				t.Fatalf("closed with 1007 without a bad_request or too_large error frame; frames %+v", res.frames)
			}
		case engine.CloseTooLarge:
			if len(msg) <= engine.DefaultReadLimit {
				t.Fatalf("closed with 1009 for a %d-byte message", len(msg))
			}
		default:
			t.Fatalf("closed with %d (%q)", res.closeCode, res.reason)
		}
		_ = w.conn.Close()

		// The bystander is intact, and heard nobody else.
		by.t = t
		checks++
		text := fmt.Sprintf("fuzz check %d", checks)
		by.say(by.room, text)
		by.waitUntil("the bystander's own event", func(evs []client.Event) bool {
			for _, ev := range filterEvents(evs, by.room, "said") {
				if s := decodeSaid(t, ev); s.Text == text && s.From == "bystander" {
					return true
				}
			}
			return false
		})
		for _, ev := range by.snapshot() {
			if ev.Left || ev.Room != by.room {
				t.Fatalf("bystander got %+v", ev)
			}
			if s := decodeSaid(t, ev); !allowed[s.From] {
				t.Fatalf("bystander heard %q from %q", s.Text, s.From)
			}
		}
		by.mu.Lock()
		by.events = nil // keep memory flat over a long run
		by.mu.Unlock()

		// Nothing leaked: the fuzzer's session ends, and so does every
		// room but the bystander's (rooms are disposed when empty).
		deadline := time.Now().Add(waitTimeout)
		for {
			st := env.e.Stats()
			if st.Sessions == 1 && st.Rooms == 1 {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("after the input: %+v, want 1 session and 1 room", st)
			}
			time.Sleep(200 * time.Microsecond)
		}
	})
}
