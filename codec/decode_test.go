package codec_test

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	"github.com/parlorhq/parlor/codec"
)

func TestDecodeMessageBatch(t *testing.T) {
	var msg []byte
	msg = codec.AppendConnect(msg, 1, "go/1", "")
	msg = codec.AppendJoin(msg, 2, "chat.dm", []byte{0x81, 0xa4, 'p', 'e', 'e', 'r', 0xa1, 'b'}, "", 0)
	msg = codec.AppendSend(msg, 3, "r1", "msg", []byte{0xa2, 'h', 'i'}, "c1")
	msg = codec.AppendLeave(msg, 4, "r1")

	var types []codec.Type
	var ptrs []*codec.Frame
	var last codec.Frame
	err := codec.DecodeMessage(msg, 4, func(f *codec.Frame) error {
		types = append(types, f.Type)
		ptrs = append(ptrs, f)
		last = *f
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	want := []codec.Type{codec.TypeConnect, codec.TypeJoin, codec.TypeSend, codec.TypeLeave}
	if len(types) != len(want) {
		t.Fatalf("got %v, want %v", types, want)
	}
	for i := range want {
		if types[i] != want[i] {
			t.Fatalf("got %v, want %v", types, want)
		}
	}
	// The frame is reused, and reset between frames.
	for _, p := range ptrs[1:] {
		if p != ptrs[0] {
			t.Fatal("frame not reused")
		}
	}
	if f := last; f.Kind != "" || f.Data != nil || f.ClientMsgID != "" || f.Room != "r1" || f.Ref != 4 {
		t.Fatalf("last frame carries stale fields: %+v", f)
	}
	// After DecodeMessage returns, the recycled frame no longer refers to
	// the message.
	if f := ptrs[0]; f.Type != 0 || f.Room != "" || f.Params != nil {
		t.Fatalf("frame not cleared after use: %+v", f)
	}

	if err := codec.DecodeMessage(msg, 3, func(*codec.Frame) error { return nil }); err != codec.ErrTooManyFrames {
		t.Fatalf("maxFrames 3: %v", err)
	}
	if err := codec.DecodeMessage(msg, 0, func(*codec.Frame) error { return nil }); err != nil {
		t.Fatalf("maxFrames 0 (no limit): %v", err)
	}
}

func TestDecodeMessageStops(t *testing.T) {
	msg := codec.AppendLeave(codec.AppendLeave(codec.AppendLeave(nil, 1, "a"), 2, "b"), 3, "c")
	stop := errors.New("stop")
	calls := 0
	err := codec.DecodeMessage(msg, 0, func(f *codec.Frame) error {
		calls++
		if f.Ref == 2 {
			return stop
		}
		return nil
	})
	if err != stop || calls != 2 {
		t.Fatalf("err %v after %d calls, want stop after 2", err, calls)
	}
}

func TestDecodeMessageValidatesFirst(t *testing.T) {
	// A structurally broken value anywhere means no frame is delivered.
	msg := codec.AppendLeave(nil, 1, "a")
	msg = append(msg, 0x92, 0xc1, 0xc0)
	calls := 0
	err := codec.DecodeMessage(msg, 0, func(*codec.Frame) error { calls++; return nil })
	if err != codec.ErrInvalidByte || calls != 0 {
		t.Fatalf("err %v, calls %d; want ErrInvalidByte and no calls", err, calls)
	}
	// A well-formed value that is not a frame is found in order: frames
	// before it have been delivered.
	msg = append(codec.AppendLeave(nil, 1, "a"), 0x91, 0x0b)
	calls = 0
	err = codec.DecodeMessage(msg, 0, func(*codec.Frame) error { calls++; return nil })
	if err != codec.ErrNotFrame || calls != 1 {
		t.Fatalf("err %v, calls %d; want ErrNotFrame after one call", err, calls)
	}
}

func TestDecodeFrameAliasesInput(t *testing.T) {
	msg := codec.AppendEvent(nil, "r1", 1, "msg", []byte{0xa2, 'h', 'i'})
	var f codec.Frame
	if err := codec.DecodeFrame(msg, &f); err != nil {
		t.Fatal(err)
	}
	if &f.Data[0] != &msg[len(msg)-3] {
		t.Fatal("Data should alias the input")
	}
	room := f.Room
	msg[3] = 'X' // inside "r1"
	if room != "r1" || f.Room != "r1" {
		t.Fatal("strings must not alias the input")
	}
}

func TestDecodeFrameExactlyOne(t *testing.T) {
	one := codec.AppendLeave(nil, 1, "a")
	var f codec.Frame
	if err := codec.DecodeFrame(append(bytes.Clone(one), one...), &f); err != codec.ErrTrailingBytes {
		t.Fatalf("two frames: %v", err)
	}
	if err := codec.DecodeFrame(nil, &f); err != codec.ErrTruncated {
		t.Fatalf("empty: %v", err)
	}
	f.Room = "stale"
	if err := codec.DecodeFrame([]byte{0x91, 0x0b}, &f); err != codec.ErrNotFrame {
		t.Fatalf("type 11: %v", err)
	}
}

func TestDecodeFieldLimits(t *testing.T) {
	name := func(n int) string { return strings.Repeat("i", n) }
	tests := []struct {
		name  string
		build func(s string) []byte
		limit int
	}{
		{"connect client", func(s string) []byte { return codec.AppendConnect(nil, 1, s, "") }, codec.MaxNameLen},
		{"connect token", func(s string) []byte { return codec.AppendConnect(nil, 1, "c", s) }, codec.MaxIDLen},
		{"connected session", func(s string) []byte { return codec.AppendConnected(nil, 1, s, "u", 1, "", false) }, codec.MaxIDLen},
		{"connected user", func(s string) []byte { return codec.AppendConnected(nil, 1, "s", s, 1, "", false) }, codec.MaxIDLen},
		{"connected token", func(s string) []byte { return codec.AppendConnected(nil, 1, "s", "u", 1, s, true) }, codec.MaxIDLen},
		{"join kind", func(s string) []byte { return codec.AppendJoin(nil, 1, s, nil, "", 0) }, codec.MaxNameLen},
		{"join epoch", func(s string) []byte { return codec.AppendJoin(nil, 1, "k", nil, s, 3) }, codec.MaxIDLen},
		{"joined room", func(s string) []byte { return codec.AppendJoined(nil, 1, s, 1, nil, "", false) }, codec.MaxIDLen},
		{"joined epoch", func(s string) []byte { return codec.AppendJoined(nil, 1, "r", 1, nil, s, false) }, codec.MaxIDLen},
		{"leave room", func(s string) []byte { return codec.AppendLeave(nil, 1, s) }, codec.MaxIDLen},
		{"send room", func(s string) []byte { return codec.AppendSend(nil, 1, s, "e", nil, "") }, codec.MaxIDLen},
		{"send event", func(s string) []byte { return codec.AppendSend(nil, 1, "r", s, nil, "") }, codec.MaxNameLen},
		{"send client_msg_id", func(s string) []byte { return codec.AppendSend(nil, 1, "r", "e", nil, s) }, codec.MaxIDLen},
		{"reply code", func(s string) []byte { return codec.AppendReply(nil, 1, codec.Code(s), "", nil) }, codec.MaxNameLen},
		{"reply message", func(s string) []byte { return codec.AppendReply(nil, 1, "", s, nil) }, codec.MaxTextLen},
		{"event room", func(s string) []byte { return codec.AppendEvent(nil, s, 1, "e", nil) }, codec.MaxIDLen},
		{"event name", func(s string) []byte { return codec.AppendEvent(nil, "r", 1, s, nil) }, codec.MaxNameLen},
		{"error code", func(s string) []byte { return codec.AppendError(nil, codec.Code(s), "") }, codec.MaxNameLen},
		{"error message", func(s string) []byte { return codec.AppendError(nil, "c", s) }, codec.MaxTextLen},
		{"left room", func(s string) []byte { return codec.AppendLeft(nil, s, "") }, codec.MaxIDLen},
		{"left reason", func(s string) []byte { return codec.AppendLeft(nil, "r", s) }, codec.MaxTextLen},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var f codec.Frame
			if err := codec.DecodeFrame(tt.build(name(tt.limit)), &f); err != nil {
				t.Fatalf("at the limit %d: %v", tt.limit, err)
			}
			err := codec.DecodeFrame(tt.build(name(tt.limit+1)), &f)
			if err != codec.ErrFieldTooLong || codec.AsError(err).Code != codec.CodeTooLarge {
				t.Fatalf("over the limit: %v", err)
			}
			// Invalid UTF-8 is rejected in every string field.
			bad := tt.build("\xff")
			if err := codec.DecodeFrame(bad, &f); err != codec.ErrFieldType {
				t.Fatalf("invalid UTF-8: %v", err)
			}
		})
	}
}

