package engine

import (
	"strings"
	"testing"

	"github.com/parlorhq/parlor/codec"
)

func TestEventSeq(t *testing.T) {
	for _, room := range []string{"r", strings.Repeat("x", 64), strings.Repeat("y", 300)} {
		for _, seq := range []uint64{0, 1, 127, 128, 255, 256, 65535, 65536, 1 << 32, 1<<64 - 1} {
			f := codec.AppendEvent(nil, room, seq, "msg", []byte{0xc0})
			got, ok := eventSeq(f)
			if !ok || got != seq {
				t.Errorf("room of %d bytes, seq %d: got %d, %v", len(room), seq, got, ok)
			}
		}
	}
	for _, p := range [][]byte{
		nil,
		codec.AppendLeft(nil, "r", "left"),
		codec.AppendReply(nil, 1, "", "", nil),
		appendEnvelope(nil, envFrames, "sid", codec.AppendEvent(nil, "r", 5, "msg", nil)),
		codec.AppendEvent(nil, "r", 1<<40, "msg", nil)[:12],
	} {
		if _, ok := eventSeq(p); ok {
			t.Errorf("eventSeq(%x) reported an event", p)
		}
	}
}

func TestJoinedSeq(t *testing.T) {
	for _, seq := range []uint64{0, 1, 200, 70000, 1 << 40} {
		f := codec.AppendJoined(nil, 300, "room", seq, []byte{0x80}, "epoch", true)
		if got, ok := joinedSeq(f); !ok || got != seq {
			t.Errorf("seq %d: got %d, %v", seq, got, ok)
		}
	}
	if _, ok := joinedSeq(codec.AppendEvent(nil, "r", 5, "msg", nil)); ok {
		t.Error("an event read as a joined frame")
	}
}

func TestEnvelopeRoundTrip(t *testing.T) {
	body := codec.AppendEvent(nil, "r", 5, "msg", nil)
	kind, sid, got, ok := parseEnvelope(appendEnvelope(nil, envFrames, "session-1", body))
	if !ok || kind != envFrames || sid != "session-1" || string(got) != string(body) {
		t.Fatalf("got %d %q %x %v", kind, sid, got, ok)
	}
	if _, _, _, ok := parseEnvelope(body); ok {
		t.Fatal("a broadcast parsed as an envelope")
	}
	if _, _, _, ok := parseEnvelope([]byte{envMagic, envFrames, 9, 'a'}); ok {
		t.Fatal("a truncated envelope parsed")
	}
}