func TestDecodeFieldTypes(t *testing.T) {
	tests := []struct {
		name string
		hex  string
		err  error
	}{
		{"ref bool", "9305c3a172", codec.ErrFieldType},
		{"ref negative int16", "9305d1ff00a172", codec.ErrFieldType},
		{"ref float32", "9305ca3f800000a172", codec.ErrFieldType},
		{"room map", "93050180", codec.ErrFieldType},
		{"seq nil", "9508a172c0a165c0", codec.ErrFieldType},
		{"heartbeat negative", "95020aa173a175ff", codec.ErrFieldType},
		{"heartbeat max", "95020aa173a175ceffffffff", nil},
		{"heartbeat uint64 max", "95020aa173a175cf00000000ffffffff", nil},
		{"heartbeat uint64 over", "95020aa173a175cf0000000100000000", codec.ErrFieldType},
		{"cmid nil", "9606" + "01a172a165c0c0", nil},
		{"cmid bin", "9606" + "01a172a165c0c40163", codec.ErrFieldType},
		{"send without data", "9406" + "01a172a165", codec.ErrNotFrame},
		{"type zero", "9300" + "01a172", codec.ErrNotFrame},
		{"type uint64 huge", "93cfffffffffffffffff01a172", codec.ErrNotFrame},
		{"type nil", "93c001a172", codec.ErrNotFrame},
		{"array of one", "9105", codec.ErrNotFrame},
		{"str frame", "a3616263", codec.ErrNotFrame},
		{"extra field bad", "940501a172c1", codec.ErrInvalidByte},
		{"extra fields ok", "950501a172c0" + "93c0c0c0", nil},
		{"array16 frame", "dc00030501a172", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var f codec.Frame
			err := codec.DecodeFrame(mustHex(t, tt.hex), &f)
			if err != tt.err {
				t.Fatalf("err %v, want %v", err, tt.err)
			}
		})
	}
}

func TestTypeString(t *testing.T) {
	names := map[codec.Type]string{
		codec.TypeConnect: "connect", codec.TypeConnected: "connected", codec.TypeJoin: "join",
		codec.TypeJoined: "joined", codec.TypeLeave: "leave", codec.TypeSend: "send",
		codec.TypeReply: "reply", codec.TypeEvent: "event", codec.TypeError: "error",
		codec.TypeLeft: "left", 0: "unknown", 11: "unknown", 255: "unknown",
	}
	for typ, want := range names {
		if got := typ.String(); got != want {
			t.Errorf("Type(%d).String() = %q, want %q", uint8(typ), got, want)
		}
	}
	// The numbers are part of the protocol.
	for i, typ := range []codec.Type{codec.TypeConnect, codec.TypeConnected, codec.TypeJoin, codec.TypeJoined,
		codec.TypeLeave, codec.TypeSend, codec.TypeReply, codec.TypeEvent, codec.TypeError, codec.TypeLeft} {
		if int(typ) != i+1 {
			t.Errorf("%v = %d, want %d", typ, typ, i+1)
		}
	}
}
